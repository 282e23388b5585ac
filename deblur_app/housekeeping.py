"""Keeping folders of generated files (crash logs, caches) from growing without limit."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path


def keep_newest(paths: Iterable[Path], count: int) -> None:
    """Delete all but the ``count`` most recently modified of ``paths``.

    Best effort: a file that vanished or cannot be removed is left alone, since
    tidying up must never stop the work it tidies up after.
    """

    def modified(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    for stale in sorted(paths, key=modified, reverse=True)[max(0, count):]:
        try:
            stale.unlink()
        except OSError:
            pass
