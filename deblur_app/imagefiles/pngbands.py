"""A PNG's colour shrunk by area averaging while its rows are decoded a band at a time: a scan of a 150 MP PNG holds
the file's bytes and a band of rows, never the whole picture: 367 MiB where OpenCV's decode, which held its pixels
twice (6 bytes a pixel of 8-bit RGB), peaked at 1200 MiB (benchmarks/bench_scan_large_memory.py, RESULTS.md).

The image data (the IDAT chunks' zlib stream) is inflated a band of filtered rows at a time. libpng undoes the rows'
filters: each band goes to OpenCV as a stand-in PNG of the same bytes per pixel (filters work on bytes), the band's
filtered rows after the band's previous row, unfiltered ("None" filter), which the first row's filter refers to. The
stand-in's samples are the file's raw bytes again, which this module reads as the file's header says (any depth,
palette, grey, alpha) into the colour load_image reads (the colour under any alpha, a palette's colours, grey of 1, 2
or 4 bits spread over 0-255), area-shrinks across each band's columns (cv2.resize) and adds each row into the output
rows it covers with its share (cv2's INTER_AREA across rows). An interlaced PNG's seven passes (Adam7) come one after
another, each a smaller picture of every 8th, 4th or 2nd pixel with its own filtered rows: each pass is read the same
way, a band at a time, and its pixels added into the output cells they cover with their shares, as the whole
picture's would be (an area shrink is a sum over pixels). A PNG whose data does not inflate to its rows gets None:
the caller decodes such a file whole, or says why. The stand-ins are well-formed, so libpng has no error of the
file's to print.
"""

from __future__ import annotations

import io
import math
import struct
import zlib
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .bandshrink import AreaShrink
from .metadata import orientation_of

__all__ = ["orientation", "reads_in_bands", "shrunk_png"]

#: Pixels inflated and decoded at a time (whole rows, at least one): 17 rows of a 15000-px-wide photo. A band costs
#: some 25 bytes a pixel while it is read (its bytes, the stand-in, OpenCV's decode, float colour): 6.5 MiB of RGB.
BAND_PIXELS = 1 << 18

_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type: samples a pixel
# The stand-in's (colour type, bit depth) for each number of bytes a pixel, as filters count them
_STAND_IN = {1: (0, 8), 2: (0, 16), 3: (2, 8), 4: (6, 8), 6: (2, 16), 8: (6, 16)}
#: Compressed bytes handed to zlib at a time (_Inflated)
_FEED = 1 << 16
#: Adam7's passes, in the order the image data holds them: (first column, column step, first row, row step)
_ADAM7 = ((0, 8, 0, 8), (4, 8, 0, 8), (0, 4, 4, 8), (2, 4, 0, 4), (0, 2, 2, 4), (1, 2, 0, 2), (0, 1, 1, 2))


