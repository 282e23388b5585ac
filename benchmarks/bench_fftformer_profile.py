"""Where FFTformer's OpenVINO float32 time goes on this CPU: per-layer counters (PERF_COUNT) of the app's export.

The app's own export (engine/openvino_backend.export_onnx, published configuration, seeded random weights: speed
does not depend on the values) compiled as the runner compiles it (f32, LATENCY), one untimed run, then ``--runs``
profiled runs beside the plain MIMO-UNet float32 forward (torch, no engine) at the same size, the reference of issue
26's speed goal. Prints the median seconds and the process's CPU seconds (both threads; on a loaded machine closer
to the idle work than the wall time), their ratios, and the summed layer time of the last run by layer type, by
where the layer sits (attn: FSAS, ffn: DFFN, norm: the layer norms), by kernel (OpenVINO's exec_type: which ISA's
implementation ran, e.g. jit_avx2 against jit_avx512 or a reference kernel), and the costliest nodes.

    python benchmarks/bench_fftformer_profile.py [--size 256x384] [--runs 1] [--top 15]
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app.engine.devices import cpu_features  # noqa: E402
from deblur_app.engine.openvino_backend import export_onnx  # noqa: E402
from deblur_app.model import networks  # noqa: E402
from deblur_app.model.mimo_unet import MIMOUNet  # noqa: E402
from deblur_app.model.registry import VARIANTS, architecture_of  # noqa: E402


def place(name: str) -> str:
    for part, label in (("/attn/", "attn"), ("/ffn/", "ffn"), ("norm", "norm")):
        if part in name:
            return label
    return "rest"


def print_profile(request, top: int) -> None:
    by_type, by_place, by_kernel, by_node = (collections.Counter() for _ in range(4))
    for layer in request.profiling_info:
        if layer.status.name != "EXECUTED":
            continue
        seconds = layer.real_time.total_seconds()
        by_type[layer.node_type] += seconds
        by_place[f"{layer.node_type} ({place(layer.node_name)})"] += seconds
        by_kernel[f"{layer.node_type}: {layer.exec_type}"] += seconds
        by_node[f"{layer.node_name} [{layer.node_type}, {layer.exec_type}]"] += seconds
    total = sum(by_type.values())
    print(f"summed layer time {total:.3f} s")
    for title, counter, count in (("by layer type", by_type, 14), ("by where it sits", by_place, 16),
                                  ("by kernel", by_kernel, 16), ("costliest nodes", by_node, top)):
        print(f"{title}:")
        for name, seconds in counter.most_common(count):
            print(f"  {100 * seconds / total:5.1f} %  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="256x384", help="HEIGHTxWIDTH, multiples of 32 (default 256x384)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    import openvino

    torch.manual_seed(0)
    model = networks.build(architecture_of("fftformer"), VARIANTS["fftformer"].config_dict).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.02)
    core = openvino.Core()
    with tempfile.TemporaryDirectory(prefix="bench-fftformer-profile-") as folder:
        network = core.read_model(str(export_onnx(model, Path(folder))))
    network.reshape({network.inputs[0]: [1, 3, height, width]})
    request = core.compile_model(network, "CPU", {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY",
                                                  "PERF_COUNT": "YES"}).create_infer_request()
    image = torch.rand(1, 3, height, width)
    mimo = MIMOUNet(num_res=8).eval()

    def plain() -> None:
        with torch.inference_mode():
            mimo(image)

    runs = {"plain MIMO-UNet fp32 (reference)": plain,
            "FFTformer OpenVINO fp32 (app's export)": lambda: request.infer({0: image.numpy()})}
    for run in runs.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.runs):
        for name, run in runs.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            run()
            times[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - started_cpu)
    reference = statistics.median(times["plain MIMO-UNet fp32 (reference)"])
    print(f"{width}x{height}, {torch.get_num_threads()} threads, CPU features: "
          f"{', '.join(sorted(cpu_features())) or 'none found'}; median of {args.runs}; load {os.getloadavg()[0]:.1f}")
    cpu_reference = statistics.median(cpu["plain MIMO-UNet fp32 (reference)"])
    print(f"  {'':42s} {'wall':>10s} {'x plain':>7s} {'CPU time':>10s} {'x plain':>7s}")
    for name, values in times.items():
        seconds, cpu_seconds = statistics.median(values), statistics.median(cpu[name])
        print(f"  {name:42s} {seconds:8.3f} s {seconds / reference:6.2f}x {cpu_seconds:8.3f} s "
              f"{cpu_seconds / cpu_reference:6.2f}x")
    print_profile(request, args.top)


if __name__ == "__main__":
    main()
