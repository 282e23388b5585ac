"""MIMO-UNet int8 under the per-pixel bound (issue 21): which layers and settings keep strong edges.

Every verdict needs, on every photo of the check set (resources/int8/check_set.npz, with its strong-edge crops),
>= 45 dB against float32 and the 99.9th percentile of |int8 - float32| <= choices.MAX_PIXEL_ERROR. This script
reports both per candidate (the worst photo of each), and optionally int8's speed against OpenVINO float32 in the
same run (``--time WxH``: interleaved, medians).

A candidate is a real NNCF quantisation (settings + layers kept float: ``--candidates``, see CANDIDATES), cached
as OpenVINO IR in ``--cache`` so that a later run re-reads it; ``--bypass`` then tries, on one quantised model,
groups of layers read unquantised (their FakeQuantize inputs bypassed in memory, as int8_sensitivity.py does):
``float-one`` (this group float besides the candidate's float layers).

    python benchmarks/int8_pixel_search.py --candidates shipped full-res-only
    python benchmarks/int8_pixel_search.py --candidates pixel-only --bypass            # per-group, per-pixel metric
    python benchmarks/int8_pixel_search.py --candidates shipped adds-float --time 640x360
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from openvino_outputs import MIMO_GROUPS, interleaved_times, nchw, outputs_of, with_float  # noqa: E402
from deblur_app.engine.choices import MAX_PIXEL_ERROR, pixel_error  # noqa: E402
from deblur_app.engine.int8_check import load_check_set, photo_name, psnr  # noqa: E402
from deblur_app.engine.openvino_backend import (  # noqa: E402
    Int8Settings, export_onnx, load_calibration, quantize_int8, shipped_int8_plan,
)
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402
from deblur_app.model.registry import (  # noqa: E402
    ARCHITECTURES, MIMO_PIXEL_AND_OUTPUT_LAYERS as PIXEL, MIMO_SENSITIVE_LAYERS as SENSITIVE,
)

FULL_OUTPUT = 2  # outputs: quarter, half, full
SHIPPED = Int8Settings()
COARSE = (r".*/Encoder\.[12]/.*", r".*/Decoder\.[01]/.*", r".*/feat_extract\.[1234]/.*", r".*/Convs\.0/.*",
          r".*/AFFs\..*", r".*/FAM[12]/.*", r".*ConvolutionBackpropData.*")
ADDS = (r".*/layers\.\d+/Add(_\d+)?$",)  # the residual blocks' additions (the running features)
COARSE_ADDS = (r".*/(Encoder\.[12]|Decoder\.[01])/layers/layers\.\d+/Add$",)  # at 1/2 and 1/4 resolution
ENCODER_ADDS = (r".*/Encoder\.\d/layers/layers\.\d+/Add$",)


def candidates() -> dict[str, Int8Settings]:
    shipped_rules = PIXEL + SENSITIVE
    return {
        "shipped": dataclasses.replace(SHIPPED, keep_float=shipped_rules),
        "pixel-only": dataclasses.replace(SHIPPED, keep_float=PIXEL),
        "full-res-only": dataclasses.replace(SHIPPED, keep_float=shipped_rules + COARSE),
        "adds-float": dataclasses.replace(SHIPPED, keep_float=shipped_rules + ADDS),
        "no-overflow-fix": dataclasses.replace(SHIPPED, keep_float=shipped_rules, overflow_fix="disable"),
        "performance": dataclasses.replace(SHIPPED, keep_float=shipped_rules, preset="performance"),
        "no-bias-fix": dataclasses.replace(SHIPPED, keep_float=shipped_rules, fast_bias_correction=False),
        "mean-minmax": dataclasses.replace(SHIPPED, keep_float=shipped_rules, activation_ranges="MEAN_MINMAX"),
        "minmax": dataclasses.replace(SHIPPED, keep_float=shipped_rules, activation_ranges="MINMAX"),
        "minmax-adds-float": dataclasses.replace(SHIPPED, keep_float=shipped_rules + ADDS, activation_ranges="MINMAX"),
        "max-quantile": dataclasses.replace(SHIPPED, keep_float=shipped_rules, activation_ranges="MAX_QUANTILE"),
        "max-quantile-adds-float": dataclasses.replace(SHIPPED, keep_float=shipped_rules + ADDS,
                                                       activation_ranges="MAX_QUANTILE"),
        "max-quantile-coarse-adds-float": dataclasses.replace(SHIPPED, keep_float=shipped_rules + COARSE_ADDS,
                                                              activation_ranges="MAX_QUANTILE"),
        "max-quantile-encoder-adds-float": dataclasses.replace(SHIPPED, keep_float=shipped_rules + ENCODER_ADDS,
                                                               activation_ranges="MAX_QUANTILE"),
        "minmax-8bit": dataclasses.replace(SHIPPED, keep_float=shipped_rules, activation_ranges="MINMAX",
                                           overflow_fix="disable"),
    }



def report(label: str, outputs, reference, names) -> tuple[float, float]:
    dbs = [psnr(o, r) for o, r in zip(outputs, reference)]
    p999 = [pixel_error(o, r) for o, r in zip(outputs, reference)]
    worst_db, worst_px = int(np.argmin(dbs)), int(np.argmax(p999))
    verdict = "PASS" if min(dbs) >= 45.0 and max(p999) <= MAX_PIXEL_ERROR else "fail"
    cells = " | ".join(f"{d:.1f}/{p:.3f}" for d, p in zip(dbs, p999))
    print(f"| {label} | {verdict} | {dbs[worst_db]:.2f} ({names[worst_db]}) | **{p999[worst_px]:.4f}** ({names[worst_px]})"
          f" | {cells} |", flush=True)
    return min(dbs), max(p999)


def quantized_model(core, network, name: str, settings: Int8Settings, calibration, cache: Path):
    import openvino as ov

    path = cache / f"q-{name}-{settings.digest()}.xml"
    if path.exists():
        return core.read_model(str(path)), 0.0
    started = time.perf_counter()
    quantized = quantize_int8(network.clone(), calibration, settings)
    seconds = time.perf_counter() - started
    ov.save_model(quantized, str(path), compress_to_fp16=False)
    return quantized, seconds


def timed(core, networks: dict, frame: np.ndarray, rounds: int) -> dict[str, float]:
    models = {name: core.compile_model(n, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}) for name, n in networks.items()}
    times = interleaved_times({name: m.create_infer_request() for name, m in models.items()}, frame, rounds)
    return {name: float(np.median(t)) for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    import openvino as ov

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=REPO / "weights" / "mimo-unet.safetensors")
    parser.add_argument("--candidates", nargs="*", default=["shipped"], help=f"of {', '.join(candidates())}")
    parser.add_argument("--float", nargs="*", default=[], metavar="REGEX",
                        help="an extra candidate: the shipped settings with PIXEL + these layers float")
    parser.add_argument("--bypass", nargs="*", metavar="GROUP",
                        help="on each candidate, per group (default: all MIMO_GROUPS) read unquantised")
    parser.add_argument("--time", default="", help="WxH of a frame to time int8 against OpenVINO float32 on")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/int8-edges2-cache"))
    args = parser.parse_args(argv)

    args.cache.mkdir(parents=True, exist_ok=True)
    core = ov.Core()
    model = load_checkpoint(args.model).build(lean_fusion=True).eval()
    network = core.read_model(str(export_onnx(model, args.cache, ARCHITECTURES["mimo-unet"])))
    check_set = load_check_set()
    blurry = [x[None] for x in nchw(check_set.blurry)]
    names = [photo_name(check_set, i).split(" ")[0] + f" {i + 1}" for i in range(len(blurry))]
    reference = outputs_of(core, network, blurry, FULL_OUTPUT)
    calibration = load_calibration(shipped_int8_plan().calibration)
    table = candidates()
    if args.float:
        table["custom"] = dataclasses.replace(SHIPPED, keep_float=PIXEL + tuple(args.float))
        args.candidates.append("custom")
    frame = None
    if args.time:
        width, height = map(int, args.time.split("x"))
        rng = np.random.default_rng(0)
        frame = nchw(check_set.blurry[:1])  # tiled up to the frame: a photo's statistics
        frame = np.tile(frame, (1, 1, height // frame.shape[2] + 1, width // frame.shape[3] + 1))[:, :, :height, :width]
        frame = np.ascontiguousarray(frame + rng.normal(0, 0.001, frame.shape).astype(np.float32))
    print(f"load average {os.getloadavg()[0]:.1f}; bound: >= 45 dB and p99.9 <= {MAX_PIXEL_ERROR} on every photo")
    print(f"| candidate | verdict | worst dB | worst p99.9 | {' | '.join(names)} |")
    print("|---|---|---|---|" + "---|" * len(names), flush=True)
    timing = {}
    for name in args.candidates:
        settings = table[name]
        quantized, seconds = quantized_model(core, network, name, settings, calibration, args.cache)
        report(f"{name}" + (f" (quantised in {seconds:.0f} s)" if seconds else ""),
               outputs_of(core, quantized, blurry, FULL_OUTPUT), reference, names)
        for group in args.bypass if args.bypass else ([] if args.bypass is None else list(MIMO_GROUPS)):
            pattern = MIMO_GROUPS.get(group, group)
            report(f"{name} + float {group}", outputs_of(core, with_float(quantized, pattern), blurry, FULL_OUTPUT), reference, names)
        timing[name] = quantized
    if frame is not None:  # every candidate and OpenVINO float32 interleaved, round by round
        t = timed(core, {"fp32": network, **timing}, frame, args.rounds)
        print(f"\n| path ({args.time}, medians of {args.rounds}, load {os.getloadavg()[0]:.1f}) | time | vs OpenVINO fp32 |")
        print("|---|---|---|")
        for name, seconds in t.items():
            print(f"| {name} | {seconds:.2f} s | {t['fp32'] / seconds:.2f}x |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
