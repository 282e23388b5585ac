"""Synthetic camera-shake blur for training pairs (numpy + OpenCV only).

The kernels come from ``kernels``, the sRGB curve from ``srgb``; this module
blurs, adds noise and JPEG, and cuts the pairs.

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
from typing import Tuple

import cv2
import numpy as np

from .kernels import KERNEL_SIZE_RANGE, shake_kernels
from .srgb import DECODE_LUT, linear_to_srgb, linear_to_u8, srgb_to_linear

__all__ = ["BlurConfig", "DEFAULT_CONFIG", "blur_linear", "synthesize_pair", "degrade_with_kernel"]

# ---------------------------------------------------------------------------
# configuration
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BlurConfig:
    # blur extent: the longer side of the trajectory's bounding box, in pixels
    kernel_size: Tuple[float, float] = KERNEL_SIZE_RANGE
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
    lin = cv2.LUT(img, DECODE_LUT) if img.dtype == np.uint8 else srgb_to_linear(img)
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
        return DECODE_LUT
    t = cfg.highlight_threshold
    ramp = np.clip((DECODE_LUT - t) / (1.0 - t), 0.0, 1.0)
    ramp = ramp * ramp * (3.0 - 2.0 * ramp)  # smoothstep
    return (DECODE_LUT * (1.0 + (gain - 1.0) * ramp)).astype(np.float32)


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
    img = _checked_photo(sharp_u8, crop)
    # the random draws keep their order (a seed makes the same pairs): kind, kernels, window, the rest
    u = rng.random()
    sharp_pair = u < cfg.sharp_fraction
    clean = u < cfg.sharp_fraction * cfg.sharp_clean_fraction
    kernels = None if sharp_pair else shake_kernels(rng, crop, cfg.kernel_size, cfg.nonuniform_prob,
                                                    cfg.nonuniform_strength)
    n = _window_size(crop, kernels)
    m = (n - crop) // 2
    window = _orient(_take_window(img, rng, crop, n), rng, cfg.orientations)
    sharp = window[m : m + crop, m : m + crop].copy()
    if clean:
        return sharp.copy(), sharp
    return _degrade(window, sharp, kernels, m, crop, rng, cfg)


def _checked_photo(sharp_u8: np.ndarray, crop: int) -> np.ndarray:
    img = np.asarray(sharp_u8)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"expected HxWx3 uint8, got {img.dtype} {img.shape}")
    if img.shape[0] < crop or img.shape[1] < crop:
        raise ValueError(f"image {img.shape[:2]} smaller than crop {crop}")
    return img


def _window_size(crop: int, kernels: np.ndarray | None) -> int:
    """The side of the window cut around the crop: room for the kernel (a fast size on the FFT path)."""
    if kernels is None:
        return crop
    n = crop + 2 * (kernels.shape[-1] // 2)
    if kernels.shape[-1] > _DIRECT_MAX or kernels.shape[0] > 1:
        n = cv2.getOptimalDFTSize(n)  # FFT path: fast transform size
    return n


def _degrade(window: np.ndarray, sharp: np.ndarray, kernels: np.ndarray | None, m: int, crop: int,
             rng: np.random.Generator, cfg: BlurConfig) -> Tuple[np.ndarray, np.ndarray]:
    """(blurry, sharp): the window blurred in linear light (or the crop as it is for a sharp pair), sensor
    noise (also in the sharp target when ``cfg.noise_in_target``), then JPEG."""
    lut = _linear_lut(rng, cfg)
    if kernels is None:
        lin = np.stack([cv2.LUT(p, DECODE_LUT) for p in cv2.split(sharp)])
    else:
        planes = [cv2.LUT(p, lut) for p in cv2.split(window)]
        lin = _convolve_planes(planes, kernels, m, crop)
        np.clip(lin, 0.0, 1.0, out=lin)  # the sensor saturates

    if rng.random() < cfg.noise_prob:
        noisy = _add_sensor_noise(lin, rng, cfg)
        if cfg.noise_in_target:
            sharp_lin = np.stack([cv2.LUT(p, DECODE_LUT) for p in cv2.split(sharp)])
            sharp_lin += noisy - lin
            sharp = cv2.merge(list(linear_to_u8(sharp_lin)))
        lin = noisy
    blurry = cv2.merge(list(linear_to_u8(lin)))

    if rng.random() < cfg.jpeg_prob:
        lo, hi = cfg.jpeg_quality
        blurry = _jpeg(blurry, int(rng.integers(lo, hi + 1)), cfg.channel_order)
    return blurry, sharp

# ---------------------------------------------------------------------------
# fixed validation degradations
# ---------------------------------------------------------------------------


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
