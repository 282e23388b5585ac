"""Overlapping tiles: where they go (blending them is ``stitching``'s), and the tile vocabulary.

Every tile origin and size is a multiple of the network's size multiple (MIMO-UNet: 4, so
that a tile's ½ and ¼ outputs land on whole pixels of the stitched coarse outputs; NAFNet:
16; FFTformer: 32, so that its 8x8 frequency patches at ¼ scale fall on the same grid in a
tile as in the whole image). How much context a tile needs is the network's too
(``TileGeometry``, from the registry). Near a tile's inner edge the network sees
no context, so neighbours overlap and ``stitching`` gives that edge no weight.

No numpy here: the front ends' options and job descriptions (--help) read the vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        """The smallest tile auto plans: twice the overlap (MIMO-UNet: MIN_TILE, 320; NAFNet and FFTformer, whose
        overlap is 128: 256, what keeps their 12 MP photos in the window within 1.5 GB, issues 21/26). A size the
        user chooses is at least MIN_TILE (parse_tile)."""
        return round_up(2 * self.overlap, self.align)


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


def plan_tiles_by_area(height: int, width: int, tile_size: int,
                       geometry: TileGeometry = DEFAULT_GEOMETRY) -> list[Tile]:
    """Tiles of any shape within ``tile_size`` squared pixels each (what a tile's working memory is sized by),
    on the grid that computes the fewest pixels (then the fewest tiles): auto's plan.

    plan_tiles' square limit wastes overlap where a side divides badly: FFTformer's HD frame (736x1280) in tiles
    of 384 pixels a side is 15 tiles of 352x384, 2.15x the frame's pixels; within 384x384 pixels each it is 12
    of 448x320, 1.83x. Every tile height the grid could have is tried, with the widest tile width it leaves; the
    square plan is among them, so this never computes more pixels than plan_tiles."""
    if tile_size <= 0 or (height <= tile_size and width <= tile_size):
        return [Tile(0, 0, height, width)]
    align, min_tile = geometry.align, geometry.min_tile
    tile_size = max(min_tile, tile_size - tile_size % align)
    area = tile_size * tile_size
    best = None
    for max_height in range(min_tile, round_up(height, align) + align, align):
        rows, tile_height = _axis_plan(0, height, max_height, geometry)
        max_width = area // tile_height // align * align
        if max_width < min_tile and max_width < width:
            continue
        cols, tile_width = _axis_plan(0, width, max_width, geometry)
        if tile_height * tile_width > area:
            continue  # rounding to the alignment grew the tile past the limit
        cost = (len(rows) * len(cols) * tile_height * tile_width, len(rows) * len(cols))
        if best is None or cost < best[0]:
            best = (cost, [Tile(top, left, tile_height, tile_width) for top in rows for left in cols])
    return best[1] if best else plan_tiles(height, width, tile_size, geometry)
