"""Synthetic camera-shake blur for training pairs (numpy + OpenCV only).

The degradation model, applied to a crop of a sharp sRGB photo:

1. decode sRGB to linear light (exact IEC 61966-2-1 curve, via a 256-entry
   table), boosting near-saturated values by a random factor so clipped lights
   streak the way real over-exposed highlights do;
2. convolve with a camera-shake kernel made from a random physical-ish
   trajectory (inertia, centripetal pull towards the start, occasional jerks,
   random exposure window and speed profile), sampled densely and splatted
   bilinearly.  The kernel is centred on its centre of mass so the blurry
   image stays aligned with the sharp target.  Some samples get spatially
   varying blur: the camera also rotates / zooms slightly along the trajectory,
   the exact kernel is built on a 2x2 or 3x3 grid of anchors spanning the
   crop and the blurred images are blended piecewise-bilinearly (the
   "efficient filter flow" approximation of a non-uniform blur; averaging
   warped copies would need one warp per pixel of motion to avoid ghosting,
   far too slow for 35 px blur);
3. clip, add Poisson-Gaussian sensor noise (Gaussian approximation with
   signal-dependent variance ``a*x + b**2``), clip; optionally the same noise
   on the sharp target, so the network learns to leave grain alone;
4. re-encode to sRGB, quantise to 8 bits, sometimes JPEG-compress.

A small fraction of pairs are sharp-in/sharp-out (half of those with noise and
JPEG, half completely clean) so the network learns to leave sharp photos alone.

Everything random comes from the ``np.random.Generator`` passed in, so the
functions are deterministic per seed and safe to call from DataLoader worker
processes (the caller should ``cv2.setNumThreads(1)`` in each worker).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from os import PathLike
from typing import Optional, Tuple, Union

import cv2
import numpy as np

__all__ = [
    "BlurConfig",
    "srgb_to_linear",
    "linear_to_srgb",
    "trajectory_kernel",
    "center_kernel",
    "blur_linear",
    "synthesize_pair",
    "load_kernel_png",
    "degrade_with_kernel",
]

# ---------------------------------------------------------------------------
# sRGB transfer curve
# ---------------------------------------------------------------------------


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


_LIN_LUT = srgb_to_linear(np.arange(256) / 255.0)  # uint8 sRGB -> linear
_ENC_BITS = 16
_ENC_SCALE = float((1 << _ENC_BITS) - 1)
# linear quantised to 16 bits -> uint8 sRGB (error < 0.03 of an 8-bit level)
_ENC_LUT = np.clip(
    np.rint(linear_to_srgb(np.arange(1 << _ENC_BITS) / _ENC_SCALE).astype(np.float64) * 255.0), 0, 255
).astype(np.uint8)


def _linear_to_u8(x: np.ndarray) -> np.ndarray:
    """Fast linear float32 (any range) -> 8-bit sRGB via a 16-bit table."""
    idx = np.empty(x.shape, np.float32)
    np.multiply(x, _ENC_SCALE, out=idx)
    np.clip(idx, 0.0, _ENC_SCALE, out=idx)
    idx += 0.5
    return np.take(_ENC_LUT, idx.astype(np.uint16))


# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BlurConfig:
    # blur extent: the longer side of the trajectory's bounding box, in pixels
    kernel_size: Tuple[float, float] = (3.0, 35.0)
    # fraction of sharp-in/sharp-out pairs, and how many of those are fully clean
    sharp_fraction: float = 0.05
    sharp_clean_fraction: float = 0.5
    # spatially varying blur (camera rotation / zoom along the trajectory)
    nonuniform_prob: float = 0.15
    # how much the blur differs between adjacent crop corners (rotation part of
    # the displacement across one crop width, relative to the translation span)
    nonuniform_strength: Tuple[float, float] = (0.05, 0.3)
    # highlight boost before blurring (linear values above the threshold are
    # pushed up smoothly, reaching gain x at 1.0)
    highlight_prob: float = 0.7
    highlight_threshold: float = 0.85  # linear light (~0.93 in sRGB)
    highlight_gain: Tuple[float, float] = (1.0, 3.0)
    # Poisson-Gaussian sensor noise in linear light: var = a*x + b^2
    noise_prob: float = 0.9
    shot_noise: Tuple[float, float] = (1e-4, 1e-2)  # a, log-uniform, skewed low
    read_noise: Tuple[float, float] = (2e-4, 4e-3)  # b, log-uniform, skewed low
    noise_skew: float = 2.5  # >1 favours the low end of the log ranges
    # probability of slightly spatially correlated (demosaiced-looking) noise
    noise_correlated_prob: float = 0.3
    # add the very same noise to the sharp target too: the network then learns to undo the
    # blur and to leave grain alone, instead of smoothing away texture it takes for noise
    noise_in_target: bool = False
    # JPEG re-compression of the blurry input
    jpeg_prob: float = 0.5
    jpeg_quality: Tuple[int, int] = (60, 95)
    # channel order of the arrays (only matters for JPEG's chroma transform)
    channel_order: str = "RGB"
    # orientations a crop is drawn in: 1 as shot, 2 adds the mirror image (the paper's
    # horizontal flips), 8 adds the quarter turns: eight views of each of our few photos
    orientations: int = 8

    def __post_init__(self) -> None:
        if self.orientations not in (1, 2, 8):
            raise ValueError(f"orientations must be 1, 2 or 8, not {self.orientations}")


DEFAULT_CONFIG = BlurConfig()

# ---------------------------------------------------------------------------
# trajectories and kernels
# ---------------------------------------------------------------------------

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
    ``BlurConfig.kernel_size``.  The returned array can be larger than ``size``
    because it is centred on the centre of mass, not on the bounding box.
    """
    if size is None:
        extent = _random_extent(rng, *DEFAULT_CONFIG.kernel_size)
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


