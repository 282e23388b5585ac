"""Camera-shake blur kernels (numpy + OpenCV only).

A kernel is made from a random physical-ish trajectory (inertia, centripetal
pull towards the start, occasional jerks, random exposure window and speed
profile), sampled densely and splatted bilinearly.  The kernel is centred on
its centre of mass so the blurry image stays aligned with the sharp target.
For spatially varying blur the camera also rotates / zooms slightly along the
trajectory, and the exact kernel is built on a 2x2 or 3x3 grid of anchors
spanning the crop (``blur`` blends the blurred images piecewise-bilinearly).

Everything random comes from the ``np.random.Generator`` passed in.
"""

from __future__ import annotations

import math
from os import PathLike
from typing import Optional, Tuple, Union

import cv2
import numpy as np

__all__ = ["KERNEL_SIZE_RANGE", "trajectory_kernel", "shake_kernels", "center_kernel", "load_kernel_png"]

# blur extent: the longer side of the trajectory's bounding box, in pixels
KERNEL_SIZE_RANGE: Tuple[float, float] = (3.0, 35.0)
_N_STEPS = 128  # coarse time steps of the simulated shake
_SUBPIXEL_STEP = 0.25  # max distance between dense samples, in pixels
_ANCHOR_MISMATCH = 4.0  # px, max kernel difference between non-uniform anchors
_MAX_ANCHORS = 3  # per side (3 x 3 anchor kernels at most)


def _shake_walk(rng: np.random.Generator, n: int) -> np.ndarray:
    """2-D random walk with inertia, centripetal pull and jerks (complex, n)."""
    beta = rng.uniform(0.85, 0.98)  # momentum: smooth, inert hand motion
    spring = 0.012 * rng.random() ** 2  # pull towards the start (tremor loops)
    aniso = rng.uniform(0.25, 1.0)  # hand shake often has a dominant axis
    theta = rng.uniform(0.0, 2.0 * math.pi)
    rot = complex(math.cos(theta), math.sin(theta))
    jerk_p = rng.uniform(0.0, 0.012)  # occasional abrupt jerks
    jerk_mag = rng.uniform(3.0, 8.0)
    # initial velocity, relative to the stationary velocity spread of the walk
    v_std = math.sqrt((1.0 - beta) / (1.0 + beta))
    drift = rng.uniform(0.0, 3.0) * v_std

    g = rng.standard_normal((n, 2))
    acc = (g[:, 0] + 1j * aniso * g[:, 1]) * rot
    jerks = rng.random(n) < jerk_p
    jphase = rng.uniform(0.0, 2.0 * math.pi, n)
    acc = acc + jerks * jerk_mag * np.exp(1j * jphase)
    v0 = drift * complex(*rng.standard_normal(2))

    pos = np.empty(n, np.complex128)
    p = 0j
    v = v0
    one_m_beta = 1.0 - beta
    for t in range(n):
        pos[t] = p
        v = beta * v + one_m_beta * acc[t] - spring * p
        p = p + v
    return pos


def _smooth_profile(rng: np.random.Generator, n: int, strength: float) -> np.ndarray:
    """Positive smooth random multiplier (speed / exposure variation), length n."""
    knots = rng.standard_normal(6)
    x = np.interp(np.linspace(0, 5, n), np.arange(6), knots)
    return np.exp(strength * x)


def _exposure_window(rng: np.random.Generator, n: int) -> slice:
    frac = rng.uniform(0.35, 1.0)
    length = max(16, int(round(frac * n)))
    start = int(rng.integers(0, n - length + 1))
    return slice(start, start + length)


