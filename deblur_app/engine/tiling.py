"""Overlapping tiles with feathered blending, at every output scale of the network.

Every tile origin and size is a multiple of the network's size multiple (MIMO-UNet: 4, so
that a tile's ½ and ¼ outputs land on whole pixels of the stitched coarse outputs; NAFNet:
16; FFTformer: 32, so that its 8x8 frequency patches at ¼ scale fall on the same grid in a
tile as in the whole image). How much context a tile needs is the network's too
(``TileGeometry``, from the registry). Near a tile's
inner edge the network sees no context, so the outer ``discard`` pixels of
each inner edge get zero weight and the rest of the overlap is a linear ramp.
Results are normalised by the summed weights, which keeps the blend valid
even when tiles of different sizes meet (after an out-of-memory re-split).
A pixel's blend is final once every tile with weight there is done, which is
what a run's per-tile reports show (progress.FinishedTile).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .progress import FinishedTile

ALIGN = 4
# Measured with MIMO-UNet's trained weights (tests/test_fast_paths.py): 64/16 left seams of
# up to 7/255 with small tiles, 128/32 just under 1/255, 160/40 about 0.1/255.
OVERLAP = 160
DISCARD = 40
MIN_TILE = 2 * OVERLAP


@dataclass(frozen=True)
class TileGeometry:
    """A network's tiling rules: origins and sizes multiples of ``align``; neighbours share
    ``overlap`` pixels, of which the outer ``discard`` at an inner edge get no weight."""

    align: int = ALIGN
    overlap: int = OVERLAP
    discard: int = DISCARD

    @property
    def min_tile(self) -> int:
        return max(MIN_TILE, round_up(2 * self.overlap, self.align))


# MIMO-UNet's rules above; every engine run passes its network's (registry Architecture)
DEFAULT_GEOMETRY = TileGeometry()


@dataclass(frozen=True)
class Tile:
    top: int
    left: int
    height: int
    width: int

    @property
    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.top + self.height), slice(self.left, self.left + self.width)

    def split(self, max_size: int, geometry: TileGeometry = DEFAULT_GEOMETRY) -> list["Tile"]:
        """Cover this tile with a grid of equal tiles of at most ``max_size`` pixels a side.

        Each axis gets the fewest tiles that cover it with ``OVERLAP`` between
        neighbours, spread evenly, so no tile recomputes more overlap than it
        must (a 12 MP photo in 1056-pixel tiles: 1.35x the pixels instead of
        1.86x with fixed-size tiles pushed against the far edge) and all tiles
        share one shape (one compiled model for OpenVINO).
        """
        rows, height = _axis_plan(self.top, self.height, max_size, geometry)
        cols, width = _axis_plan(self.left, self.width, max_size, geometry)
        return [Tile(top, left, height, width) for top in rows for left in cols]


def _axis_plan(origin: int, length: int, max_size: int, geometry: TileGeometry) -> tuple[list[int], int]:
    """Tile starts and the common tile length along one axis (all multiples of the alignment)."""
    if length <= max_size:
        return [origin], length
    align, overlap = geometry.align, geometry.overlap
    max_size = max(max_size, overlap + align)
    count = -(-(length - overlap) // (max_size - overlap))
    size = round_up(-(-(length + (count - 1) * overlap) // count), align)
    while True:
        span = length - size
        starts = [origin + (span * i // (count - 1)) // align * align for i in range(count)]
        starts[-1] = origin + span
        if all(b - a <= size - overlap for a, b in zip(starts, starts[1:])):
            return starts, size
        size += align  # rounding the starts to the alignment ate into an overlap


# The tile vocabulary of every front end (command line, settings, side panel) and of the engine:
# Auto (None: sized from free memory), Whole image (0), or tiles of N >= MIN_TILE pixels.
AUTO, WHOLE = None, 0
FROM_OPTIONS = object()  # a run given no tile: the engine's options say which
MAX_TILE = 8192


def parse_tile(text: str | int | None) -> int | None:
    """'auto', 'whole' (or 0) or a number of pixels, at least MIN_TILE; ValueError with a one-line reason."""
    if text is None:
        return AUTO
    word = str(text).strip().lower()
    if word in ("auto", ""):
        return AUTO
    if word in ("whole", "0"):
        return WHOLE
    try:
        pixels = int(word.removesuffix("px").strip())
    except ValueError:
        raise ValueError(f"tile must be auto, whole or a number of pixels, not {text!r}") from None
    if not MIN_TILE <= pixels <= MAX_TILE:
        raise ValueError(f"tile must be auto, whole or from {MIN_TILE} to {MAX_TILE} pixels, not {pixels}")
    return pixels


def tile_text(tile: int | None) -> str:
    """The words parse_tile reads back: 'auto', 'whole' or the number of pixels."""
    return "auto" if tile is AUTO else "whole" if tile == WHOLE else str(tile)


def round_up(value: int, multiple: int = ALIGN) -> int:
    return -(-value // multiple) * multiple


def plan_tiles(height: int, width: int, tile_size: int, geometry: TileGeometry = DEFAULT_GEOMETRY) -> list[Tile]:
    """Tiles covering a (height, width) image whose sides are multiples of the alignment."""
    if tile_size <= 0 or (height <= tile_size and width <= tile_size):
        return [Tile(0, 0, height, width)]
    tile_size = max(geometry.min_tile, tile_size - tile_size % geometry.align)
    return Tile(0, 0, height, width).split(tile_size, geometry)


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
