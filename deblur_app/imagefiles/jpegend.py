"""Whether a JPEG's data ran out before its picture did although the file ends with an end-of-image marker:
a copy cut in the middle of its data and closed with FF D9 (a repair tool, a broken transfer that appended the
marker), which libjpeg decodes without an error: it warns "premature end of data segment", which neither
Pillow nor OpenCV hands back, and fills every block it has no data for with zeros, a flat grey bottom (or, in a
progressive JPEG, a bottom without the detail of the scans that were cut).

The tell is the decoder's own: the file's data is whole when the decoded picture does not depend on anything
after the last scan's data. So the same bytes are decoded again with filler inserted just before the end
marker (bytes that are no marker, so libjpeg takes them as coded data wherever it still wants some). A whole
JPEG never reads them (at most as look-ahead past its last block, which is discarded; then as extraneous bytes
before the marker, which libjpeg skips): the two pictures are equal to the bit. A JPEG cut short decodes the
filler into the blocks that had no data: the pictures differ. No threshold, no guess from the pixels: data
after the end marker (a phone's motion-photo video), an EXIF thumbnail's own end marker, restart markers and
progressive scans change nothing.

The second decode costs a decode. It is spent on every progressive JPEG, on every small sequential one (at most
SMALL_FILE bytes: milliseconds), and on a larger sequential one only where its last pixel (bottom right, the last
block the decoder fills) has a mid-grey luma, as a block with no data decodes (all coefficients zero: 128 in each
channel; its colour may be blended from the intact blocks above by the chroma upsampling, so only the luma is
judged): most photos cost nothing more. What the corner misses: a cut inside the last MCU, which the decoder
fills from zero bits (not grey) and after which no block is left without data; in a 12 MP photo the last of
~47,000 MCUs, in a small file up to a few per cent of its bytes (6 of 1728 random cuts of
benchmarks/check_jpeg_cuts.py got through so, all in files under 25 KB, until small files were always decoded
again). With restart markers the filler
comes in runs, each closed by the restart marker the decoder expects next (it skips anything else while it
looks for one), so a cut on a restart boundary is caught too. Not caught here: a cut exactly between two
progressive scans (the picture is whole, with less detail everywhere); the scan headers tell that one before
any decode (completeness._scans_missing).
"""

from __future__ import annotations

import io
import re
from typing import Callable

from PIL import Image, ImageChops

_MARKER_IN_DATA = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # FF 00 is a stuffed FF, D0-D7 restart markers
_SCAN, _END, _RESTART_INTERVAL = 0xDA, 0xD9, 0xDD
_HUFFMAN_SEQUENTIAL, _HUFFMAN_PROGRESSIVE = {0xC0, 0xC1}, {0xC2}
_OTHER_FRAMES = {0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}  # lossless, hierarchical, arithmetic
_STANDALONE = set(range(0xD0, 0xD8)) | {0x01}
# no FF (a marker or a stuffed byte), varied bits, so that the blocks the decoder feeds with it are not all zero;
# its first bits ones (F0), as unlike the zero bits the decoder supplies where the data ran out as can be: a filler
# that began with a zero bit (59) decoded as the zeros did where a cut left a code a bit or two short (55 of 1369
# cuts inside the last MCU of small JPEGs got through so; 1 of 1369 with this one)
_FILLER = bytes((index * 151 + 240) % 255 for index in range(512))
_STRIP_BYTES = 4 << 20
_BLANK = (120, 136)  # a block with no data decodes to 128 in every channel (127 in an inverted CMYK JPEG)
SMALL_FILE = 64 << 10  # a sequential JPEG up to this size is always decoded again (its last MCU: see above)


