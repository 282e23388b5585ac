"""A TIFF's colour area-shrunk while its strips are decoded a band at a time, as pngbands.py does for a PNG: a scan of
a 150 MP TIFF held 1.2 GB with OpenCV's decode (its pixels twice, 6 bytes a pixel of 8-bit RGB).

For the TIFFs the app writes and most editors' deflate or uncompressed ones: strips (not tiles) of 8- or 16-bit
unsigned samples in one plane, deflate (Adobe or old-style) or none, with or without the horizontal predictor.
Each strip is inflated (zlib), its predictor undone (a running sum along each row, which wraps as the differences
did), its colour taken (the grey or RGB samples, not the extra ones) and shrunk (bandshrink.py). Any other TIFF
(LZW, JPEG, tiles, a strip that does not inflate to its rows) gets None: the caller decodes it whole.
"""

from __future__ import annotations

import zlib

import numpy as np
from PIL import Image

from .bandshrink import AreaShrink
from .reading import BITS_PER_SAMPLE, tiff_tag_values

__all__ = ["shrunk_tiff"]

#: Pixels decoded before a band is shrunk (whole strips, at least one).
BAND_PIXELS = 1 << 18

_DEFLATE = (8, 32946)  # Compression: Adobe deflate, old-style deflate
_WIDTH, _HEIGHT, _COMPRESSION, _PHOTOMETRIC, _FILL_ORDER, _STRIP_OFFSETS = 256, 257, 259, 262, 266, 273
_SAMPLES, _ROWS_PER_STRIP, _STRIP_BYTES, _PLANAR, _PREDICTOR, _TILE_WIDTH = 277, 278, 279, 284, 317, 322


def shrunk_tiff(im: Image.Image, data: bytes, max_side: int) -> tuple[np.ndarray, int] | None:
    """The TIFF's colour (``im`` its opened header, ``data`` its bytes) at most ``max_side`` px on its long side,
    as stored (no orientation applied): (float32 HxW grey or HxWx3 RGB in the file's sample scale, and that scale's
    maximum: 255 or 65535), or None for a TIFF this module does not read."""
    tags = im.tag_v2
    bits = set(tiff_tag_values(tags, BITS_PER_SAMPLE, 1))
    compression, predictor = tags.get(_COMPRESSION, 1), tags.get(_PREDICTOR, 1)
    photometric, samples = tags.get(_PHOTOMETRIC), tags.get(_SAMPLES, 1)
    if (bits not in ({8}, {16}) or compression not in (1, *_DEFLATE) or predictor not in (1, 2)
            or photometric not in (1, 2) or samples < (1 if photometric == 1 else 3) or _TILE_WIDTH in tags
            or tags.get(_PLANAR, 1) != 1 or tags.get(_FILL_ORDER, 1) != 1):
        return None
    width, height = tags.get(_WIDTH), tags.get(_HEIGHT)
    offsets, sizes = tiff_tag_values(tags, _STRIP_OFFSETS, None), tiff_tag_values(tags, _STRIP_BYTES, None)
    rows_per_strip = min(int(tags.get(_ROWS_PER_STRIP, height) or height), height)
    if (not isinstance(width, int) or not isinstance(height, int) or None in offsets or len(offsets) != len(sizes)
            or len(offsets) < -(-height // rows_per_strip)):
        return None
    depth = 16 if bits == {16} else 8
    dtype = np.dtype(np.uint8) if depth == 8 else np.dtype(("<" if data[:2] == b"II" else ">") + "u2")
    shrink = AreaShrink(height, width, max_side, grey=photometric == 1)
    band, band_top = [], 0
    for index, (offset, size) in enumerate(zip(offsets, sizes)):
        top = index * rows_per_strip
        if top >= height:
            break
        rows = min(rows_per_strip, height - top)
        stored = data[offset : offset + size]
        try:
            strip = zlib.decompress(stored) if compression in _DEFLATE else stored
        except zlib.error:
            return None
        count = rows * width * samples
        if len(strip) < count * dtype.itemsize:
            return None
        values = np.frombuffer(strip, dtype, count=count).reshape(rows, width, samples)
        if predictor == 2:
            values = np.cumsum(values, axis=1, dtype=dtype)  # wraps as the encoder's differences did
        band.append(values[:, :, 0] if photometric == 1 else values[:, :, :3])
        if (top + rows - band_top) * width >= BAND_PIXELS or top + rows == height:
            shrink.add(band_top, np.concatenate(band).astype(np.float32))
            band, band_top = [], top + rows
    return shrink.picture, 65535 if depth == 16 else 255
