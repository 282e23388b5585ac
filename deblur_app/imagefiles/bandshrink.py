"""A picture area-shrunk from bands of its rows as a decoder gives them (pngbands.py, tiffbands.py): cv2.resize
(area) across each band's columns, and each row added into the output rows it covers with its share, as cv2's
INTER_AREA shrinks across rows; the sides rounded as reading.fit_within rounds them. Only the output, in float32,
is kept between bands."""

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
        self.picture = np.zeros((out_height, self._out_width) if grey else (out_height, self._out_width, 3),
                                np.float32)

    def add(self, top: int, colour: np.ndarray) -> None:
        """The rows from ``top``: float32 (rows, width) grey or (rows, width, 3) RGB."""
        if self._out_width != self._width:
            colour = cv2.resize(colour, (self._out_width, colour.shape[0]), interpolation=cv2.INTER_AREA)
        for row, samples in enumerate(colour, start=top):
            for target, share in self._rows_into[row]:
                self.picture[target] += share * samples


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
