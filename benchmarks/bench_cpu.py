"""CPU speed, memory and agreement of every inference path, against the plain float32 forward.

One process times all paths on the same 1280x720 photo, interleaved round by
round (so a busy machine slows them alike), and reports medians and ratios to
the plain published forward pass (float32, NCHW, published fusion). Peak
memory of each path is measured in a fresh spawned process that runs it once
(ru_maxrss), since a process's high-water mark cannot be reset. A 12-megapixel
photo goes through the engine's default (tiled) path, and the window's quick
preview of a 1-megapixel view (with the context margin the window adds) through
the default path too.

    python benchmarks/bench_cpu.py [--model weights/mimo-unet.safetensors] [--runs 3] [--quick]
"""

from __future__ import annotations

import argparse
import glob
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app.engine.devices import CPU_FEATURES, cpu_features, cpu_has_native_bf16  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.engine.openvino_backend import openvino_available  # noqa: E402
from deblur_app.gui.imaging import preview_region  # noqa: E402  (numpy only: no Qt)
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402

PHOTOS = "/work/data/photos/train/*.png"


@dataclass(frozen=True)
class PathSpec:
    key: str
    label: str
    exact: bool  # expected to agree with float32 to rounding


PATHS = [
    PathSpec("plain", "plain forward, fp32 NCHW, published fusion (reference)", True),
    PathSpec("channels_last", "torch channels_last, fp32", True),
    PathSpec("lean", "torch lean fusion, fp32 NCHW", True),
    PathSpec("cl_bf16", "torch channels_last + bf16 autocast", False),
    PathSpec("engine_fp32", "engine fp32, torch (channels_last + lean fusion)", True),
    PathSpec("engine_bf16", "engine bf16, torch", False),
    PathSpec("ov_fp32", "engine OpenVINO fp32", True),
    PathSpec("ov_bf16", "engine OpenVINO bf16", False),
    PathSpec("ov_int8", "engine OpenVINO int8 (NNCF)", False),
    PathSpec("default", "engine default (backend auto, precision auto)", False),
]


# ---------------------------------------------------------------- images


