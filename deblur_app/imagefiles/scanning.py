"""Reading many photos fast for a measurement (a folder's blur scan): small, 8-bit, upright.

A JPEG is decoded by libjpeg at 1/2, 1/4 or 1/8 scale (Pillow's draft mode, DCT scaling):
the smallest scale still at least ``max_side`` on its long side, then area-downscaled to
it. For a 12 MP photo and 768 px that is a 1000x750 decode, several times cheaper than
the full one. A PNG's rows (an interlaced one's pass by pass), and a TIFF's strips or tiles (any
compression OpenCV's libtiff reads: LZW, JPEG, deflate...), are decoded a band at a time and
area-shrunk as they come (pngbands.py, tiffbands.py): the scan holds the file's bytes and a band, never the whole picture (a 150 MP PNG or
TIFF: under 400 MiB, where the whole decode, float32 and a copy, took 4.8 GB;
benchmarks/bench_scan_large_memory.py). A TIFF of grey or RGB samples the band reader leaves is
decoded by OpenCV into the 8- or 16-bit integers the file holds and area-downscaled from them,
never made float whole (1.2 GB at 150 MP). Other photos go through
:func:`reading.load_reduced` (a camera RAW is developed at half size from its sensor data;
WebP, HEIC, and a PNG or TIFF whose data does not decode, are decoded whole).

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
from PIL import Image

from . import pngbands, tiffbands
from . import raw as camera_raw
from . import reading
from .completeness import cut_short_reason
from .errors import ImageFileError, PathLike
from .metadata import apply_orientation, orientation_of

__all__ = ["load_for_measuring"]


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
        reading.pillow_guarded(p, limit, im.load)
        reading.refuse_data_ran_out(p, data, im, lambda variant: reading.pillow_guarded(p, limit, lambda: drafted(variant)))
        pixels = np.asarray(im.convert(mode))
    except ImageFileError:
        raise
    except Exception as exc:
        raise reading.decode_error(p, exc) from None
    return pixels


def _decode_small(p: Path, data: bytes, im: Image.Image, fmt: str, max_side: int, limit: int) -> np.ndarray | None:
    """A PNG, or a TIFF of grey or RGB samples (``im`` opened by reading.open_photo), at most ``max_side`` px on its
    long side, upright: HxWx3 uint8 RGB, or HxW uint8 for a grey photo: load_reduced's picture rounded to 8 bits,
    without the whole photo in float. A PNG's rows (an interlaced one's pass by pass) and a TIFF's strips or tiles
    are shrunk a band at a time (pngbands.py, tiffbands.py); a TIFF tiffbands leaves is decoded by OpenCV into the
    integers the file holds (the colour under any alpha, as load_image reads it) and area-downscaled before anything
    else is made of them. A colour photo is decoded in colour: libpng's own conversion to grey works in linear light
    where the file has a gAMA or sRGB chunk, another luma than the score's. None for another photo, or one whose data
    does not decode: the whole decode then reads it, or says why."""
    opencv = reading.opencv_reading(fmt, im, data)
    if opencv is None or not opencv.decodes_as_stored:
        return None
    grey = opencv.grey
    orientation = pngbands.orientation(data) if fmt == "PNG" else None
    orientation = orientation_of(im) if orientation is None else orientation
    if fmt == "PNG":
        reading.verify_png(p, data, limit)  # the chunks' CRCs, which no decoder checks
        if pngbands.reads_in_bands(data):
            shrunk = pngbands.shrunk_png(data, max_side)
            if shrunk is None:
                return None
            return _small(shrunk, orientation)
    elif fmt == "TIFF":
        shrunk = tiffbands.shrunk_tiff(im, data, max_side)
        if shrunk is not None:
            return _small(shrunk, orientation)
    flags = (cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR) | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_IGNORE_ORIENTATION
    try:
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        return None
    width, height = reading.stored_size(im)  # OpenCV decodes the pixels as stored: turned upright below
    if pixels is None or pixels.shape[:2] != (height, width) or pixels.dtype not in (np.uint8, np.uint16):
        return None
    pixels = reading.fit_within(pixels, max_side)
    if pixels.dtype == np.uint16:
        pixels = np.rint(pixels / np.float32(257)).astype(np.uint8)
    if not grey:
        pixels = pixels[:, :, ::-1]  # OpenCV's BGR
    return np.ascontiguousarray(apply_orientation(pixels, orientation))


def _small(shrunk: tuple[np.ndarray, int], orientation: int) -> np.ndarray:
    """A band reader's float picture (pngbands, tiffbands) in 8 bits, upright."""
    pixels, top = shrunk
    small = np.clip(np.rint(pixels * np.float32(255 / top)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(apply_orientation(small, orientation))


def _as_measured(small: np.ndarray, grey: bool) -> np.ndarray:
    """_decode_small's picture as load_for_measuring gives it: luma, or RGB."""
    if small.ndim == 2:
        return small if grey else np.repeat(small[:, :, None], 3, axis=2)
    return cv2.cvtColor(small, cv2.COLOR_RGB2GRAY) if grey else small


def load_for_measuring(path: PathLike, max_side: int = 768, *, max_pixels: int | None = None,
                       grey: bool = False) -> np.ndarray:
    """An upright HxWx3 uint8 sRGB picture of the photo (``grey``: HxW uint8 luma), at most
    ``max_side`` px on its long side (a smaller photo keeps its size). Raises ImageFileError
    like load_image."""
    p = Path(os.fspath(path))
    limit = reading.MAX_PIXELS if max_pixels is None else int(max_pixels)
    data = reading.read_photo_bytes(p)
    if camera_raw.has_raw_extension(p) or camera_raw.looks_like_raw(data):
        return _as_measured_whole(reading.load_reduced_from_bytes(p, data, max_side, limit), grey)
    cut_short = cut_short_reason(p, data)  # a huge size in a tiny JPEG decodes to grey: scored "blurred" otherwise
    if cut_short:
        raise ImageFileError(p, cut_short)
    im, fmt = reading.open_photo(p, data, limit)  # the header's checks first: megapixels, pictures, samples
    if im.format == "JPEG":
        orientation = orientation_of(im)
        pixels = _decode_draft(p, data, im, max_side, limit, "L" if grey else "RGB")
        return reading.fit_within(apply_orientation(pixels, orientation), max_side)
    small = _decode_small(p, data, im, fmt, max_side, limit)
    if small is not None:
        return _as_measured(small, grey)
    return _as_measured_whole(reading.load_reduced_from_bytes(p, data, max_side, limit), grey)


def _as_measured_whole(pixels: np.ndarray, grey: bool) -> np.ndarray:
    """load_reduced's float picture as load_for_measuring gives it: 8-bit luma, or RGB."""
    rgb = np.clip(np.rint(pixels * 255.0), 0, 255).astype(np.uint8)
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if grey else rgb
