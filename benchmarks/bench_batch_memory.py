"""Does a long batch grow in memory? Peak RSS of `deblur-app batch` at photo 20 and at photo 200.

Makes 200 photos of 1-2 megapixels (sizes vary, smooth texture with noise, JPEG), runs
`deblur-app batch` over them in a child process and samples its memory from /proc
(Linux) every 50 ms: the peak resident memory (VmHWM) when the 20th output appears,
half-way (to tell a plateau from steady growth) and when the batch ends. A loop that
keeps something per photo (results, tiles, events, log lines, torch caches) shows as
growth that goes on after the first large photos.

    python benchmarks/bench_batch_memory.py                    # 200 photos, fast network stand-in
    python benchmarks/bench_batch_memory.py --network          # the real network (hours on a CPU)
    python benchmarks/bench_batch_memory.py --photos 60 --early 10

By default the network's forward pass is replaced, inside the batch process only, by
its cheapest stand-in with the same outputs (the ½, ¼ and full input images), so the
run takes minutes: everything else of the batch is real, the CLI, planning, reading,
the engine's padding, tiling and stitching, torch tensors, strength, encoding and the
atomic writes. --network runs MIMO-UNet with random weights of the real size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app import imagefiles  # noqa: E402

# Runs in the batch process before the command line: the network's stand-in (see the docstring).
STAND_IN = """
import torch.nn.functional as F
from deblur_app.model import mimo_unet

def stand_in(self, x):
    x_2 = F.interpolate(x, scale_factor=0.5)
    return [F.interpolate(x_2, scale_factor=0.5), x_2, x.clone()]

mimo_unet.MIMOUNet.forward = stand_in
"""
RUN_CLI = "import sys\nfrom deblur_app.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"


def make_photos(folder: Path, count: int, seed: int = 0) -> float:
    """``count`` JPEGs of 1-2 MP; returns their mean size in megapixels."""
    rng = np.random.default_rng(seed)
    megapixels = []
    for index in range(count):
        width = int(rng.integers(1150, 1650)) // 4 * 4
        height = int(rng.integers(850, 1220)) // 4 * 4
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        base = 0.5 + 0.25 * np.sin(x / (9 + index % 7))[..., None] * np.cos(y / 13)[..., None] * np.array([1, 0.7, 0.4])
        pixels = np.clip(base + rng.normal(0, 0.04, (height, width, 3)), 0, 1).astype(np.float32)
        imagefiles.save_image(folder / f"photo{index:03d}.jpg", pixels, quality=90)
        megapixels.append(width * height / 1e6)
    return float(np.mean(megapixels))


def memory_kb(pid: int) -> dict[str, int]:
    try:
        with open(f"/proc/{pid}/status") as handle:
            fields = dict(line.split(":", 1) for line in handle if ":" in line)
    except OSError:
        return {}
    return {key: int(fields[key].split()[0]) for key in ("VmRSS", "VmHWM") if key in fields}


def run_batch(source: Path, out: Path, weights: Path, args) -> dict:
    prelude = "" if args.network else STAND_IN
    command = [sys.executable, "-c", prelude + RUN_CLI, "batch", str(source), str(out), "--weights", str(weights),
               "--device", "cpu", "--backend", "torch", "--precision", args.precision]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    at_early, at_half, last, samples = None, None, {}, []
    while child.poll() is None:
        memory = memory_kb(child.pid)
        if memory:
            last = memory
            done = sum(1 for p in out.glob("*.jpg") if not p.name.startswith("."))
            samples.append((round(time.monotonic() - started, 2), done, memory["VmRSS"], memory["VmHWM"]))
            if at_early is None and done >= args.early:
                at_early = {"photos_done": done, **memory}
            if at_half is None and done >= args.photos // 2:
                at_half = {"photos_done": done, **memory}
        time.sleep(0.05)
    stderr = child.stderr.read()
    if child.returncode != 0:
        raise SystemExit(f"the batch failed ({child.returncode}):\n{stderr}")
    done = sum(1 for p in out.glob("*.jpg") if not p.name.startswith("."))
    return {"seconds": round(time.monotonic() - started, 1), "early": at_early, "half": at_half,
            "end": {"photos_done": done, **last}, "summary": stderr.strip().splitlines()[-1], "samples": samples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--early", type=int, default=20, help="the photo whose peak memory is the baseline")
    parser.add_argument("--network", action="store_true", help="run the real network instead of its stand-in")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--json", type=Path, help="also write the numbers (and the samples) here")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("needs Linux (/proc/<pid>/status)")

    from deblur_app.model.checkpoints import save_checkpoint
    from deblur_app.model.mimo_unet import build_model

    with tempfile.TemporaryDirectory(prefix="bench-batch-memory-") as folder:
        folder = Path(folder)
        source, out = folder / "in", folder / "out"
        source.mkdir()
        print(f"making {args.photos} photos…", flush=True)
        mean_mp = make_photos(source, args.photos)
        weights = save_checkpoint(folder / "mimo-unet.safetensors", build_model("mimo-unet"), {"trained_by": "bench"})
        print("running the batch…", flush=True)
        result = run_batch(source, out, weights, args)
    early, half, end = result["early"], result["half"], result["end"]
    print(f"\n{args.photos} photos of {mean_mp:.2f} MP on average, "
          f"{'MIMO-UNet (random weights)' if args.network else 'network stand-in'}, {args.precision}, "
          f"{result['seconds']:.0f} s; {result['summary']}")
    for point in (early, half, end):
        print(f"peak RSS at photo {point['photos_done']:>3}: {point['VmHWM'] / 1024:8.1f} MiB "
              f"(RSS now {point['VmRSS'] / 1024:.1f})")
    print(f"growth of the peak: {(half['VmHWM'] - early['VmHWM']) / 1024:+.1f} MiB from photo {early['photos_done']} "
          f"to {half['photos_done']}, {(end['VmHWM'] - half['VmHWM']) / 1024:+.1f} MiB from there to {end['photos_done']}")
    if args.json:
        args.json.write_text(json.dumps({"photos": args.photos, "mean_megapixels": mean_mp, "network": args.network,
                                         "precision": args.precision, **result}, indent=1))


if __name__ == "__main__":
    main()
