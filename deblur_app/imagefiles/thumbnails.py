"""Quick previews for the filmstrip: a small upright picture long before the full decode.

A camera RAW file shows the preview the camera embedded in it (imagefiles/rawpreview.py), which
costs milliseconds where a development costs seconds. A JPEG is decoded at 1/2, 1/4 or 1/8 scale (Pillow's draft mode, libjpeg's DCT scaling),
so a preview costs a fraction of :func:`~deblur_app.imagefiles.load_image`.  A preview is
best effort: any problem gives None, and the full load reports it in one line.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from . import pillowlimit, raw, reading, rawpreview
from .completeness import cut_short_reason
from .errors import PathLike, not_a_file_reason
from .formats import HEIF_EXTENSIONS, heif_available
from .jpegend import data_ran_out


#: A thumbnail's short side is at least its long side over this: a 12000x40 panorama's 160x1 thumbnail was blank,
#: and the filmstrip's icon of it, scaled to 0 pixels high, painted on a null pixmap ('QPainter::begin: Paint
#: device returned engine == 0' on every paint). A longer photo shows its middle at that shape.
MAX_THUMBNAIL_ASPECT = 8

_ALPHA_MODES = ("RGBA", "RGBa", "LA", "La", "PA")


def thumbnail_crop(width: int, height: int) -> tuple[int, int, int, int]:
    """(left, top, width, height) of a ``width`` x ``height`` picture that its thumbnail shows: all of it, or the
    middle of a panorama (or a tall strip) at MAX_THUMBNAIL_ASPECT : 1. The one rule for every thumbnail."""
    width, height = max(1, width), max(1, height)
    keep_w = min(width, height * MAX_THUMBNAIL_ASPECT)
    keep_h = min(height, width * MAX_THUMBNAIL_ASPECT)
    return (width - keep_w) // 2, (height - keep_h) // 2, keep_w, keep_h


def thumbnail_size(width: int, height: int, size: int) -> tuple[int, int]:
    """(width, height) of the thumbnail of a ``width`` x ``height`` crop (thumbnail_crop): at most ``size`` on the
    long side, never enlarged, and at least 1 pixel on each side."""
    scale = min(1.0, size / max(width, height, 1))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _draft_size(im: Image.Image, size: int) -> tuple[int, int]:
    """The size Pillow's draft decodes a JPEG at for a ``size`` thumbnail: at most 1/8 (DCT scaling); a
    progressive JPEG at most 1/4, where its last scan, often the fine detail alone (AC coefficients), still shows:
    at 1/8 a block is its DC coefficient alone, and the check for a scan cut short could not see that one."""
    if im.format == "JPEG" and im.info.get("progressive"):
        width, height = im.size
        return max(size, width // 4), max(size, height // 4)
    return size, size


def _jpeg_refused(p: Path, im: Image.Image) -> bool:
    """Whether the full load refuses this JPEG for its data: cut short (completeness.py: no end marker, scans
    missing) or closed with an end marker after a cut (jpegend.py, on this draft decode). Its thumbnail showed in
    the filmstrip, the grey bottom of a cut one included, until the photo was selected and refused."""
    data = reading.read_photo_bytes(p)
    if cut_short_reason(p, data):
        return True
    im.load()
    mode, size = im.mode, im.size

    def drafted(variant: bytes) -> Image.Image:
        other = Image.open(io.BytesIO(variant))
        other.draft(mode, size)
        other.load()
        return other

    return data_ran_out(data, im, drafted)


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
            im.draft("RGB", _draft_size(im, size))
            if im.format == "JPEG" and _jpeg_refused(p, im):
                return None  # the full load says why, when the photo is added (not once it is selected)
            ImageOps.exif_transpose(im, in_place=True)  # a copy of the whole photo otherwise, turned or not
            if im.mode in _ALPHA_MODES or "transparency" in im.info:
                # the colour under the alpha, as the viewer shows it (the window shows a photo's colour channels,
                # and the alpha is written back as read): Pillow resizes RGBA premultiplied, which made every
                # transparent pixel of the thumbnail black until the photo loaded and its thumbnail replaced it
                im = im.convert("RGB")
            left, top, keep_w, keep_h = thumbnail_crop(*im.size)
            if (keep_w, keep_h) != im.size:
                im = im.crop((left, top, left + keep_w, top + keep_h))
            im = im.resize(thumbnail_size(keep_w, keep_h, size), Image.Resampling.BOX) if max(im.size) > size else im
            if im.mode in ("I", "I;16", "I;16B", "I;16L"):  # 16-bit gray: scale, do not clip
                gray = np.asarray(im, dtype=np.float32) / 257.0
                return np.repeat(np.clip(np.rint(gray), 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)
            return np.ascontiguousarray(np.asarray(im.convert("RGB")))
    except Exception:
        return None

