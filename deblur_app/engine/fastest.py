"""Which of the paths that keep the picture is fastest on this CPU: measured once, then remembered.

Per-class tables do not hold: on a CPU with AMX, OpenVINO bf16 ran 1.7x faster than int8 (issue 21),
on this project's AVX-512 BF16 EPYC int8 ran 1.15-1.2x faster than bf16, and on AVX2 bf16 is not
native at all; a new network (NAFNet's layer norms, FFTformer's FFTs) moves the ratios again. So
`auto` times the qualifying paths (devices.choose_precision says which qualify) on a small frame
the first time a set of weights runs on a CPU, and keeps the timings in the OpenVINO cache folder,
keyed by the weights, the CPU (model name, the instruction sets oneDNN may use, core count) and
the runtime's version: any of those changing measures again.

A small frame is enough: per pixel, the time of a pass was the same from 320x240 to 1280x720
(benchmarks/RESULTS.md, "Three CPU classes"), so the ratios between paths are those of a photo.
The paths run interleaved round by round, so that a machine busy with other work slows all alike.
No torch here: the runners are callables that take an (1, 3, H, W) float32 array.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from .. import reasons

from .progress import CancelCheck, raise_if_cancelled

TIMING_FRAME = (256, 384)  # height, width: about a tenth of an HD photo
TIMING_ROUNDS = 3  # after one untimed round that compiles each path
# From the most faithful to the least: a less faithful path must be this much faster to be taken,
# so that noise on a busy machine never trades picture for nothing.
FIDELITY_ORDER = ("fp32", "bf16", "int8")
MIN_GAIN = 0.05
TIMINGS_FILE = "path-timings.json"
KEPT_TIMINGS = 32  # entries in the file (weights x CPUs x runtimes); the oldest go

Runner = Callable[..., object]  # (pixels: (1, 3, H, W) float32, cancel) -> anything


def fastest_faithful(timings: Mapping[str, float], paths: tuple[str, ...]) -> str:
    """The path of ``paths`` to run: the fastest, unless a more faithful one is within MIN_GAIN of it."""
    ordered = [p for p in FIDELITY_ORDER if p in paths]
    best = ordered[0]
    for path in ordered[1:]:
        if timings[path] < timings[best] * (1 - MIN_GAIN):
            best = path
    return best


def describe_timings(timings: Mapping[str, float], frame: tuple[int, int] = TIMING_FRAME) -> reasons.Reason:
    """'measured on a 384x256 frame: bf16 0.11 s, int8 0.14 s, fp32 0.31 s' (fastest first)."""
    ranked = sorted(timings.items(), key=lambda item: item[1])
    return reasons.reason(reasons.MEASURED_ON, frame=f"{frame[1]}x{frame[0]}",
                          timings=", ".join(f"{p} {s:.2f} s" for p, s in ranked))


def timing_frame(frame: tuple[int, int] = TIMING_FRAME) -> np.ndarray:
    """A fixed photo-like (1, 3, H, W) float32 frame: the same work on every machine."""
    y, x = np.mgrid[0 : frame[0], 0 : frame[1]].astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 0.05, (3, *frame)).astype(np.float32)
    base = 0.5 + 0.25 * np.sin(x / 13.0) * np.cos(y / 19.0)
    return np.clip(base[None] + noise, 0, 1)[None].astype(np.float32)


def measure_paths(runners: Mapping[str, Runner], cancel: CancelCheck | None = None,
                  frame: tuple[int, int] = TIMING_FRAME, rounds: int = TIMING_ROUNDS) -> dict[str, float]:
    """Median seconds of one pass per path on a frame; Cancelled (nothing measured) when ``cancel`` is set."""
    pixels = timing_frame(frame)
    for runner in runners.values():  # compiles each path for the frame's shape: not timed
        raise_if_cancelled(cancel)
        runner(pixels, cancel)
    seconds: dict[str, list[float]] = {path: [] for path in runners}
    for _ in range(rounds):
        for path, runner in runners.items():
            raise_if_cancelled(cancel)
            started = time.perf_counter()
            runner(pixels, cancel)
            seconds[path].append(time.perf_counter() - started)
    return {path: statistics.median(values) for path, values in seconds.items()}


# ---------------------------------------------------------------- the cache


def cpu_identity(features: frozenset[str]) -> str:
    """The CPU as far as speed goes: its model name, the instruction sets oneDNN may use, its cores."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            name = next((line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")), name)
    except OSError:
        pass
    return f"{name} | {' '.join(sorted(features))} | {os.cpu_count()} cores"


def runtime_version() -> str:
    """OpenVINO's version, read without importing it (that takes a while)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"openvino {version('openvino')}"
    except PackageNotFoundError:
        return "openvino missing"


def timing_key(weights: str, paths: tuple[str, ...], cpu: str, runtime: str) -> str:
    """Names one measurement: a new CPU, runtime, weights (or set of qualifying paths) measures again."""
    text = "\n".join((weights, ",".join(sorted(paths)), cpu, runtime))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def load_timings(folder: Path, key: str) -> dict[str, float] | None:
    record = _read(folder / TIMINGS_FILE).get(key)
    if not isinstance(record, dict):
        return None
    try:
        return {str(path): float(seconds) for path, seconds in record["seconds"].items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def store_timings(folder: Path, key: str, timings: Mapping[str, float], details: Mapping[str, str]) -> None:
    """Add one measurement (written atomically); best effort: an unwritable cache measures again next time."""
    path = folder / TIMINGS_FILE
    data = _read(path)
    data[key] = {"seconds": {p: round(s, 4) for p, s in timings.items()}, "at": time.time(), **details}
    for stale in sorted(data, key=lambda k: data[k].get("at", 0) if isinstance(data[k], dict) else 0)[:-KEPT_TIMINGS]:
        del data[stale]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        pass


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
