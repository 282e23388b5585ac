"""Blending tile outputs with feathered weights, at every output scale of the network (``tiling`` plans the tiles).

The outer ``discard`` pixels of each inner edge get zero weight and the rest of the overlap is
a linear ramp; results are normalised by the summed weights, so tiles of different sizes
(after an out-of-memory re-split) still blend. A pixel's blend is final once every tile with
weight there is done, which is what a run's per-tile reports show (progress.FinishedTile).
"""

from __future__ import annotations

import numpy as np

from .progress import FinishedTile
from .tiling import DEFAULT_GEOMETRY, Tile, TileGeometry


def _ramp(length: int, inner_start: bool, inner_end: bool, scale: int,
          geometry: TileGeometry = DEFAULT_GEOMETRY) -> np.ndarray:
    weights = np.ones(length, np.float32)
    discard = geometry.discard // scale
    ramp = (geometry.overlap - 2 * geometry.discard) // scale
    positions = (np.arange(ramp, dtype=np.float32) + 0.5) / ramp
    if inner_start and length > discard + ramp:
        weights[:discard] = 0.0
        weights[discard : discard + ramp] = positions
    if inner_end and length > discard + ramp:
        weights[length - discard :] = 0.0
        weights[length - discard - ramp : length - discard] *= positions[::-1]
    return weights


def tile_weights(tile: Tile, image_height: int, image_width: int, scale: int = 1,
                 geometry: TileGeometry = DEFAULT_GEOMETRY) -> np.ndarray:
    """Blending weights (h, w) for a tile's output at 1/scale resolution."""
    rows = _ramp(tile.height // scale, tile.top > 0, tile.top + tile.height < image_height, scale, geometry)
    cols = _ramp(tile.width // scale, tile.left > 0, tile.left + tile.width < image_width, scale, geometry)
    return np.outer(rows, cols)


def weighted_area(tile: Tile, image_height: int, image_width: int, geometry: TileGeometry = DEFAULT_GEOMETRY) -> Tile:
    """The part of a tile whose full-scale blending weight is not zero: all but its discarded inner edges."""
    rows = np.flatnonzero(_ramp(tile.height, tile.top > 0, tile.top + tile.height < image_height, 1, geometry))
    cols = np.flatnonzero(_ramp(tile.width, tile.left > 0, tile.left + tile.width < image_width, 1, geometry))
    return Tile(tile.top + int(rows[0]), tile.left + int(cols[0]), int(rows[-1] - rows[0]) + 1,
                int(cols[-1] - cols[0]) + 1)


class Stitcher:
    """Accumulates weighted tile outputs for each of the network's scales (MIMO-UNet: full, ½, ¼).

    Told which tiles are to come (``expect``), it also counts for each full-scale
    pixel the tiles still due that weigh on it, so it can say which pixels a
    finished tile made final (``finished``). A run of one tile needs no count.
    """

    SCALES = (1, 2, 4)

    def __init__(self, height: int, width: int, channels: int = 3, scales: tuple[int, ...] = SCALES,
                 geometry: TileGeometry = DEFAULT_GEOMETRY) -> None:
        self.height, self.width = height, width
        self.geometry = geometry
        self._sums = {s: np.zeros((height // s, width // s, channels), np.float32) for s in scales}
        self._weights = {s: np.zeros((height // s, width // s, 1), np.float32) for s in scales}
        self._due: np.ndarray | None = None  # uint8 (height, width): tiles still to come with weight there

    @property
    def counting(self) -> bool:
        return self._due is not None

    def expect(self, tiles: list[Tile]) -> None:
        """Count tiles still to come: the plan, or the parts of a tile re-split after running out of memory."""
        if self._due is None:
            self._due = np.zeros((self.height, self.width), np.uint8)
        for tile in tiles:
            self._due[weighted_area(tile, self.height, self.width, self.geometry).slices] += 1

    def withdraw(self, tile: Tile) -> None:
        """A counted tile will not run as itself (it is split into smaller ones)."""
        if self._due is not None:
            self._due[weighted_area(tile, self.height, self.width, self.geometry).slices] -= 1

    def add(self, tile: Tile, outputs: dict[int, np.ndarray]) -> None:
        for scale, pixels in outputs.items():
            w = tile_weights(tile, self.height, self.width, scale, self.geometry)[..., None]
            rows = slice(tile.top // scale, (tile.top + tile.height) // scale)
            cols = slice(tile.left // scale, (tile.left + tile.width) // scale)
            self._sums[scale][rows, cols] += pixels * w
            self._weights[scale][rows, cols] += w
        if self._due is not None:
            self._due[weighted_area(tile, self.height, self.width, self.geometry).slices] -= 1

    def finished(self, tile: Tile, index: int, height: int, width: int) -> FinishedTile:
        """What an added tile made final, within the first ``height`` x ``width`` pixels (the unpadded image).

        Only pixels where this tile has weight can have turned final with it, and
        there every final pixel did: no other tile left to come weighs on it.
        The values are computed as ``result`` computes them, so they are equal.
        """
        area = weighted_area(tile, self.height, self.width, self.geometry)
        box = Tile(area.top, area.left, max(0, min(area.height, height - area.top)),
                   max(0, min(area.width, width - area.left)))
        weights = np.maximum(self._weights[1][box.slices], 1e-12)
        pixels = self._sums[1][box.slices] / weights
        np.clip(pixels, 0.0, 1.0, out=pixels)
        final = self._due[box.slices] == 0
        return FinishedTile(index, (box.left, box.top, box.width, box.height), final, pixels)

    def result(self, scale: int) -> np.ndarray:
        """The blended image at 1/scale; divides in place, so call once per scale."""
        weights = self._weights.pop(scale)
        np.maximum(weights, 1e-12, out=weights)
        return np.divide(self._sums[scale], weights, out=self._sums[scale])
