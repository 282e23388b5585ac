"""Keeping only sharp, real photographs: measurements, the deterministic filter, the
downscale that shrinks lens blur and sensor noise, and near-duplicate detection."""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps


def to_rgb8(img: Image.Image) -> np.ndarray:
    """Any PIL image -> HxWx3 uint8 RGB (alpha composited on mid grey)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img, dtype=np.float64)
        a = np.clip(a / max(a.max(), 1.0) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(a[..., None], 3, axis=2)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (128, 128, 128, 255))
        img = Image.alpha_composite(bg, img)
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def has_transparency(img: Image.Image) -> bool:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        a = np.asarray(img.convert("RGBA"))[..., 3]
        return bool((a < 250).mean() > 0.001)
    return False


def sharpness(rgb: np.ndarray) -> float:
    """Ratio of fine-detail energy to slightly-blurred detail energy.

    Sharp images lose much of their Laplacian energy under a small Gaussian
    blur (ratio well above 2); soft/blurry images hardly change (ratio ~1).
    """
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = np.abs(cv2.Laplacian(g, cv2.CV_32F, ksize=1)).mean()
    gb = cv2.GaussianBlur(g, (0, 0), 1.0)
    lapb = np.abs(cv2.Laplacian(gb, cv2.CV_32F, ksize=1)).mean()
    return float(lap / max(lapb, 1e-6))


@dataclass
class PhotoStats:
    width: int
    height: int
    colorfulness: float       # mean |R-G|,|G-B| (0 for grayscale)
    unique_ratio: float       # unique colours / pixels (on a <=512 px thumbnail)
    flat_fraction: float      # pixels in flat 5x5 neighbourhoods (std < 0.75)
    hist_gap: float           # fraction of empty grey levels inside the 1-99% range
    detail: float             # mean |Laplacian| of grey image
    sharpness: float

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def photo_stats(rgb: np.ndarray) -> PhotoStats:
    h, w = rgb.shape[:2]
    f = rgb.astype(np.float32)
    colorfulness = float((np.abs(f[..., 0] - f[..., 1]).mean() + np.abs(f[..., 1] - f[..., 2]).mean()) / 2)
    # unique colours on a fixed-size thumbnail so the ratio is size independent
    s = 512 / max(h, w)
    thumb = rgb if s >= 1 else cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))),
                                          interpolation=cv2.INTER_NEAREST)
    flat_px = thumb.reshape(-1, 3)
    packed = (flat_px[:, 0].astype(np.uint32) << 16) | (flat_px[:, 1].astype(np.uint32) << 8) | flat_px[:, 2]
    unique_ratio = float(np.unique(packed).size / max(packed.size, 1))
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    gf = g.astype(np.float32)
    mean = cv2.blur(gf, (5, 5))
    var = np.maximum(cv2.blur(gf * gf, (5, 5)) - mean * mean, 0)
    flat_fraction = float((var < 0.75**2).mean())
    hist = np.bincount(g.ravel(), minlength=256)
    c = np.cumsum(hist) / hist.sum()
    lo = int(np.searchsorted(c, 0.01))
    hi = int(np.searchsorted(c, 0.99))
    rng = hist[lo:hi + 1]
    hist_gap = float((rng == 0).mean()) if rng.size > 1 else 1.0
    detail = float(np.abs(cv2.Laplacian(gf, cv2.CV_32F, ksize=1)).mean())
    return PhotoStats(w, h, colorfulness, unique_ratio, flat_fraction, hist_gap, detail, sharpness(rgb))


# Thresholds of the deterministic photo filter (on the downscaled image).
MIN_SHORT_SIDE = 256
MIN_COLORFULNESS = 2.0      # reject grayscale (and near-grayscale) sources
MIN_UNIQUE_RATIO = 0.02     # palette images / posterised art
MAX_FLAT_FRACTION = 0.45    # renders: large noise-free areas
MAX_HIST_GAP = 0.10         # colour banding / posterisation
MIN_DETAIL = 1.5            # nearly empty images
MIN_SHARPNESS_NATIVE = 1.9  # needed to keep an image at scale 1
RELAXED_FLAT_FRACTION = 0.82  # for ALLOW_FLAT photos
RELAXED_MIN_DETAIL = 1.0



def reject_reason(st: PhotoStats, *, relaxed: bool = False) -> str | None:
    """Deterministic photo filter; ``None`` means "looks like a real photo".

    ``relaxed`` (for eye-checked photos with big defocused areas) loosens only
    the flat-area and detail limits.
    """
    max_flat = RELAXED_FLAT_FRACTION if relaxed else MAX_FLAT_FRACTION
    min_detail = RELAXED_MIN_DETAIL if relaxed else MIN_DETAIL
    if min(st.width, st.height) < MIN_SHORT_SIDE:
        return f"too small ({st.width}x{st.height})"
    if st.colorfulness < MIN_COLORFULNESS:
        return f"grayscale (colorfulness {st.colorfulness:.2f})"
    if st.unique_ratio < MIN_UNIQUE_RATIO:
        return f"few colours ({st.unique_ratio:.4f})"
    if st.flat_fraction > max_flat:
        return f"large flat areas ({st.flat_fraction:.2f})"
    if st.hist_gap > MAX_HIST_GAP:
        return f"banding/posterised ({st.hist_gap:.2f})"
    if st.detail < min_detail:
        return f"no detail ({st.detail:.2f})"
    return None


def choose_scale(width: int, height: int, sharp: float | None = None) -> float:
    """Downscale factor (>=1): integer 2-4 where possible, long side ~1000-1600.

    Returns 0.0 when the image should be dropped (small and not sharp).
    """
    long_side = max(width, height)
    short_side = min(width, height)
    for f in (4, 3, 2):
        if 1000 <= long_side / f <= 1600:
            return float(f)
    if long_side / 4 > 1600:  # huge: fractional factor to land at 1600
        return float(math.ceil(long_side / 1600 * 100) / 100)
    # long side below 2000: keep native only if sharp; else halve if still usable
    if sharp is not None and sharp >= MIN_SHARPNESS_NATIVE:
        return 1.0
    if long_side >= 1800 and short_side / 2 >= MIN_SHORT_SIDE:
        return 2.0
    if sharp is None:
        return 1.0
    if short_side / 2 >= MIN_SHORT_SIDE:
        return 2.0
    return 0.0


def downscale(rgb: np.ndarray, scale: float) -> np.ndarray:
    if scale <= 1.0:
        return rgb
    h, w = rgb.shape[:2]
    nw, nh = max(1, round(w / scale)), max(1, round(h / scale))
    return cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)


def ahash(rgb: np.ndarray, n: int = 12) -> np.ndarray:
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    t = cv2.resize(g, (n, n), interpolation=cv2.INTER_AREA).astype(np.float32)
    return (t > t.mean()).ravel()


def tiny(rgb: np.ndarray, n: int = 32) -> np.ndarray:
    return cv2.resize(rgb, (n, n), interpolation=cv2.INTER_AREA).astype(np.float32)


def near_duplicate(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    """Same photo (possibly another resolution / re-encode)?  Needs both a
    close average-hash and close 32x32 colour thumbnails."""
    return bool(np.count_nonzero(a[0] != b[0]) <= 6 and np.abs(a[1] - b[1]).mean() < 8.0)


def process_image(img: Image.Image, *, relaxed: bool = False, rotate: int = 0
                  ) -> tuple[np.ndarray | None, float, str | None, PhotoStats | None]:
    """Convert (honouring EXIF orientation and an extra clockwise ``rotate``
    in degrees), choose scale, downscale, filter.

    Returns (rgb_or_None, scale, reject_reason_or_None, stats).
    """
    img = ImageOps.exif_transpose(img)
    if rotate % 360:
        img = img.rotate(-(rotate % 360), expand=True)
    if has_transparency(img):
        return None, 0.0, "transparent", None
    rgb = to_rgb8(img)
    h, w = rgb.shape[:2]
    sharp = sharpness(rgb) if max(w, h) < 2000 else None
    scale = choose_scale(w, h, sharp)
    if scale == 0.0:
        return None, 0.0, f"small and soft (sharpness {sharp:.2f})", None
    out = downscale(rgb, scale)
    st = photo_stats(out)
    why = reject_reason(st, relaxed=relaxed)
    return (None if why else out), scale, why, st
