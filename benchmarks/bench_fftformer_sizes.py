"""Why FFTformer's ratio to the plain MIMO-UNet pass depends on the photo's size (issue 26).

At 1280x720 FFTformer's default path was 2.31x the plain MIMO-UNet float32 pass, at 640x360 5.5x (two idle runs,
session 11 and 9). This times, in one process and round by round at each size, the two sides of that ratio per
pixel:

- the plain MIMO-UNet float32 forward (torch, NCHW, the issue's reference) on the photo's own size, and on the
  size padded to FFTformer's multiple of 32 (to separate the padding from the reference's own scaling);
- FFTformer's compiled OpenVINO float32 model (the engine's own IR, compiled as the runner compiles it:
  bench_fftformer_gap.bare_request) on the padded size, which is what the default path runs whole.

It prints seconds per megapixel of the photo (what the user asked for) and of the pixels computed, and for each
size the ratio FFTformer / plain MIMO-UNet, so the change of the ratio splits into: the reference's per-pixel cost,
FFTformer's per-pixel cost, and the padding.

    nice -n 10 python benchmarks/bench_fftformer_sizes.py [--sizes 360x640,720x1280] [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_fftformer_gap import bare_request, fftformer  # noqa: E402
from bench_networks import photo, plain_mimo_forward  # noqa: E402
from deblur_app.engine.devices import cpu_features  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.engine.tiling import round_up  # noqa: E402
from deblur_app.model.registry import architecture_of  # noqa: E402


def time_size(height: int, width: int, runs: int, engine: Deblurrer, mimo) -> dict[str, float]:
    padded_h, padded_w = round_up(height, 32), round_up(width, 32)
    image, padded = photo(height, width), photo(padded_h, padded_w)
    tensor = np.ascontiguousarray(padded.transpose(2, 0, 1))[None]
    bare = bare_request(engine, padded_h, padded_w)
    paths = {"mimo": lambda: mimo(image), "mimo-padded": lambda: mimo(padded), "fftformer": lambda: bare(tensor)}
    times: dict[str, list[float]] = {name: [] for name in paths}
    for run in paths.values():
        run()  # compiled shape, allocator
    for _ in range(runs):
        for name, run in paths.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
            print(f"  {width}x{height} {name}: {times[name][-1]:.2f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="360x640,720x1280")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--weights", type=Path, default=REPO / "weights" / "mimo-unet.safetensors")
    args = parser.parse_args()
    engine = Deblurrer(fftformer(), EngineOptions(backend="openvino", precision="fp32"), architecture_of("fftformer"))
    engine.prepare()
    mimo = plain_mimo_forward(args.weights)
    results = {}
    for size in args.sizes.split(","):
        height, width = (int(v) for v in size.split("x"))
        results[(height, width)] = time_size(height, width, args.runs, engine, mimo)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} torch "
          f"threads, {', '.join(sorted(cpu_features()))}; medians of {args.runs}, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(f"{'size':>10s} {'padded':>10s} {'MIMO s/MP':>10s} {'MIMO padded s/MP':>17s} {'FFTformer s/MP':>15s} "
          f"{'(computed)':>11s} {'FFT/MIMO':>9s} {'FFT/MIMO padded':>16s}")
    for (height, width), t in results.items():
        padded_h, padded_w = round_up(height, 32), round_up(width, 32)
        mp, padded_mp = height * width / 1e6, padded_h * padded_w / 1e6
        print(f"{width}x{height:<5d} {padded_w}x{padded_h:<5d} {t['mimo'] / mp:10.2f} {t['mimo-padded'] / padded_mp:17.2f} "
              f"{t['fftformer'] / mp:15.2f} {t['fftformer'] / padded_mp:11.2f} {t['fftformer'] / t['mimo']:9.2f} "
              f"{t['fftformer'] / t['mimo-padded']:16.2f}")


if __name__ == "__main__":
    main()
