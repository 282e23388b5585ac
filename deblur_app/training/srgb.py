"""The exact sRGB transfer curve (IEC 61966-2-1) and fast 8-bit tables for it.

The synthetic degradation works in linear light: blur and sensor noise happen to
light, not to the encoded pixel values a photo stores.
"""

from __future__ import annotations

import numpy as np

__all__ = ["srgb_to_linear", "linear_to_srgb", "DECODE_LUT", "linear_to_u8"]


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """Exact sRGB decoding curve; float input in [0, 1], float32 output."""
    x = np.asarray(x, dtype=np.float64)
    lo = x / 12.92
    hi = ((np.maximum(x, 0.04045) + 0.055) / 1.055) ** 2.4
    return np.where(x <= 0.04045, lo, hi).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Exact sRGB encoding curve; float input in [0, 1], float32 output."""
    x = np.asarray(x, dtype=np.float64)
    lo = x * 12.92
    hi = 1.055 * np.maximum(x, 0.0031308) ** (1.0 / 2.4) - 0.055
    return np.where(x <= 0.0031308, lo, hi).astype(np.float32)


DECODE_LUT = srgb_to_linear(np.arange(256) / 255.0)  # uint8 sRGB -> linear
_ENC_BITS = 16
_ENC_SCALE = float((1 << _ENC_BITS) - 1)
# linear quantised to 16 bits -> uint8 sRGB (error < 0.03 of an 8-bit level)
_ENC_LUT = np.clip(
    np.rint(linear_to_srgb(np.arange(1 << _ENC_BITS) / _ENC_SCALE).astype(np.float64) * 255.0), 0, 255
).astype(np.uint8)


def linear_to_u8(x: np.ndarray) -> np.ndarray:
    """Fast linear float32 (any range) -> 8-bit sRGB via a 16-bit table."""
    idx = np.empty(x.shape, np.float32)
    np.multiply(x, _ENC_SCALE, out=idx)
    np.clip(idx, 0.0, _ENC_SCALE, out=idx)
    idx += 0.5
    return np.take(_ENC_LUT, idx.astype(np.uint16))