@dataclass(frozen=True)
class _Header:
    width: int
    height: int
    depth: int
    colour_type: int
    palette: np.ndarray | None  # (entries, 3) uint8 for colour type 3
    interlaced: bool = False

    @property
    def pixel_bytes(self) -> int:
        """Bytes a pixel as the filters count them (at least 1)."""
        return max(1, _CHANNELS[self.colour_type] * self.depth // 8)

    @property
    def row_bytes(self) -> int:
        return math.ceil(self.width * _CHANNELS[self.colour_type] * self.depth / 8)


def reads_in_bands(data: bytes) -> bool:
    """Whether shrunk_png reads this PNG a band at a time: one whose header it reads (interlaced or not)."""
    return _chunks(data)[0] is not None


def shrunk_png(data: bytes, max_side: int) -> tuple[np.ndarray, int] | None:
    """The PNG's colour at most ``max_side`` px on its long side (area-averaged, sides as reading.fit_within rounds
    them), as stored (no EXIF orientation applied): (float32 HxW grey or HxWx3 RGB, in the file's sample scale, and
    that scale's maximum: 255 or 65535). None where reads_in_bands says no, or the image data does not decode."""
    header, idat = _chunks(data)
    if header is None or not idat:
        return None
    shrink = AreaShrink(header.height, header.width, max_side, grey=header.colour_type in (0, 4))
    stream = _Inflated(idat)
    try:
        if not header.interlaced:
            for top, raw in _raw_bands(header, stream):
                shrink.add(top, _colour(header, raw))
        for column, column_step, row, row_step in _ADAM7 if header.interlaced else ():  # each pass a smaller picture
            columns, rows = -(-(header.width - column) // column_step), -(-(header.height - row) // row_step)
            if not columns or not rows:
                continue  # an empty pass has no bytes, not even its rows' filter types
            sub = _Header(columns, rows, header.depth, header.colour_type, header.palette)
            for top, raw in _raw_bands(sub, stream):
                shrink.add_spaced(row + top * row_step, row_step, column, column_step, _colour(sub, raw))
    except (zlib.error, _NotDecoded):
        return None
    return shrink.picture, 65535 if header.depth == 16 else 255


def orientation(data: bytes) -> int | None:
    """The EXIF orientation load_image applies to this PNG (metadata.orientation_of), found without its pixels
    decoded: Pillow reads the chunks after a PNG's image data (an eXIf chunk may come there) only by decoding the
    whole picture, 600 MB of a 150 MP RGB photo. Asked of a stand-in: every chunk of the file, but the image data
    that of one pixel. None where the stand-in does not open."""
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None
    ihdr = bytearray(data[16:29])
    ihdr[0:8] = struct.pack(">II", 1, 1)
    ihdr[12] = 0  # not interlaced
    one_pixel = zlib.compress(bytes(1 + math.ceil(_CHANNELS.get(ihdr[9], 4) * ihdr[8] / 8)))
    parts, at, placed = [data[:8], _png_chunk(b"IHDR", bytes(ihdr))], 33, False
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        if kind == b"IDAT":
            if not placed:
                parts.append(_png_chunk(b"IDAT", one_pixel))
                placed = True
        else:
            parts.append(data[at : at + 12 + length])
        if kind == b"IEND":
            break
        at += 12 + length
    try:
        with Image.open(io.BytesIO(b"".join(parts))) as stand_in:
            return orientation_of(stand_in)
    except Exception:  # noqa: BLE001 (the caller asks the file itself)
        return None


class _NotDecoded(Exception):
    """The image data ended before its rows, or OpenCV refused a stand-in."""


def _chunks(data: bytes) -> tuple[_Header | None, list[memoryview]]:
    """The PNG's header (None where it is not one this module reads) and its IDAT chunks' data, as views of
    ``data``."""
    view = memoryview(data)
    if len(data) < 33 or data[12:16] != b"IHDR":
        return None, []
    width, height, depth, colour_type, _compression, _filter, interlace = struct.unpack(">IIBBBBB", data[16:29])
    if (interlace not in (0, 1) or colour_type not in _CHANNELS or depth not in (1, 2, 4, 8, 16) or not width
            or not height):
        return None, []
    palette, idat, at = None, [], 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at : at + 8])
        body = view[at + 8 : at + 8 + length]
        if kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8)[: len(body) // 3 * 3].reshape(-1, 3)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        at += 12 + length
    if colour_type == 3 and palette is None:
        return None, []
    return _Header(width, height, depth, colour_type, palette, interlace == 1), idat


class _Inflated:
    """The IDAT chunks' zlib stream, inflated as much as is asked at a time. Fed at most _FEED bytes at a time:
    zlib keeps the input it has not used as a new bytes object (unconsumed_tail), a copy of the rest of a writer's
    one 254 MB IDAT chunk at every band (a 150 MP interlaced PNG's scan took 375 s and 826 MB so)."""

    def __init__(self, idat: list[memoryview]) -> None:
        self._inflate = zlib.decompressobj()
        self._pending = (chunk[at : at + _FEED] for chunk in idat for at in range(0, len(chunk), _FEED))

    def take(self, wanted: int) -> bytes:
        """The next ``wanted`` bytes of the inflated stream."""
        parts, have = [], 0
        while have < wanted:
            if self._inflate.unconsumed_tail:
                piece = self._inflate.decompress(self._inflate.unconsumed_tail, wanted - have)
            else:
                chunk = next(self._pending, None)
                if chunk is None:
                    raise _NotDecoded("the image data ended before its last row")
                piece = self._inflate.decompress(chunk, wanted - have)
            parts.append(piece)
            have += len(piece)
        return b"".join(parts)


def _raw_bands(header: _Header, stream: _Inflated):
    """(first row, the band's unfiltered rows as (rows, row bytes) uint8), top to bottom, from ``stream``'s next
    bytes (the picture's, or an interlaced one's pass's)."""
    stride = header.row_bytes + 1  # each row: its filter type, then its bytes
    previous = bytes(header.row_bytes)  # the row above the first: zeros, as the filters take it
    band_rows = max(1, BAND_PIXELS // header.width)
    for top in range(0, header.height, band_rows):
        rows = min(band_rows, header.height - top)
        wanted = rows * stride
        filtered = stream.take(wanted)
        if np.frombuffer(filtered, np.uint8, count=wanted)[::stride].max() > 4:  # libpng would print its error
            raise _NotDecoded("a row's filter type is none of PNG's five")
        raw = _unfiltered(header, previous, filtered, rows)
        previous = raw[-1].tobytes()
        yield top, raw


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _unfiltered(header: _Header, previous: bytes, filtered: bytes, rows: int) -> np.ndarray:
    """The band's rows with their filters undone by libpng, through a stand-in PNG whose first row is ``previous``."""
    pixel_bytes = header.pixel_bytes
    colour_type, depth = _STAND_IN[pixel_bytes]
    width = header.row_bytes // pixel_bytes
    stand_in = b"".join((
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, rows + 1, depth, colour_type, 0, 0, 0)),
        _png_chunk(b"IDAT", zlib.compress(b"\x00" + previous + filtered, 0)),  # stored: libpng only undoes filters
        _png_chunk(b"IEND", b""),
    ))
    decoded = cv2.imdecode(np.frombuffer(stand_in, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None or decoded.shape[:2] != (rows + 1, width):
        raise _NotDecoded("OpenCV did not decode a band")
    band = decoded[1:]
    if band.ndim == 3:
        band = band[..., [2, 1, 0, 3][: band.shape[2]]]  # OpenCV's BGR(A): the file's order again
    if depth == 16:
        band = band.astype(">u2")
    return np.ascontiguousarray(band).view(np.uint8).reshape(rows, header.row_bytes)


def _colour(header: _Header, raw: np.ndarray) -> np.ndarray:
    """A band's raw rows as float32 colour in the file's sample scale: (rows, width) grey or (rows, width, 3) RGB."""
    rows, width, depth = raw.shape[0], header.width, header.depth
    channels = _CHANNELS[header.colour_type]
    if depth == 16:
        samples = raw.view(">u2").reshape(rows, width, channels)
    elif depth == 8:
        samples = raw.reshape(rows, width, channels)
    else:  # 1, 2 or 4 bits a sample, the first in a byte's high bits: one channel (grey, or a palette's index)
        shifts = np.arange(8 - depth, -1, -depth, dtype=np.uint8)
        samples = ((raw[:, :, None] >> shifts) & ((1 << depth) - 1)).reshape(rows, -1)[:, :width, None]
    if header.colour_type == 3:
        palette = header.palette
        if int(samples.max(initial=0)) >= len(palette):
            raise _NotDecoded("a palette index past the palette")
        return palette[samples[:, :, 0]].astype(np.float32)
    colour = samples[:, :, 0] if channels < 3 else samples[:, :, :3]  # the colour under any alpha
    colour = colour.astype(np.float32)
    if depth < 8:
        colour *= np.float32(255 / ((1 << depth) - 1))  # grey of 1, 2 or 4 bits spread over 0-255, as Pillow reads it
    return colour
