"""FFTformer's OpenVINO export, DFFN's filter in the shared basis (channels last) against per-channel matrices.

One process exports FFTformer (published configuration, seeded random weights: speed does not depend on the
values) twice -- as the app does now (DFFN._forward_exported: a real Fourier basis shared by all channels,
channels innermost) and with the per-channel 64x64 filter matrices in the channels-first patch layout (the
export before, kept here for the comparison) -- and times both in OpenVINO float32, round by round beside the
plain MIMO-UNet float32 forward (torch, NCHW, no engine), the reference of issue 26's speed goal. Medians and
ratios; --profile adds OpenVINO's per-layer counters (PERF_COUNT) of the app's export, summed by layer type and
by where the layer sits (attn: FSAS, ffn: DFFN).

    python benchmarks/bench_fftformer_layouts.py [--size 128x192] [--runs 5] [--profile]
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import torch
import torch.nn.functional as F

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app.engine.devices import cpu_features  # noqa: E402
from deblur_app.model import fftformer, networks  # noqa: E402
from deblur_app.model.mimo_unet import MIMOUNet  # noqa: E402
from deblur_app.model.registry import ARCHITECTURES, VARIANTS  # noqa: E402


def per_channel_exported(self: fftformer.DFFN, x: torch.Tensor) -> torch.Tensor:
    """DFFN's export before: per-channel filter matrices on channels-first patch rows (fftformer.patch_filter)."""
    hidden = self.project_out.in_channels

    def expanded(rows: slice) -> torch.Tensor:
        h = F.conv2d(x, self.project_in.weight[rows], fftformer._rows(self.project_in.bias, rows))
        h = fftformer.patch_filter(h, self.fft[rows])
        return F.conv2d(h, self.dwconv.weight[rows], fftformer._rows(self.dwconv.bias, rows), padding=1,
                        groups=h.shape[1])

    return self.project_out(F.gelu(expanded(slice(0, hidden))) * expanded(slice(hidden, 2 * hidden)))


def export(model: torch.nn.Module, path: Path) -> Path:
    with torch.no_grad():
        torch.onnx.export(model, (torch.rand(1, 3, 64, 64),), str(path), dynamo=False, opset_version=17,
                          input_names=["image"], output_names=["full"], dynamic_axes={"image": {2: "h", 3: "w"}})
    return path


def compiled(core, path: Path, height: int, width: int, profile: bool = False):
    network = core.read_model(str(path))
    network.reshape({network.inputs[0]: [1, 3, height, width]})
    config = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
    if profile:
        config["PERF_COUNT"] = "YES"
    return core.compile_model(network, "CPU", config).create_infer_request()


def print_profile(request) -> None:
    by_type, by_place = collections.Counter(), collections.Counter()
    for layer in request.profiling_info:
        if layer.status.name == "EXECUTED":
            seconds = layer.real_time.total_seconds()
            by_type[layer.node_type] += seconds
            place = "attn" if "/attn/" in layer.node_name else "ffn" if "/ffn/" in layer.node_name else "rest"
            by_place[f"{layer.node_type} ({place})"] += seconds
    total = sum(by_type.values())
    print("OpenVINO per-layer counters of the app's export, by layer type (share of the summed layer time):")
    for name, seconds in by_type.most_common(10):
        print(f"  {name:24s} {100 * seconds / total:5.1f} %")
    print("... and by where the layer sits:")
    for name, seconds in by_place.most_common(12):
        print(f"  {name:32s} {100 * seconds / total:5.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="128x192", help="HEIGHTxWIDTH, multiples of 32 (default 128x192)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also print OpenVINO's per-layer counters")
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    import openvino

    torch.manual_seed(0)
    model = networks.build(ARCHITECTURES["fftformer"], VARIANTS["fftformer"].config_dict).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.02)
    core = openvino.Core()
    image = torch.rand(1, 3, height, width)
    with tempfile.TemporaryDirectory(prefix="bench-fftformer-") as folder:
        app = export(model, Path(folder) / "basis.onnx")
        with mock.patch.object(fftformer.DFFN, "_forward_exported", per_channel_exported):
            before = export(model, Path(folder) / "per-channel.onnx")
        requests = {"FFTformer OV fp32, DFFN shared basis (app)": compiled(core, app, height, width, args.profile),
                    "FFTformer OV fp32, DFFN per-channel (before)": compiled(core, before, height, width)}
    mimo = MIMOUNet(num_res=8).eval()

    def plain() -> None:
        with torch.inference_mode():
            mimo(image)

    runs = {"plain MIMO-UNet fp32 (reference)": plain}
    runs.update({name: (lambda r=request: r.infer({0: image.numpy()})) for name, request in requests.items()})
    outputs = [request.infer({0: image.numpy()})[0].copy() for request in requests.values()]
    times: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():  # warm-up
        run()
    for _ in range(args.runs):
        for name, run in runs.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    reference = statistics.median(times["plain MIMO-UNet fp32 (reference)"])
    print(f"{torch.get_num_threads()} threads, CPU features: {', '.join(sorted(cpu_features())) or 'none found'}; "
          f"{width}x{height}, median of {args.runs}; the two exports differ by {np.abs(outputs[0] - outputs[1]).max():.1e}")
    print(f"{'path':48s} {'seconds':>8s} {'x plain MIMO':>13s}")
    for name, values in times.items():
        print(f"{name:48s} {statistics.median(values):8.3f} {statistics.median(values) / reference:13.2f}")
    app_name, before_name = list(requests)
    print(f"app / before: {statistics.median(times[app_name]) / statistics.median(times[before_name]):.2f}x")
    if args.profile:
        print_profile(requests[app_name])


if __name__ == "__main__":
    main()
