"""Peak RSS per phase of NNCF's quantisation of MIMO-UNet (the starter weights, the shipped calibration crops, the
registry's int8 rules: MAX_QUANTILE ranges), RSS sampled every 20 ms in a thread; the phases marked by wrapping NNCF's
StatisticsAggregator.collect_statistics (once per statistics pass) and OVNativeEngine (compile, then inference).
Writes the int8 model's constants in graph order to OUT (an .npz) so that two settings can be compared bit for bit.

    PER_PASS=44 N=48 OUT=/tmp/mimo-44.npz python benchmarks/mimo_nncf_memory.py
    python benchmarks/mimo_nncf_memory.py --compare /tmp/mimo-1000000.npz /tmp/mimo-44.npz

PER_PASS: openvino_backend.WHOLE_ACTIVATIONS_PER_PASS (a large number: NNCF's own single pass); N: calibration crops
used (default all 48). The last line has every phase's peak (MiB).
"""
import gc
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
MIB = 2**20

if sys.argv[1:2] == ["--compare"]:
    a, b = (np.load(path) for path in sys.argv[2:4])
    differ = [k for k in a.files if k not in b.files or a[k].dtype != b[k].dtype or a[k].shape != b[k].shape
              or a[k].tobytes() != b[k].tobytes()]
    print(f"{len(a.files)} and {len(b.files)} constants; {len(differ)} differ", differ[:5])
    sys.exit(1 if differ or len(a.files) != len(b.files) else 0)


def rss() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


phase, peaks = ["start"], {}


def sampler() -> None:
    while True:
        now, name = rss(), phase[0]
        peaks[name] = max(peaks.get(name, 0), now)
        time.sleep(0.02)


threading.Thread(target=sampler, daemon=True).start()
counts: dict[str, int] = {}


def mark(name: str) -> None:
    time.sleep(0.05)
    print(f"{time.strftime('%H:%M:%S')} -> {name}: rss {rss():.0f} MiB; peak of '{phase[0]}' "
          f"{peaks.get(phase[0], 0):.0f}", flush=True)
    counts[name] = counts.get(name, 0) + 1
    phase[0] = name if counts[name] == 1 else f"{name} {counts[name]}"


import openvino as ov  # noqa: E402
from nncf.common.tensor_statistics import aggregator  # noqa: E402
from nncf.openvino import engine as ov_engine  # noqa: E402

from deblur_app.engine import openvino_backend as ob  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402

ob.WHOLE_ACTIVATIONS_PER_PASS = int(os.environ.get("PER_PASS", ob.WHOLE_ACTIVATIONS_PER_PASS))
collect = aggregator.StatisticsAggregator.collect_statistics


def collect_marked(self, *args, **named):
    mark("statistics pass")
    try:
        return collect(self, *args, **named)
    finally:
        mark("after statistics")


aggregator.StatisticsAggregator.collect_statistics = collect_marked
engine_init = ov_engine.OVNativeEngine.__init__


def init_marked(self, *args, **named):
    mark("compile")
    engine_init(self, *args, **named)
    mark("inference")


ov_engine.OVNativeEngine.__init__ = init_marked
mark("imports")
engine = Deblurrer.from_checkpoint(load_checkpoint(REPO / "weights" / "mimo-unet.safetensors"),
                                   EngineOptions(device="cpu", precision="fp32"))
architecture = ob._architecture(engine.model)
cache = Path(os.environ.get("CACHE", "/tmp/mimo-nncf-memory"))
cache.mkdir(parents=True, exist_ok=True)
network = ov.Core().read_model(str(ob.exported_ir(engine.model, cache, architecture)))
plan = ob.shipped_int8_plan()
settings = plan.settings.for_network(architecture)
calibration = ob.load_calibration(plan.calibration)[: int(os.environ.get("N", 48))]
del engine
gc.collect()
ob.return_freed_memory()
print("calibration", calibration.shape, "ranges", settings.activation_ranges, "per pass", ob.WHOLE_ACTIVATIONS_PER_PASS,
      flush=True)
mark("quantize")
started = time.perf_counter()
quantized = ob.quantize_int8(network.clone(), calibration, settings)
seconds = time.perf_counter() - started
mark("done")
constants = [op.get_data().copy() for op in quantized.get_ordered_ops() if op.get_type_name() == "Constant"]
if os.environ.get("OUT"):
    np.savez(os.environ["OUT"], **{f"{i:05d}": c for i, c in enumerate(constants)})
print(f"per pass {ob.WHOLE_ACTIVATIONS_PER_PASS}: quantize {seconds:.0f} s, {counts.get('statistics pass', 0)} "
      f"statistics passes, {len(constants)} constants; peak {max(peaks.values()):.0f} MiB; load "
      f"{os.getloadavg()[0]:.1f}; peaks", {k: round(v) for k, v in peaks.items()}, flush=True)
