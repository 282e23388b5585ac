"""Which NNCF int8 settings keep the picture: speed and agreement of each step against OpenVINO float32.

Each configuration quantises the OpenVINO model of the given weights with
calibration crops of the training photos blurred by the project's synthesis
(deblur_app.training), then runs a 1280x720 validation photo (never one of the
calibration photos) and reports the time, the PSNR against OpenVINO float32 and
the largest pixel error; with --valset, also the change of the mean PSNR
against the sharp crops of the validation set. Steps are cumulative, as in
benchmarks/RESULTS.md. Restrict the instruction set with ONEDNN_MAX_CPU_ISA=AVX2
in the environment (OpenVINO's convolutions honour it; see RESULTS.md).

    python benchmarks/int8_search.py [--photos /work/data/photos] [--valset /work/data/validation.npz] [--steps ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from bench_cpu import agreement, photo  # noqa: E402
from openvino_outputs import nchw  # noqa: E402
from deblur_app.engine.openvino_backend import (  # noqa: E402
    Int8Settings, _advanced_parameters, export_onnx, quantize_int8,
)
from deblur_app.model.registry import ARCHITECTURES, MIMO_PIXEL_AND_OUTPUT_LAYERS as PIXEL_AND_OUTPUT_LAYERS  # noqa: E402
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402
from deblur_app.training.calibration import make_calibration_crops  # noqa: E402

SHIPPED = Int8Settings().for_network(ARCHITECTURES["mimo-unet"])
BASELINE = Int8Settings(preset="performance", keep_float=(), subset_size=8, overflow_fix="first_layer_only",
                        activation_ranges="")
FLOAT_IO = dataclasses.replace(BASELINE, keep_float=PIXEL_AND_OUTPUT_LAYERS)
MIXED = dataclasses.replace(FLOAT_IO, preset="mixed")
MORE_DATA = dataclasses.replace(MIXED, subset_size=SHIPPED.subset_size)
NO_OUTLIERS = dataclasses.replace(MORE_DATA, activation_ranges=SHIPPED.activation_ranges)
OVERFLOW_FIX = dataclasses.replace(NO_OUTLIERS, overflow_fix=SHIPPED.overflow_fix)
# (settings, calibration crops, crop size): each step adds one change to the one before
STEPS = {
    "default": (BASELINE, 8, 160),  # NNCF's defaults
    "float-io": (FLOAT_IO, 8, 160),  # + pixel-reading and output layers, resized inputs and output sums in float
    "mixed": (MIXED, 8, 160),  # + asymmetric activations
    "more-data": (MORE_DATA, 48, 160),  # + all 48 calibration crops
    "no-outliers": (NO_OUTLIERS, 48, 160),  # + activation ranges without outliers
    "overflow-fix": (OVERFLOW_FIX, 48, 160),  # + 7-bit weights everywhere
    # + the full-resolution decoder in float (the shipped settings until session 12)
    "float-decoder": (dataclasses.replace(SHIPPED, keep_float=PIXEL_AND_OUTPUT_LAYERS + (r".*/Decoder\.2/.*",)), 48, 160),
    # the decoder int8 again, SCM1/SCM2 and the first full-resolution block in float (int8_sensitivity.py; shipped)
    "mixed-sensitive": (SHIPPED, 48, 160),
    "bias-correction": (dataclasses.replace(SHIPPED, fast_bias_correction=False), 48, 160),
    "symmetric": (dataclasses.replace(SHIPPED, preset="performance"), 48, 160),  # shipped, symmetric activations
    "int8-decoder": (dataclasses.replace(SHIPPED, keep_float=PIXEL_AND_OUTPUT_LAYERS), 48, 160),  # shipped, decoder int8
    "symmetric-int8-decoder": (dataclasses.replace(SHIPPED, preset="performance", keep_float=PIXEL_AND_OUTPUT_LAYERS),
                               48, 160),
    "int8-decoder-bias": (dataclasses.replace(SHIPPED, keep_float=PIXEL_AND_OUTPUT_LAYERS, fast_bias_correction=False),
                          48, 160),  # the decoder in int8 with NNCF's full bias correction
    "accuracy-aware": (OVERFLOW_FIX, 48, 160),  # + layers back to float until RMS error <= 1 level
}


def float_convolutions(network) -> list[str]:
    """The convolutions of a quantised model that still read float activations."""
    return [op.get_friendly_name() for op in network.get_ordered_ops() if op.get_type_name() == "Convolution"
            and op.input_value(0).get_node().get_type_name() != "FakeQuantize"]


def accuracy_aware(core, network, calibration: np.ndarray, settings: Int8Settings, photos: Path, max_error: float):
    """NNCF's accuracy control: layers go back to float until the output's RMS error against
    float32 (in 8-bit levels, on other training crops) is at most ``max_error``."""
    import nncf
    reference = core.compile_model(network, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    checks = nchw(make_calibration_crops(photos / "train", count=12, crop=160, seed=1)[0])
    items = [(checks[i : i + 1], reference(checks[i : i + 1])[reference.outputs[2]]) for i in range(len(checks))]

    def validate(compiled, data):
        errors = [255 * float(np.sqrt(np.mean((np.clip(compiled(x)[compiled.outputs[2]], 0, 1) - np.clip(ref, 0, 1)) ** 2)))
                  for x, ref in data]
        # 100 minus the error: NNCF also computes the relative drop, which a float metric of 0 would divide by
        return 100 - float(np.mean(errors)), [100 - e for e in errors]

    return nncf.quantize_with_accuracy_control(
        network, nncf.Dataset([calibration[i : i + 1] for i in range(len(calibration))]), nncf.Dataset(items),
        validate, max_drop=max_error, preset=nncf.QuantizationPreset(settings.preset),
        subset_size=settings.subset_size, fast_bias_correction=settings.fast_bias_correction,
        ignored_scope=nncf.IgnoredScope(patterns=list(settings.keep_float), validate=False),
        advanced_quantization_parameters=_advanced_parameters(settings),
    )


def timed(compiled, x: np.ndarray, runs: int) -> tuple[np.ndarray, float]:
    request = compiled.create_infer_request()
    request.infer({0: x})  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        request.infer({0: x})
        times.append(time.perf_counter() - started)
    full = np.clip(request.get_output_tensor(2).data[0].transpose(1, 2, 0), 0, 1).copy()
    return full, float(np.median(times))


def valset_psnr(core, network, valset: dict) -> float:
    blurry, sharp = nchw(valset["blurry"]), valset["sharp"].astype(np.float64) / 255.0
    compiled = core.compile_model(network, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    scores = []
    for i in range(len(blurry)):
        request.infer({0: blurry[i : i + 1]})
        full = np.clip(request.get_output_tensor(2).data[0].transpose(1, 2, 0), 0, 1)
        scores.append(10 * np.log10(1.0 / np.mean((full - sharp[i]) ** 2)))
    return float(np.mean(scores))


def main(argv: list[str] | None = None) -> int:
    import openvino as ov

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=REPO / "weights" / "mimo-unet.safetensors")
    parser.add_argument("--photos", type=Path, default=Path("/work/data/photos"), help="folder with train/ and val/")
    parser.add_argument("--valset", type=Path, help="validation set (.npz of deblur-app train make-valset)")
    parser.add_argument("--valset-limit", type=int, default=64, help="validation crops used (evenly spaced)")
    parser.add_argument("--steps", nargs="*", default=list(STEPS), choices=list(STEPS))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--check-photo", action="store_true",
                        help="measure agreement on check-int8's HD photo (the first validation photo with camera shake)")
    parser.add_argument("--max-error", type=float, default=1.0, help="accuracy-aware: RMS error allowed, 8-bit levels")
    args = parser.parse_args(argv)

    core = ov.Core()
    network = core.read_model(str(export_onnx(load_checkpoint(args.model).build(lean_fusion=True), Path("/tmp/int8_search"))))
    if args.check_photo:
        from deblur_app.cli.int8 import hd_test_photo

        image = hd_test_photo(args.photos / "val")[0]
    else:
        image = photo(720, 1280, photos=str(args.photos / "val" / "*.png"))
    x = np.ascontiguousarray(image.transpose(2, 0, 1))[None]
    static = network.clone()
    static.reshape({static.inputs[0]: [1, 3, 720, 1280]})
    reference, fp32_time = timed(core.compile_model(static, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}), x, args.runs)
    valset = None
    if args.valset and args.valset.exists():
        with np.load(args.valset, allow_pickle=False) as data:
            index = np.linspace(0, len(data["blurry"]) - 1, min(args.valset_limit, len(data["blurry"]))).round().astype(int)
            valset = {"blurry": data["blurry"][index], "sharp": data["sharp"][index]}
        fp32_valset = valset_psnr(core, network, valset)
        print(f"# validation set: {len(index)} crops, OpenVINO fp32 {fp32_valset:.3f} dB", file=sys.stderr)
    print(f"# OpenVINO fp32 at 1280x720: {fp32_time:.2f} s", file=sys.stderr)
    print("| step | time | vs OpenVINO fp32 | agreement with fp32 (HD) | max error | validation change | quantise |")
    print("|---|---|---|---|---|---|---|")
    for name in args.steps:
        settings, count, crop = STEPS[name]
        calibration = nchw(make_calibration_crops(args.photos / "train", count=count, crop=crop)[0])
        started = time.perf_counter()
        if name == "accuracy-aware":
            quantized = accuracy_aware(core, network.clone(), calibration, settings, args.photos, args.max_error)
            print(f"# {name}: float convolutions {float_convolutions(quantized)}", file=sys.stderr, flush=True)
        else:
            quantized = quantize_int8(network.clone(), calibration, settings)
        quantize_seconds = time.perf_counter() - started
        static = quantized.clone()
        static.reshape({static.inputs[0]: [1, 3, 720, 1280]})
        output, seconds = timed(core.compile_model(static, "CPU", {"INFERENCE_PRECISION_HINT": "f32"}), x, args.runs)
        max_error, psnr = agreement(output, reference)
        change = f"{valset_psnr(core, quantized, valset) - fp32_valset:+.3f} dB" if valset else "n/a"
        print(f"| {name} | {seconds:.2f} s | {fp32_time / seconds:.2f}x | {psnr:.1f} dB | {max_error:.3f} | {change} "
              f"| {quantize_seconds:.0f} s |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
