"""numpy uint8 RGB arrays -> QImage / QPixmap.

QImages are built in the worker and file threads, already in the screen's
native 32-bit format, so turning them into pixmaps on the GUI thread is a
cheap wrap instead of a megapixel conversion.
"""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtGui import QImage, QPixmap


def to_qimage(image_u8: np.ndarray) -> QImage:
    """A deep-copied QImage of an (H, W, 3) uint8 RGB array (safe after the array dies)."""
    array = np.ascontiguousarray(image_u8)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3) uint8, got {array.shape} {array.dtype}")
    height, width = array.shape[:2]
    image = QImage(array.data, width, height, array.strides[0], QImage.Format.Format_RGB888)
    return image.copy()


# Format_RGB32 is 0xffRRGGBB per pixel: in memory B, G, R, 255 on a little-endian machine
_RGB32_RED, _RGB32_GREEN, _RGB32_BLUE, _RGB32_ALPHA = (2, 1, 0, 3) if sys.byteorder == "little" else (1, 2, 3, 0)


def to_display_image(image_u8: np.ndarray) -> QImage:
    """A QImage in the native 32-bit format (any thread), written straight from the array a band of rows at
    a time: an RGB888 copy of a 12 MP photo first (36 MB) came on top of the window's peak (issue 21)."""
    array = np.asarray(image_u8)
    if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3) uint8, got {array.shape} {array.dtype}")
    height, width = array.shape[:2]
    image = QImage(width, height, QImage.Format.Format_RGB32)
    if height and width:
        rows = np.frombuffer(image.bits(), np.uint8).reshape(height, image.bytesPerLine())
        pixels = rows[:, : width * 4].reshape(height, width, 4)
        pixels[..., _RGB32_ALPHA] = 255
        for channel, place in enumerate((_RGB32_RED, _RGB32_GREEN, _RGB32_BLUE)):
            pixels[..., place] = array[..., channel]
    return image


def display_images(levels: list[np.ndarray]) -> list[QImage]:
    return [to_display_image(level) for level in levels]


def pixmaps(images: list[QImage]) -> list[QPixmap]:
    """GUI thread only."""
    return [QPixmap.fromImage(image) for image in images]