# ---------------------------------------------------------------------------
# convolution
# ---------------------------------------------------------------------------

_DIRECT_MAX = 11  # direct filter2D up to this kernel side, FFT above


def _as_float_srgb(img: np.ndarray) -> np.ndarray:
    if img.dtype == np.uint8:
        return img
    return np.asarray(img, np.float32)


def blur_linear(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Decode an sRGB image (uint8 or float in [0, 1]) to linear light and
    convolve it with ``kernel`` (true convolution, reflected borders, same
    size).  Returns the unclipped float32 linear-light result."""
    img = _as_float_srgb(img)
    lin = cv2.LUT(img, _LIN_LUT) if img.dtype == np.uint8 else srgb_to_linear(img)
    k = np.ascontiguousarray(np.asarray(kernel, np.float32)[::-1, ::-1])
    kh, kw = k.shape
    if kh % 2 == 0 or kw % 2 == 0:  # make the anchor well defined
        k = np.pad(k, ((0, 1 - kh % 2), (0, 1 - kw % 2)))
    return cv2.filter2D(lin, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT)


def _kernel_spectrum(kernel: np.ndarray, n: int) -> np.ndarray:
    """CCS spectrum of a centred odd kernel, wrapped so its centre is at (0, 0)."""
    r = kernel.shape[0] // 2
    buf = np.zeros((n, n), np.float32)
    buf[: r + 1, : r + 1] = kernel[r:, r:]
    if r:
        buf[: r + 1, n - r :] = kernel[r:, :r]
        buf[n - r :, : r + 1] = kernel[:r, r:]
        buf[n - r :, n - r :] = kernel[:r, :r]
    return cv2.dft(buf)


def _idft(spec: np.ndarray, kspec: np.ndarray) -> np.ndarray:
    return cv2.idft(cv2.mulSpectrums(spec, kspec, 0), flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT)


@functools.lru_cache(maxsize=16)
def _tents(crop: int, g: int) -> Tuple[Tuple[slice, np.ndarray], ...]:
    """Piecewise-linear blend weights for g anchors across `crop` pixels:
    (support slice, weights on that slice) per anchor."""
    t = (np.arange(crop) + 0.5) / crop * (g - 1)
    out = []
    for j in range(g):
        w = np.clip(1.0 - np.abs(t - j), 0.0, 1.0).astype(np.float32)
        nz = np.nonzero(w)[0]
        sl = slice(int(nz[0]), int(nz[-1]) + 1)
        out.append((sl, w[sl]))
    return tuple(out)


def _convolve_planes(planes, kernels: np.ndarray, m: int, crop: int) -> np.ndarray:
    """Blur square (N, N) float32 linear planes with one kernel (uniform blur)
    or a g x g grid of anchor kernels blended piecewise-bilinearly (non-uniform
    blur).  Returns the central crop as a (C, crop, crop) float32 array.

    Uses circular FFT convolution over the window (valid in the centre because
    the margin m is at least the kernel radius) or direct filtering for small
    kernels.  Both compute the true convolution sum_u k(u) img(x - u)."""
    sl = (slice(m, m + crop), slice(m, m + crop))
    n = planes[0].shape[0]
    out = np.empty((len(planes), crop, crop), np.float32)
    side = kernels.shape[-1]
    if kernels.shape[0] == 1 and side <= _DIRECT_MAX:
        kf = np.ascontiguousarray(kernels[0][::-1, ::-1])
        for c, p in enumerate(planes):
            out[c] = cv2.filter2D(p, cv2.CV_32F, kf, borderType=cv2.BORDER_REFLECT)[sl]
        return out
    spectra = [cv2.dft(p) for p in planes]
    if kernels.shape[0] == 1:
        ks = _kernel_spectrum(kernels[0], n)
        for c, sp in enumerate(spectra):
            out[c] = _idft(sp, ks)[sl]
        return out
    g = int(round(math.sqrt(kernels.shape[0])))
    tents = _tents(crop, g)
    out[:] = 0.0
    for a, k in enumerate(kernels):
        (ys, wy), (xs, wx) = tents[a // g], tents[a % g]
        w = wy[:, None] * wx[None, :]
        ks = _kernel_spectrum(k, n)
        for c, sp in enumerate(spectra):
            res = _idft(sp, ks)[m + ys.start : m + ys.stop, m + xs.start : m + xs.stop]
            out[c, ys, xs] += w * res
    return out


# ---------------------------------------------------------------------------
# pair synthesis
# ---------------------------------------------------------------------------


def _take_window(img: np.ndarray, rng: np.random.Generator, crop: int, n: int) -> np.ndarray:
    """Random n x n window whose central crop x crop region lies inside the
    image; reflect-pads only when the image is too small for the margin."""
    h, w = img.shape[:2]
    m = (n - crop) // 2
    # top-left of the crop; prefer positions where the whole window fits
    def pick(size: int) -> int:
        if size >= n:
            return int(rng.integers(m, size - (n - m) + 1))
        return int(rng.integers(0, size - crop + 1))

    y = pick(h)
    x = pick(w)
    y0, x0 = y - m, x - m
    y1, x1 = y0 + n, x0 + n
    if y0 >= 0 and x0 >= 0 and y1 <= h and x1 <= w:
        return img[y0:y1, x0:x1]
    sub = img[max(y0, 0) : min(y1, h), max(x0, 0) : min(x1, w)]
    return cv2.copyMakeBorder(
        np.ascontiguousarray(sub),
        max(0, -y0),
        max(0, y1 - h),
        max(0, -x0),
        max(0, x1 - w),
        cv2.BORDER_REFLECT_101,
    )


def _orient(window: np.ndarray, rng: np.random.Generator, orientations: int) -> np.ndarray:
    """One of the square window's first ``orientations`` views: mirrored on odd
    choices, then turned by a quarter turn per further pair of choices."""
    choice = int(rng.integers(orientations)) if orientations > 1 else 0
    if choice & 1:
        window = window[:, ::-1]
    return np.ascontiguousarray(np.rot90(window, choice >> 1))


def _log_uniform_skewed(rng: np.random.Generator, lo: float, hi: float, skew: float) -> float:
    u = rng.random() ** skew
    return float(math.exp(math.log(lo) + u * (math.log(hi) - math.log(lo))))


def _make_gauss_table(levels: int = 256) -> np.ndarray:
    """Standard normal quantiles at (i + 0.5) / levels, rescaled to unit
    variance: indexing it with uniform random bytes gives a 256-level
    discretised Gaussian."""
    x = np.linspace(-6.0, 6.0, 24001)
    cdf = 0.5 * (1.0 + np.array([math.erf(v / math.sqrt(2.0)) for v in x]))
    q = (np.arange(levels) + 0.5) / levels
    tab = np.interp(q, cdf, x)
    tab /= tab.std()
    return (tab / math.sqrt(2.0)).astype(np.float32)


# halved so that the sum of two lookups has unit variance
_GAUSS_TABLE = _make_gauss_table()


def _gaussian(rng: np.random.Generator, shape) -> np.ndarray:
    """Unit Gaussian noise as the sum of two independent 256-level quantile
    lookups on random bytes (65536 distinct values, tails to ~4.1 sigma); a
    few times faster than ``rng.standard_normal``."""
    size = int(np.prod(shape))
    cols = shape[-1]
    raw = np.frombuffer(rng.bytes(2 * size), np.uint8).reshape(2, size // cols, cols)
    out = cv2.LUT(raw[0], _GAUSS_TABLE)
    out += cv2.LUT(raw[1], _GAUSS_TABLE)
    return out.reshape(shape)


def _add_sensor_noise(lin: np.ndarray, rng: np.random.Generator, cfg: BlurConfig) -> np.ndarray:
    """Poisson-Gaussian noise (heteroscedastic Gaussian approximation) on
    planar (C, H, W) linear values: var = a * x + b^2."""
    a = _log_uniform_skewed(rng, *cfg.shot_noise, cfg.noise_skew)
    b = _log_uniform_skewed(rng, *cfg.read_noise, cfg.noise_skew)
    correlated = rng.random() < cfg.noise_correlated_prob
    corr_sigma = rng.uniform(0.4, 0.8)
    noise = _gaussian(rng, lin.shape)
    if correlated:  # demosaicing / denoising leave slightly blotchy noise
        ks = 2 * int(math.ceil(3.0 * corr_sigma)) + 1
        g = cv2.getGaussianKernel(ks, corr_sigma, cv2.CV_32F)
        # std after filtering white noise is sum(g^2); undo that
        gain = np.float32(1.0 / float((g.astype(np.float64) ** 2).sum()))
        for c in range(noise.shape[0]):
            noise[c] = cv2.sepFilter2D(noise[c], cv2.CV_32F, g, g, borderType=cv2.BORDER_REFLECT) * gain
    std = np.maximum(lin, 0.0)
    std *= np.float32(a)
    std += np.float32(b * b)
    np.sqrt(std, out=std)
    noise *= std
    noise += lin
    return noise


def _jpeg(img: np.ndarray, quality: int, channel_order: str) -> np.ndarray:
    rgb = channel_order.upper() == "RGB"
    src = cv2.cvtColor(img, cv2.COLOR_RGB2BGR) if rgb else img
    ok, buf = cv2.imencode(".jpg", src, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:  # pragma: no cover - OpenCV always encodes uint8 3-channel
        return img
    dec = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return cv2.cvtColor(dec, cv2.COLOR_BGR2RGB) if rgb else dec


def _linear_lut(rng: np.random.Generator, cfg: BlurConfig) -> np.ndarray:
    """sRGB u8 -> linear table with a random highlight boost baked in."""
    use = rng.random() < cfg.highlight_prob
    gain = rng.uniform(*cfg.highlight_gain)
    if not use or gain <= 1.0:
        return _LIN_LUT
    t = cfg.highlight_threshold
    ramp = np.clip((_LIN_LUT - t) / (1.0 - t), 0.0, 1.0)
    ramp = ramp * ramp * (3.0 - 2.0 * ramp)  # smoothstep
    return (_LIN_LUT * (1.0 + (gain - 1.0) * ramp)).astype(np.float32)


def synthesize_pair(
    sharp_u8: np.ndarray,
    rng: np.random.Generator,
    crop: int,
    config: BlurConfig = DEFAULT_CONFIG,
) -> Tuple[np.ndarray, np.ndarray]:
    """Make one aligned (blurry_u8, sharp_u8) training pair, both crop x crop x 3.

    ``sharp_u8`` is an HxWx3 uint8 sRGB photo with H, W >= crop.  A random crop
    is taken with enough surrounding margin for the kernel (no border
    artefacts unless the photo is smaller than crop + kernel), randomly
    mirrored and turned (``config.orientations``), and degraded as described in the module docstring.
    """
    cfg = config
    img = np.asarray(sharp_u8)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected HxWx3 uint8, got {img.dtype} {img.shape}")
    if img.shape[0] < crop or img.shape[1] < crop:
        raise ValueError(f"image {img.shape[:2]} smaller than crop {crop}")

    u = rng.random()
    sharp_pair = u < cfg.sharp_fraction
    clean = u < cfg.sharp_fraction * cfg.sharp_clean_fraction

    kernels = None
    n = crop
    if not sharp_pair:
        extent = _random_extent(rng, *cfg.kernel_size)
        if rng.random() < cfg.nonuniform_prob:
            kernels = _nonuniform_kernels(rng, extent, crop, cfg.nonuniform_strength)
        else:
            walk, prof, win, optics = _coarse_shake(rng)
            kernels = _kernels_from_paths(walk[None, win], prof[win], extent, optics)
        n = crop + 2 * (kernels.shape[-1] // 2)
        if kernels.shape[-1] > _DIRECT_MAX or kernels.shape[0] > 1:
            n = cv2.getOptimalDFTSize(n)  # FFT path: fast transform size
    m = (n - crop) // 2

    window = _orient(_take_window(img, rng, crop, n), rng, cfg.orientations)
    sharp = window[m : m + crop, m : m + crop].copy()
    if clean:
        return sharp.copy(), sharp

    lut = _linear_lut(rng, cfg)
    if kernels is None:
        lin = np.stack([cv2.LUT(p, _LIN_LUT) for p in cv2.split(sharp)])
    else:
        planes = [cv2.LUT(p, lut) for p in cv2.split(window)]
        lin = _convolve_planes(planes, kernels, m, crop)
        np.clip(lin, 0.0, 1.0, out=lin)  # the sensor saturates

    if rng.random() < cfg.noise_prob:
        noisy = _add_sensor_noise(lin, rng, cfg)
        if cfg.noise_in_target:
            sharp_lin = np.stack([cv2.LUT(p, _LIN_LUT) for p in cv2.split(sharp)])
            sharp_lin += noisy - lin
            sharp = cv2.merge(list(_linear_to_u8(sharp_lin)))
        lin = noisy
    blurry = cv2.merge(list(_linear_to_u8(lin)))

    if rng.random() < cfg.jpeg_prob:
        lo, hi = cfg.jpeg_quality
        blurry = _jpeg(blurry, int(rng.integers(lo, hi + 1)), cfg.channel_order)
    return blurry, sharp


# ---------------------------------------------------------------------------
# fixed validation degradations
# ---------------------------------------------------------------------------


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


def degrade_with_kernel(
    sharp_u8: np.ndarray,
    kernel: np.ndarray,
    rng: np.random.Generator,
    noise_sigma: float = 0.01,
) -> np.ndarray:
    """Deterministic-per-seed degradation for a fixed validation set: blur the
    whole image in linear light with ``kernel`` (reflected borders), re-encode
    to sRGB, add Gaussian noise of ``noise_sigma`` (fraction of the 0..1 sRGB
    range, the usual benchmark convention), quantise to 8 bits."""
    lin = blur_linear(np.asarray(sharp_u8), kernel)
    out = linear_to_srgb(np.clip(lin, 0.0, 1.0))
    if noise_sigma > 0:
        out = out + np.float32(noise_sigma) * rng.standard_normal(out.shape, dtype=np.float32)
    return np.clip(np.rint(out * 255.0), 0, 255).astype(np.uint8)
