"""A TIFF's colour area-shrunk while its strips or tiles are decoded a band at a time, as pngbands.py does for a PNG:
a scan of a 150 MP TIFF held 1.2 GB with OpenCV's whole decode (its pixels twice, 6 bytes a pixel of 8-bit RGB).

libtiff decodes the segments, the same libtiff (OpenCV's) that decodes the whole file: each band's whole strips, or
whole rows of tiles, go to OpenCV as a stand-in TIFF: the file's own encoded segments and its own decoding tags
(compression, predictor, samples, JPEG tables...) in the file's byte order, the picture as tall as the band. So
every compression OpenCV's libtiff reads (LZW, JPEG, deflate, PackBits, LZMA, ZSTD, WebP, none) is read in bands,
strips or tiles, with the whole decode's flags and so its samples; each band's colour is shrunk by bandshrink.py.

Why not tifffile, which yields a TIFF's segments one at a time: without imagecodecs (a 26 MB wheel of native
codecs, for the app and its frozen build) it inflates deflate and undoes the predictor, but decodes neither LZW
nor JPEG, the two this module was extended for; and the stand-in decodes with the library the whole decode uses,
so the band picture cannot drift from it (another JPEG decoder may round differently).

None, for the caller's whole decode, for a TIFF outside what scanning's OpenCV path reads as stored (8- or 16-bit
unsigned grey or RGB in one plane) or that this module cannot carry into a stand-in (BigTIFF, old-style JPEG, a
segment past the file's end, another compression), or whose band OpenCV does not decode to the band's size.
"""

from __future__ import annotations

import struct

import cv2
import numpy as np
from PIL import Image

from .bandshrink import AreaShrink
from .reading import BITS_PER_SAMPLE, tiff_tag_values

__all__ = ["shrunk_tiff"]

#: Pixels decoded before a band is shrunk (whole strips or whole rows of tiles, at least one).
BAND_PIXELS = 1 << 18

#: Compression schemes libtiff decodes from the tags this module copies: none, LZW, JPEG, Adobe deflate, PackBits,
#: old-style deflate, LZMA, ZSTD, WebP (not old-style JPEG, whose stream is found through other offsets).
_COMPRESSIONS = {1, 5, 7, 8, 32773, 32946, 34925, 50000, 50001}
_WIDTH, _HEIGHT, _COMPRESSION, _PHOTOMETRIC, _STRIP_OFFSETS, _SAMPLES = 256, 257, 259, 262, 273, 277
_ROWS_PER_STRIP, _STRIP_BYTES, _PLANAR = 278, 279, 284
_TILE_WIDTH, _TILE_LENGTH, _TILE_OFFSETS, _TILE_BYTES = 322, 323, 324, 325
#: The file's tags a segment's decoding reads, copied into each stand-in as the file has them: BitsPerSample,
#: Compression, Photometric, FillOrder, SamplesPerPixel, PlanarConfiguration, Predictor, ColorMap, ExtraSamples,
#: SampleFormat, JPEGTables, YCbCrCoefficients, YCbCrSubSampling, YCbCrPositioning, ReferenceBlackWhite.
_DECODING_TAGS = {258, 259, 262, 266, 277, 284, 317, 320, 338, 339, 347, 529, 530, 531, 532}
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_LONG = 4


