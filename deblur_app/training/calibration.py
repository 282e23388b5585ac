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


def make_check_set(photos: dict[str, np.ndarray], count: int = CHECK_COUNT, crop: int = CHECK_CROP,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(blurry, sharp, sources): ``count`` aligned (crop, crop, 3) uint8 pairs taken in turn from ``photos``
    (name -> HxWx3 uint8), blurred, noised and JPEG-compressed as the training pairs are."""
    rng = np.random.default_rng(seed)
    names = sorted(photos)
    blurry, sharp, sources = [], [], []
    for index in range(count):
        name = names[index % len(names)]
        pair = blur.synthesize_pair(photos[name], rng, crop)
        blurry.append(pair[0])
        sharp.append(pair[1])
        sources.append(f"{name}: {CHECK_PHOTOS.get(name, 'unknown')}")
    return np.stack(blurry), np.stack(sharp), sources
