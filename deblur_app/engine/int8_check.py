"""What int8 does to the picture for any weights: measured on the check set that ships with the app.

`auto` takes int8 only for weights with a verdict (devices.choose_precision). The starter weights
ship with one; weights a user installs (the paper's, their own, another network's) get theirs here,
the first time the window loads them or when `deblur-app weights` installs them, in the background.

The check set (resources/int8/check_set.npz, `deblur-app train make-check-set`) holds a few crops of
CC0 / public-domain photos, blurred by the training synthesis, with their sharp originals. The rule:
- int8 agrees with float32 at >= 45 dB on **every** photo: the worst one counts (a verdict from one
  photo held at 47 dB and failed at 39.5 dB on a real photo, issue 22), over at least
  INT8_MIN_CHECK_PHOTOS photos (engine/choices.py, Int8Verdict);
- the stand-in for the validation loss, where the user has no validation set: the mean PSNR of the
  int8 results against the sharp originals may fall by at most 0.05 dB from float32's. The check set
  is a tiny validation set made the same way as the project's, so the same threshold applies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..resources import resource_path
from .choices import Int8Verdict
from .progress import CancelCheck, raise_if_cancelled

CHECK_SET_FILE = ("int8", "check_set.npz")


@dataclass(frozen=True)
class CheckSet:
    blurry: np.ndarray  # (N, H, W, 3) uint8
    sharp: np.ndarray
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Int8Check:
    verdict: Int8Verdict
    agreements_db: tuple[float, ...]  # int8 against float32, per photo (the worst is the verdict's)
    changes_db: tuple[float, ...]  # int8's PSNR against the sharp photo minus float32's, per photo


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


def verdict_from(agreements: dict[str, float], changes: list[float]) -> Int8Verdict:
    """The worst photo's agreement counts (Int8Verdict.over_photos); the change is the mean over the
    photos, as on a validation set."""
    return Int8Verdict.over_photos({name: float(db) for name, db in agreements.items()}, float(np.mean(changes)))


def check_int8(model, check_set: CheckSet | None = None, cancel: CancelCheck | None = None,
               progress: Callable[[int, int], None] | None = None) -> Int8Check:
    """Run the check set through OpenVINO float32 and int8 (quantised now if not cached) and compare.

    Raises Int8Unavailable when no int8 model can be made, Cancelled when ``cancel`` is set (checked
    within every pass); ``progress(done, total)`` after each photo.
    """
    from .inference import Deblurrer, EngineOptions
    from .openvino_backend import Int8Unavailable

    check_set = check_set or load_check_set()
    engines = {name: Deblurrer(model, EngineOptions(device="cpu", precision=name, backend="openvino", tile=0))
               for name in ("fp32", "int8")}
    engines["int8"].prepare(cancel)
    if engines["int8"].precision_name != "int8":
        raise Int8Unavailable("; ".join(engines["int8"].pending_notes) or engines["int8"].precision.reason)
    agreements: dict[str, float] = {}
    changes: list[float] = []
    total = len(check_set.blurry)
    for index, (blurry, sharp) in enumerate(zip(check_set.blurry, check_set.sharp)):
        raise_if_cancelled(cancel)
        pixels, target = blurry.astype(np.float32) / 255.0, sharp.astype(np.float32) / 255.0
        exact = engines["fp32"].run(pixels, cancel=cancel).full
        fast = engines["int8"].run(pixels, cancel=cancel).full
        agreements[photo_name(check_set, index)] = psnr(fast, exact)
        changes.append(psnr(fast, target) - psnr(exact, target))
        if progress is not None:
            progress(index + 1, total)
    return Int8Check(verdict_from(agreements, changes), tuple(agreements.values()), tuple(changes))


def photo_name(check_set: CheckSet, index: int) -> str:
    """'coffee (check set crop 3)': the photo a crop comes from, as its source line names it."""
    return f"{check_set.sources[index].split(':')[0]} (check set crop {index + 1})"


def record_verdict(model, check: Int8Check, path: Path | None = None, details: dict | None = None) -> None:
    """Record a verdict measured on the check set in a verdicts file (default: the user's)."""
    import datetime
    import platform

    from .devices import cpu_features
    from .fastest import runtime_version
    from .openvino_backend import int8_key, record_int8_verdict, shipped_int8_plan, user_verdicts_file

    record_int8_verdict(path or user_verdicts_file(), int8_key(model, shipped_int8_plan()), check.verdict, {
        "agreements_db": [round(float(a), 2) for a in check.agreements_db],
        "changes_db": [round(float(c), 4) for c in check.changes_db],
        "runtime": runtime_version(), "cpu": f"{platform.machine()} {' '.join(sorted(cpu_features()))}",
        "date": datetime.date.today().isoformat(), **(details or {}),
    })
