"""A labelled set of sharp and blurred photos for choosing and checking the blur score.

Sources: the photographs that ship inside scikit-image's wheel and are public domain or CC0
(their licences are in ``skimage/data/_fetchers.py``'s docstrings; the wheel's README.txt names
none): four colour photos and three grey ones (the score reads luma only). Left out: the wheel's
other pictures are no sharp photos (brick: perspective-resampled, soft; retina, Hubble deep field:
soft by nature; clock: shaken; horse, text, page, logo: drawings or scans), carry no licence
(moon, the Middlebury motorcycle) or only "no known copyright restrictions" (coins). Nothing
from ``../shared/eval``: that is for reporting.

Each photo gives several *scenes*: crops of different places and shapes, each at a few
sizes (area-downscaled, so still sharp). Each scene is then rendered as

* ``sharp``: as it is, with sensor noise and JPEG or not;
* ``sharp`` with a shallow depth of field: the background defocused, an elliptic
  subject left sharp (a photo is sharp if its subject is);
* ``sharp`` smooth content: a small sharp subject on a smooth, out-of-focus backdrop
  (sky, wall, bokeh), the case that fools the variance of the Laplacian;
* ``slight`` / ``blurred``: camera shake (``kernels.trajectory_kernel``) or defocus
  (a disc) of known extent, applied in linear light (``blur.blur_linear``).

The extent is in pixels of the image the score sees: a scene is never larger than the
score's working size, so the blur the label states is the blur the score measures.

The group of a sample is its source photo: held-out evaluation leaves whole photos out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .blur import blur_linear
from .kernels import trajectory_kernel
from .srgb import DECODE_LUT, linear_to_u8

__all__ = ["LabelledPhoto", "SOURCE_PHOTOS", "blur_extent_label", "disc_kernel", "labelled_set", "source_photos"]

# scikit-image's photographs and their licences (skimage/data/_fetchers.py)
SOURCE_PHOTOS: dict[str, str] = {
    "astronaut.png": "public domain (NASA)",
    "chelsea.png": "CC0 (Stefan van der Walt)",
    "coffee.png": "CC0 (Rachel Michetti)",
    "rocket.jpg": "public domain (SpaceX)",
    # after the colour four, so that their samples (one random stream, in this order) stay the same
    "camera.png": "CC0 (Lav Varshney)",
    "grass.png": "CC0 (linolafett on DeviantArt; cropped, grey)",
    "gravel.png": "CC0 (CC0Textures Gravel04; downscaled, cropped, grey)",
}

# shake extent (px) / defocus radius (px) at or below which a photo still counts as
# sharp, and from which it counts as blurred; in between: slightly blurred
SHARP_SHAKE_PX, BLURRED_SHAKE_PX = 2.0, 5.0
SHARP_DEFOCUS_PX, BLURRED_DEFOCUS_PX = 0.75, 2.0


@dataclass(frozen=True)
class LabelledPhoto:
    pixels: np.ndarray  # HxWx3 uint8 sRGB
    label: str  # "sharp", "slight" or "blurred"
    kind: str  # how it was made: sharp, dof, smooth, shake, defocus
    extent: float  # shake extent or defocus radius in px (0 for sharp)
    group: str  # source photo


def source_photos() -> dict[str, np.ndarray]:
    """The source photos as RGB uint8 arrays, read from the installed scikit-image."""
    import skimage

    folder = Path(skimage.__file__).parent / "data"
    photos = {}
    for name in SOURCE_PHOTOS:
        bgr = cv2.imread(str(folder / name), cv2.IMREAD_COLOR)
        if bgr is not None:
            photos[Path(name).stem] = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return photos


def disc_kernel(radius: float) -> np.ndarray:
    """Defocus: a uniform disc of ``radius`` px, anti-aliased by 4x supersampling."""
    side = 2 * int(math.ceil(radius + 0.5)) + 1
    fine = 4
    ax = (np.arange(side * fine) + 0.5) / fine - side / 2
    inside = (ax[None, :] ** 2 + ax[:, None] ** 2 <= radius**2).astype(np.float32)
    k = inside.reshape(side, fine, side, fine).mean(axis=(1, 3))
    return k / k.sum()


def blur_extent_label(kind: str, extent: float) -> str:
    sharp_below, blurred_from = (
        (SHARP_SHAKE_PX, BLURRED_SHAKE_PX) if kind == "shake" else (SHARP_DEFOCUS_PX, BLURRED_DEFOCUS_PX)
    )
    if extent <= sharp_below:
        return "sharp"
    return "blurred" if extent >= blurred_from else "slight"


def _blur(img: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    return linear_to_u8(np.clip(blur_linear(img, kernel), 0.0, 1.0))


def _finish(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sensor noise (in linear light, signal dependent) on most, JPEG on half."""
    if rng.random() < 0.7:
        lin = cv2.LUT(img, DECODE_LUT)
        shot, read = 10 ** rng.uniform(-4.5, -2.5), 10 ** rng.uniform(-3.5, -2.2)
        sigma = np.sqrt(np.maximum(lin, 0) * shot + read**2)
        img = linear_to_u8(lin + sigma * rng.standard_normal(lin.shape).astype(np.float32))
    if rng.random() < 0.5:
        quality = int(rng.integers(60, 96))
        ok, buf = cv2.imencode(".jpg", img[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
        img = np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return img


def _ellipse_mask(shape: tuple[int, int], rng: np.random.Generator, area: float) -> np.ndarray:
    h, w = shape
    cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
    aspect = rng.uniform(0.6, 1.6)
    ry = math.sqrt(area * h * w / math.pi * aspect)
    rx = area * h * w / math.pi / ry
    yy, xx = np.mgrid[:h, :w]
    mask = (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1).astype(np.float32)
    return cv2.GaussianBlur(mask, (0, 0), 1.5)[..., None]


def _depth_of_field(scene: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sharp elliptic subject (10-35 % of the frame) before a defocused background."""
    background = _blur(scene, disc_kernel(rng.uniform(3.0, 10.0)))
    mask = _ellipse_mask(scene.shape[:2], rng, rng.uniform(0.10, 0.35))
    return np.clip(scene * mask + background * (1 - mask) + 0.5, 0, 255).astype(np.uint8)


def _smooth_backdrop(scene: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A small sharp subject (4-12 % of the frame) on a smooth gradient or heavy bokeh."""
    h, w = scene.shape[:2]
    if rng.random() < 0.5:
        a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
        t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
        backdrop = np.broadcast_to(a * (1 - t) + b * t, (h, w, 3)).astype(np.uint8)
    else:
        backdrop = _blur(scene, disc_kernel(rng.uniform(12.0, 25.0)))
    mask = _ellipse_mask((h, w), rng, rng.uniform(0.04, 0.12))
    return np.clip(scene * mask + backdrop * (1 - mask) + 0.5, 0, 255).astype(np.uint8)


def _scenes(photo: np.ndarray, rng: np.random.Generator, count: int, max_side: int):
    """``count`` crops of random place and shape, each at a random scale <= 1."""
    h, w = photo.shape[:2]
    for _ in range(count):
        scale = rng.choice([1.0, 0.8, 0.6, 0.45])
        ch, cw = int(h * rng.uniform(0.55, 1.0)), int(w * rng.uniform(0.55, 1.0))
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = photo[y : y + ch, x : x + cw]
        side = min(max_side / max(ch, cw), scale)
        if side < 1.0:
            crop = cv2.resize(crop, (round(cw * side), round(ch * side)), interpolation=cv2.INTER_AREA)
        yield np.ascontiguousarray(crop)


def _renderings(scene: np.ndarray, rng: np.random.Generator):
    """(kind, extent, pixels) of one scene: three sharp kinds, shakes and defocus."""
    yield "sharp", 0.0, scene
    yield "dof", 0.0, _depth_of_field(scene, rng)
    yield "smooth", 0.0, _smooth_backdrop(scene, rng)
    for extent in (rng.uniform(1.0, 2.0), rng.uniform(2.0, 5.0), rng.uniform(5.0, 12.0), rng.uniform(12.0, 30.0)):
        yield "shake", extent, _blur(scene, trajectory_kernel(rng, size=extent))
    for radius in (rng.uniform(0.8, 2.0), rng.uniform(2.0, 4.0), rng.uniform(4.0, 10.0)):
        yield "defocus", radius, _blur(scene, disc_kernel(radius))


def labelled_set(scenes_per_photo: int = 12, seed: int = 0, max_side: int = 768) -> list[LabelledPhoto]:
    """The labelled set, deterministic per seed (see the module docstring)."""
    rng = np.random.default_rng(seed)
    samples = []
    for group, photo in source_photos().items():
        for scene in _scenes(photo, rng, scenes_per_photo, max_side):
            for kind, extent, pixels in _renderings(scene, rng):
                label = "sharp" if extent == 0 else blur_extent_label(kind, extent)
                samples.append(LabelledPhoto(_finish(pixels, rng), label, kind, float(extent), group))
    return samples
