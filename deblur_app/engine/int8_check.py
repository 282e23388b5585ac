"""The check set that ships with the app, on which every fast path is measured for any weights (verdicts.py).

`auto` takes int8 (and bf16) only for weights with a verdict (devices.choose_precision). The starter
weights ship with theirs; weights a user installs (the paper's, their own, another network's) get
theirs measured on this set (engine/verdicts.py), the first time the window loads them or when
`deblur-app weights` installs them, in the background.

The check set (resources/int8/check_set.npz, `deblur-app train make-check-set`) holds a few crops of
CC0 / public-domain photos, blurred by the training synthesis, with their sharp originals. The rule:
- int8 agrees with float32 at >= 45 dB on **every** photo: the worst one counts (a verdict from one
  photo held at 47 dB and failed at 39.5 dB on a real photo, issue 22), over at least
  INT8_MIN_CHECK_PHOTOS photos (engine/choices.py, Int8Verdict);
- on every photo, 99.9 % of the pixel values are within MAX_PIXEL_ERROR of float32's (choices.pixel_error):
  the mean measure hid int8 sharpening the strongest edges less (45.9 dB on the README's coffee photo,
  0.15 off along the cup's rim, issue 21), so the check set holds crops of strong edges too;
- the stand-in for the validation loss, where the user has no validation set: the mean PSNR of the
  int8 results against the sharp originals may fall by at most 0.05 dB from float32's. The check set
  is a tiny validation set made the same way as the project's, so the same threshold applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..resources import resource_path
from .choices import Int8Verdict

CHECK_SET_FILE = ("int8", "check_set.npz")


@dataclass(frozen=True)
class CheckSet:
    blurry: np.ndarray  # (N, H, W, 3) uint8
    sharp: np.ndarray
    sources: tuple[str, ...]


def load_check_set(path: Path | None = None) -> CheckSet:
    path = Path(path) if path is not None else resource_path(*CHECK_SET_FILE)
    with np.load(path, allow_pickle=False) as data:
        blurry, sharp = data["blurry"], data["sharp"]
        sources = tuple(str(s) for s in data["sources"])
    if blurry.shape != sharp.shape or blurry.dtype != np.uint8 or blurry.ndim != 4 or not len(blurry):
        raise ValueError(f"{path}: expected matching (N, H, W, 3) uint8 blurry and sharp crops")
    return CheckSet(blurry, sharp, sources)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 100.0 if mse == 0 else float(10.0 * np.log10(1.0 / mse))


def verdict_from(agreements: dict[str, float], changes: list[float],
                 pixel_errors: dict[str, float] | None = None) -> Int8Verdict:
    """The worst photo's agreement and per-pixel error count (Int8Verdict.over_photos); the change is the
    mean over the photos, as on a validation set."""
    return Int8Verdict.over_photos({name: float(db) for name, db in agreements.items()}, float(np.mean(changes)),
                                   pixel_errors=pixel_errors)


def photo_name(check_set: CheckSet, index: int) -> str:
    """'coffee (check set crop 3)': the photo a crop comes from, as its source line names it."""
    return f"{check_set.sources[index].split(':')[0]} (check set crop {index + 1})"
