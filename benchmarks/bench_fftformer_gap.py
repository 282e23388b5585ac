"""Where FFTformer's default path spends time beyond its bare compiled OpenVINO model (issue 26).

The lead saw the bare compiled OpenVINO float32 model take 14.35 s at 384x640 (bench_fftformer_precision.py,
idle) where the engine's default path took 19.89 s at 360x640 (bench_networks.py, idle). This times, interleaved
round by round in one process and as ratios to the bare compiled model (``bare``):

- ``bare``: the engine's own IR compiled as the runner compiles it (f32, LATENCY), request.infer on 384x640;
- ``runner``: the engine's OpenVINO runner called on the padded 384x640 tensor (its async poll, copies);
- ``engine 384``: Deblurrer.run on a 384x640 photo (no padding: the engine's own work around the runner);
- ``engine 360``: Deblurrer.run on a 360x640 photo (padded to 384x640 as the app does);
- ``denormals``: ``bare`` with CPU_DENORMALS_OPTIMIZATION (flush-to-zero) on, to see whether denormal
  values slow the float arithmetic with these weights;
- ``tile:N``: Deblurrer.run at N-pixel tiles (``tile:0``: whole), e.g. at 720x1280 the 416-pixel tiles a
  3 GiB whole-image budget chose against the whole frame;
- ``memory:GB``: Deblurrer.run under auto as planned on a machine with GB GiB of memory (its tiles by area,
  plan_tiles_by_area), e.g. ``memory:8`` against ``tile:384`` at 720x1280: 12 tiles of 448x320 against 15 of
  352x384, both within 384x384 pixels a tile;
- ``conformance``: ``bare`` with the conformance weights (tests/conformance_weights.py) instead of random ones,
  as bench_fftformer_precision.py uses (speed should not depend on the values, except through denormals).

    nice -n 10 python benchmarks/bench_fftformer_gap.py [--size 360x640] [--runs 2] [--paths bare,runner,...,tile:416,tile:0]
"""

from __future__ import annotations

import argparse
import json
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
sys.path.insert(0, str(REPO / "tests"))

from bench_networks import photo  # noqa: E402
from deblur_app.engine.devices import cpu_features  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.engine.tiling import round_up  # noqa: E402
from deblur_app.model import networks  # noqa: E402
from deblur_app.model.registry import VARIANTS, architecture_of  # noqa: E402

PATHS = ("bare", "runner", "engine-padded", "engine", "denormals", "conformance")


def fftformer(conformance: bool = False) -> torch.nn.Module:
    model = networks.build(architecture_of("fftformer"), VARIANTS["fftformer"].config_dict).eval()
    if conformance:
        from conformance_weights import network_weights

        shapes = json.loads((REPO / "tests" / "data" / "conformance" / "networks" / "keys_FFTformer.json").read_text())
        model.load_state_dict({k: torch.from_numpy(v) for k, v in network_weights(shapes).items()})
    return model


def bare_request(engine: Deblurrer, height: int, width: int, extra: dict | None = None):
    """The engine's IR compiled as OpenVinoRunner.compiled_for compiles it, and a synchronous infer of it."""
    runner = engine._openvino
    network = next(iter(runner._networks.values())).clone()
    network.reshape({network.inputs[0]: [1, 3, height, width]})
    compiled = runner._core.compile_model(network, "CPU", {"INFERENCE_PRECISION_HINT": "f32",
                                                           "PERFORMANCE_HINT": "LATENCY", **(extra or {})})
    request = compiled.create_infer_request()
    return lambda pixels: request.infer([pixels])


def auto_run_with_memory(engine: Deblurrer, image: np.ndarray, gib: float):
    from unittest import mock

    from deblur_app.engine import devices

    with mock.patch.object(devices, "_physical_memory_bytes", return_value=int(gib * 1024**3)):
        return engine.run(image, tile=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="360x640")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--paths", default=",".join(PATHS))
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.split("x"))
    padded_h, padded_w = round_up(height, 32), round_up(width, 32)
    image, padded = photo(height, width), photo(padded_h, padded_w)
    tensor = np.ascontiguousarray(padded.transpose(2, 0, 1))[None]
    engine = Deblurrer(fftformer(), EngineOptions(), architecture_of("fftformer"))
    engine.prepare()
    runs = {}
    wanted = args.paths.split(",")
    if "bare" in wanted:
        runs["bare"] = bare_request(engine, padded_h, padded_w)
    if "runner" in wanted:
        runs["runner"] = lambda pixels: engine._openvino(torch.from_numpy(pixels))
    if "engine-padded" in wanted:
        runs["engine-padded"] = lambda _pixels: engine.run(padded)
    if "engine" in wanted:
        runs["engine"] = lambda _pixels: engine.run(image)
    for path in (p for p in wanted if p.startswith("tile:")):  # the engine at a forced tile size (0: whole)
        runs[path] = lambda _pixels, size=int(path.split(":")[1]): engine.run(image, tile=size)
    for path in (p for p in wanted if p.startswith("memory:")):  # auto's plan on a machine with this memory
        runs[path] = lambda _pixels, gib=float(path.split(":")[1]): auto_run_with_memory(engine, image, gib)
    if "denormals" in wanted:
        runs["denormals"] = bare_request(engine, padded_h, padded_w, {"CPU_DENORMALS_OPTIMIZATION": True})
    if "conformance" in wanted:
        other = Deblurrer(fftformer(conformance=True), EngineOptions(), architecture_of("fftformer"))
        other.prepare()
        runs["conformance"] = bare_request(other, padded_h, padded_w)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():
        run(tensor)  # compiled shapes, allocator
    for _ in range(args.runs):
        for name, run in runs.items():
            started = time.perf_counter()
            run(tensor)
            times[name].append(time.perf_counter() - started)
            print(f"  {name}: {times[name][-1]:.2f} s (load {os.getloadavg()[0]:.1f})", flush=True)
    reference = statistics.median(times[next(iter(times))])
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"{', '.join(sorted(cpu_features()))}; {width}x{height} (padded {padded_w}x{padded_h}), "
          f"medians of {args.runs}, load average {os.getloadavg()[0]:.1f} at the end")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:16s} {median:8.2f} s {median / reference:6.2f}x  {' '.join(f'{v:.2f}' for v in values)}")


if __name__ == "__main__":
    main()
