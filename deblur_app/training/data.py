"""Training and validation data: synthetic blur on sharp photos, or real pairs.

Photos are decoded once into memory before the DataLoader forks its
workers, so workers share them and only synthesise blur.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from .. import imagefiles, reasons
from . import blur
from .kernels import load_kernel_png

VALIDATION_CROP = 256
VALIDATION_NOISE = 0.01
KERNELS_PER_PHOTO = 8  # every recorded kernel on every validation photo


def load_rgb_u8(path: Path) -> np.ndarray:
    loaded = imagefiles.load_image(path)
    return np.round(loaded.pixels * 255.0).astype(np.uint8)


def photo_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and imagefiles.is_supported(p))


def load_photos(folder: Path, min_side: int) -> list[np.ndarray]:
    photos = []
    for path in photo_files(folder):
        pixels = load_rgb_u8(path)
        if min(pixels.shape[:2]) >= min_side:
            photos.append(pixels)
    if not photos:
        raise FileNotFoundError(f"{folder}: no photos of at least {min_side} px found")
    return photos


def _worker_rng(seed: int) -> np.random.Generator:
    info = get_worker_info()
    worker = info.id if info is not None else 0
    return np.random.default_rng([seed, worker])


def _to_tensor(pixels_u8: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(pixels_u8.transpose(2, 0, 1)))


class SyntheticBlurStream(IterableDataset):
    """An endless stream of (blurry, sharp) uint8 CHW crops made on the fly."""

    def __init__(self, photos: list[np.ndarray], crop: int, seed: int, config: blur.BlurConfig | None = None):
        self.photos = photos
        self.crop = crop
        self.seed = seed
        self.config = config or blur.BlurConfig()
        areas = np.array([p.shape[0] * p.shape[1] for p in photos], dtype=np.float64)
        self.weights = areas / areas.sum()

    def __iter__(self):
        import cv2

        cv2.setNumThreads(1)
        rng = _worker_rng(self.seed)
        while True:
            photo = self.photos[rng.choice(len(self.photos), p=self.weights)]
            blurry, sharp = blur.synthesize_pair(photo, rng, self.crop, self.config)
            yield _to_tensor(blurry), _to_tensor(sharp)


class PairedFolderStream(IterableDataset):
    """Random aligned crops from real pairs in the GoPro layout (blur/ + sharp/)."""

    def __init__(self, root: Path, crop: int, seed: int):
        self.pairs = paired_files(root)
        self.crop = crop
        self.seed = seed

    def __iter__(self):
        rng = _worker_rng(self.seed)
        cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        while True:
            index = int(rng.integers(len(self.pairs)))
            if index not in cache:
                if len(cache) > 64:
                    cache.pop(next(iter(cache)))
                cache[index] = tuple(load_rgb_u8(p) for p in self.pairs[index])
            blurry, sharp = cache[index]
            height, width = sharp.shape[:2]
            top = int(rng.integers(0, height - self.crop + 1))
            left = int(rng.integers(0, width - self.crop + 1))
            window = (slice(top, top + self.crop), slice(left, left + self.crop))
            b, s = blurry[window], sharp[window]
            if rng.random() < 0.5:
                b, s = b[:, ::-1], s[:, ::-1]
            yield _to_tensor(b), _to_tensor(s)


def paired_files(root: Path) -> list[tuple[Path, Path]]:
    """(blurry, sharp) files of a GoPro-style folder: */blur/NAME and */sharp/NAME."""
    root = Path(root)
    pairs = []
    for blur_dir in sorted(root.rglob("blur")):
        sharp_dir = blur_dir.parent / "sharp"
        if not blur_dir.is_dir() or not sharp_dir.is_dir():
            continue
        for blurry in sorted(blur_dir.iterdir()):
            sharp = sharp_dir / blurry.name
            if imagefiles.is_supported(blurry) and sharp.exists():
                pairs.append((blurry, sharp))
    if not pairs:
        raise FileNotFoundError(f"{root}: no blur/ + sharp/ image pairs with matching names found")
    return pairs


# ---------------------------------------------------------------- validation


class ValidationSetError(ValueError):
    """A file given as the validation set that is none; str() is one line naming it."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{reasons.one_line_name(path)}: not a validation set of 'train make-valset' ({why})")