def _densify(paths: np.ndarray, weights: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Catmull-Rom upsampling of coarse paths (A, n) so consecutive samples are
    at most ``_SUBPIXEL_STEP`` apart; weights (n,) are interpolated linearly."""
    a, n = paths.shape
    steps = np.abs(np.diff(paths, axis=1))
    m = int(min(200, max(1, math.ceil(float(steps.max(initial=0.0)) / _SUBPIXEL_STEP))))
    ext = np.concatenate([2 * paths[:, :1] - paths[:, 1:2], paths, 2 * paths[:, -1:] - paths[:, -2:-1]], axis=1)
    p0, p1, p2, p3 = ext[:, :-3], ext[:, 1:-2], ext[:, 2:-1], ext[:, 3:]
    t = np.arange(m) / m
    t2, t3 = t * t, t * t * t
    h00 = 2 * t3 - 3 * t2 + 1
    h10 = t3 - 2 * t2 + t
    h01 = -2 * t3 + 3 * t2
    h11 = t3 - t2
    m1 = (p2 - p0) * 0.5
    m2 = (p3 - p1) * 0.5
    dense = (
        p1[..., None] * h00 + m1[..., None] * h10 + p2[..., None] * h01 + m2[..., None] * h11
    ).reshape(a, -1)
    dense = np.concatenate([dense, paths[:, -1:]], axis=1)
    w = np.interp(np.arange(dense.shape[1]) / m, np.arange(n), weights)
    # trapezoid weights: the two end samples represent half an interval
    w[0] *= 0.5
    w[-1] *= 0.5
    return dense, w


def _splat(pos: np.ndarray, w: np.ndarray, radius: int) -> np.ndarray:
    """Bilinear splat of complex positions (centre at 0) into a (2r+1)^2 grid."""
    side = 2 * radius + 1
    x = pos.real + radius
    y = pos.imag + radius
    x0 = np.floor(x)
    y0 = np.floor(y)
    fx = x - x0
    fy = y - y0
    x0 = x0.astype(np.int64)
    y0 = y0.astype(np.int64)
    idx = y0 * side + x0
    wts = np.concatenate([w * (1 - fx) * (1 - fy), w * fx * (1 - fy), w * (1 - fx) * fy, w * fx * fy])
    ids = np.concatenate([idx, idx + 1, idx + side, idx + side + 1])
    k = np.bincount(ids, weights=wts, minlength=side * side)[: side * side]
    return k.reshape(side, side)


def _trim(kernels: np.ndarray) -> np.ndarray:
    """Crop the empty border of (A, s, s) kernels symmetrically about the centre."""
    s = kernels.shape[-1]
    c = s // 2
    support = (kernels > kernels.max() * 1e-7).any(axis=0)
    ys, xs = np.nonzero(support)
    r = int(max(np.abs(ys - c).max(initial=0), np.abs(xs - c).max(initial=0)))
    return kernels[:, c - r : c + r + 1, c - r : c + r + 1]


def _kernels_from_paths(
    paths: np.ndarray, weights: np.ndarray, extent: float, optics_sigma: float = 0.0
) -> np.ndarray:
    """Scale coarse paths (A, n) jointly so the largest bounding box side is
    ``extent`` px, densify, centre each on its weighted mean, splat, soften
    with a small Gaussian lens blur (``optics_sigma`` px, 0 = none), normalise,
    trim.  Returns (A, s, s) float32 with s odd and each centroid at the centre."""
    paths = paths - paths.mean(axis=1, keepdims=True)
    span = max(
        float(np.ptp(paths.real, axis=1).max()),
        float(np.ptp(paths.imag, axis=1).max()),
        1e-9,
    )
    paths = paths * (max(extent, 0.0) / span)
    dense, w = _densify(paths, weights)
    w = w / w.sum()
    dense = dense - (dense * w).sum(axis=1, keepdims=True)
    pad = int(math.ceil(3.0 * optics_sigma)) if optics_sigma > 0 else 0
    radius = int(math.ceil(max(np.abs(dense.real).max(), np.abs(dense.imag).max()))) + 1 + pad
    ks = np.stack([_splat(d, w, radius) for d in dense])
    if pad:
        g = cv2.getGaussianKernel(2 * pad + 1, optics_sigma, cv2.CV_64F)
        ks = np.stack([cv2.sepFilter2D(k, cv2.CV_64F, g, g, borderType=cv2.BORDER_CONSTANT) for k in ks])
        np.clip(ks, 0.0, None, out=ks)
    ks /= ks.sum(axis=(1, 2), keepdims=True)
    return _trim(ks).astype(np.float32)


def _random_extent(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(rng.uniform(lo, hi)) - 1.0  # kernel side ~ extent + 1


def _coarse_shake(rng: np.random.Generator) -> Tuple[np.ndarray, np.ndarray, slice, float]:
    walk = _shake_walk(rng, _N_STEPS)
    win = _exposure_window(rng, _N_STEPS)
    # speed / exposure profile: weights per unit time along the trajectory
    prof = _smooth_profile(rng, _N_STEPS, rng.uniform(0.0, 0.9))
    # slight lens softness on half of the kernels (real kernels are not 1 px thin)
    optics = rng.uniform(0.25, 0.6) if rng.random() < 0.5 else 0.0
    return walk, prof, win, optics


def trajectory_kernel(rng: np.random.Generator, size: Optional[float] = None) -> np.ndarray:
    """Random camera-shake kernel: float32 2-D, non-negative, sums to 1, odd
    square side, centre of mass at the centre pixel.

    ``size`` is the blur extent in pixels (longest side of the path's bounding
    box, the kernel's support is about ``size`` px across); default: uniform in
    ``KERNEL_SIZE_RANGE``.  The returned array can be larger than ``size``
    because it is centred on the centre of mass, not on the bounding box.
    """
    if size is None:
        extent = _random_extent(rng, *KERNEL_SIZE_RANGE)
    else:
        extent = float(size) - 1.0
    walk, prof, win, optics = _coarse_shake(rng)
    return _kernels_from_paths(walk[None, win], prof[win], extent, optics)[0]


def _nonuniform_kernels(
    rng: np.random.Generator, extent: float, crop: int, strength: Tuple[float, float]
) -> np.ndarray:
    """Kernels on a g x g grid of anchors spanning the crop (row-major, corners
    included) for a camera that translates, rotates and zooms slightly along a
    shake trajectory.  Returns (g*g, s, s)."""
    walk, prof, win, optics = _coarse_shake(rng)
    trans = walk[win]
    trans = trans - trans.mean()
    t_span = max(float(np.ptp(trans.real)), float(np.ptp(trans.imag)), 1e-9)
    # rotation and zoom follow their own shake walk
    rw = _shake_walk(rng, _N_STEPS)[win]
    rot = rw.real - rw.real.mean()
    zoom = rw.imag - rw.imag.mean()
    zoom_rel = rng.uniform(0.0, 0.5)
    # pivot: anywhere within about a crop from the crop centre
    pivot = complex(*rng.uniform(-1.0, 1.0, 2)) * crop
    r_span = max(float(np.ptp(rot)), 1e-9)
    z_span = max(float(np.ptp(zoom)), 1e-9)
    # angle scale so the rotation moves opposite crop edges (one crop width
    # apart) by `s` x the translation span relative to each other; zoom likewise
    s = rng.uniform(*strength)
    ang = rot * (s * t_span / (r_span * crop))
    sc = zoom * (zoom_rel * s * t_span / (z_span * crop))
    # anchors: enough that neighbouring kernels differ by <= ~_ANCHOR_MISMATCH px
    diff = s * (1.0 + zoom_rel) * max(extent, 0.0)
    g = int(min(_MAX_ANCHORS, max(2, 1 + math.ceil(diff / _ANCHOR_MISMATCH))))
    coords = np.linspace(-crop / 2.0, crop / 2.0, g)
    anchors = (coords[None, :] + 1j * coords[:, None]).ravel() - pivot
    # linearised rigid motion: d(p, t) = T(t) + (i*theta(t) + s(t)) * (p - pivot)
    paths = trans[None, :] + (1j * ang + sc)[None, :] * anchors[:, None]
    return _kernels_from_paths(paths, prof[win], extent, optics)


def shake_kernels(
    rng: np.random.Generator,
    crop: int,
    size_range: Tuple[float, float],
    nonuniform_prob: float,
    nonuniform_strength: Tuple[float, float],
) -> np.ndarray:
    """The blur of one training crop: (1, s, s) for a uniform shake, or (g*g, s, s)
    anchor kernels (row-major over the crop, corners included) with probability
    ``nonuniform_prob`` for a camera that also rotates and zooms slightly."""
    extent = _random_extent(rng, *size_range)
    if rng.random() < nonuniform_prob:
        return _nonuniform_kernels(rng, extent, crop, nonuniform_strength)
    walk, prof, win, optics = _coarse_shake(rng)
    return _kernels_from_paths(walk[None, win], prof[win], extent, optics)


def center_kernel(kernel: np.ndarray) -> np.ndarray:
    """Shift a kernel (sub-pixel, bilinear) so its centre of mass lies on the
    centre of an odd square array; returns float32 summing to 1."""
    k = np.asarray(kernel, np.float64)
    k = np.clip(k, 0, None)
    k = k / k.sum()
    ys, xs = np.nonzero(k)
    cy = (k.sum(axis=1) * np.arange(k.shape[0])).sum()
    cx = (k.sum(axis=0) * np.arange(k.shape[1])).sum()
    pos = (xs - cx) + 1j * (ys - cy)
    radius = int(math.ceil(np.abs(pos.real).max(initial=0) + 0)) + 1
    radius = max(radius, int(math.ceil(np.abs(pos.imag).max(initial=0))) + 1)
    out = _splat(pos, k[ys, xs], radius)[None]
    out /= out.sum()
    return _trim(out)[0].astype(np.float32)


def load_kernel_png(path: Union[str, PathLike], center: bool = False) -> np.ndarray:
    """Read a grayscale kernel image (8 or 16 bit) as float32 normalised to
    sum 1.  With ``center=True`` it is also re-centred on its centre of mass
    (odd square output), so blurring with it does not shift the image."""
    k = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE | cv2.IMREAD_ANYDEPTH)
    if k is None:
        raise FileNotFoundError(path)
    k = k.astype(np.float32)
    s = float(k.sum())
    if s <= 0:
        raise ValueError(f"kernel {path} is empty")
    k /= s
    return center_kernel(k) if center else k
