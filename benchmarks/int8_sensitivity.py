"""Which layers' int8 costs the agreement: per-group sensitivity on the shipped check set.

The network is quantised ONCE by NNCF with the project's int8 settings and only the pixel-reading and
output layers in float (registry: MIMO_PIXEL_AND_OUTPUT_LAYERS): every other convolution int8. Then, per
group of layers (the modules of MIMO-UNet), the same quantised graph is changed in memory so that the
group's operations read their inputs and weights unquantised (their FakeQuantize nodes bypassed,
consumer by consumer), and the check set (resources/int8/check_set.npz, the photos `auto`'s verdict is
decided on) goes through it; the agreement with OpenVINO float32 is reported per photo, the worst first.
Two modes: ``float-one`` (all int8 but this group: what keeping it in float buys) and ``int8-one``
(only this group int8: what quantising it alone costs). A bypass keeps NNCF's ranges and bias
corrections of the other layers, so it approximates what NNCF's ignored scope gives; the chosen rules
are then checked with a real quantisation (``--rules``: quantise with these float layers and report).

    python benchmarks/int8_sensitivity.py [--mode float-one int8-one] [--groups ...]
    python benchmarks/int8_sensitivity.py --rules 'REGEX' ...   # a real NNCF quantisation with these rules
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from openvino_outputs import MIMO_GROUPS, nchw, outputs_of, with_float  # noqa: E402
from deblur_app.engine.int8_check import load_check_set, photo_name, psnr  # noqa: E402
from deblur_app.engine.openvino_backend import (  # noqa: E402
    Int8Settings, export_onnx, load_calibration, quantize_int8, shipped_int8_plan,
)
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402
from deblur_app.model.registry import ARCHITECTURES, MIMO_PIXEL_AND_OUTPUT_LAYERS  # noqa: E402

FULL_OUTPUT = 2  # the full-resolution image (outputs: quarter, half, full)


def report(name: str, outputs, reference, names, sharp, seconds: float) -> None:
    """One row: the check set's worst photo, each photo, the mean PSNR change; then any --eval-photos
    (agreement only: they are not part of the verdict)."""
    agreements = [psnr(out, ref) for out, ref in zip(outputs, reference)]
    changes = [psnr(out, s) - psnr(ref, s) for out, ref, s in zip(outputs, reference, sharp)]
    worst = int(np.argmin(agreements[: len(sharp)]))
    cells = " | ".join(f"{a:.2f}" for a in agreements)
    print(f"| {name} | **{agreements[worst]:.2f}** ({names[worst]}) | {cells} | {np.mean(changes):+.3f} | {seconds:.0f} s |",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    import openvino as ov

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=REPO / "weights" / "mimo-unet.safetensors")
    parser.add_argument("--mode", nargs="*", default=["float-one", "int8-one"], choices=["float-one", "int8-one"])
    parser.add_argument("--groups", nargs="*", default=list(MIMO_GROUPS), help="group names of MIMO_GROUPS, or regular expressions")
    parser.add_argument("--rules", nargs="*", help="quantise for real with MIMO's pixel/output rules + these, and report")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/int8_sensitivity"))
    parser.add_argument("--eval-photos", nargs="*", type=Path, default=[],
                        help="more photos (e.g. ../shared/eval): agreement reported after the check set's, not in the worst")
    args = parser.parse_args(argv)

    core = ov.Core()
    model = load_checkpoint(args.model).build(lean_fusion=True).eval()
    network = core.read_model(str(export_onnx(model, args.cache)))
    check_set = load_check_set()
    import cv2

    blurry = [x[None] for x in nchw(check_set.blurry)]
    sharp = [s.astype(np.float32) / 255.0 for s in check_set.sharp]
    names = [photo_name(check_set, i).split(" ")[0] for i in range(len(blurry))]
    for path in args.eval_photos:
        pixels = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        pixels = pixels[: pixels.shape[0] // 4 * 4, : pixels.shape[1] // 4 * 4]  # MIMO-UNet's size multiple
        blurry.append(nchw(pixels[None]))
        names.append(path.stem)
    reference = outputs_of(core, network, blurry, FULL_OUTPUT)
    calibration = load_calibration(shipped_int8_plan().calibration)
    print(f"| layers in float besides pixel/output | worst | {' | '.join(names)} | PSNR change vs sharp | time |")
    print("|---|---|" + "---|" * len(names) + "---|---|")
    if args.rules is not None:
        for rules in [args.rules]:
            started = time.perf_counter()
            settings = Int8Settings(keep_float=MIMO_PIXEL_AND_OUTPUT_LAYERS + tuple(rules))
            quantized = quantize_int8(network.clone(), calibration, settings)
            report("real NNCF: " + " ".join(rules), outputs_of(core, quantized, blurry, FULL_OUTPUT), reference, names, sharp,
                   time.perf_counter() - started)
        return 0
    started = time.perf_counter()
    quantized = quantize_int8(network.clone(), calibration, Int8Settings(keep_float=MIMO_PIXEL_AND_OUTPUT_LAYERS))
    report("none (all int8)", outputs_of(core, quantized, blurry, FULL_OUTPUT), reference, names, sharp,
           time.perf_counter() - started)
    shipped = "|".join(ARCHITECTURES["mimo-unet"].int8_float_layers[len(MIMO_PIXEL_AND_OUTPUT_LAYERS):])
    for mode in args.mode:
        for group in [("shipped rules", shipped)] + [(g, MIMO_GROUPS.get(g, g)) for g in args.groups]:
            started = time.perf_counter()
            label, pattern = group
            if mode == "int8-one":  # everything float except this group
                pattern = rf"^(?!.*(?:{pattern}))"
            outputs = outputs_of(core, with_float(quantized, pattern), blurry, FULL_OUTPUT)
            report(f"{mode}: {label}", outputs, reference, names, sharp, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
