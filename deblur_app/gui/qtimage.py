"""numpy uint8 RGB arrays -> QImage / QPixmap.

QImages are built in the worker and file threads, already in the screen's
native 32-bit format, so turning them into pixmaps on the GUI thread is a
cheap wrap instead of a megapixel conversion.
"""

from __future__ import annotations

import sys

import numpy as np
from PySide6.QtGui import QImage, QPixmap

from . import imaging


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
    image = blank_display_image(width, height)
    if height and width:
        write_rows(image, 0, 0, array)
    return image


def display_images(levels: list[np.ndarray]) -> list[QImage]:
    return [to_display_image(level) for level in levels]


def blank_display_image(width: int, height: int) -> QImage:
    """A native 32-bit QImage whose pixels write_rows fills (opaque)."""
    image = QImage(width, height, QImage.Format.Format_RGB32)
    if width and height:
        _pixels(image)[..., _RGB32_ALPHA] = 255
    return image


def write_rows(image: QImage, top: int, left: int, image_u8: np.ndarray) -> None:
    """An (h, w, 3) uint8 RGB block into a native 32-bit QImage at (left, top), as to_display_image writes it."""
    height, width = image_u8.shape[:2]
    block = _pixels(image)[top : top + height, left : left + width]
    for channel, place in enumerate((_RGB32_RED, _RGB32_GREEN, _RGB32_BLUE)):
        block[..., place] = image_u8[..., channel]


def display_pyramid(image: QImage) -> list[QImage]:
    """A native 32-bit QImage and its smaller levels (imaging.display_levels' halvings of its pixels, the same
    averages per channel as of the RGB picture): no 8-bit RGB copy of the full size is made for them."""
    if image.isNull() or not image.width() or not image.height():
        return [image]
    return [image, *(_native_image(level) for level in imaging.display_levels(_pixels(image))[1:])]


def _pixels(image: QImage) -> np.ndarray:
    """(height, width, 4) uint8 view of a native 32-bit QImage's memory (B, G, R, 255 on a little-endian machine)."""
    rows = np.frombuffer(image.bits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4)


def _native_image(pixels: np.ndarray) -> QImage:
    """A native 32-bit QImage of (height, width, 4) pixels already in its byte order."""
    image = QImage(pixels.shape[1], pixels.shape[0], QImage.Format.Format_RGB32)
    _pixels(image)[...] = pixels
    return image


def pixmaps(images: list[QImage]) -> list[QPixmap]:
    """GUI thread only."""
    return [QPixmap.fromImage(image) for image in images]
