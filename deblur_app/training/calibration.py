"""Calibration crops for the int8 path: training photos blurred by the project's own synthesis.

NNCF sets the int8 ranges of every layer from the activations these crops
produce, so they should look like what users deblur: real photos (only the
allowed training sources, never the evaluation photos) with synthetic camera
shake, noise and JPEG, as in training. Made by the command line and shipped
as a small file, because the engine may not import the training package.
Since the file ships with the app, only photos under licences that allow
that with attribution are used, and the file names its sources.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from . import blur
from .data import load_rgb_u8, photo_files

CALIBRATION_CROP = 160
CALIBRATION_COUNT = 48
SHIPPABLE_LICENSES = ("BSD-3-Clause", "Apache-2.0 AND BSD-3-Clause", "CC0-1.0", "public-domain", "CC-BY-2.0")


def shippable_photos(photo_folder: Path) -> list[tuple[Path, str]]:
    """(photo, 'package, licence') for the photos of the folder that manifest.csv (beside or above it)
    lists under a licence in SHIPPABLE_LICENSES; every photo, credited 'unknown', without a manifest."""
    photo_folder = Path(photo_folder)
    manifest = next((p / "manifest.csv" for p in (photo_folder, photo_folder.parent) if (p / "manifest.csv").is_file()), None)
    if manifest is None:
        return [(path, "unknown") for path in photo_files(photo_folder)]
    found = []
    with open(manifest, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            path = manifest.parent / row["file"]
            if row["license"] in SHIPPABLE_LICENSES and path.parent.resolve() == photo_folder.resolve() and path.is_file():
                found.append((path, f"{row['source_package']}, {row['license']}"))
    return sorted(found)


def make_calibration_crops(photo_folder: Path, count: int = CALIBRATION_COUNT, crop: int = CALIBRATION_CROP,
                           seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """(count, crop, crop, 3) uint8 blurry crops, taken in turn from the shippable photos, and their sources."""
    photos = [(load_rgb_u8(path), f"{path.name} ({credit})") for path, credit in shippable_photos(photo_folder)]
    photos = [(pixels, source) for pixels, source in photos if min(pixels.shape[:2]) >= crop + 2 * 64]
    if not photos:
        raise FileNotFoundError(f"{photo_folder}: no shippable photos of at least {crop + 128} px")
    rng = np.random.default_rng(seed)
    crops, sources = [], []
    for index in range(count):
        pixels, source = photos[index % len(photos)]
        blurry, _sharp = blur.synthesize_pair(pixels, rng, crop)
        crops.append(blurry)
        sources.append(source)
    return np.stack(crops), sources


# The int8 check set: scikit-image's sample photos that are CC0 or public domain (their docstrings in
# skimage/data/_fetchers.py say so), blurred by the training synthesis, with their sharp originals.
CHECK_PHOTOS = {
    "astronaut": "scikit-image sample data, NASA photo of Eileen Collins, public domain",
    "chelsea": "scikit-image sample data, Chelsea the cat by Stefan van der Walt, CC0-1.0",
    "coffee": "scikit-image sample data, coffee cup by Rachel Michetti, CC0-1.0",
    "rocket": "scikit-image sample data, DSCOVR launch by SpaceX, public domain",
}
CHECK_CROP = 192
CHECK_COUNT = 6
# then one crop on each photo's strongest edge (strongest_edges): the cup's rim, where int8 sharpened less while
# the whole photo agreed at 45.9 dB (issue 21); the random crops above had none so strong
CHECK_EDGE_COUNT = 4


def make_check_set(photos: dict[str, np.ndarray], count: int = CHECK_COUNT, crop: int = CHECK_CROP,
                   seed: int = 0, edges: int = CHECK_EDGE_COUNT) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(blurry, sharp, sources): ``count`` aligned (crop, crop, 3) uint8 pairs taken in turn from ``photos``
    (name -> HxWx3 uint8), then ``edges`` pairs on their strongest edges (edge_pairs), all blurred, noised
    and JPEG-compressed as the training pairs are. The random pairs come first, from the same draws as
    before edge pairs were added, so they are the same crops."""
    rng = np.random.default_rng(seed)
    names = sorted(photos)
    blurry, sharp, sources = [], [], []
    for index in range(count):
        name = names[index % len(names)]
        pair = blur.synthesize_pair(photos[name], rng, crop)
        blurry.append(pair[0])
        sharp.append(pair[1])
        sources.append(f"{name}: {CHECK_PHOTOS.get(name, 'unknown')}")
    if edges:
        edge_blurry, edge_sharp, edge_names = edge_pairs(photos, edges, crop, rng)
        blurry += list(edge_blurry)
        sharp += list(edge_sharp)
        sources += [f"{name}: {CHECK_PHOTOS.get(name, 'unknown')}; its strongest edge" for name in edge_names]
    return np.stack(blurry), np.stack(sharp), sources


def strongest_edges(photo: np.ndarray, count: int, spacing: int) -> list[tuple[int, int]]:
    """(y, x) of the ``count`` strongest sustained edges of a photo, at least ``spacing`` apart: the largest
    luminance gradient, averaged over 7x7 pixels so one noisy pixel is no edge. Strong, high-contrast edges
    are where the network's activations are largest (issue 21: int8 clipped them along a cup's rim)."""
    import cv2

    gray = cv2.cvtColor(np.ascontiguousarray(photo), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    strength = cv2.blur(np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1)), (7, 7))
    found = []
    for _ in range(count):
        y, x = np.unravel_index(int(np.argmax(strength)), strength.shape)
        if strength[y, x] <= 0:
            break
        found.append((int(y), int(x)))
        strength[max(0, y - spacing) : y + spacing, max(0, x - spacing) : x + spacing] = 0
    return found


def edge_pairs(photos: dict[str, np.ndarray], count: int, crop: int, rng: np.random.Generator,
               margin: int = 64) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(blurry, sharp, names): ``count`` pairs whose crops hold the strongest edges of ``photos`` (taken in turn,
    each photo's next strongest edge), blurred by the training synthesis as any pair is."""
    names = sorted(photos)
    per_photo = -(-count // len(names))
    edges = {name: strongest_edges(photos[name], per_photo, crop // 2) for name in names}
    blurry, sharp, sources = [], [], []
    for index in range(count):
        name = names[index % len(names)]
        photo = photos[name]
        y, x = edges[name][index // len(names)]
        side = crop + 2 * margin  # the synthesis cuts its crop anywhere in here with room for the kernel: the edge stays in
        top = min(max(0, y - side // 2), max(0, photo.shape[0] - side))
        left = min(max(0, x - side // 2), max(0, photo.shape[1] - side))
        pair = blur.synthesize_pair(np.ascontiguousarray(photo[top : top + side, left : left + side]), rng, crop)
        blurry.append(pair[0])
        sharp.append(pair[1])
        sources.append(name)
    return np.stack(blurry), np.stack(sharp), sources


def edge_crops(photos: dict[str, np.ndarray], count: int, crop: int, seed: int = 0) -> tuple[np.ndarray, list[str]]:
    """Blurry calibration crops on the strongest edges of ``photos`` (edge_pairs)."""
    blurry, _sharp, names = edge_pairs(photos, count, crop, np.random.default_rng(seed))
    return blurry, names
