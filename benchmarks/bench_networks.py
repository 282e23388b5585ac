"""Speed of every registry network on its default path, as ratios to the plain MIMO-UNet float32 forward.

One process times, round by round (a busy machine slows them alike), the reference -- MIMO-UNet's
plain forward: float32, NCHW, published fusion, whole image, no engine -- and each network's
default path through the engine (`Deblurrer` with default options: what `deblur-app deblur`
runs), then reports medians and the ratio to the reference. Issue 26's goals: NAFNet-64's default
path within 1.3x of MIMO-UNet's default path, FFTformer's no slower than 3x the plain MIMO-UNet.

Weights: MIMO-UNet's are the project's (weights/mimo-unet.safetensors, so its default path is the
one a user gets, int8 where its measured verdict allows); NAFNet and FFTformer get random weights
of the published configurations (speed does not depend on the values; their trained weights are
not reachable from here). The photo is a smooth upscaled texture (tests/data/conformance input).

    python benchmarks/bench_networks.py [--size 720x1280] [--runs 3] [--networks nafnet-64,fftformer]

--size smaller than 720x1280 times fewer pixels; the table also gives seconds scaled to 1280x720
by pixel count (convolutions scale linearly; NAFNet's TLC window is fixed in pixels, so this holds).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app.engine.devices import cpu_features  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.model import networks  # noqa: E402
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402
from deblur_app.model.mimo_unet import MIMOUNet  # noqa: E402
from deblur_app.model.registry import VARIANTS, architecture_of  # noqa: E402

HD = 720 * 1280


def photo(height: int, width: int) -> np.ndarray:
    import cv2

    small = np.load(REPO / "tests" / "data" / "conformance" / "input_64x96.npy")[0].transpose(1, 2, 0)
    return np.clip(cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC), 0, 1).astype(np.float32)


def plain_mimo_forward(weights: Path):
    model = MIMOUNet(num_res=8)
    model.load_state_dict(load_checkpoint(weights).state_dict)
    model.eval()

    def run(image: np.ndarray) -> None:
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))[None]
        with torch.inference_mode():
            model(x)

    return run


def engine_path(variant: str, weights: Path):
    if variant.startswith("mimo"):
        engine = Deblurrer.from_checkpoint(load_checkpoint(weights), EngineOptions())
    else:
        model = networks.build(architecture_of(variant), VARIANTS[variant].config_dict)
        engine = Deblurrer(model, EngineOptions(), architecture_of(variant))
    engine.prepare()  # the OpenVINO export / int8 model: first-use work, not per-photo time
    return engine, lambda image: engine.run(image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="360x640", help="HEIGHTxWIDTH (default 360x640, a quarter of 1280x720)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--networks", default="mimo-unet,nafnet-64,nafnet-32,fftformer")
    parser.add_argument("--weights", type=Path, default=REPO / "weights" / "mimo-unet.safetensors")
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    image = photo(height, width)
    paths = {"plain MIMO-UNet fp32 (reference)": plain_mimo_forward(args.weights)}
    for variant in args.networks.split(","):
        engine, run = engine_path(variant, args.weights)
        paths[f"{variant} default ({engine.backend} {engine.precision_name})"] = run
    times: dict[str, list[float]] = {name: [] for name in paths}
    for name, run in paths.items():  # warm-up: compiled shapes, allocator
        run(image)
    for _ in range(args.runs):
        for name, run in paths.items():
            started = time.perf_counter()
            run(image)
            times[name].append(time.perf_counter() - started)
    reference = statistics.median(next(iter(times.values())))
    scale = HD / (height * width)
    print(f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, CPU features: "
          f"{', '.join(sorted(cpu_features())) or 'none found'}; {width}x{height}, median of {args.runs}")
    print(f"{'path':58s} {'seconds':>8s} {'at 1280x720':>12s} {'x plain MIMO':>13s}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:58s} {median:8.2f} {median * scale:12.1f} {median / reference:13.2f}")


if __name__ == "__main__":
    main()
