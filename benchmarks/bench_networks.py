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

    python benchmarks/bench_networks.py [--size 720x1280] [--runs 3] [--networks nafnet-64,fftformer] [--measure-12mp]
                                       [--paths nafnet-64:openvino-bf16,nafnet-64:torch-bf16]

--paths also times a network on a path forced by name (BACKEND-PRECISION), whatever `auto` would pick: NAFNet and
FFTformer take bf16 only for weights with a qualifying bf16 verdict (engine/verdicts.py), which random weights
have not, and speed does not depend on the weights' values, so this shows what their default path becomes once
a user's weights qualify (issue 26: NAFNet-64 within 1.3x of MIMO-UNet's default).

Besides the ratio to the plain MIMO-UNet float32 forward, each network's default path is given as a
ratio to MIMO-UNet's default path (issue 26: NAFNet-64 within 1.3x), and the whole process's peak for a
12 MP photo as the engine's planner models it (the tiles it picks keep it within 1.5 GB);
--measure-12mp also measures it end to end with the command line.

--size smaller than 720x1280 times fewer pixels; the table also gives seconds scaled to 1280x720
by pixel count (convolutions scale linearly; NAFNet's TLC window is fixed in pixels, so this holds).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from deblur_app.engine.devices import cpu_features  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.engine.tiling import round_up  # noqa: E402
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


def engine_path(variant: str, weights: Path, path: str = ""):
    """The engine on ``path`` ("openvino-bf16"; "": the default path, what `auto` picks), and a run of it."""
    backend, precision = path.rsplit("-", 1) if path else ("auto", "auto")
    options = EngineOptions(backend=backend, precision=precision)
    if variant.startswith("mimo"):
        engine = Deblurrer.from_checkpoint(load_checkpoint(weights), options)
    else:
        model = networks.build(architecture_of(variant), VARIANTS[variant].config_dict)
        engine = Deblurrer(model, options, architecture_of(variant))
    engine.prepare()  # the OpenVINO export / int8 model: first-use work, not per-photo time
    return engine, lambda image: engine.run(image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="360x640", help="HEIGHTxWIDTH (default 360x640, a quarter of 1280x720)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--networks", default="mimo-unet,nafnet-64,nafnet-32,fftformer")
    parser.add_argument("--weights", type=Path, default=REPO / "weights" / "mimo-unet.safetensors")
    parser.add_argument("--paths", default="", help="NETWORK:BACKEND-PRECISION,... also time these networks on these "
                        "paths, forced (e.g. nafnet-64:openvino-bf16)")
    parser.add_argument("--measure-12mp", action="store_true",
                        help="also run deblur-app deblur on a 12 MP photo per network and report its peak RSS "
                             "(benchmarks/bench_network_memory.py 12mp; FFTformer takes hours on 2 cores)")
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    image = photo(height, width)
    paths = {"plain MIMO-UNet fp32 (reference)": plain_mimo_forward(args.weights)}
    peaks = {}
    for variant in args.networks.split(","):
        engine, run = engine_path(variant, args.weights)
        name = f"{variant} default ({engine.backend} {engine.precision_name})"
        paths[name] = run
        # the planner's model of the whole process (engine/inference.py), on the backend it picks for 12 MP
        backend, tile = engine.plan_photo(round_up(3000, engine.size_multiple), round_up(4000, engine.size_multiple))
        peaks[name] = engine.modelled_peak_bytes(3000, 4000, tile, backend)
    for forced in filter(None, args.paths.split(",")):
        variant, path = forced.split(":")
        engine, run = engine_path(variant, args.weights, path)
        paths[f"{variant} forced ({engine.backend} {engine.precision_name})"] = run
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
    print(f"{'path':58s} {'seconds':>8s} {'at 1280x720':>12s} {'x plain MIMO':>13s} {'12 MP peak (modelled)':>22s}")
    for name, values in times.items():
        median = statistics.median(values)
        peak = f"{peaks[name] / 1e9:.2f} GB" if name in peaks else ""
        print(f"{name:58s} {median:8.2f} {median * scale:12.1f} {median / reference:13.2f} {peak:>22s}")
    mimo_default = next((n for n in times if n.startswith("mimo-unet default")), None)
    if mimo_default:
        base = statistics.median(times[mimo_default])
        for name, values in times.items():
            if (" default " in name or " forced " in name) and name != mimo_default:
                print(f"{name} / MIMO-UNet's default path: {statistics.median(values) / base:.2f}x")
    if args.measure_12mp:
        from bench_network_memory import cli_peak, photo as texture
        from deblur_app import imagefiles

        with tempfile.TemporaryDirectory(prefix="bench-networks-") as folder:
            source = Path(folder) / "photo-12mp.jpg"
            imagefiles.save_image(source, texture(3000, 4000), quality=90)
            for variant in args.networks.split(","):
                peak, seconds, _last = cli_peak(variant, Path(folder), source)
                print(f"{variant}: deblur-app deblur on 4000x3000, peak RSS {peak / 1e9:.2f} GB (measured), {seconds:.0f} s")


if __name__ == "__main__":
    main()
