"""Whether a photo's file was cut short, told from its structure without decoding it (stdlib only).

A batch names such a photo with the other checks, before the network loads
(jobs.run.input_problem); the decoder would refuse it only after that slow preparation. Each
check reads the header and the tail, or walks chunk headers by their lengths, never the image
data, so a 100 MB photo costs a few reads. A file that cannot be judged (unreadable, a damaged
header, a format not listed here) gets '': the decoding says why.

JPEG: the entropy-coded data cannot hold the end-of-image marker FF D9 (a data byte FF is
stuffed as FF 00), and Pillow refuses a JPEG that lacks it ("image file is truncated"), so a
JPEG with no FF D9 after its first scan was cut short. Only the segments before the first
scan are walked, so an EXIF thumbnail's own end marker is never taken for the photo's; data
after the marker (a phone's motion-photo video) is allowed, as the decoder allows it. A JPEG cut short and
closed with an end marker after the cut passes here; the decode tells it (jpegend.py).

PNG: the file ends with the IEND chunk; when its last 12 bytes are not IEND (data after it
is allowed, as the decoder allows it) the chunks are walked by their lengths: no IEND chunk type
before the end of the file means cut short, as the decoder's verify() says (it takes an IEND whose
CRC is cut off, so this does too).

TIFF (classic, not BigTIFF): the first directory and the strips or tiles it lists must lie
inside the file. A TIFF whose encoder put the directory after the data (libtiff's LZW) and
was cut short was "not an image file" to the decoder.

WebP: the RIFF header says the file's length; a shorter file was cut short.

A caller that has read the file already (load_image, a scan) passes its bytes: the file is read once per photo.
"""

from __future__ import annotations

import io
import mmap
import os
import re
import struct
from typing import BinaryIO

from .. import reasons
from .errors import ImageFileError, PathLike, open_regular

_START, _END, _SCAN = b"\xff\xd8", b"\xff\xd9", 0xDA
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"  # length 0, type, CRC: the same bytes in every PNG
_TIFF_ORDERS = {b"II*\x00": "<", b"MM\x00*": ">"}
_TIFF_DATA_TAGS = ((273, 279), (324, 325))  # (StripOffsets, StripByteCounts), (TileOffsets, TileByteCounts)
_TIFF_TYPE_SIZES = {3: ("H", 2), 4: ("I", 4)}  # SHORT, LONG: the types offsets and counts take
_PROGRESSIVE = 0xC2
_HUFFMAN_FRAMES = {0xC0, 0xC1, _PROGRESSIVE}  # baseline, extended, progressive; not lossless, hierarchical, arithmetic
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type: grey, RGB, palette, grey+alpha, RGBA
_MARKER_IN_DATA = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")  # FF 00 is a stuffed FF, D0-D7 restart markers
_DEFLATE_BEST_RATIO = 1100  # deflate's bound is 1032:1 (a 258-byte match in two 1-bit codes); with a margin


def cut_short_reason(path: PathLike, data: bytes | None = None) -> reasons.ReasonText:
    """The reason a JPEG, PNG, TIFF or WebP file stops before its end; '' for a whole file, any other
    format, or one that cannot be judged here (unreadable, a damaged header: the decoding says why).
    ``data``: the file's bytes, when the caller has read them (the file is then not opened again)."""
    try:
        if data is not None:
            return _cut_short(io.BytesIO(data), len(data), data)
        with open_regular(path) as handle:
            return _cut_short(handle, os.fstat(handle.fileno()).st_size, None)
    except (OSError, ValueError, struct.error, ImageFileError):  # no file to judge: whoever reads it says why
        return ""


def _cut_short(handle: BinaryIO, size: int, data: bytes | None) -> reasons.ReasonText:
    head = handle.read(12)
    for check in (_jpeg_cut_short, _png_cut_short, _tiff_cut_short, _webp_cut_short):
        reason = check(handle, head, size, data)
        if reason is not None:
            return reason
    return ""


def _jpeg_cut_short(handle: BinaryIO, head: bytes, size: int, data: bytes | None) -> reasons.ReasonText | None:
    """'' for a whole JPEG, its reason when cut short, None for another format."""
    if not head.startswith(_START):
        return None
    handle.seek(2)
    frame: dict = {}
    scan = _first_scan(handle, frame)
    if scan is None:
        return ""
    if data is not None:
        return _jpeg_data_cut_short(data, scan, frame)
    with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
        return _jpeg_data_cut_short(mapped, scan, frame)


