"""Whether a photo's file was cut short, told from its structure without decoding it (stdlib only).

A JPEG's entropy-coded data cannot hold the end-of-image marker FF D9 (a data byte FF is
stuffed as FF 00), and Pillow refuses a JPEG that lacks it ("image file is truncated"), so a
JPEG with no FF D9 after its first scan was cut short and would fail when decoded. Finding
that costs the header's segments and a search from the end of the file (the marker is
normally its last two bytes), not a decode: a batch names such a photo with the other
checks, before the network loads (jobs.run.input_problem). Only the segments before the
first scan are walked, so an EXIF thumbnail's own end marker is never taken for the
photo's; data after the marker (a phone's motion-photo video) is allowed, as the decoder
allows it.
"""

from __future__ import annotations

import mmap
from typing import BinaryIO

from .. import reasons
from .errors import PathLike

_START, _END, _SCAN = b"\xff\xd8", b"\xff\xd9", 0xDA


def cut_short_reason(path: PathLike) -> reasons.ReasonText:
    """The reason a JPEG stops before its end marker; '' for any other file, or one that cannot
    be judged here (unreadable, a damaged header: the decoding says why)."""
    try:
        with open(path, "rb") as handle:
            if handle.read(2) != _START:
                return ""
            scan = _first_scan(handle)
            if scan is None:
                return ""
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                complete = data.rfind(_END, scan) >= 0
    except (OSError, ValueError):
        return ""
    return "" if complete else reasons.reason(reasons.JPEG_CUT_SHORT)


def _first_scan(handle: BinaryIO) -> int | None:
    """The offset just past the first start-of-scan marker, walking the header's segments by their lengths."""
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
        handle.seek(int.from_bytes(length, "big") - 2, 1)
