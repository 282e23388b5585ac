"""Progress and cancellation, knowing nothing of who displays them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Protocol

import numpy as np


class Cancelled(Exception):
    """The job was cancelled; no partial result exists."""


@dataclass(frozen=True)
class FinishedTile:
    """A tile with every ensemble pass done, and the part of the result it made final.

    Overlapping tiles are blended with feathered weights, so a pixel's value is
    final only once every tile with a non-zero weight there is done; until then
    the blend so far would still change. ``pixels`` holds the finished run's
    result inside ``box`` wherever ``final`` is set: the same blend and clamp, so
    the very values the run returns. Every pixel turns final exactly once, in the
    report of the last tile that covers it, so a run's reports cover the image
    once. A display can paint these pixels over the input and never show
    anything the finished result will not.
    """

    index: int  # tiles finished so far, this one included
    box: tuple[int, int, int, int]  # (left, top, width, height) in the image: where this tile has weight
    final: np.ndarray  # bool (height, width) of box: the pixels final now (all of them turned final with this tile)
    pixels: np.ndarray  # float32 (height, width, 3) of box: the result where ``final``, a blend so far elsewhere


@dataclass(frozen=True)
class Progress:
    done: int  # steps finished (one step = one tile of one ensemble pass)
    total: int
    # set on the step that finishes a tile of a run of several tiles (a single tile's result is the run's)
    finished_tile: FinishedTile | None = None

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0


ProgressCallback = Callable[[Progress], None]


class CancelCheck(Protocol):
    def is_set(self) -> bool: ...


class CancelToken:
    """A thread-safe flag; ``threading.Event`` works just as well."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


def raise_if_cancelled(cancel: CancelCheck | None) -> None:
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled")