@dataclass
class ValidationSet:
    blurry: np.ndarray  # (N, H, W, 3) uint8
    sharp: np.ndarray
    names: list[str]

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(temp, blurry=self.blurry, sharp=self.sharp, names=np.array(self.names))
        temp.replace(path)

    @classmethod
    def load(cls, path: Path) -> "ValidationSet":
        """The set in ``path``; ValidationSetError (one line naming the file) for anything else: a folder, a
        missing file, another .npz, a pickle (never loaded: allow_pickle=False)."""
        path = Path(path)
        if path.is_dir():
            raise ValidationSetError(path, "is a folder")
        if not path.exists():
            raise ValidationSetError(path, "file not found")
        if not path.is_file():  # a pipe would block the read below for ever
            raise ValidationSetError(path, "is a device, pipe or socket")
        if not zipfile.is_zipfile(path):  # np.load would take it for a pickle
            raise ValidationSetError(path, "not an .npz file")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = [name for name in ("blurry", "sharp", "names") if name not in data.files]
                loaded = None if missing else cls(data["blurry"], data["sharp"], [str(n) for n in data["names"]])
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
            raise ValidationSetError(path, reasons.first_line(error, 120)) from None
        if loaded is None:
            raise ValidationSetError(path, f"no {', '.join(missing)} array")
        if not (loaded.blurry.shape == loaded.sharp.shape and loaded.blurry.ndim == 4
                and loaded.blurry.shape[0] == len(loaded.names) and loaded.blurry.dtype == np.uint8):
            raise ValidationSetError(path, f"blurry {loaded.blurry.shape} and sharp {loaded.sharp.shape} crops and "
                                           f"{len(loaded.names)} names do not match")
        return loaded

    def subset(self, limit: int | None) -> "ValidationSet":
        if not limit or limit >= len(self.names):
            return self
        index = np.linspace(0, len(self.names) - 1, limit).round().astype(int)
        return ValidationSet(self.blurry[index], self.sharp[index], [self.names[i] for i in index])


def kernel_files(folder: Path) -> list[Path]:
    kernels = sorted(Path(folder).glob("kernel*.png"))
    if not kernels:
        raise FileNotFoundError(f"{folder}: no kernel*.png files")
    return kernels


def build_validation_set(photo_folder: Path, kernel_folder: Path, crop: int = VALIDATION_CROP,
                         noise: float = VALIDATION_NOISE) -> ValidationSet:
    """Centre crops of the validation photos, each blurred with the recorded kernels.

    ``noise`` is the Gaussian noise added after the blur (sRGB fraction); 0 makes a set
    that measures deblurring alone, apart from denoising.
    """
    # centred so the blurry crop is not shifted against its sharp target
    kernels = [load_kernel_png(p, center=True) for p in kernel_files(kernel_folder)]
    blurry, sharp, names = [], [], []
    for number, path in enumerate(photo_files(photo_folder)):
        photo = load_rgb_u8(path)
        margin = max(k.shape[0] for k in kernels)
        if min(photo.shape[:2]) < crop + 2 * margin:
            continue
        top = (photo.shape[0] - crop) // 2 - margin
        left = (photo.shape[1] - crop) // 2 - margin
        region = photo[top : top + crop + 2 * margin, left : left + crop + 2 * margin]
        per_photo = min(KERNELS_PER_PHOTO, len(kernels))
        for j in range(per_photo):
            k = (number * per_photo + j) % len(kernels)
            rng = np.random.default_rng(zlib.crc32(f"{path.name}:{k}".encode()))
            degraded = blur.degrade_with_kernel(region, kernels[k], rng, noise_sigma=noise)
            blurry.append(degraded[margin : margin + crop, margin : margin + crop])
            sharp.append(region[margin : margin + crop, margin : margin + crop])
            names.append(f"{path.stem}@kernel{k + 1}")
    if not names:
        raise FileNotFoundError(f"{photo_folder}: no validation photos large enough")
    return ValidationSet(np.stack(blurry), np.stack(sharp), names)
