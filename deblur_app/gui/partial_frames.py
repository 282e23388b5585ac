"""A tiled run's result so far, shown while it runs: for display only, never saved.

The worker folds the final pixels of each finished tile (engine.progress.FinishedTile)
into one 8-bit picture of the photo and hands out a frame at most every
FRAME_INTERVAL seconds. Folding in a tile costs work the size of that tile; only a
frame handed out costs work the size of the photo (its display pyramid as QImages),
so a 12 MP run makes a handful of frames, not one per step.

Only final pixels are painted; elsewhere the frame shows the photo as opened. A
pixel of the frame is therefore either the original or exactly what the finished
result will show at the run's strength, never a half-blended seam. The window draws
frames in the result views until the run ends; the photo's result and saved state
change only with the finished outcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from PySide6.QtGui import QImage

from ..engine.progress import FinishedTile
from ..engine.strength import apply_strength
from . import imaging, qtimage

# Twice a second is enough to watch the result build up. A frame of a 12 MP photo
# takes the worker about 0.09 s (its display pyramid as QImages; measured on a loaded
# 2-core AMD EPYC, AVX-512), so frames also wait ten times as long as the last one
# took: they never cost the run more than about a tenth of its time.
FRAME_INTERVAL = 0.5
FRAME_TIME_SHARE = 0.1
# A frame of a photo over this many pixels leaves out its full-size level: drawn from the half-size level,
# it looks the same until the view zooms in past 50 %, and the window held two of them at a time (the one
# shown and the one being made: 2 x 48 MB at 12 MP) beside the network's tiles (issue 21: 12 MP within 1.5 GB)
FULL_LEVEL_PIXELS = 4_000_000


@dataclass(frozen=True)
class PartialFrame:
    photo_key: str
    display_levels: list[QImage]  # the photo with the run's final pixels so far, largest first
    tiles_done: int
    size: tuple[int, int] = (0, 0)  # (width, height) of the photo the levels show (the first may be smaller)


class PartialFrames:
    """The worker's side of one run: folds finished tiles into a frame and says when one is due."""

    def __init__(self, photo_key: str, photo_pixels: np.ndarray, region: tuple[int, int, int, int] | None,
                 strength: float, interval: float | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.photo_key = photo_key
        self._photo = photo_pixels
        self._left, self._top = (region[0], region[1]) if region else (0, 0)  # a preview's tiles are of its crop
        self._strength = strength
        self._interval = FRAME_INTERVAL if interval is None else interval
        self._clock = clock
        self._frame: np.ndarray | None = None  # made at the first tile: a single-tile run never pays for it
        self._next_frame: float | None = None  # no frame before then

    def add(self, tile: FinishedTile, last: bool) -> PartialFrame | None:
        """Fold in a finished tile; return a frame when one is due.

        The run's ``last`` tile gives none: the finished result follows at once, and the frame's picture
        (36 MB at 12 MP) goes now rather than staying beside the result while it is composed (issue 21).
        """
        if last:
            self._frame = None
            return None
        if self._frame is None:
            self._frame = imaging.to_u8(self._photo)  # a band of rows at a time
        left, top, width, height = tile.box
        rows, cols = slice(self._top + top, self._top + top + height), slice(self._left + left, self._left + left + width)
        shown = imaging.to_u8(apply_strength(self._photo[rows, cols], tile.pixels, self._strength))
        self._frame[rows, cols][tile.final] = shown[tile.final]
        now = self._clock()
        if self._next_frame is not None and now < self._next_frame:
            return None
        # the QImages are deep copies: the frame goes on changing with the next tiles
        levels = imaging.display_levels(self._frame)
        if self._frame.shape[0] * self._frame.shape[1] > FULL_LEVEL_PIXELS and len(levels) > 1:
            levels = levels[1:]
        size = (self._frame.shape[1], self._frame.shape[0])
        frame = PartialFrame(self.photo_key, qtimage.display_images(levels), tile.index, size)
        self._next_frame = now + max(self._interval, (self._clock() - now) / FRAME_TIME_SHARE)
        return frame

