"""FFTformer in OpenVINO bf16 with chosen layer groups only (the rest kept float32): agreement and speed.

Whole-network bf16 agreed 34-39 dB with float32 (below the 45 dB rule). This measures, per layer group, what bf16
costs in agreement and gains in speed, by keeping every other layer in float32: each such layer gets OpenVINO's
DisablePrecisionConversion attribute (value "dynamic:f16") in the IR, which the CPU plugin reads as "keep the
original precision" also under INFERENCE_PRECISION_HINT=bf16 (its Node constructor checks it for f16 conversion,
and EnforceInferencePrecision skips nodes that keep their original precision). The runtime model's
runtimePrecision shows which layers really ran in bf16.

Weights: the conformance weights of the published configuration (tests/conformance_weights.network_weights; their
corrections are ~0.27 on average, several times a trained network's, so agreement here is on the pessimistic side).
Input: the conformance image (64x96) by default, or a photo-like frame of --size. Times: ratios against the same
network in OpenVINO float32 in the same process (medians of --runs after one untimed run).

    python benchmarks/bench_fftformer_precision.py [--size 256x384] [--runs 2] [GROUPS ...]

GROUPS: '+'-joined layer groups to run in bf16 (see ``layer_group``), e.g. ffn-expand+ffn-out.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from conformance_weights import network_weights  # noqa: E402
from deblur_app.model import networks  # noqa: E402
from deblur_app.model.registry import ARCHITECTURES, VARIANTS  # noqa: E402

DATA = REPO / "tests" / "data" / "conformance"
KEEP_FLOAT = {"name": "DisablePrecisionConversion", "version": "0", "value": "dynamic:f16"}


def layer_group(op) -> str | None:
    """Which group a node of the export belongs to (None: constants and the graph's ends)."""
    name, kind = op.get_friendly_name(), op.get_type_name()
    if kind in ("Constant", "Parameter", "Result"):
        return None
    if kind == "GroupConvolution":
        return "dw"
    if kind == "Convolution":
        if "/attn/project_out" in name:
            return "attn-out"
        if name.endswith("/attn/Conv_4"):
            return "attn-v"
        if "/attn/" in name:
            return "attn-qk"
        if "/ffn/" in name:
            return "ffn-out"
        return "fuse-1x1" if "/fuse" in name else "3x3"
    if kind == "MatMul":
        first, second = (i.get_partial_shape() for i in op.inputs())
        if "/attn/" in name:
            return "attn-dft"
        if "/ffn/" in name and first.rank.get_length() == 4 and second.rank.get_length() == 2:
            return "ffn-expand"
        return "ffn-basis" if "/ffn/" in name else "matmul-other"
    return "norm" if re.search(r"/norm\d?/", name) else "other"


def exported(path: Path) -> Path:
    arch = ARCHITECTURES["fftformer"]
    model = networks.build(arch, VARIANTS["fftformer"].config_dict).eval()
    shapes = json.loads((DATA / "networks" / "keys_FFTformer.json").read_text())
    model.load_state_dict({k: torch.from_numpy(v) for k, v in network_weights(shapes).items()})
    with torch.no_grad():
        torch.onnx.export(networks.export_copy(arch, model), (torch.rand(1, 3, 64, 64),), str(path), dynamo=False,
                          opset_version=17, input_names=["image"], output_names=["full"],
                          dynamic_axes={"image": {2: "h", 3: "w"}})
    return path


def with_float_layers(core, folder: Path, groups: dict[str, str | None], bf16_groups: set[str]):
    """The saved IR with every layer outside ``bf16_groups`` marked to keep float32."""
    tree = ET.parse(folder / "base.xml")
    for layer in tree.getroot().iter("layer"):
        group = groups.get(layer.get("name"))
        if group is not None and group not in bf16_groups:
            rt_info = layer.find("rt_info")
            ET.SubElement(rt_info if rt_info is not None else ET.SubElement(layer, "rt_info"), "attribute", KEEP_FLOAT)
    tree.write(folder / "marked.xml")
    return core.read_model(str(folder / "marked.xml"), str(folder / "base.bin"))


def timed(core, network, image: np.ndarray, hint: str, runs: int):
    network.reshape({network.inputs[0]: list(image.shape)})
    compiled = core.compile_model(network, "CPU", {"INFERENCE_PRECISION_HINT": hint, "PERFORMANCE_HINT": "LATENCY"})
    request = compiled.create_infer_request()
    request.infer([image])
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        request.infer([image])
        seconds.append(time.perf_counter() - started)
    return request.get_output_tensor(0).data.copy(), statistics.median(seconds), compiled


def bf16_layers(compiled) -> collections.Counter:
    found = collections.Counter()
    for op in compiled.get_runtime_model().get_ordered_ops():
        info = op.get_rt_info()
        if info["runtimePrecision"].astype(str) == "bf16":
            found[info["layerType"].astype(str)] += 1
    return found


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / max(float(np.mean((a - b) ** 2)), 1e-30)))


def photo_like(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    noise = np.random.default_rng(0).normal(0, 0.05, (1, 3, height, width))
    return np.clip((0.5 + 0.25 * np.sin(x / 13) * np.cos(y / 19))[None, None] + noise, 0, 1).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="", help="HxW photo-like frame (multiples of 32); default the conformance input")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("groups", nargs="*", default=["ffn-expand+ffn-out"])
    args = parser.parse_args()
    import openvino as ov

    image = (photo_like(*map(int, args.size.split("x"))) if args.size
             else np.load(DATA / "input_64x96.npy").astype(np.float32))
    core = ov.Core()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        onnx = exported(folder / "fftformer.onnx")
        base = core.read_model(str(onnx))
        groups = {op.get_friendly_name(): layer_group(op) for op in base.get_ordered_ops()}
        ov.save_model(base, str(folder / "base.xml"), compress_to_fp16=False)
        reference, fp32_seconds, _ = timed(core, core.read_model(str(onnx)), image, "f32", args.runs)
        print(f"{image.shape[-2]}x{image.shape[-1]}, medians of {args.runs}; 'x fp32': time / OpenVINO fp32 "
              f"({fp32_seconds:.2f} s) in this process")
        print(f"{'bf16 layers':60s} {'seconds':>8s} {'x fp32':>7s} {'dB vs fp32':>10s}  bf16 at run time")
        result, seconds, compiled = timed(core, core.read_model(str(onnx)), image, "bf16", args.runs)
        print(f"{'all (plain bf16 hint)':60s} {seconds:8.2f} {seconds / fp32_seconds:7.2f} {psnr(result, reference):10.2f}"
              f"  {dict(bf16_layers(compiled))}")
        for spec in args.groups:
            network = with_float_layers(core, folder, groups, set(spec.split("+")))
            result, seconds, compiled = timed(core, network, image, "bf16", args.runs)
            print(f"{spec:60s} {seconds:8.2f} {seconds / fp32_seconds:7.2f} {psnr(result, reference):10.2f}"
                  f"  {dict(bf16_layers(compiled))}")


if __name__ == "__main__":
    main()