def _jpeg_data_cut_short(data, scan: int, frame: dict) -> reasons.ReasonText:
    """``data``: the file's bytes (or its mapping); ``scan``: the offset just past its first start-of-scan marker."""
    end = data.rfind(_END, scan)
    if end < 0:
        return reasons.reason(reasons.JPEG_CUT_SHORT)
    if "blocks" in frame and (end - scan) * 8 < frame["blocks"]:
        return _too_short("JPEG", frame["width"], frame["height"])
    if "components" in frame and _scans_missing(data, scan - 2, frame["components"], frame["progressive"]):
        return reasons.reason(reasons.JPEG_SCANS_MISSING)
    return ""


def _scans_missing(data, position: int, components: list[int], progressive: bool) -> bool:
    """Whether the scans from ``position`` (the first start-of-scan marker) to the end-of-image marker leave a
    coefficient of a frame component without its last bit: a progressive JPEG cut between two scans and closed
    with an end marker (a repair tool, a transfer that appended one) decodes without a word from libjpeg, every
    block there but without the later scans' detail (or a colour), so it looks blurred, the very thing this app
    corrects. The scan headers say it: every coefficient (0-63) of every component must be coded down to bit 0
    (successive approximation Al = 0); a sequential scan codes all of them at once. The scans' data is skipped to
    the marker after it (FF 00 is a stuffed byte, FF D0-D7 restart markers); a walk that goes wrong (a damaged
    file) judges nothing: the decoder says why. A sequential frame's scan codes every coefficient of its components
    whatever its header says (libjpeg only warns of odd Ss/Se/Al there), so only which components it has counts."""
    lowest = {component: [None] * 64 for component in components}  # the lowest bit coded so far, per coefficient
    while position + 2 <= len(data):
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker == _END[1]:
            return any(bit != 0 for bits in lowest.values() for bit in bits)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        if position + 4 > len(data):
            return False
        length = int.from_bytes(data[position + 2: position + 4], "big")
        if marker == _SCAN:
            header = data[position + 4: position + 2 + length]
            count = header[0] if header else 0
            if len(header) < 4 + 2 * count:
                return False
            start, stop, approximation = header[1 + 2 * count], header[2 + 2 * count], header[3 + 2 * count]
            if not progressive:
                start, stop, approximation = 0, 63, 0
            for index in range(count):
                bits = lowest.get(header[1 + 2 * index])
                if bits is not None:
                    for coefficient in range(start, min(stop, 63) + 1):
                        bits[coefficient] = approximation & 15 if bits[coefficient] is None else min(
                            bits[coefficient], approximation & 15)
            found = _MARKER_IN_DATA.search(data, position + 2 + length)
            if found is None:
                return False
            position = found.start()
        else:
            position += 2 + length
    return False


def _first_scan(handle: BinaryIO, frame: dict) -> int | None:
    """The offset just past the first start-of-scan marker, walking the header's segments by their lengths;
    a Huffman-coded frame's size and 8x8 blocks go into ``frame`` (_huffman_blocks)."""
    while True:
        marker = handle.read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if marker[1] == 0xFF:  # a fill byte before the marker
            handle.seek(-1, 1)
            continue
        if marker[1] == _SCAN:
            return handle.tell()
        length = handle.read(2)
        if len(length) < 2:
            return None
        body = int.from_bytes(length, "big") - 2
        if marker[1] in _HUFFMAN_FRAMES:
            frame.update(_huffman_blocks(handle.read(body)), progressive=marker[1] == _PROGRESSIVE)
        else:
            handle.seek(body, 1)


def _huffman_blocks(segment: bytes) -> dict:
    """A baseline, extended or progressive (Huffman) frame header's width, height and count of 8x8 blocks over
    its components. Every block codes at least one Huffman symbol of at least one bit (its DC difference), so a
    scan shorter than blocks / 8 bytes stops before the picture does: huge dimensions in a tiny file."""
    if len(segment) < 6:
        return {}
    height, width, components = struct.unpack(">HHB", segment[1:6])
    sampling = [(segment[7 + 3 * i] >> 4, segment[7 + 3 * i] & 15) for i in range(components)
                if 8 + 3 * i <= len(segment)]
    if not sampling or not height or not width:
        return {}  # no height before the scan (a DNL marker): not judged
    most_h, most_v = max(h for h, _ in sampling), max(v for _, v in sampling)
    if not most_h or not most_v:
        return {}
    blocks = sum(_ceil(_ceil(width * h, most_h), 8) * _ceil(_ceil(height * v, most_v), 8) for h, v in sampling)
    ids = [segment[6 + 3 * i] for i in range(len(sampling))]
    return {"width": width, "height": height, "blocks": blocks, "components": ids}


