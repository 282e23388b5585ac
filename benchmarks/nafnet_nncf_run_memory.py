"""NNCF's quantisation in a photo run's process (Deblurrer, weights from a file, int8, nothing cached): RSS before
it and its peak (sampled every 20 ms), with torch's weights let go before it (the app) or, --keep, held beside it
(as before session 14's change: Deblurrer._weights_source without release_weights).

    python benchmarks/nafnet_nncf_run_memory.py nafnet-32 [--keep]
"""
import sys, os, time, threading, resource
from pathlib import Path
REPO = Path.cwd(); sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]
variant, keep = sys.argv[1], "--keep" in sys.argv
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
peak = [0.0]; on = [False]
def sampler():
    while True:
        if on[0]: peak[0] = max(peak[0], rss())
        time.sleep(0.02)
import numpy as np
from deblur_app.engine import openvino_backend as ob
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.model.checkpoints import load_checkpoint, save_checkpoint
from nafnet_int8_sensitivity import conformance_model


def main():
    tmp = Path(f"/tmp/nafnet-nncf-run-{variant}-{'keep' if keep else 'release'}"); tmp.mkdir(parents=True, exist_ok=True)
    for f in tmp.glob("*"): f.unlink()
    ob.default_cache_dir = lambda: tmp
    path = save_checkpoint(tmp / "w.safetensors", conformance_model(variant), {"trained_by": "bench"})
    if keep:
        Deblurrer._weights_source = lambda self: {"model_source": lambda: self.model}
    real = ob.quantize_int8
    def quantize(*a, **k):
        before = rss(); peak[0] = before; on[0] = True; t = time.perf_counter()
        try:
            return real(*a, **k)
        finally:
            on[0] = False
            print(f"{variant} {'torch weights kept' if keep else 'torch weights released'}: RSS before NNCF {before:.0f} MiB, "
                  f"peak during NNCF {peak[0]:.0f} MiB, {time.perf_counter()-t:.0f} s", flush=True)
    ob.quantize_int8 = quantize
    engine = Deblurrer.from_checkpoint(load_checkpoint(path), EngineOptions(device="cpu", precision="int8", tile=0))
    r = engine.run(np.random.default_rng(1).random((64, 64, 3), dtype=np.float32))
    print(f"result {r.backend} {r.precision}; process peak (ru_maxrss) {resource.getrusage(0).ru_maxrss/1024:.0f} MiB; "
          f"load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":  # the first use exports in a spawned process, which imports this file again
    threading.Thread(target=sampler, daemon=True).start()
    main()
