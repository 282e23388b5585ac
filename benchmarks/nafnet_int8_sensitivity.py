"""NAFNet's int8: which layer groups cost the agreement, per group on the shipped check set; and its speed.

As benchmarks/int8_sensitivity.py does for MIMO-UNet (its in-memory bypass of FakeQuantize inputs is reused):
NAFNet is quantised ONCE by NNCF with the project's int8 settings and only ``--base`` in float (default: the
pixel convolutions intro and ending, and the output addition), then per group of layers the group's operations
read their inputs and weights unquantised, and the check set (resources/int8/check_set.npz, 192-pixel crops:
NAFNet's "global" export, TLC's window covers them) goes through it. Reported per row: the worst photo's
agreement with OpenVINO float32 (the verdict's measure), each photo's, the mean PSNR change against the sharp
photos, and the largest and the 99.9th-percentile absolute error over all pixels (a per-pixel bound).

Weights: the conformance weights of the published configuration (random, untrained: tests/conformance_weights.py)
unless --model names a checkpoint.

    python benchmarks/nafnet_int8_sensitivity.py --network nafnet-64 [--mode float-one int8-one] [--groups ...]
    python benchmarks/nafnet_int8_sensitivity.py --network nafnet-64 --rules 'REGEX' ...   # a real NNCF run
    python benchmarks/nafnet_int8_sensitivity.py --network nafnet-64 --speed 720x1280 --rules 'REGEX' ...
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]

from openvino_outputs import interleaved_times, nchw, outputs_of, with_float  # noqa: E402
from deblur_app.engine.int8_check import load_check_set, photo_name, psnr  # noqa: E402
from deblur_app.engine.openvino_backend import (  # noqa: E402
    Int8Plan, Int8Settings, exported_ir, load_calibration, quantize_int8, quantized_network, shipped_int8_plan,
)
from deblur_app.model import networks  # noqa: E402
from deblur_app.model.registry import ARCHITECTURES, VARIANTS  # noqa: E402

# intro and ending read and make image pixels; the additions outside the blocks are the decoder's skip additions
# (up + skip) and the output's (ending + the input image): NNCF would put the input image itself through 8 bits
PIXEL_LAYERS = (r".*/intro/.*", r".*/ending/.*", r"/model/Add(_\d+)?$")
BLOCK = r"(?:coders\.\d+\.\d+|blks\.\d+)"  # a block's own scope: encoders.3.17, middle_blks.0, decoders.0.0
# NAFNet's parts as OpenVINO names them (the ONNX export's module paths under ExportedNAFNet's "model"); in a block,
# the gate halves' convolutions are Conv, Conv_2 (conv1's 1x1), Conv_1, Conv_3 (conv2's depthwise) and Conv_4,
# Conv_5 (conv4's 1x1); Mul the first gate, Mul_1 the attention's product, Mul_2 beta, Mul_3 the second gate,
# Mul_4 gamma; Add and Add_1 the two residual additions
GROUPS = {
    "every convolution": r"/Conv(_\d)?/|/Conv$",
    "sca 1x1 conv (channel attention)": r"/sca\.1/",
    "conv1 (1x1 after norm1, gate halves)": BLOCK + r"/Conv(_2)?/",
    "conv2 (depthwise 3x3, gate halves)": BLOCK + r"/Conv_[13]/",
    "conv3 (1x1 after attention)": r"/conv3/",
    "conv4 (1x1 after norm2, gate halves)": BLOCK + r"/Conv_[45]/",
    "conv5 (1x1 after second gate)": r"/conv5/",
    "block products (gates, attention, beta, gamma)": BLOCK + r"/Mul(_\d)?$",
    "block residual additions": BLOCK + r"/Add(_1)?$",
    "layer norms": r"/norm[12]/",
    "downs": r"/downs\.",
    "ups": r"/ups\.",
    "encoders.0 (full res)": r"/encoders\.0/",
    "encoders.1 (1/2)": r"/encoders\.1/",
    "encoders.2 (1/4)": r"/encoders\.2/",
    "encoders.3 (1/8)": r"/encoders\.3/",
    "middle_blks (1/16)": r"/middle_blks",
    "decoders.0 (1/8)": r"/decoders\.0/",
    "decoders.1 (1/4)": r"/decoders\.1/",
    "decoders.2 (1/2)": r"/decoders\.2/",
    "decoders.3 (full res)": r"/decoders\.3/",
}


def conformance_model(variant: str):
    import torch

    from conformance_weights import network_weights

    architecture = ARCHITECTURES[VARIANTS[variant].architecture]
    model = networks.build(architecture, VARIANTS[variant].config_dict).eval()
    shapes = {k: v.shape for k, v in model.state_dict().items()}
    model.load_state_dict({k: torch.from_numpy(v) for k, v in network_weights(shapes).items()})
    return model


def report(name: str, outputs, reference, names, sharp, seconds: float) -> dict:
    agreements = [psnr(out, ref) for out, ref in zip(outputs, reference)]
    changes = [psnr(out, s) - psnr(ref, s) for out, ref, s in zip(outputs, reference, sharp)]
    errors = np.concatenate([np.abs(out - ref).ravel() for out, ref in zip(outputs, reference)])
    worst = int(np.argmin(agreements))
    cells = " | ".join(f"{a:.2f}" for a in agreements)
    row = dict(worst=agreements[worst], change=float(np.mean(changes)), max=float(errors.max()),
               p999=float(np.quantile(errors, 0.999)))
    print(f"| {name} | **{row['worst']:.2f}** ({names[worst]}) | {cells} | {row['change']:+.3f} | "
          f"{row['max']:.4f} | {row['p999']:.4f} | {seconds:.0f} s |", flush=True)
    return row


def speed(core, model, architecture, folder, keep_float, size: tuple[int, int], runs: int) -> None:
    """OpenVINO fp32 against int8 with these rules at one size, interleaved, medians (the same process)."""
    height, width = size
    shape_class = networks.export_shape_class(architecture, model, height, width)
    network = core.read_model(str(exported_ir(model, folder, architecture, shape_class)))
    started = time.perf_counter()
    # the engine's own quantisation of this shape class (calibration crops tiled beyond TLC's window where needed)
    plan = Int8Plan(shipped_int8_plan().calibration, Int8Settings(keep_float=keep_float))
    quantized = quantized_network(core, network, model, folder, plan, shape_class=shape_class)
    print(f"quantised the {shape_class} export in {time.perf_counter() - started:.0f} s", flush=True)
    pixels = np.random.default_rng(0).random((1, 3, height, width), dtype=np.float32)
    requests = {}
    for name, net in (("fp32", network), ("int8", quantized)):
        net = net.clone()
        net.reshape({net.inputs[0]: [1, 3, height, width]})
        compiled = core.compile_model(net, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"})
        requests[name] = compiled.create_infer_request()
    times = interleaved_times(requests, pixels, runs)
    fp32, int8 = (statistics.median(times[n]) for n in ("fp32", "int8"))
    loads = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else "?"
    print(f"{height}x{width} ({shape_class}): fp32 {fp32:.2f} s, int8 {int8:.2f} s: **{fp32 / int8:.2f}x**  "
          f"(runs fp32 {[round(t, 2) for t in times['fp32']]}, int8 {[round(t, 2) for t in times['int8']]}; "
          f"load {' '.join(loads)})", flush=True)


def main(argv: list[str] | None = None) -> int:
    import openvino as ov

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", default="nafnet-64", choices=[k for k, v in VARIANTS.items()
                                                                    if v.architecture == "nafnet"])
    parser.add_argument("--model", type=Path, help="a NAFNet checkpoint (default: the conformance weights)")
    parser.add_argument("--mode", nargs="*", default=["float-one", "int8-one"], choices=["float-one", "int8-one"])
    parser.add_argument("--groups", nargs="*", default=list(GROUPS), help="group names of GROUPS, or regular expressions")
    parser.add_argument("--base", nargs="*", help="the float layers of the single quantisation (default: pixel layers)")
    parser.add_argument("--rules", nargs="*", help="quantise for real with the pixel layers + these, and report")
    parser.add_argument("--registry", action="store_true", help="quantise for real with the registry's rules")
    parser.add_argument("--speed", help="HxW: time OpenVINO fp32 against int8 (--rules) at this size instead")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/nafnet-int8-sensitivity"))
    parser.add_argument("--list-ops", action="store_true", help="print the graph's convolution and Add names")
    args = parser.parse_args(argv)

    core = ov.Core()
    if args.model:
        from deblur_app.model.checkpoints import load_checkpoint

        model = load_checkpoint(args.model).build().eval()
    else:
        model = conformance_model(args.network)
    architecture = ARCHITECTURES["nafnet"]
    calibration = load_calibration(shipped_int8_plan().calibration)
    network = core.read_model(str(exported_ir(model, args.cache, architecture, "global")))
    pixel_rules = PIXEL_LAYERS
    if args.list_ops:
        for op in network.get_ordered_ops():
            if op.get_type_name() in ("Convolution", "GroupConvolution", "Add", "Multiply", "MVN", "ReduceMean"):
                print(op.get_type_name(), op.get_friendly_name())
        return 0
    if args.speed:
        height, width = map(int, args.speed.split("x"))
        rules = architecture.int8_float_layers if args.registry else pixel_rules + tuple(args.rules or ())
        speed(core, model, architecture, args.cache, rules, (height, width), args.runs)
        return 0
    check_set = load_check_set()
    blurry = [x[None] for x in nchw(check_set.blurry)]
    sharp = [s.astype(np.float32) / 255.0 for s in check_set.sharp]
    names = [photo_name(check_set, i).split(" ")[0] for i in range(len(blurry))]
    reference = outputs_of(core, network, blurry)
    print(f"{args.network}, {'weights ' + str(args.model) if args.model else 'conformance weights (random)'}")
    print(f"| layers in float besides intro/ending/additions | worst | {' | '.join(names)} | PSNR change vs sharp "
          "| max abs error | 99.9th pct error | time |")
    print("|---|---|" + "---|" * len(names) + "---|---|---|---|")
    if args.rules is not None or args.registry:
        rules = architecture.int8_float_layers if args.registry else pixel_rules + tuple(args.rules)
        started = time.perf_counter()
        quantized = quantize_int8(network.clone(), calibration, Int8Settings(keep_float=rules))
        report("real NNCF: " + ("registry rules" if args.registry else " ".join(args.rules)),
               outputs_of(core, quantized, blurry), reference, names, sharp, time.perf_counter() - started)
        return 0
    started = time.perf_counter()
    base = pixel_rules + tuple(args.base or ())
    quantized = quantize_int8(network.clone(), calibration, Int8Settings(keep_float=base))
    counts: dict[str, int] = {}
    for op in quantized.get_ordered_ops():
        if op.get_type_name() != "FakeQuantize" and any(
                port.get_source_output().get_node().get_type_name() == "FakeQuantize" for port in op.inputs()):
            counts[op.get_type_name()] = counts.get(op.get_type_name(), 0) + 1
    print("operations reading quantised inputs:", counts, flush=True)
    report("none (all int8)" if not args.base else "base: " + " ".join(args.base), outputs_of(core, quantized, blurry),
           reference, names, sharp, time.perf_counter() - started)
    for mode in args.mode:
        for label, pattern in [(g, GROUPS.get(g, g)) for g in args.groups]:
            started = time.perf_counter()
            if mode == "int8-one":  # everything float except this group
                pattern = rf"^(?!.*(?:{pattern}))"
            outputs = outputs_of(core, with_float(quantized, pattern), blurry)
            report(f"{mode}: {label}", outputs, reference, names, sharp, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
