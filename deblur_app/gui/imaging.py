"""Pure-array helpers for display: 8-bit conversion, pyramids, heatmaps.

No Qt and no torch here, so every function runs in a background thread and is
easy to test. Qt conversion lives in :mod:`deblur_app.gui.qtimage`.
"""

from __future__ import annotations

import cv2
import numpy as np

from .. import imagefiles  # its names load on first use (PEP 562): the thumbnail rule

#: Display pyramids stop when the longer side is at most this many pixels.
PYRAMID_FLOOR = 1024
#: A difference of this much (fraction of full range) saturates the heatmap.
HEAT_RANGE = 0.15
#: Whole-photo pictures are made this many rows at a time: every step is per pixel, and the float
#: temporaries of a 12 MP photo at once (a heatmap: some 0.6 GB) came on top of the window's photo,
#: result and loaded network (issue 21: 12 MP within 1.5 GB; benchmarks/bench_12mp_memory.py window).
BAND_ROWS = 256


def row_bands(height: int, rows: int = BAND_ROWS) -> list[slice]:
    return [slice(top, min(top + rows, height)) for top in range(0, height, rows)]


def to_u8(pixels: np.ndarray) -> np.ndarray:
    """Float RGB in [0, 1] -> contiguous uint8 RGB."""
    out = np.empty(pixels.shape, np.uint8)
    for band in row_bands(pixels.shape[0]):
        part = np.clip(pixels[band], 0.0, 1.0) * np.float32(255.0)
        out[band] = np.rint(part, out=part)
    return out


def network_pyramid(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ½ and ¼ inputs exactly as MIMO-UNet builds them (nearest: every 2nd pixel)."""
    half = pixels[::2, ::2]
    return np.ascontiguousarray(half), np.ascontiguousarray(half[::2, ::2])


def display_levels(image_u8: np.ndarray, floor: int = PYRAMID_FLOOR) -> list[np.ndarray]:
    """Full size first, then area-averaged halvings until the long side is <= floor.

    Built once per image so zoomed-out views draw a small pixmap instead of
    resampling megapixels on every paint.
    """
    levels = [np.ascontiguousarray(image_u8)]
    while max(levels[-1].shape[:2]) > floor and min(levels[-1].shape[:2]) >= 4:
        previous = levels[-1]
        size = (max(1, previous.shape[1] // 2), max(1, previous.shape[0] // 2))
        levels.append(np.ascontiguousarray(cv2.resize(previous, size, interpolation=cv2.INTER_AREA)))
    return levels


def difference(original: np.ndarray, result: np.ndarray) -> np.ndarray:
    """Per-pixel |result - original|, averaged over channels (float32, H x W)."""
    return np.abs(result.astype(np.float32) - original.astype(np.float32)).mean(axis=2)


def heatmap(original: np.ndarray, result: np.ndarray, value_range: float = HEAT_RANGE) -> tuple[np.ndarray, float]:
    """A uint8 RGB heatmap of the change over a dimmed grey copy of the photo.

    Returns (image, largest change as a fraction of full range).
    """
    heat, largest = np.empty((*original.shape[:2], 3), np.uint8), 0.0
    for band in row_bands(original.shape[0]):
        heat[band], change = _heatmap_band(original[band], result[band], value_range)
        largest = max(largest, change)
    return heat, largest


def _heatmap_band(original: np.ndarray, result: np.ndarray, value_range: float) -> tuple[np.ndarray, float]:
    diff = difference(original, result)
    strength = np.clip(diff / np.float32(value_range), 0.0, 1.0)
    coloured = cv2.applyColorMap(np.rint(strength * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]
    grey = dimmed(original).astype(np.float32)
    alpha = np.sqrt(strength)[..., None]
    blended = grey * (1.0 - alpha) + coloured.astype(np.float32) * alpha
    return np.ascontiguousarray(np.clip(blended, 0, 255).astype(np.uint8)), float(diff.max(initial=0.0))


def dimmed(original: np.ndarray) -> np.ndarray:
    """The heatmap's background: the photo in dark grey (uint8 RGB)."""
    out = np.empty((*original.shape[:2], 3), np.uint8)
    for band in row_bands(original.shape[0]):
        grey = original[band].astype(np.float32).mean(axis=2, keepdims=True) * np.float32(0.55 * 255.0)
        out[band] = np.rint(grey, out=grey)
    return out


# Context around a preview. Measured on a 512-px view of a 768-px photo against the
# whole-photo result (trained weights, fp32): the view's outer 8 px differ by 1.37/255
# on average with no margin, 0.36/255 with 16 px, 0.21/255 with 32 px; 16 px keeps a
# 1-MP preview 6 % cheaper than 32 px for a difference nobody sees while judging sharpness.
PREVIEW_MARGIN = 16


def preview_region(
    visible: tuple[int, int, int, int], image_size: tuple[int, int], margin: int = PREVIEW_MARGIN, align: int = 4
) -> tuple[int, int, int, int]:
    """The crop (left, top, width, height) to deblur for a preview of a visible area.

    The visible rectangle (image pixels) grows by ``margin`` for context, is
    clamped to the image and aligned to ``align`` pixels where the image allows.
    """
    width, height = image_size
    left, top, w, h = visible
    x0 = max(0, min(width - 1, left - margin))
    y0 = max(0, min(height - 1, top - margin))
    x1 = max(x0 + 1, min(width, left + w + margin))
    y1 = max(y0 + 1, min(height, top + h + margin))
    x0 -= x0 % align
    y0 -= y0 % align
    return x0, y0, x1 - x0, y1 - y0


def thumbnail(image_u8: np.ndarray, size: int = 160) -> np.ndarray:
    """The filmstrip's picture: imagefiles' rule (thumbnail_crop: a panorama's middle, never a 1-pixel strip)."""
    height, width = image_u8.shape[:2]
    left, top, keep_w, keep_h = imagefiles.thumbnail_crop(width, height)
    kept = image_u8[top : top + keep_h, left : left + keep_w]
    dims = imagefiles.thumbnail_size(keep_w, keep_h, size)
    if dims == (keep_w, keep_h):
        return np.ascontiguousarray(kept)
    return np.ascontiguousarray(cv2.resize(kept, dims, interpolation=cv2.INTER_AREA))
