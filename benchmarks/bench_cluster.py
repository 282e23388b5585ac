"""What Ray costs: the same folder of HD photos through the local batch and ``batch --cluster local``.

Runs, in one go and interleaved on the same photos, the command a user types:

    deblur-app batch IN OUT                                  (the local batch)
    deblur-app batch IN OUT --cluster local --workers 1
    deblur-app batch IN OUT --cluster local --workers 2

each as a fresh process, and times every photo as its line comes out. Reported:

* start-up: from the command's start to its first finished photo, less that photo's
  steady-state time (the local batch's is loading the model; the cluster's adds
  starting Ray and the worker pool);
* per photo, once started: the mean interval between finished photos after the first,
  and its ratio to the local batch's (Ray's per-photo overhead; with 2 workers, the
  throughput a second worker adds on this machine).

    python benchmarks/bench_cluster.py [--photos 8] [--size 1280x720] [--rounds 1] [-- extra batch options]

Photos: sharp photos from --source (a folder) cropped to --size and blurred, or a
synthetic texture when none are given. Weights: the installed ones (or --weights).
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app import imagefiles  # noqa: E402

RUNS = {
    "local batch": [],
    "--cluster local --workers 1": ["--cluster", "local", "--workers", "1"],
    "--cluster local --workers 2": ["--cluster", "local", "--workers", "2"],
}


def make_photos(folder: Path, count: int, width: int, height: int, source: Path | None) -> None:
    import cv2

    folder.mkdir(parents=True)
    sources = sorted(p for p in source.iterdir() if imagefiles.is_supported(p))[:count] if source else []
    rng = np.random.default_rng(0)
    kernel = np.zeros((15, 15), np.float32)
    kernel[7, :] = 1 / 15  # a 15-pixel horizontal shake
    for i in range(count):
        if sources:
            pixels = imagefiles.load_image(sources[i % len(sources)]).pixels
            scale = max(width / pixels.shape[1], height / pixels.shape[0])
            pixels = cv2.resize(pixels, (round(pixels.shape[1] * scale + 0.5), round(pixels.shape[0] * scale + 0.5)),
                                interpolation=cv2.INTER_AREA)[:height, :width]
        else:
            y, x = np.mgrid[0:height, 0:width].astype(np.float32)
            pixels = 0.5 + 0.3 * np.sin(x / (9 + i))[..., None] * np.cos(y / 13)[..., None] * np.array([1, 0.7, 0.4])
            pixels = np.clip(pixels + rng.normal(0, 0.04, pixels.shape), 0, 1).astype(np.float32)
        imagefiles.save_image(folder / f"photo{i:03d}.png", np.clip(cv2.filter2D(pixels, -1, kernel), 0, 1))


def timed_batch(photos: Path, out: Path, options: list[str]) -> tuple[float, list[float]]:
    """Total seconds and the time (from the command's start) at which each photo was done."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "deblur_app", "batch", str(photos), str(out), *options]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    finished = [time.monotonic() - started for line in process.stdout if " -> " in line]
    errors = process.stderr.read()
    if process.wait() != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{errors[-3000:]}")
    return time.monotonic() - started, finished


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--rounds", type=int, default=1, help="repeat the three runs, interleaved; medians are shown")
    parser.add_argument("--source", type=Path, help="a folder of sharp photos to crop and blur")
    parser.add_argument("batch_options", nargs="*", help="after --: options for every batch command")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))

    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as scratch:
        photos = Path(scratch) / "photos"
        make_photos(photos, args.photos, width, height, args.source)
        results: dict[str, list[tuple[float, list[float]]]] = {name: [] for name in RUNS}
        for _ in range(args.rounds):
            for name, options in RUNS.items():
                results[name].append(timed_batch(photos, Path(scratch) / "out", options + args.batch_options))
                print(f"  {name}: {results[name][-1][0]:.1f} s", file=sys.stderr)

    rows = {}
    for name, runs in results.items():
        per_photo = statistics.median(statistics.mean(np.diff(done)) for _, done in runs)
        startup = statistics.median(done[0] - per_photo for _, done in runs)
        rows[name] = (statistics.median(total for total, _ in runs), startup, per_photo)
    local_total, local_startup, local_per_photo = rows["local batch"]
    cores = os.cpu_count()
    print(f"\n{args.photos} photos of {width}x{height}, {args.rounds} round(s); {cpu_name()}, {cores} cores; "
          f"batch options: {' '.join(args.batch_options) or '(defaults)'}\n")
    print("| run | total | start-up | per photo, once started | per photo vs local batch | start-up vs local batch |")
    print("|---|---|---|---|---|---|")
    for name, (total, startup, per_photo) in rows.items():
        print(f"| {name} | {total:.1f} s | {startup:.1f} s | {per_photo:.2f} s | {per_photo / local_per_photo:.2f}x "
              f"| {startup - local_startup:+.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
