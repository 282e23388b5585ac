"""Handing the heap that glibc keeps after a free back to the system (malloc_trim). No torch here: the window's
modules call it too.

glibc keeps what was freed for later mallocs, each thread's arena for its own, and hands back only the top of a
heap. A large photo's phases free and allocate hundreds of MB: each tile's working memory in torch, the export's
trace, the result's pictures. After the tiles of the window's 12 MP Restormer run the process held 1106 MB with 255 MB
of heap in use, 894 MB with the freed memory handed back; kept, it stayed beside what the next phases allocate on other
threads (the pictures on the model thread, Save on the file thread, pixmaps on the GUI thread), and the run peaked at
1506 MB at its end, over the 1.5 GB goal (benchmarks/RESULTS.md, "Issue 26, 2026-12-07, session 18, window-12mp").
NAFNet-64's first ONNX export left the process at 1098 MB where the loaded network took 483 MB, 580 MB with a trim
after it (benchmarks/bench_12mp_memory.py export).
"""

from __future__ import annotations

import contextlib


def return_freed_memory() -> None:
    """Hand the freed heap of every arena back to the system; elsewhere than glibc, nothing to do."""
    with contextlib.suppress(ImportError, OSError, AttributeError):
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
