"""The cached int8 model with its float layers in bf16: time and agreement against the same int8 model in float32.

The int8 model that passes the per-pixel bound keeps some layers in float32 (registry: MIMO-UNet's layer rules). On a
CPU with native bf16, OpenVINO runs those layers in bf16 when the model is compiled with INFERENCE_PRECISION_HINT
bf16. This measures what that buys (1280x720 random frame: time does not depend on the content) and what it costs
(agreement on the shipped check set's blurry crops, worst crop and 99.9th percentile of the pixel error, as the verdict
rule measures). A first use must have made the int8 model (the OpenVINO cache folder).

    python benchmarks/int8_bf16_hint.py [--xml ~/.cache/deblur_app/openvino/mimo-unet-int8-*.xml] [--runs 3]
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import time
from pathlib import Path

import numpy as np
import openvino as ov

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    found = sorted(glob.glob(os.path.expanduser("~/.cache/deblur_app/openvino/mimo-unet-int8-*.xml")))
    parser.add_argument("--xml", default=found[0] if found else None, help="the cached int8 IR")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.xml:
        raise SystemExit("no cached int8 model: run `deblur-app deblur` once with precision auto or int8")
    core = ov.Core()
    model = core.read_model(args.xml)
    compiled = {hint: core.compile_model(model, "CPU", {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": 2})
                for hint in ("f32", "bf16")}
    frame = np.random.default_rng(0).random((1, 3, 720, 1280), dtype=np.float32)
    times = {hint: [] for hint in compiled}
    for round_ in range(args.runs + 1):  # the first round warms up
        for hint, run in compiled.items():
            began = time.perf_counter()
            run(frame)
            if round_:
                times[hint].append(time.perf_counter() - began)
    for hint, measured in times.items():
        print(f"int8 model, float layers {hint}: median {statistics.median(measured):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in measured)})")
    crops = np.load(REPO / "resources" / "int8" / "check_set.npz")["blurry"]
    worst_db, worst_error = float("inf"), 0.0
    for crop in crops:
        pixels = np.ascontiguousarray(crop.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0  # uint8 crops
        outputs = [np.clip(_full_size(compiled[h](pixels)), 0, 1) for h in ("f32", "bf16")]
        error = np.abs(outputs[0] - outputs[1])
        worst_db = min(worst_db, 10 * np.log10(1 / max(float(np.mean(error ** 2)), 1e-20)))
        worst_error = max(worst_error, float(np.quantile(error, 0.999)))
    print(f"agreement with the int8 model in float32 on {len(crops)} check crops: worst {worst_db:.1f} dB, "
          f"99.9th percentile error at most {worst_error:.4f}")


def _full_size(results) -> np.ndarray:
    """The full-resolution output (MIMO-UNet also gives its 1/2 and 1/4 scales)."""
    return max(results.values(), key=lambda output: output.size)


if __name__ == "__main__":
    main()
