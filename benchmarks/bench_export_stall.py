"""How long a first use's OpenVINO export holds up another thread of the app's process (the window's GUI thread),
with the export in this process (as before session 19) and in a process of its own (engine/export_process.py).

A worker thread exports the network (openvino_backend.exported_ir: ONNX export and IR conversion, each time into a
fresh folder) while the main thread, standing in for the GUI thread's event loop, wakes every TICK_S and records the
longest gap between two wake-ups beyond its own sleep: the time the export held the GIL against it. Also the RSS
this process keeps after the export (what a first use leaves behind), and the export's wall time. Stand-in weights:
the published configuration from a fixed seed (the GIL and memory do not depend on the values).

    nice -n 10 python benchmarks/bench_export_stall.py --networks restormer-motion,nafnet-32
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

TICK_S = 0.01


def _rss_mb() -> float:
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmRSS")) / 1024 * 1.048576


def measure(variant: str, in_child: bool) -> str:
    import torch

    from deblur_app.engine import openvino_backend
    from deblur_app.model import networks
    from deblur_app.model.registry import VARIANTS, architecture_of

    torch.manual_seed(0)
    architecture = architecture_of(variant)
    model = networks.build(architecture, VARIANTS[variant].config_dict).eval()
    before = _rss_mb()
    done = threading.Event()
    failure: list[BaseException] = []

    def export() -> None:
        try:
            with tempfile.TemporaryDirectory(prefix="bench-export-stall-") as folder:
                openvino_backend.exported_ir(model, Path(folder), architecture, in_child=in_child)
        except BaseException as error:  # noqa: BLE001 (reported below)
            failure.append(error)
        finally:
            done.set()

    worker = threading.Thread(target=export)
    started = last = time.perf_counter()
    worker.start()
    longest = 0.0
    while not done.is_set():
        time.sleep(TICK_S)
        now = time.perf_counter()
        longest = max(longest, now - last - TICK_S)
        last = now
    worker.join()
    if failure:
        raise failure[0]
    where = "a child process" if in_child else "this process"
    return (f"{variant:16s} export in {where:14s}: {time.perf_counter() - started:6.1f} s, the main thread held up "
            f"at most {longest:5.2f} s; RSS {before:5.0f} MB before, {_rss_mb():5.0f} MB after")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", default="restormer-motion")
    parser.add_argument("--where", choices=("both", "here", "child"), default="both")
    args = parser.parse_args()
    if args.where == "both":
        print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    for variant in args.networks.split(","):
        if args.where != "both":
            print(measure(variant, args.where == "child"), flush=True)
            continue
        for where in ("here", "child"):  # each in a fresh process: neither inherits what the other left
            subprocess.run([sys.executable, __file__, "--networks", variant, "--where", where], check=True)
    if args.where == "both":
        print(f"load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
