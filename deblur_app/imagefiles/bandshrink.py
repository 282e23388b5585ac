"""A picture area-shrunk from bands of its rows as a decoder gives them (pngbands.py, tiffbands.py): cv2.resize
(area) across each band's columns, and each row added into the output rows it covers with its share, as cv2's
INTER_AREA shrinks across rows; the sides rounded as reading.fit_within rounds them. Only the output, in float32,
is kept between bands. An interlaced PNG's passes (every 8th, 4th or 2nd pixel) are added with add_spaced: each pixel
into the output cells it covers with its column's share times its row's, which sums to the whole picture's shrink."""

from __future__ import annotations

import math

import cv2
import numpy as np


class AreaShrink:
    """A ``height`` x ``width`` picture (grey, or RGB) shrunk to at most ``max_side`` px on its long side."""

    def __init__(self, height: int, width: int, max_side: int, grey: bool) -> None:
        scale = min(1.0, max_side / max(height, width))
        self._width = width
        self._out_width = max(1, round(width * scale))
        out_height = max(1, round(height * scale))
        self._rows_into = _area_shares(height, out_height)
        self._column_shares: list[list[tuple[int, np.float32]]] | None = None  # made for an interlaced PNG only
        self._spaced_columns: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}
        self.picture = np.zeros((out_height, self._out_width) if grey else (out_height, self._out_width, 3),
                                np.float32)

    def add(self, top: int, colour: np.ndarray) -> None:
        """The rows from ``top``: float32 (rows, width) grey or (rows, width, 3) RGB."""
        if self._out_width != self._width:
            colour = cv2.resize(colour, (self._out_width, colour.shape[0]), interpolation=cv2.INTER_AREA)
        for row, samples in enumerate(colour, start=top):
            for target, share in self._rows_into[row]:
                self.picture[target] += share * samples

    def add_spaced(self, top: int, row_step: int, left: int, column_step: int, colour: np.ndarray) -> None:
        """Pixels spaced out over the picture: ``colour``'s rows are rows ``top``, ``top + row_step``... and its
        columns columns ``left``, ``left + column_step``... (float32 (rows, columns) grey or (rows, columns, 3) RGB)."""
        sources, shares, starts, targets = self._columns_into(left, column_step)
        weighted = colour[:, sources] * (shares if colour.ndim == 2 else shares[:, None])
        shrunk = np.zeros((colour.shape[0], self._out_width, *colour.shape[2:]), np.float32)
        shrunk[:, targets] = np.add.reduceat(weighted, starts, axis=1)
        for index, samples in enumerate(shrunk):
            for target, share in self._rows_into[top + index * row_step]:
                self.picture[target] += share * samples

    def _columns_into(self, left: int, step: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """For the columns ``left``, ``left + step``...: each (column's index among them, share) pair of the output
        columns they cover, output column by output column, where each output column's pairs start, and which
        output column that is."""
        if (left, step) not in self._spaced_columns:
            if self._column_shares is None:
                self._column_shares = _area_shares(self._width, self._out_width)
            into = self._column_shares
            pairs = sorted((target, index, share) for index, column in enumerate(range(left, self._width, step))
                           for target, share in into[column])
            targets = np.array([target for target, _, _ in pairs])
            starts = np.flatnonzero(np.r_[True, targets[1:] != targets[:-1]])
            self._spaced_columns[(left, step)] = (np.array([index for _, index, _ in pairs]),
                                                  np.array([share for _, _, share in pairs], np.float32),
                                                  starts, targets[starts])
        return self._spaced_columns[(left, step)]


def _area_shares(source: int, target: int) -> list[list[tuple[int, np.float32]]]:
    """For each of ``source`` rows, the (target row, share) pairs of an area resize to ``target`` rows: the part
    of the target row's span the source row covers (cv2's INTER_AREA; identity where the sides are equal)."""
    shares: list[list[tuple[int, np.float32]]] = [[] for _ in range(source)]
    span = source / target
    for row in range(target):
        start, end = row * span, min((row + 1) * span, source)
        for covered in range(int(math.floor(start)), int(math.ceil(end))):
            overlap = min(end, covered + 1) - max(start, covered)
            if overlap > 1e-9:
                shares[covered].append((row, np.float32(overlap / (end - start))))
    return shares
