"""Peak RSS per phase of NNCF's quantisation of NAFNet's "global" export (RSS sampled every 50 ms in a thread;
the phases marked by wrapping NNCF's StatisticsAggregator.collect_statistics and OVNativeEngine.__init__).

    N=8 SIDE=96 EXTRA="{}" python benchmarks/nafnet_nncf_memory.py nafnet-32 [--drop-torch]

N: calibration crops used (default all 48); SIDE: their centre cut to this many pixels (default 160); EXTRA: a dict of
Int8Settings fields. The phase lines NNCF's own stdout swallows (quantize_int8 redirects it): the last line has
every phase's peak.
"""
import numpy as np, sys, os, time, threading, gc
from pathlib import Path
REPO = Path.cwd()
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]
variant = sys.argv[1]
drop_torch = "--drop-torch" in sys.argv
MIB = 1024 * 1024
def rss():
    with open("/proc/self/statm") as h:
        return int(h.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB
phase = ["start"]; peaks = {}
def sampler():
    while True:
        r = rss(); p = phase[0]
        if r > peaks.get(p, 0): peaks[p] = r
        time.sleep(0.05)
threading.Thread(target=sampler, daemon=True).start()
def mark(name):
    time.sleep(0.1)
    print(f"{time.strftime('%H:%M:%S')} -> {name}: rss {rss():.0f} MiB; peak of '{phase[0]}' {peaks.get(phase[0],0):.0f}", flush=True)
    phase[0] = name
import openvino as ov
from deblur_app.engine import openvino_backend as ob
from deblur_app.model.registry import ARCHITECTURES
from nafnet_int8_sensitivity import conformance_model
import nncf
from nncf.common.tensor_statistics import aggregator as agg
orig_collect = agg.StatisticsAggregator.collect_statistics
def collect(self, *a, **k):
    mark("nncf statistics"); r = orig_collect(self, *a, **k); mark("nncf after statistics"); return r
agg.StatisticsAggregator.collect_statistics = collect
from nncf.openvino import engine as oe
orig_init = oe.OVNativeEngine.__init__
def init(self, *a, **k):
    mark("nncf compile"); orig_init(self, *a, **k); mark("nncf infer")
oe.OVNativeEngine.__init__ = init
mark("imports")
model = conformance_model(variant)
arch = ARCHITECTURES["nafnet"]
mark("torch model")
cache = Path(os.environ.get("CACHE", f"/tmp/nafnet-nncf-memory-{variant}")); cache.mkdir(parents=True, exist_ok=True)
xml = ob.exported_ir(model, cache, arch, "global")
core = ov.Core()
network = core.read_model(str(xml))
plan = ob.shipped_int8_plan()
settings = plan.settings.for_network(arch)
if drop_torch:
    del model; gc.collect(); ob.return_freed_memory()
mark("IR read")
cal = ob.load_calibration(plan.calibration)
import dataclasses
n = int(os.environ.get('N', len(cal))); side = int(os.environ.get('SIDE', cal.shape[-1])); o = (cal.shape[-1]-side)//2
cal = np.ascontiguousarray(cal[:n, :, o:o+side, o:o+side]); settings = dataclasses.replace(settings, **eval(os.environ.get('EXTRA', '{}')))
print('calibration', cal.shape, settings, flush=True)
t = time.perf_counter()
mark("quantize")
q = ob.quantize_int8(network.clone(), cal, settings)
mark("done")
print(f"quantize {time.perf_counter()-t:.0f} s; ru_maxrss", __import__('resource').getrusage(0).ru_maxrss//1024, "MiB; peaks", {k: round(v) for k, v in peaks.items()}, flush=True)
