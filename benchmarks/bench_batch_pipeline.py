"""Batch time per photo against the network's own time, in one process (issue 21).

Makes ``--photos`` JPEG photos of 1280x720 (a textured synthetic scene with noise: decoding and
encoding cost what a photo's do), loads the engine once (the default path, `auto`; its first-use work
is done before any timing), then, ``--rounds`` times, interleaved:

- forward: ``engine.run`` on each decoded photo (what the network and its padding/stitching take);
- batch: ``jobs.iter_batch`` over the folder (reading, metadata, the network, strength, encoding and
  the atomic writes, with the pipeline of jobs/pipeline.py), from its first photo to its end;
- one by one: the same batch with the pipeline held to one photo in flight (``IN_FLIGHT = 1``), which
  is what the batch did before: read, deblur, write, then the next photo.

Prints the medians per photo and the ratios to the forward time (goal: batch <= 1.15x).

    python benchmarks/bench_batch_pipeline.py                  # 20 photos, 1 round
    python benchmarks/bench_batch_pipeline.py --photos 6 --rounds 2 --precision fp32
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app import imagefiles  # noqa: E402
from deblur_app.engine.devices import cpu_features  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.jobs import pipeline  # noqa: E402
from deblur_app.jobs import run as jobs  # noqa: E402
from deblur_app.jobs.spec import BatchJob  # noqa: E402
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402


def make_photos(folder: Path, count: int, height: int = 720, width: int = 1280) -> None:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    for index in range(count):
        rng = np.random.default_rng(index)
        base = 0.5 + 0.3 * np.sin(x / (11 + index))[..., None] * np.cos(y / 17.0)[..., None] * rng.random(3)
        pixels = np.clip(base + rng.normal(0, 0.04, (height, width, 3)), 0, 1).astype(np.float32)
        imagefiles.save_image(folder / f"photo{index:03d}.jpg", pixels, quality=90)


def time_forward(engine: Deblurrer, folder: Path) -> list[float]:
    seconds = []
    for path in sorted(folder.iterdir()):
        pixels = imagefiles.load_image(path).pixels
        started = time.perf_counter()
        engine.run(pixels)
        seconds.append(time.perf_counter() - started)
    return seconds


def time_batch(engine: Deblurrer, folder: Path, out: Path, in_flight: int) -> float:
    """Seconds per photo from the first photo's start to the end (the checks before it excluded)."""
    pipeline.IN_FLIGHT = in_flight
    first = None
    try:
        for event in jobs.iter_batch(BatchJob(folder, out), lambda: engine):
            if event.kind == "file" and first is None:
                first = time.perf_counter()
            if event.kind == "failed":
                raise SystemExit(f"failed: {event.reason}")
            if event.kind == "end":
                return (time.perf_counter() - first) / event.summary.done
    finally:
        pipeline.IN_FLIGHT = 2
    raise SystemExit("the batch did not end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--model", type=Path, default=REPO / "weights" / "mimo-unet.safetensors")
    args = parser.parse_args()
    print(f"CPU features: {' '.join(sorted(cpu_features()))}")
    engine = Deblurrer.from_checkpoint(load_checkpoint(args.model), EngineOptions(precision=args.precision))
    engine.prepare()  # int8 quantisation / timing of the paths: first use only, not timed
    print(f"engine: {engine.backend} {engine.precision_name} ({engine.precision.reason})")
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as temp:
        folder, out = Path(temp) / "in", Path(temp) / "out"
        folder.mkdir()
        make_photos(folder, args.photos)
        engine.run(imagefiles.load_image(next(folder.iterdir())).pixels)  # compiles the HD shape: not timed
        forward, batch, one_by_one = [], [], []
        for round_index in range(args.rounds):
            forward.extend(time_forward(engine, folder))
            batch.append(time_batch(engine, folder, out / f"pipelined{round_index}", pipeline.IN_FLIGHT))
            one_by_one.append(time_batch(engine, folder, out / f"one-by-one{round_index}", 1))
            print(f"round {round_index + 1}: forward median {statistics.median(forward):.2f} s, batch {batch[-1]:.2f} s "
                  f"per photo, one by one {one_by_one[-1]:.2f} s per photo", flush=True)
    reference = statistics.median(forward)
    print(f"\n{args.photos} photos 1280x720, {args.rounds} round(s), {engine.precision_name}:")
    print("| what | seconds per photo | vs forward |\n|---|---|---|")
    print(f"| forward only (engine.run on a decoded photo), median | {reference:.2f} | 1.00x |")
    for name, values in (("batch (pipelined)", batch), ("batch one photo at a time (before)", one_by_one)):
        value = statistics.median(values)
        print(f"| {name} | {value:.2f} | {value / reference:.2f}x |")


if __name__ == "__main__":
    main()