def shrunk_tiff(im: Image.Image, data: bytes, max_side: int) -> tuple[np.ndarray, int] | None:
    """The TIFF's colour (``im`` its opened header, ``data`` its bytes) at most ``max_side`` px on its long side,
    as stored (no orientation applied): (float32 HxW grey or HxWx3 RGB in the file's sample scale, and that scale's
    maximum: 255 or 65535), or None for a TIFF this module does not read."""
    tags = im.tag_v2
    bits = set(tiff_tag_values(tags, BITS_PER_SAMPLE, 1))
    photometric, samples = tags.get(_PHOTOMETRIC), tags.get(_SAMPLES, 1)
    if (bits not in ({8}, {16}) or tags.get(_COMPRESSION, 1) not in _COMPRESSIONS or photometric not in (1, 2)
            or samples < (1 if photometric == 1 else 3) or tags.get(_PLANAR, 1) != 1):
        return None
    width, height = tags.get(_WIDTH), tags.get(_HEIGHT)
    decoding = _decoding_entries(data)
    if not isinstance(width, int) or not isinstance(height, int) or decoding is None:
        return None
    layout = _layout(tags, width, height, len(data))
    if layout is None:
        return None
    grey = photometric == 1
    flags = (cv2.IMREAD_GRAYSCALE if grey else cv2.IMREAD_COLOR) | cv2.IMREAD_ANYDEPTH | cv2.IMREAD_IGNORE_ORIENTATION
    shrink, depth = AreaShrink(height, width, max_side, grey=grey), None
    for top, rows, layout_entries, segments in layout:
        entries = {**decoding, _WIDTH: (_LONG, [width]), _HEIGHT: (_LONG, [rows]), **layout_entries}
        stand_in = _stand_in(data[:2], entries, [data[start:end] for start, end in segments])
        band = cv2.imdecode(np.frombuffer(stand_in, np.uint8), flags)
        if band is None or band.shape[:2] != (rows, width) or band.dtype not in (np.uint8, np.uint16):
            return None
        if depth not in (None, band.dtype):
            return None
        depth = band.dtype
        step = max(1, BAND_PIXELS // width)  # a row of 512-px tiles is 7.7 MP at 15000 px: made float a part at a time
        for first in range(0, rows, step):
            part = band[first : first + step]
            shrink.add(top + first, (part if grey else part[:, :, ::-1]).astype(np.float32))  # OpenCV's BGR
    return shrink.picture, 65535 if depth == np.uint16 else 255


def _layout(tags, width: int, height: int, size: int):
    """The bands, top to bottom: (first row, rows, the stand-in's layout entries, the segments' (start, end) in the
    file), or None where the segments do not cover the picture within the file."""
    tiled = _TILE_WIDTH in tags
    if tiled:
        tile_width, tile_length = tags.get(_TILE_WIDTH), tags.get(_TILE_LENGTH)
        if not isinstance(tile_width, int) or not isinstance(tile_length, int) or tile_width < 1 or tile_length < 1:
            return None
        offsets, counts = tiff_tag_values(tags, _TILE_OFFSETS, None), tiff_tag_values(tags, _TILE_BYTES, None)
        across, segment_rows = -(-width // tile_width), tile_length
        shape = {_TILE_WIDTH: (_LONG, [tile_width]), _TILE_LENGTH: (_LONG, [tile_length])}
        offsets_tag, counts_tag = _TILE_OFFSETS, _TILE_BYTES
    else:
        offsets, counts = tiff_tag_values(tags, _STRIP_OFFSETS, None), tiff_tag_values(tags, _STRIP_BYTES, None)
        across, segment_rows = 1, min(int(tags.get(_ROWS_PER_STRIP, height) or height), height)
        shape = {_ROWS_PER_STRIP: (_LONG, [segment_rows])}
        offsets_tag, counts_tag = _STRIP_OFFSETS, _STRIP_BYTES
    down = -(-height // segment_rows)
    if (None in offsets or None in counts or len(offsets) < across * down or len(counts) < across * down
            or any(offset + count > size for offset, count in zip(offsets, counts))):
        return None
    per_band = max(1, BAND_PIXELS // (segment_rows * width))
    bands = []
    for first in range(0, down, per_band):
        top = first * segment_rows
        rows = min(height, (first + per_band) * segment_rows) - top
        chosen = range(first * across, min(down, first + per_band) * across)
        starts = [offsets[index] for index in chosen]
        lengths = [counts[index] for index in chosen]
        entries = {**shape, offsets_tag: (_LONG, starts), counts_tag: (_LONG, lengths)}
        bands.append((top, rows, entries, [(start, start + length) for start, length in zip(starts, lengths)]))
    return bands


def _decoding_entries(data: bytes) -> dict[int, tuple[int, bytes]] | None:
    """The first picture's decoding tags as the file stores them: {tag: (type, its values' bytes)}; None for a
    BigTIFF or an IFD that does not fit in the file."""
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None or len(data) < 8 or struct.unpack(order + "H", data[2:4])[0] != 42:
        return None
    at = struct.unpack(order + "I", data[4:8])[0]
    if at + 2 > len(data):
        return None
    count = struct.unpack(order + "H", data[at : at + 2])[0]
    if at + 2 + 12 * count > len(data):
        return None
    entries = {}
    for index in range(count):
        entry = data[at + 2 + 12 * index : at + 14 + 12 * index]
        tag, kind, values = struct.unpack(order + "HHI", entry[:8])
        if tag not in _DECODING_TAGS:
            continue
        if kind not in _TYPE_SIZES:
            return None
        length = _TYPE_SIZES[kind] * values
        if length <= 4:
            stored = entry[8 : 8 + length]
        else:
            start = struct.unpack(order + "I", entry[8:12])[0]
            if start + length > len(data):
                return None
            stored = data[start : start + length]
        entries[tag] = (kind, stored)
    return entries


def _stand_in(byte_order: bytes, entries: dict[int, tuple[int, bytes | list[int]]], segments: list[bytes]) -> bytes:
    """A one-picture TIFF in ``byte_order`` (b"II" or b"MM") of ``entries`` ({tag: (type, stored bytes, or LONG
    values)}) whose strip or tile offsets are ``segments``' places, in order: the layout's offsets tag (273 or 324)
    is filled in here."""
    order = "<" if byte_order == b"II" else ">"
    offsets_tag = _TILE_OFFSETS if _TILE_OFFSETS in entries else _STRIP_OFFSETS
    at, places = 8, []
    for segment in segments:
        places.append(at)
        at += len(segment)
    entries = {**entries, offsets_tag: (_LONG, places)}
    stored = {tag: values if isinstance(values, bytes) else struct.pack(f"{order}{len(values)}I", *values)
              for tag, (_kind, values) in entries.items()}
    counts = {tag: len(values) // _TYPE_SIZES[kind] if isinstance(values, bytes) else len(values)
              for tag, (kind, values) in entries.items()}
    padding = b"\0" * (at % 2)  # values and the IFD start on a word boundary
    outside, out_at = [], at + len(padding)
    value_places = {}
    for tag in sorted(entries):
        if len(stored[tag]) > 4:
            value_places[tag] = out_at
            outside.append(stored[tag] + b"\0" * (len(stored[tag]) % 2))
            out_at += len(outside[-1])
    ifd = [struct.pack(order + "H", len(entries))]
    for tag in sorted(entries):
        kind = entries[tag][0]
        value = struct.pack(order + "I", value_places[tag]) if tag in value_places else stored[tag].ljust(4, b"\0")
        ifd.append(struct.pack(order + "HHI", tag, kind, counts[tag]) + value)
    ifd.append(b"\0\0\0\0")  # no next picture
    header = byte_order + struct.pack(order + "HI", 42, out_at)
    return b"".join([header, *segments, padding, *outside, *ifd])
