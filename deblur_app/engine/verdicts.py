"""What each fast path does to the picture for any weights: one verdict per (weights, path), measured on
the check set that ships with the app.

Agreement with float32 depends on the weights, not only on the network: the starter MIMO-UNet's int8
agreed at 47 dB on one photo and 39 dB on another (issue 22), and trained NAFNet weights could differ
from the test weights by as much. So `auto` takes a fast path (choices.FAST_PATHS: int8 on OpenVINO,
bf16 on OpenVINO or torch) only for weights with a qualifying verdict for that path
(devices.choose_precision); without one it runs float32 and says why. The starter weights ship with
theirs (resources/int8/verdicts.json); weights a user installs get theirs here, when `deblur-app
weights` installs or downloads them, with `deblur-app weights check`, or the first time the window
loads them, in the background (cancelled by any run, measured again next time).

The rule (choices.PathVerdict.qualifies), for every path alike: the fast path agrees with float32
(the same backend in float32) at >= 45 dB on every photo of the check set, the worst counts, over at
least INT8_MIN_CHECK_PHOTOS photos; on every photo 99.9 % of the pixel values are within
MAX_PIXEL_ERROR of float32's (a mean measure hid int8's softer strongest edges, issue 21); and the mean
PSNR against the sharp originals falls by at most 0.05 dB (the stand-in for a validation set,
engine/int8_check.py). A record measured before the per-pixel bound is no verdict under it: the path is
measured again, as for new weights. Nothing is recorded before the
last photo is measured: a cancelled check (Ctrl+C, a run starting) records nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import reasons
from .choices import PathVerdict, pixel_error
from . import int8_check
from .int8_check import CheckSet, photo_name, psnr
from .progress import CancelCheck, Cancelled, raise_if_cancelled


class PathUnavailable(Exception):
    """The fast path cannot run here (no OpenVINO, NNCF, native bf16; the network has no such path)."""


@dataclass(frozen=True)
class PathCheck:
    path: str  # "openvino-bf16" (choices.FAST_PATHS)
    verdict: PathVerdict
    agreements_db: tuple[float, ...]  # the fast path against float32, per photo (the worst is the verdict's)
    pixel_errors: tuple[float, ...]  # choices.pixel_error against float32, per photo (the largest is the verdict's)
    changes_db: tuple[float, ...]  # the fast path's PSNR against the sharp photo minus float32's, per photo


def check_path(model, path: str, check_set: CheckSet | None = None, cancel: CancelCheck | None = None,
               progress: Callable[[int, int], None] | None = None) -> PathCheck:
    """Run the check set through ``path`` and through float32 on the same backend, photo by photo, and compare.

    Raises PathUnavailable (int8: its subclass Int8Unavailable too) when the path cannot run here,
    Cancelled when ``cancel`` is set (checked within every pass); ``progress(done, total)`` after each photo.
    """
    from .inference import Deblurrer, EngineOptions
    from .openvino_backend import OpenVinoUnavailable

    backend, precision = path.rsplit("-", 1)
    check_set = check_set or int8_check.load_check_set()
    try:
        exact, fast = (Deblurrer(model, EngineOptions(device="cpu", precision=name, backend=backend, tile=0))
                       for name in ("fp32", precision))
        fast.prepare(cancel)
    except (OpenVinoUnavailable, Cancelled):
        raise
    except Exception as error:  # DeviceError: the network has no such path, OpenVINO missing
        raise PathUnavailable(reasons.of(error)) from None
    if (fast.backend, fast.precision_name) != (backend, precision):  # fell back: nothing to measure
        raise PathUnavailable(reasons.joined(*fast.pending_notes) if fast.pending_notes else fast.precision.reason)
    agreements: dict[str, float] = {}
    errors: dict[str, float] = {}
    changes: list[float] = []
    total = len(check_set.blurry)
    for index, (blurry, sharp) in enumerate(zip(check_set.blurry, check_set.sharp)):
        raise_if_cancelled(cancel)
        pixels, target = blurry.astype(np.float32) / 255.0, sharp.astype(np.float32) / 255.0
        reference = exact.run(pixels, cancel=cancel).full
        fast_run = fast.run(pixels, cancel=cancel)
        if fast_run.torch_tiles:  # a size no export of the path serves ran in torch float32: not the path measured
            raise PathUnavailable(reasons.joined(*fast_run.notes))
        result = fast_run.full
        agreements[photo_name(check_set, index)] = psnr(result, reference)
        errors[photo_name(check_set, index)] = pixel_error(result, reference)
        changes.append(psnr(result, target) - psnr(reference, target))
        if progress is not None:
            progress(index + 1, total)
    verdict = PathVerdict.over_photos(agreements, float(np.mean(changes)), precision, errors)
    return PathCheck(path, verdict, tuple(agreements.values()), tuple(errors.values()), tuple(changes))


def record(model, check: PathCheck, file: Path | None = None, details: dict | None = None) -> None:
    """Record a verdict measured on the check set in a verdicts file (default: the user's)."""
    import datetime
    import platform

    from .devices import cpu_features
    from .fastest import runtime_version
    from .openvino_backend import record_path_verdict, user_verdicts_file, verdict_key

    import torch

    # the runtime that computed the path: a torch path's verdict had named OpenVINO's version
    runtime = f"torch {torch.__version__}" if check.path.startswith("torch-") else runtime_version()
    record_path_verdict(file or user_verdicts_file(), verdict_key(model, check.path), check.verdict, {
        "path": check.path,
        "agreements_db": [round(float(a), 2) for a in check.agreements_db],
        "pixel_errors": [round(float(e), 4) for e in check.pixel_errors],
        "changes_db": [round(float(c), 4) for c in check.changes_db],
        "runtime": runtime, "cpu": f"{platform.machine()} {' '.join(sorted(cpu_features()))}",
        "date": datetime.date.today().isoformat(), **(details or {}),
    })


def runnable_paths(architecture, backends: tuple[str, ...]) -> tuple[str, ...]:
    """The fast paths of a network (registry: ``precisions``) that `auto` could take on this machine with one
    of ``backends``: int8 on OpenVINO with NNCF, bf16 on a CPU that computes it natively."""
    import importlib.util

    from .choices import fast_path
    from .devices import cpu_has_native_bf16
    from .openvino_backend import openvino_available

    paths = []
    for backend in backends:
        if backend == "openvino" and not (architecture.openvino and openvino_available()):
            continue
        if backend == "openvino" and "int8" in architecture.precisions and importlib.util.find_spec("nncf"):
            paths.append(fast_path(backend, "int8"))
        if "bf16" in architecture.precisions and cpu_has_native_bf16():
            paths.append(fast_path(backend, "bf16"))
    return tuple(paths)
