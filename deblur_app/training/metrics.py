"""PSNR and SSIM on float RGB arrays in [0, 1]."""

from __future__ import annotations

import cv2
import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10.0 * np.log10(1.0 / mse)


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM over channels with the usual 11x11 Gaussian window (sigma 1.5)."""
    c1, c2 = 0.01**2, 0.03**2
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    values = []
    for channel in range(a.shape[2]):
        x, y = a[..., channel], b[..., channel]
        blur = lambda img: cv2.GaussianBlur(img, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)  # noqa: E731
        mu_x, mu_y = blur(x), blur(y)
        var_x = blur(x * x) - mu_x**2
        var_y = blur(y * y) - mu_y**2
        cov = blur(x * y) - mu_x * mu_y
        ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2))
        values.append(ssim_map[5:-5, 5:-5].mean() if min(x.shape) > 10 else ssim_map.mean())
    return float(np.mean(values))