def scans_end(data: bytes) -> tuple[int, int, bool, int | None] | None:
    """(offset of the end-of-image marker that closes the last scan, number of scans, progressive?, the restart
    marker the decoder would take next, or None without restart markers) of a Huffman-coded JPEG, walking the
    segments by their lengths and each scan's data to the marker after it; None when the file is not such a
    JPEG or the walk finds no end marker (completeness.py names a file cut short without one)."""
    if not data.startswith(b"\xff\xd8"):
        return None
    position, scans, progressive, framed, restarts, scan_start = 2, 0, False, False, False, 0
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte before the marker
            position += 1
            continue
        if marker == _END:
            if not (scans and framed):
                return None
            return position, scans, progressive, _next_restart(data, scan_start, position) if restarts else None
        if marker in _STANDALONE:
            position += 2
            continue
        if marker in _OTHER_FRAMES or position + 4 > len(data):
            return None
        length = int.from_bytes(data[position + 2: position + 4], "big")
        if marker in _HUFFMAN_SEQUENTIAL or marker in _HUFFMAN_PROGRESSIVE:
            framed, progressive = True, marker in _HUFFMAN_PROGRESSIVE
        elif marker == _RESTART_INTERVAL and length >= 4:
            restarts = int.from_bytes(data[position + 4: position + 6], "big") > 0
        position += 2 + length
        if marker == _SCAN:
            scans, scan_start = scans + 1, position
            found = _MARKER_IN_DATA.search(data, position)
            if found is None:
                return None
            position = found.start()
    return None


def _next_restart(data: bytes, start: int, end: int) -> int:
    """The restart marker (0-7) after the last one in the scan's data between ``start`` and ``end``."""
    last = max(range(8), key=lambda index: data.rfind(bytes((0xFF, 0xD0 + index)), start, end))
    return (last + 1) % 8 if data.rfind(bytes((0xFF, 0xD0 + last)), start, end) >= 0 else 0


def _filler(restart: int | None) -> bytes:
    """Filler for the decoder to take as coded data; with restart markers, one run of it for each of the next
    eight restart intervals, each closed by the marker the decoder expects there (it would skip filler that
    is not followed by its marker while looking for the marker)."""
    if restart is None:
        return _FILLER
    return b"".join(_FILLER[:128] + bytes((0xFF, 0xD0 + (restart + index) % 8)) for index in range(8)) + _FILLER[:128]


def data_ran_out(data: bytes, decoded: Image.Image, decode: Callable[[bytes], Image.Image]) -> bool:
    """Whether ``decoded`` (the picture Pillow decoded from ``data``, a JPEG) has blocks the file held no data
    for. ``decode(bytes)`` decodes other bytes the same way (the same draft scale and mode)."""
    walked = scans_end(data)
    if walked is None:
        return False
    end, scans, progressive, restart = walked
    if not progressive and scans == 1 and len(data) > SMALL_FILE and not _blank_corner(decoded):
        return False
    try:
        again = decode(data[:end] + _filler(restart) + data[end:])
    except Exception:  # noqa: BLE001 (the decoder refused the filler: no verdict, the picture stands)
        return False
    if again.size != decoded.size or again.mode != decoded.mode:  # not decoded the same way: no verdict
        return False
    return not _same_pixels(again, decoded)


def _same_pixels(one: Image.Image, other: Image.Image) -> bool:
    """Whether two pictures of one size and mode are equal to the bit, compared a strip of rows at a time: no
    whole copy of either (a batch decodes the next photo while the network runs, at its memory peak)."""
    width, height = one.size
    rows = max(1, _STRIP_BYTES // max(1, width * len(one.getbands())))
    for top in range(0, height, rows):
        box = (0, top, width, min(height, top + rows))
        if ImageChops.difference(one.crop(box), other.crop(box)).getbbox() is not None:  # C, no bytes copies
            return False
    return True


def _blank_corner(decoded: Image.Image) -> bool:
    """Whether the last pixel may be of a block with no data: mid-grey, judged by its luma in an RGB picture (the
    chroma upsampling blends the colour of the blocks above and beside it into a blank block's edge)."""
    width, height = decoded.size
    corner = decoded.getpixel((width - 1, height - 1))
    if decoded.mode == "RGB":
        red, green, blue = corner
        corner = (0.299 * red + 0.587 * green + 0.114 * blue,)
    values = corner if isinstance(corner, tuple) else (corner,)
    return all(_BLANK[0] <= value <= _BLANK[1] for value in values)


def decode_full(data: bytes) -> Image.Image:
    """Every pixel of a JPEG's bytes, as load_image decodes them (Pillow, no draft)."""
    im = Image.open(io.BytesIO(data))
    im.load()
    return im
