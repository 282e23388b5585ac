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

    Only the weighted sums are kept whole (float32, 12 bytes a pixel); the summed weights are replayed from the tiles
    added so far, a band of rows at a time, when they are needed (``finished``, ``result``): in the order the tiles
    were added, so each pixel's sum of weights is the very float32 value an array accumulated tile by tile would
    hold, and the results are the same bits. The weights array was 4 bytes a pixel more (and its ½ and ¼ scales),
    the count of tiles still due 1 more: 60 MB of a 12 MP photo's 1.5 GB (issues 21/26).

    Told which tiles are to come (``expect``), it also knows for each full-scale pixel whether a tile still due
    weighs on it, so it can say which pixels a finished tile made final (``finished``). A run of one tile needs no
    count.
    """

    SCALES = (1, 2, 4)
    BAND_ROWS = 256  # the replayed weights of this many rows at a time (4 MB at 4000 pixels wide)

    def __init__(self, height: int, width: int, channels: int = 3, scales: tuple[int, ...] = SCALES,
                 geometry: TileGeometry = DEFAULT_GEOMETRY) -> None:
        self.height, self.width = height, width
        self.geometry = geometry
        self._sums = {s: np.zeros((height // s, width // s, channels), np.float32) for s in scales}
        self._added: dict[int, list[Tile]] = {s: [] for s in scales}  # in the order added: the weights' replay
        self._due: list[tuple[Tile, Tile]] | None = None  # tiles still to come and their weighted areas (None: not counting)
        self._divided: set[int] = set()

    @property
    def counting(self) -> bool:
        return self._due is not None

    def expect(self, tiles: list[Tile]) -> None:
        """Count tiles still to come: the plan, or the parts of a tile re-split after running out of memory."""
        if self._due is None:
            self._due = []
        self._due.extend((tile, weighted_area(tile, self.height, self.width, self.geometry)) for tile in tiles)

    def withdraw(self, tile: Tile) -> None:
        """A counted tile will not run as itself (it is split into smaller ones)."""
        self._forget_due(tile)

    def _forget_due(self, tile: Tile) -> None:
        if self._due is not None:
            index = next((i for i, (due, _area) in enumerate(self._due) if due == tile), None)
            if index is not None:
                del self._due[index]

    def add(self, tile: Tile, outputs: dict[int, np.ndarray]) -> None:
        for scale, pixels in outputs.items():
            w = tile_weights(tile, self.height, self.width, scale, self.geometry)[..., None]
            rows = slice(tile.top // scale, (tile.top + tile.height) // scale)
            cols = slice(tile.left // scale, (tile.left + tile.width) // scale)
            self._sums[scale][rows, cols] += pixels * w
            self._added[scale].append(tile)
        self._forget_due(tile)

    def weights(self, scale: int, rows: slice, cols: slice) -> np.ndarray:
        """The summed weights of the tiles added so far over ``rows`` x ``cols`` of the 1/scale output, (h, w, 1)
        float32: each tile's weights added in the order the tiles were, as an accumulated array would hold them."""
        top, bottom = rows.start, rows.stop
        left, right = cols.start, cols.stop
        summed = np.zeros((bottom - top, right - left, 1), np.float32)
        for tile in self._added[scale]:
            t_top, t_left = tile.top // scale, tile.left // scale
            t_bottom, t_right = t_top + tile.height // scale, t_left + tile.width // scale
            y0, y1, x0, x1 = max(top, t_top), min(bottom, t_bottom), max(left, t_left), min(right, t_right)
            if y0 >= y1 or x0 >= x1:
                continue
            ramp_rows = _ramp(tile.height // scale, tile.top > 0, tile.top + tile.height < self.height, scale,
                              self.geometry)
            ramp_cols = _ramp(tile.width // scale, tile.left > 0, tile.left + tile.width < self.width, scale,
                              self.geometry)
            # np.outer of a part is that part of np.outer: the same products, so the same weights as tile_weights
            part = np.outer(ramp_rows[y0 - t_top : y1 - t_top], ramp_cols[x0 - t_left : x1 - t_left])
            summed[y0 - top : y1 - top, x0 - left : x1 - left] += part[..., None]
        return summed

    def _final(self, box: Tile) -> np.ndarray:
        """(h, w) bool over ``box``: no tile still due weighs there."""
        due = np.zeros((box.height, box.width), bool)
        for _tile, area in self._due or ():
            y0, y1 = max(box.top, area.top), min(box.top + box.height, area.top + area.height)
            x0, x1 = max(box.left, area.left), min(box.left + box.width, area.left + area.width)
            if y0 < y1 and x0 < x1:
                due[y0 - box.top : y1 - box.top, x0 - box.left : x1 - box.left] = True
        return ~due

    def finished(self, tile: Tile, index: int, height: int, width: int) -> FinishedTile:
        """What an added tile made final, within the first ``height`` x ``width`` pixels (the unpadded image).

        Only pixels where this tile has weight can have turned final with it, and
        there every final pixel did: no other tile left to come weighs on it.
        The values are computed as ``result`` computes them, so they are equal.
        """
        area = weighted_area(tile, self.height, self.width, self.geometry)
        box = Tile(area.top, area.left, max(0, min(area.height, height - area.top)),
                   max(0, min(area.width, width - area.left)))
        weights = np.maximum(self.weights(1, *box.slices), 1e-12)
        pixels = self._sums[1][box.slices] / weights
        np.clip(pixels, 0.0, 1.0, out=pixels)
        return FinishedTile(index, (box.left, box.top, box.width, box.height), self._final(box), pixels)

    def result(self, scale: int) -> np.ndarray:
        """The blended image at 1/scale; divides in place, a band of rows at a time, so call once per scale."""
        if scale in self._divided:
            raise RuntimeError(f"the 1/{scale} result was taken already")
        self._divided.add(scale)
        sums = self._sums[scale]
        columns = slice(0, sums.shape[1])
        for top in range(0, sums.shape[0], self.BAND_ROWS):
            rows = slice(top, min(top + self.BAND_ROWS, sums.shape[0]))
            weights = self.weights(scale, rows, columns)
            np.maximum(weights, 1e-12, out=weights)
            np.divide(sums[rows], weights, out=sums[rows])
        return sums
