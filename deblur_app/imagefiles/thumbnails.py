"""Quick previews for the filmstrip: a small upright picture long before the full decode.

A camera RAW file shows the preview the camera embedded in it (imagefiles/rawpreview.py), which
costs milliseconds where a development costs seconds. A JPEG is decoded at 1/2, 1/4 or 1/8 scale (Pillow's draft mode, libjpeg's DCT scaling),
so a preview costs a fraction of :func:`~deblur_app.imagefiles.load_image`.  A preview is
best effort: any problem gives None, and the full load reports it in one line.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from . import pillowlimit, raw, reading, rawpreview
from .errors import PathLike, not_a_file_reason
from .formats import HEIF_EXTENSIONS, heif_available


def load_thumbnail(path: PathLike, size: int) -> np.ndarray | None:
    """An upright HxWx3 uint8 RGB picture of the photo at most ``size`` pixels on its long
    side, or None when the file cannot be previewed."""
    p = Path(os.fspath(path))
    if not_a_file_reason(p):  # the full load says why
        return None
    if raw.is_raw(p):
        return rawpreview.embedded_preview(p, size)  # never Pillow, which may read a different picture
    if p.suffix.lower() in HEIF_EXTENSIONS:
        heif_available()
    try:
        with pillowlimit.with_limit(reading.MAX_PIXELS, lambda: Image.open(p)) as im:  # our limit, not Pillow's
            width, height = im.size
            if 0 < reading.MAX_PIXELS < width * height:
                return None  # the full load explains the limit
            im.draft("RGB", (size, size))
            im = ImageOps.exif_transpose(im)
            im.thumbnail((size, size), Image.Resampling.BOX)
            if im.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit gray: scale, do not clip
                gray = np.asarray(im, dtype=np.float32) / 257.0
                return np.repeat(np.clip(np.rint(gray), 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
            return np.ascontiguousarray(np.asarray(im.convert("RGB")))
    except Exception:
        return None

