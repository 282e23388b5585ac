"""Cheap blur measures of a photo, computed on its luma at a fixed working size.

Arrays in, numbers out (numpy and OpenCV, no files, no torch). Every measure here is
a candidate that ``benchmarks/bench_blur_score.py`` compares; ``score`` keeps the ones
that the measurement chose.

Working size: a photo larger than ``WORKING_LONG_SIDE`` is area-downscaled to it, so a
12 MP and a 3 MP copy of a scene get the same numbers (blur counts as a fraction of the
picture, as on a screen). A smaller photo is measured as it is: it is not upscaled,
which would blur it.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

__all__ = ["FEATURE_NAMES", "WORKING_LONG_SIDE", "directional_sharpness", "edge_sharpness", "edge_width",
           "feature_vector", "laplacian_variance", "noise_level", "spectral_sharpness", "working_luma"]

WORKING_LONG_SIDE = 768
# local contrast (of 0..1 sRGB luma) below which a place has no edge worth measuring:
# above sensor noise and JPEG ringing of ordinary photos
MIN_EDGE_CONTRAST = 0.08
GRID = 6  # tiles per side for "the sharpest region"
# the same for the directional measure (chosen by bench_blur_score.py: 0.05, 0.08, 0.12 tried)
DIRECTIONAL_MIN_CONTRAST = 0.08


def working_luma(pixels: np.ndarray) -> np.ndarray:
    """float32 0..1 luma of an HxW or HxWxC (RGB, uint8/uint16/float 0..1) photo at working size."""
    arr = np.asarray(pixels)
    scale = {np.dtype(np.uint8): 1 / 255, np.dtype(np.uint16): 1 / 65535}.get(arr.dtype, 1.0)
    if arr.ndim == 3:
        arr = arr[..., :3]
        if arr.dtype not in (np.uint8, np.float32):
            arr = arr.astype(np.float32)
        arr = cv2.cvtColor(arr, cv2.COLOR_RGB2GRAY) if arr.shape[2] == 3 else arr[..., 0]
    luma = arr.astype(np.float32) * np.float32(scale)
    h, w = luma.shape
    if max(h, w) > WORKING_LONG_SIDE:
        f = WORKING_LONG_SIDE / max(h, w)
        luma = cv2.resize(luma, (max(1, round(w * f)), max(1, round(h * f))), interpolation=cv2.INTER_AREA)
    return luma


def _tiles(h: int, w: int):
    ys = np.linspace(0, h, GRID + 1).astype(int)
    xs = np.linspace(0, w, GRID + 1).astype(int)
    for i in range(GRID):
        for j in range(GRID):
            yield slice(ys[i], ys[i + 1]), slice(xs[j], xs[j + 1])


def _gradient_and_contrast(luma: np.ndarray, window: int):
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    grad = cv2.magnitude(gx, gy)
    box = cv2.getStructuringElement(cv2.MORPH_RECT, (window, window))
    contrast = cv2.dilate(luma, box) - cv2.erode(luma, box)
    return grad, contrast


def edge_sharpness(luma: np.ndarray, window: int = 7, percentile: float = 90.0) -> dict[str, float]:
    """Gradient over local contrast at edges: about 1 / (edge width in px).

    A step edge of any contrast gives 0.5 (Sobel's central difference), one blurred
    over w pixels about 1/w: the ratio ignores how much contrast there is, and counting
    only places with contrast ignores how much of the frame is smooth. Per tile: the
    ``percentile`` of the ratio over its edge pixels; the photo's value is its best tile
    (its subject), second best, median tile, and the edge pixels' share of the frame.
    """
    grad, contrast = _gradient_and_contrast(luma, window)
    edges = contrast > MIN_EDGE_CONTRAST
    ratio = grad / np.maximum(contrast, 1e-6)
    per_tile = []
    min_pixels = max(16, luma.size // (GRID * GRID) // 100)
    for ys, xs in _tiles(*luma.shape):
        values = ratio[ys, xs][edges[ys, xs]]
        if values.size >= min_pixels:
            per_tile.append(float(np.percentile(values, percentile)))
    per_tile.sort(reverse=True)
    floor = 1.0 / window  # what any smooth slope gives
    best = per_tile[0] if per_tile else floor
    return {
        "edge_best": best,
        "edge_second": per_tile[1] if len(per_tile) > 1 else best,
        "edge_median": float(np.median(per_tile)) if per_tile else floor,
        "edge_share": float(edges.mean()),
    }


_DIRECTIONS = (0, 45, 90, 135)  # degrees, counter-clockwise from the x axis


def _line(window: int, angle: int) -> np.ndarray:
    """A ``window`` px line through the centre at ``angle``: the structuring element of a
    local contrast measured along one direction."""
    if angle == 0:
        return np.ones((1, window), np.uint8)
    if angle == 90:
        return np.ones((window, 1), np.uint8)
    diagonal = np.eye(window, dtype=np.uint8)
    return np.ascontiguousarray(diagonal[::-1]) if angle == 45 else diagonal


def directional_sharpness(luma: np.ndarray, window: int = 5, percentile: float = 95.0,
                          min_contrast: float = DIRECTIONAL_MIN_CONTRAST) -> list[float]:
    """``edge_sharpness`` for edges of each of four orientations: per orientation, the
    best tile's ``percentile`` of gradient / (contrast across ``window`` px along the
    gradient's direction), over the edge pixels whose gradient points that way.

    Camera shake smears along one direction and leaves edges parallel to the motion
    sharp, so a measure over all edges calls a shaken photo sharp; each orientation's
    own best tile does not. Orientations without edges (a building's diagonals) are
    left out rather than counted as blurred: blur spreads an edge, it does not remove it.
    """
    gx = cv2.Sobel(luma, cv2.CV_32F, 1, 0, ksize=3, scale=1 / 8)
    gy = cv2.Sobel(luma, cv2.CV_32F, 0, 1, ksize=3, scale=1 / 8)
    grad = cv2.magnitude(gx, gy).ravel()
    nearest = _nearest_direction(gx, gy).ravel()
    grids = _tile_grids(*luma.shape)
    min_pixels = max(16, luma.size // (GRID * GRID) // 100)
    best = []
    for index, angle in enumerate(_DIRECTIONS):
        line = _line(window, angle)
        contrast = (cv2.dilate(luma, line) - cv2.erode(luma, line)).ravel()
        at = np.flatnonzero((contrast > min_contrast) & (nearest == index))
        if at.size < min_pixels:
            continue
        ratio = grad[at] / contrast[at]
        by_value = np.argsort(ratio, kind="stable")  # one sort of the values for all four grids
        tiles = np.concatenate([_percentile_per_tile(ratio, grid[at], by_value, percentile, min_pixels)
                                for grid in grids])
        if tiles.size:
            best.append(float(tiles.max()))
    return best or [1.0 / window]


_TAN_22_5 = np.float32(np.tan(np.pi / 8))


def _nearest_direction(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Index into _DIRECTIONS of the gradient's orientation rounded to 45 degrees (y down:
    45 = up-right), by comparisons instead of an arctangent; near-horizontal wins a tie with
    near-vertical (both hold only where the gradient is zero)."""
    ax, ay = np.abs(gx), np.abs(gy)
    diagonal = np.where(gx * gy < 0, np.int8(1), np.int8(3))
    return np.where(ay <= _TAN_22_5 * ax, np.int8(0), np.where(ax <= _TAN_22_5 * ay, np.int8(2), diagonal))


# the tile grid and the same grid shifted by half a tile across, down and both: a subject
# that straddles tiles still fills one (chosen on the tuning set: held-out AUC 0.945 -> 0.955)
_SHIFTS = ((0.0, 0.0), (0.5, 0.0), (0.0, 0.5), (0.5, 0.5))


def _tile_index(h: int, w: int, shift: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Each pixel's tile, row-major over a GRID x GRID grid of tiles moved by ``shift`` tiles
    (down, across); pixels outside the moved grid get GRID * GRID (no tile)."""
    def along(size: int, offset: float) -> np.ndarray:
        step = size / GRID
        position = (np.arange(size) - offset * step) / step
        index = np.floor(position).astype(np.int64)
        index[(position < 0) | (index >= GRID - (1 if offset else 0))] = -1
        return index

    rows, cols = along(h, shift[0]), along(w, shift[1])
    tiles = rows[:, None] * GRID + cols[None, :]
    tiles[(rows[:, None] < 0) | (cols[None, :] < 0)] = GRID * GRID
    return tiles.astype(np.int32)


@functools.lru_cache(maxsize=4)
def _tile_grids(h: int, w: int) -> tuple[np.ndarray, ...]:
    """The flattened tile index of every pixel for each grid of _SHIFTS, as uint8 (GRID * GRID
    + 1 values) for a linear-time stable sort; read-only, kept per size (a folder's photos
    mostly share one working size)."""
    grids = []
    for shift in _SHIFTS:
        grid = _tile_index(h, w, shift).astype(np.uint8).ravel()
        grid.flags.writeable = False
        grids.append(grid)
    return tuple(grids)


def _percentile_per_tile(values: np.ndarray, tiles: np.ndarray, by_value: np.ndarray, percentile: float,
                         min_pixels: int) -> np.ndarray:
    """np.percentile (linear) of the values of each tile holding at least ``min_pixels`` of
    them; ``by_value``: the values' stable argsort. A stable sort of that order by tile (radix,
    uint8 keys) sorts every tile's values at once, as a lexsort by (tile, value) would."""
    order = by_value[np.argsort(tiles[by_value], kind="stable")]
    values, tiles = values[order], tiles[order]
    counts = np.bincount(tiles, minlength=GRID * GRID + 1)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    full = np.flatnonzero(counts[: GRID * GRID] >= max(min_pixels, 1))
    position = (counts[full] - 1) * (percentile / 100.0)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, counts[full] - 1)
    fraction = position - low
    lower, upper = values[starts[full] + low], values[starts[full] + high]
    return lower + (upper - lower) * fraction


def edge_width(luma: np.ndarray) -> float:
    """The chosen measure: the geometric mean over the four directions of 1 / sharpness,
    about the width in px of the sharpest edges (near 2 when sharp, bigger when blurred)."""
    return float(np.exp(-np.mean(np.log(directional_sharpness(luma)))))


def spectral_sharpness(luma: np.ndarray, size: int = 64) -> float:
    """Best tile's share of high frequencies (0.25-0.5 cycles/px) in its 0.05-0.5 band,
    over tiles with enough contrast (a windowed FFT per tile)."""
    h, w = luma.shape
    window = np.outer(np.hanning(size), np.hanning(size)).astype(np.float32)
    f = np.fft.rfftfreq(size)[None, :] ** 2 + np.fft.fftfreq(size)[:, None] ** 2
    radius = np.sqrt(f)
    high = (radius >= 0.25) & (radius <= 0.5)
    band = (radius >= 0.05) & (radius <= 0.5)
    best = 0.0
    for y in range(0, h - size + 1, size):
        for x in range(0, w - size + 1, size):
            tile = luma[y : y + size, x : x + size]
            if float(tile.max() - tile.min()) < 2 * MIN_EDGE_CONTRAST:
                continue
            power = np.abs(np.fft.rfft2((tile - tile.mean()) * window)) ** 2
            best = max(best, float(power[high].sum() / max(power[band].sum(), 1e-12)))
    return best


def laplacian_variance(luma: np.ndarray) -> float:
    """The usual baseline: variance of the Laplacian (of 0..255 luma)."""
    return float(cv2.Laplacian(luma * 255.0, cv2.CV_32F).var())


def noise_level(luma: np.ndarray) -> float:
    """Robust noise sigma: median absolute Laplacian-like residual (Immerkaer's kernel)."""
    k = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    residual = cv2.filter2D(luma, cv2.CV_32F, k)
    return float(np.median(np.abs(residual)) * 1.4826 / 6.0)


FEATURE_NAMES = ("log_width_dir_min", "log_width_dir_mean", "log_width_dir_max", "directions_with_edges",
                 "log_edge_best", "log_edge_best_wide", "edge_share", "log_spectral", "log_noise")


def feature_vector(luma: np.ndarray) -> np.ndarray:
    """The learned head's inputs (FEATURE_NAMES), from the working-size luma."""
    log_widths = -np.log(directional_sharpness(luma))
    widths = (log_widths.min(), log_widths.mean(), log_widths.max(), len(log_widths))
    narrow = edge_sharpness(luma, window=7, percentile=98.0)
    wide = edge_sharpness(luma, window=21, percentile=98.0)
    return np.array([*widths, np.log(narrow["edge_best"]), np.log(wide["edge_best"]), narrow["edge_share"],
                     np.log(spectral_sharpness(luma) + 1e-6), np.log(noise_level(luma) + 1e-4)], np.float64)
