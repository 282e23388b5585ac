"""Letting go of the pages of memory-mapped files that a run no longer reads.

OpenVINO maps the weights of an IR (its .bin) and of a compiled-model blob from their files rather than copying
them into the heap. Once the compiled model has packed the weights into its own layout, those original pages are
read no more while it runs, yet count in the process's resident memory (NAFNet-64: 259 MiB; benchmarks/RESULTS.md,
"12 MP on OpenVINO"). ``release_file_pages`` hands them back to the kernel (madvise MADV_PAGEOUT); a later read
(the next compile) faults them back in from the file, byte for byte what they were. Pages a process wrote to
(copy-on-write) are never dropped by MADV_PAGEOUT: at worst they are kept. Linux only; elsewhere nothing happens.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable
from pathlib import Path

MADV_PAGEOUT = 21  # Linux 5.4 and later: reclaim these pages now (file pages: dropped, read again on the next touch)


def release_file_pages(paths: Iterable[Path | str]) -> int:
    """Drop this process's resident pages of every mapping of these files; the bytes of address range advised
    (0 where nothing was mapped or the system has no MADV_PAGEOUT)."""
    wanted = {os.path.realpath(p) for p in paths}
    if not wanted or not sys.platform.startswith("linux"):
        return 0
    advised = 0
    for start, end in _mapped_ranges(wanted):
        if _madvise(start, end - start, MADV_PAGEOUT):
            advised += end - start
    return advised


def _mapped_ranges(paths: set[str]) -> list[tuple[int, int]]:
    """(start, end) of this process's mappings of ``paths``, from /proc/self/maps."""
    ranges = []
    with contextlib.suppress(OSError), open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and fields[5].rstrip("\n") in paths:
                start, end = (int(value, 16) for value in fields[0].split("-"))
                ranges.append((start, end))
    return ranges


def _madvise(start: int, length: int, advice: int) -> bool:
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        return libc.madvise(start, length, advice) == 0
    except (OSError, AttributeError):
        return False


def resident_file_bytes(path: Path | str) -> int:
    """This process's resident bytes of its mappings of ``path`` (/proc/self/smaps; 0 elsewhere)."""
    wanted, total, inside = os.path.realpath(path), 0, False
    with contextlib.suppress(OSError), open("/proc/self/smaps", encoding="utf-8", errors="replace") as smaps:
        for line in smaps:
            fields = line.split(maxsplit=5)
            if fields and "-" in fields[0] and len(fields[0].split("-")) == 2 and not fields[0].endswith(":"):
                inside = len(fields) == 6 and fields[5].rstrip("\n") == wanted
            elif inside and fields[0] == "Rss:":
                total += int(fields[1]) * 1024
    return total