def photo(height: int, width: int, seed: int = 0, photos: str = PHOTOS) -> np.ndarray:
    """A sharp training photo resized/cropped to (height, width), then motion-blurred; float RGB in [0, 1]."""
    import cv2

    files = sorted(glob.glob(photos))
    if files:
        image = cv2.cvtColor(cv2.imread(files[seed % len(files)], cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        image = image.astype(np.float32) / 255.0
        scale = max(height / image.shape[0], width / image.shape[1])
        size = (max(width, round(image.shape[1] * scale)), max(height, round(image.shape[0] * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_CUBIC)
        top, left = (image.shape[0] - height) // 2, (image.shape[1] - width) // 2
        image = image[top : top + height, left : left + width]
    else:  # synthetic texture when no photos are present
        rng = np.random.default_rng(seed)
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        image = 0.5 + 0.3 * np.sin(x / 13.0)[..., None] * np.cos(y / 29.0)[..., None] * np.array([1.0, 0.6, 0.3])
        image = image + rng.normal(0, 0.08, (height, width, 3))
    kernel = np.zeros((15, 15), np.float32)
    kernel[7, :] = 1.0  # 15-pixel motion blur at 30 degrees
    rotation = cv2.getRotationMatrix2D((7, 7), 30, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (15, 15))
    kernel /= kernel.sum()
    blurred = cv2.filter2D(np.ascontiguousarray(image, np.float32), -1, kernel, borderType=cv2.BORDER_REFLECT)
    return np.clip(blurred, 0.0, 1.0).astype(np.float32)


# ---------------------------------------------------------------- runners


def make_runner(key: str, weights: Path):
    """A function (H, W, 3) image -> full-scale output (H, W, 3) in [0, 1]."""
    checkpoint = load_checkpoint(weights)
    if key in ("plain", "channels_last", "lean", "cl_bf16"):
        model = checkpoint.build(lean_fusion=(key == "lean")).eval()
        channels_last = key in ("channels_last", "cl_bf16")
        if channels_last:
            model = model.to(memory_format=torch.channels_last)

        def run(image: np.ndarray) -> np.ndarray:
            x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
            if channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            with torch.no_grad():
                if key == "cl_bf16":
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        full = model(x)[2].float()
                else:
                    full = model(x)[2]
            return full[0].permute(1, 2, 0).clamp(0, 1).numpy()

        return run
    options = {
        "engine_fp32": EngineOptions(device="cpu", precision="fp32", backend="torch"),
        "engine_bf16": EngineOptions(device="cpu", precision="bf16", backend="torch"),
        "ov_fp32": EngineOptions(device="cpu", precision="fp32", backend="openvino"),
        "ov_bf16": EngineOptions(device="cpu", precision="bf16", backend="openvino"),
        "ov_int8": EngineOptions(device="cpu", precision="int8", backend="openvino"),
        "default": EngineOptions(),
    }[key]
    engine = Deblurrer.from_checkpoint(checkpoint, options)
    if key == "default":
        print(f"# default path: {engine.backend} {engine.precision_name} ({engine.precision.reason})", file=sys.stderr)
    return lambda image: engine.run(image).full


def available_paths() -> list[PathSpec]:
    paths = PATHS
    if not openvino_available():
        paths = [p for p in paths if not p.key.startswith("ov_")]
    if not cpu_has_native_bf16():
        print("note: no native bf16 (or ONEDNN_MAX_CPU_ISA caps it); bf16 rows are left out", file=sys.stderr)
        paths = [p for p in paths if "bf16" not in p.key]
    return paths


def describe_cpu() -> str:
    """The CPU features that decide the fast path, and the oneDNN cap if one is set."""
    flags = set()
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            flags = set(next(line for line in handle if line.startswith("flags")).split(":", 1)[1].split())
    except (OSError, StopIteration):
        pass
    has = ", ".join(f"{name} {'yes' if name in flags else 'no'}" for name in CPU_FEATURES)
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA")
    used = ", ".join(sorted(cpu_features())) or "none"
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; {has}"
            + (f"; ONEDNN_MAX_CPU_ISA={cap}: the app and oneDNN use {used}" if cap else ""))


# ---------------------------------------------------------------- memory, in a fresh process per path


def _peak_rss_bytes() -> int:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss over from the parent through fork and exec, VmHWM starts afresh."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux


def _memory_child(key: str, weights: str, height: int, width: int, queue) -> None:
    try:
        torch.set_num_threads(max(1, os.cpu_count() or 1))
        image = photo(height, width)
        run = make_runner(key, Path(weights))
        before = _peak_rss_bytes()
        started = time.perf_counter()
        run(image)
        seconds = time.perf_counter() - started
        queue.put((key, _peak_rss_bytes(), before, seconds, None))
    except Exception as error:  # report, don't hang the parent
        queue.put((key, 0, 0, 0.0, f"{type(error).__name__}: {error}"))


def measure_in_child(key: str, weights: Path, height: int, width: int) -> tuple[int, int, float, str | None]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_memory_child, args=(key, str(weights), height, width, queue))
    child.start()
    _key, peak, before, seconds, error = queue.get()
    child.join()
    return peak, before, seconds, error


# ---------------------------------------------------------------- main


def agreement(output: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    diff = np.abs(output.astype(np.float64) - reference.astype(np.float64))
    mse = float(np.mean(diff**2))
    return float(diff.max()), (float("inf") if mse == 0 else 10 * np.log10(1.0 / mse))


def gb(value: int) -> str:
    return f"{value / 1e9:.2f} GB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=REPO / "weights" / "mimo-unet.safetensors", help="weights file")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per path after one warm-up (median)")
    parser.add_argument("--quick", action="store_true", help="small images, one run: a smoke test")
    parser.add_argument("--paths", nargs="*", help="only these path keys (plain is always included)")
    parser.add_argument("--no-large", action="store_true", help="skip the 12-megapixel and 1-megapixel rows")
    parser.add_argument("--large-path", default="default", choices=("default", "engine_fp32", "engine_bf16", "ov_fp32", "ov_bf16", "ov_int8"),
                        help="the engine path that runs the 12-megapixel photo (default: the default path)")
    args = parser.parse_args(argv)
    height, width = (240, 320) if args.quick else (720, 1280)
    large = (750, 1000) if args.quick else (3000, 4000)
    preview = (256, 256) if args.quick else (1000, 1000)
    runs = 1 if args.quick else max(1, args.runs)

    paths = available_paths()
    if args.paths:
        paths = [p for p in paths if p.key == "plain" or p.key in args.paths]
    image = photo(height, width)
    print(f"# CPU: {describe_cpu()}")
    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, native bf16: {cpu_has_native_bf16()}, "
          f"OpenVINO: {openvino_available()}", file=sys.stderr)

    runners = {p.key: make_runner(p.key, args.model) for p in paths}
    if not args.no_large:
        runners["preview"] = make_runner("default", args.model)
    # the window's preview: the visible area of a larger photo plus the context margin it adds
    preview_photo = photo(preview[0] + 400, preview[1] + 400, seed=1)
    left, top, w, h = preview_region((200, 200, preview[1], preview[0]), preview_photo.shape[1::-1])
    preview_image = np.ascontiguousarray(preview_photo[top : top + h, left : left + w])
    times: dict[str, list[float]] = {key: [] for key in runners}
    outputs: dict[str, np.ndarray] = {}
    for round_index in range(runs + 1):  # round 0 is the warm-up
        for key, run in runners.items():
            started = time.perf_counter()
            output = run(preview_image if key == "preview" else image)
            elapsed = time.perf_counter() - started
            if round_index == 0:
                outputs[key] = output
            else:
                times[key].append(elapsed)
            print(f"round {round_index} {key}: {elapsed:.2f} s", file=sys.stderr, flush=True)
    del runners

    rows = []
    plain_time = statistics.median(times["plain"])
    reference = outputs["plain"]
    for spec in paths:
        peak, before, _seconds, error = measure_in_child(spec.key, args.model, height, width)
        median = statistics.median(times[spec.key])
        max_diff, psnr = agreement(outputs[spec.key], reference)
        memory = f"{gb(peak)} (+{gb(peak - before)})" if not error else f"failed: {error}"
        agree = "reference" if spec.key == "plain" else f"max {max_diff:.1e}, {psnr:.1f} dB"
        rows.append((spec.label, f"{median:.2f} s", f"{plain_time / median:.2f}x", memory, agree))
        print(f"memory {spec.key}: {memory}", file=sys.stderr, flush=True)

    if not args.no_large:
        median = statistics.median(times["preview"])
        rows.append((f"window preview of a {preview[1]}x{preview[0]} view ({w}x{h} with context), engine default",
                     f"{median:.2f} s", "", "", ""))
        peak, before, seconds, error = measure_in_child(args.large_path, args.model, *large)
        memory = f"{gb(peak)} (+{gb(peak - before)})" if not error else f"failed: {error}"
        label = "engine default" if args.large_path == "default" else next(p.label for p in PATHS if p.key == args.large_path)
        rows.append((f"{large[1]}x{large[0]} ({large[0] * large[1] / 1e6:.0f} MP), {label}, tiled, one cold run",
                     f"{seconds:.1f} s", "", memory, ""))

    print(f"\n{width}x{height}, median of {runs} run(s) after a warm-up, paths interleaved; "
          f"weights {args.model.name}\n")
    print("| path | time | speed-up vs plain | peak RSS (+ over loaded model) | agreement with plain fp32 |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
