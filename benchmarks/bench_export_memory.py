"""The first use's OpenVINO export alone, per network: the peak memory of torch's ONNX export and of its conversion
to OpenVINO IR (engine/openvino_backend.export_onnx, exported_ir), each in a fresh process, with the weights
embedded in the ONNX file as torch writes them ("embedded", the export before issue 21's lean export) and beside it
("apart", the app's export now: _export_weights_apart), and whether both give the same IR (.xml and .bin byte for
byte).

Each process builds the published configuration with seeded random weights (memory does not depend on the values;
both methods get the same weights), then measures, with the kernel's high-water mark reset before each step
(/proc/self/clear_refs): the export's peak and the conversion's peak over the loaded network, in MiB and in copies
of the float32 weights, and the RSS each leaves.

    nice -n 10 python benchmarks/bench_export_memory.py [--networks mimo-unet,nafnet-64,fftformer,restormer-motion]
        [--methods embedded,apart] [--shape-class wide]

``--shape-class``: the export's shape class (default each network's first; NAFNet-64's 12 MP tiles use "wide").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MIB = 2**20

CHILD = r"""
import json, sys, time
from pathlib import Path
import torch
from deblur_app.engine import openvino_backend
from deblur_app.model import networks
from deblur_app.model.registry import VARIANTS, architecture_of

def status(field):
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith(field))

def reset_peak():
    openvino_backend.return_freed_memory()
    open("/proc/self/clear_refs", "w").write("5")

variant, method, folder, shape_class = sys.argv[1:5]
torch.manual_seed(0)
architecture = architecture_of(variant)
model = networks.build(architecture, VARIANTS[variant].config_dict).eval()
shape_class = shape_class or networks.export_classes(architecture)[0]
weights = sum(t.numel() * t.element_size() for t in model.state_dict().values())
digest = openvino_backend.weights_digest(model, architecture)
import onnx, openvino  # noqa: E401, F401  (imported before the measured steps, as a runner has them)
loaded = status("VmRSS")
reset_peak()
started = time.perf_counter()
onnx_path = openvino_backend.export_onnx(model, Path(folder), architecture, shape_class, digest,
                                         embedded_weights=method == "embedded")
export_seconds, export_peak, after_export = time.perf_counter() - started, status("VmHWM"), status("VmRSS")
reset_peak()
started = time.perf_counter()
xml = openvino_backend.exported_ir(model, Path(folder), architecture, shape_class, digest)
print(json.dumps(dict(weights=weights, loaded=loaded, export_peak=export_peak, after_export=after_export,
                      export_seconds=export_seconds, convert_peak=status("VmHWM"), after_convert=status("VmRSS"),
                      convert_seconds=time.perf_counter() - started, shape_class=shape_class, xml=str(xml))))
"""


def measure(variant: str, method: str, folder: Path, shape_class: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", CHILD, variant, method, str(folder), shape_class], env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{variant} {method}: failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def same_ir(a: Path, b: Path) -> str:
    xml = a.read_bytes() == b.read_bytes()
    weights = a.with_suffix(".bin").read_bytes() == b.with_suffix(".bin").read_bytes()
    return "identical (.xml and .bin)" if xml and weights else f"DIFFERENT (.xml same: {xml}, .bin same: {weights})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", default="mimo-unet,nafnet-64,fftformer,restormer-motion")
    parser.add_argument("--methods", default="embedded,apart")
    parser.add_argument("--shape-class", default="")
    args = parser.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"CPU {cpu}, {os.cpu_count()} cores; load average {open('/proc/loadavg').read().split()[:3]}", flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="bench-export-memory-"))
    try:
        for variant in args.networks.split(","):
            irs = {}
            for method in args.methods.split(","):
                r = measure(variant, method, scratch / f"{variant}-{method}", args.shape_class)
                w, base = r["weights"], r["loaded"]
                irs[method] = Path(r["xml"])
                print(f"{variant:16s} {method:8s} ({r['shape_class']}) weights {w / MIB:5.0f} MiB, loaded "
                      f"{base / MIB:5.0f} MiB; export peak {r['export_peak'] / MIB:5.0f} MiB "
                      f"(+{(r['export_peak'] - base) / MIB:4.0f}, {(r['export_peak'] - base) / w:4.2f} copies, "
                      f"{r['export_seconds']:4.0f} s), leaves {r['after_export'] / MIB:5.0f}; conversion peak "
                      f"{r['convert_peak'] / MIB:5.0f} MiB (+{(r['convert_peak'] - base) / MIB:4.0f}, "
                      f"{(r['convert_peak'] - base) / w:4.2f} copies, {r['convert_seconds']:3.0f} s), leaves "
                      f"{r['after_convert'] / MIB:5.0f}; load {open('/proc/loadavg').read().split()[0]}", flush=True)
            if len(irs) == 2:
                print(f"{variant:16s} IR: {same_ir(*irs.values())}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
