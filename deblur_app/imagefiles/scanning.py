"""Reading many photos fast for a measurement (a folder's blur scan): small, 8-bit, upright.

A JPEG is decoded by libjpeg at 1/2, 1/4 or 1/8 scale (Pillow's draft mode, DCT scaling):
the smallest scale still at least ``max_side`` on its long side, then area-downscaled to
it. For a 12 MP photo and 768 px that is a 1000x750 decode, several times cheaper than
the full one. Other photos go through :func:`reading.load_reduced` (a camera RAW is
developed at half size from its sensor data; PNG, TIFF, WebP, HEIC are fully decoded).

With ``grey=True`` the picture is the luma alone, which is all a blur score looks at: a JPEG's
Y channel straight from libjpeg (draft mode "L"), which skips the chroma planes' inverse DCT,
upsampling and colour conversion (2.4x less decode time for a 12 MP JPEG: 37 against 90 ms, AMD
EPYC Zen 4, one core, loaded). JPEG's Y is JFIF's full-range BT.601 luma, the weights
OpenCV's RGB2GRAY applies to the decoded RGB, so the two differ by rounding only.

Every problem is an :class:`ImageFileError` naming the file and the reason, raised before
the slow work where it can be (empty, not an image, over the megapixel limit, cut short or a
huge size in a tiny file: completeness.py); a truncated JPEG fails instead of giving a grey
bottom half, one closed with an end-of-image marker after the cut too (jpegend.py, on the draft decode).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from . import raw as camera_raw
from . import reading
from .completeness import cut_short_reason
from .errors import ImageFileError, PathLike
from .metadata import apply_orientation, orientation_of

__all__ = ["load_for_measuring"]


def _open_jpeg(p: Path, data: bytes, limit: int) -> Image.Image | None:
    """The opened JPEG, or None when the file is some other format."""
    try:
        im = reading._pil_guarded(p, limit, lambda: Image.open(io.BytesIO(data)))
    except ImageFileError:
        raise
    except UnidentifiedImageError:
        return None  # let load_reduced say what it is
    except Exception as exc:
        raise reading._decode_error(p, exc) from None
    if im.format != "JPEG":
        return None
    width, height = im.size
    if limit > 0 and width * height > limit:
        raise reading._bomb_error(p, width * height, limit)
    return im


def _decode_draft(p: Path, data: bytes, im: Image.Image, max_side: int, limit: int, mode: str) -> np.ndarray:
    """``mode`` "RGB" or "L" (a CMYK JPEG is decoded as CMYK and converted)."""
    width, height = im.size
    scale = min(1.0, max_side / max(width, height))
    size = (max(1, int(width * scale)), max(1, int(height * scale)))
    im.draft(mode, size)

    def drafted(variant: bytes) -> Image.Image:  # other bytes decoded as these were, for jpegend.data_ran_out
        other = Image.open(io.BytesIO(variant))
        other.draft(mode, size)
        other.load()
        return other

    try:
        reading._pil_guarded(p, limit, im.load)
        reading._refuse_data_ran_out(p, data, im, lambda variant: reading._pil_guarded(p, limit, lambda: drafted(variant)))
        pixels = np.asarray(im.convert(mode))
    except ImageFileError:
        raise
    except Exception as exc:
        raise reading._decode_error(p, exc) from None
    return pixels


def load_for_measuring(path: PathLike, max_side: int = 768, *, max_pixels: int | None = None,
                       grey: bool = False) -> np.ndarray:
    """An upright HxWx3 uint8 sRGB picture of the photo (``grey``: HxW uint8 luma), at most
    ``max_side`` px on its long side (a smaller photo keeps its size). Raises ImageFileError
    like load_image."""
    p = Path(os.fspath(path))
    limit = reading.MAX_PIXELS if max_pixels is None else int(max_pixels)
    data = reading.read_photo_bytes(p)
    im = None
    if not (camera_raw.has_raw_extension(p) or camera_raw.looks_like_raw(data)):
        cut_short = cut_short_reason(p, data)  # a huge size in a tiny JPEG decodes to grey: scored "blurred" otherwise
        if cut_short:
            raise ImageFileError(p, cut_short)
        im = _open_jpeg(p, data, limit)
    if im is None:
        pixels = reading._load_reduced(p, data, max_side, limit)
        rgb = np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if grey else rgb
    orientation = orientation_of(im)
    pixels = _decode_draft(p, data, im, max_side, limit, "L" if grey else "RGB")
    return reading.fit_within(apply_orientation(pixels, orientation), max_side)