def _ceil(numerator: int, denominator: int) -> int:
    return -(-numerator // denominator)


def _too_short(format_name: str, width: int, height: int) -> reasons.ReasonText:
    return reasons.reason(reasons.DATA_TOO_SHORT, format=format_name, width=str(width), height=str(height))


def _png_cut_short(handle: BinaryIO, head: bytes, size: int, data: bytes | None) -> reasons.ReasonText | None:
    """The chunks walked by their 8-byte headers: no IEND means cut short, and image data (IDAT) shorter than
    deflate's best compression (1032:1) of the rows IHDR promises means damaged (a huge size in a tiny file)."""
    if not head.startswith(_PNG_SIGNATURE):
        return None
    position, header, compressed = len(_PNG_SIGNATURE), b"", 0
    while position + 8 <= size:
        handle.seek(position)
        length, kind = struct.unpack(">I4s", handle.read(8))
        if not kind.isalpha():
            return ""  # a damaged chunk, not a short file: the decoder says why
        if kind == b"IEND":  # its CRC may be cut: the decoder needs only the chunk's type
            return _png_data_too_short(header, compressed)
        if kind == b"IHDR":
            header = handle.read(13)
        elif kind == b"IDAT":
            compressed += length
        position += 12 + length  # length, type, data, CRC
    return reasons.reason(reasons.PNG_CUT_SHORT)


def _png_data_too_short(header: bytes, compressed: int) -> reasons.ReasonText:
    if len(header) < 13:
        return ""
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    channels = _PNG_CHANNELS.get(colour)
    if channels is None:
        return ""
    rows = height * (1 + _ceil(width * channels * depth, 8))  # each row: its filter byte and its samples
    return _too_short("PNG", width, height) if compressed * _DEFLATE_BEST_RATIO < rows else ""


def _tiff_cut_short(handle: BinaryIO, head: bytes, size: int, data: bytes | None) -> reasons.ReasonText | None:
    order = _TIFF_ORDERS.get(head[:4])
    if order is None:
        return None
    (directory,) = struct.unpack(order + "I", head[4:8])
    handle.seek(directory)
    count_bytes = handle.read(2)
    if directory + 2 > size or len(count_bytes) < 2:
        return reasons.reason(reasons.TIFF_CUT_SHORT)
    (entries,) = struct.unpack(order + "H", count_bytes)
    table = handle.read(12 * entries)
    if len(table) < 12 * entries:
        return reasons.reason(reasons.TIFF_CUT_SHORT)
    fields = {}
    for index in range(entries):
        tag, kind, count, value = struct.unpack(order + "HHI4s", table[12 * index: 12 * index + 12])
        fields[tag] = (kind, count, value)
    for offsets_tag, counts_tag in _TIFF_DATA_TAGS:
        if offsets_tag in fields and counts_tag in fields:
            offsets = _tiff_values(handle, order, size, *fields[offsets_tag])
            counts = _tiff_values(handle, order, size, *fields[counts_tag])
            if offsets is None or counts is None:
                return reasons.reason(reasons.TIFF_CUT_SHORT)
            if any(start + length > size for start, length in zip(offsets, counts)):
                return reasons.reason(reasons.TIFF_CUT_SHORT)
    return ""


def _tiff_values(handle: BinaryIO, order: str, size: int, kind: int, count: int, value: bytes) -> list[int] | None:
    """A SHORT or LONG field's values, read where they lie (in the entry, or at the offset it holds); None when
    they lie past the end of the file; [] for another type (not judged)."""
    if kind not in _TIFF_TYPE_SIZES:
        return []
    code, width = _TIFF_TYPE_SIZES[kind]
    if count * width <= 4:
        data = value[: count * width]
    else:
        (offset,) = struct.unpack(order + "I", value)
        if offset + count * width > size:
            return None
        handle.seek(offset)
        data = handle.read(count * width)
    return list(struct.unpack(f"{order}{count}{code}", data))


def _webp_cut_short(handle: BinaryIO, head: bytes, size: int, data: bytes | None) -> reasons.ReasonText | None:
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    (riff_length,) = struct.unpack("<I", head[4:8])
    return "" if size >= riff_length + 8 else reasons.reason(reasons.WEBP_CUT_SHORT)
