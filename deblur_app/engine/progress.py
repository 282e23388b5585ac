"""Progress and cancellation, knowing nothing of who displays them."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Protocol


class Cancelled(Exception):
    """The job was cancelled; no partial result exists."""


@dataclass(frozen=True)
class Progress:
    done: int  # steps finished (one step = one tile of one ensemble pass)
    total: int

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
