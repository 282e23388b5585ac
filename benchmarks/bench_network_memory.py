"""Working memory of every registry network: peak RSS per pixel of one pass, and a 12 MP photo end to end.

Two measurements, each in a fresh process (a process's high-water mark cannot be reset):

``per-pixel``  the engine (``Deblurrer``) on one path of one network is built and prepared (export,
               compiled shape), then runs a whole image (no tiles) of --size; the growth of the peak
               RSS (VmHWM) over the loaded engine, divided by the pixels, is what
               ``registry.Architecture.bytes_per_pixel`` must cover. The model's own size (weights,
               the OpenVINO copy) is printed beside it: the planner counts it separately.
``12mp``       `deblur-app deblur` on a 4000x3000 JPEG with random weights of the network's published
               configuration, default options; its peak RSS sampled from /proc every 50 ms. Issue 26's
               goal: <= 1.5 GB for every network.

Weights: random of the published configurations (memory does not depend on the values); MIMO-UNet
the project's weights/mimo-unet.safetensors where present, so its default path is a user's.

    python benchmarks/bench_network_memory.py per-pixel [--networks nafnet-64,fftformer] [--size 384x512]
        [--paths default,torch-fp32,openvino-fp32]
    python benchmarks/bench_network_memory.py 12mp [--networks ...]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

MIMO_WEIGHTS = REPO / "weights" / "mimo-unet.safetensors"
RUN_CLI = "import sys\nfrom deblur_app.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"


def peak_rss_bytes(pid: int | str = "self") -> int:
    """VmHWM: unlike ru_maxrss it starts afresh in a spawned process."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def reset_peak_rss() -> None:
    """Start VmHWM afresh at the current RSS (Linux >= 4.0: 5 > /proc/self/clear_refs)."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
        handle.write("5")


def photo(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 0.5 + 0.25 * np.sin(x / 11)[..., None] * np.cos(y / 13)[..., None] * np.array([1, 0.7, 0.4], np.float32)
    noise = np.random.default_rng(0).normal(0, 0.04, (height, width, 3)).astype(np.float32)
    return np.clip(base + noise, 0, 1).astype(np.float32)


def random_model(variant: str):
    import torch

    from deblur_app.model import networks
    from deblur_app.model.registry import VARIANTS, architecture_of

    torch.manual_seed(0)
    return networks.build(architecture_of(variant), VARIANTS[variant].config_dict)


def make_engine(variant: str, path: str):
    """The engine of ``variant`` on ``path``: 'default' (EngineOptions()) or 'BACKEND-PRECISION'."""
    from deblur_app.engine.inference import Deblurrer, EngineOptions
    from deblur_app.model.checkpoints import load_checkpoint
    from deblur_app.model.registry import architecture_of

    options = EngineOptions(device="cpu")
    if path != "default":
        options.backend, options.precision = path.split("-")
    if variant == "mimo-unet" and MIMO_WEIGHTS.exists():
        return Deblurrer.from_checkpoint(load_checkpoint(MIMO_WEIGHTS), options)
    return Deblurrer(random_model(variant), options, architecture_of(variant))


def _per_pixel_child(variant: str, path: str, height: int, width: int, queue) -> None:
    try:
        image = photo(height, width)
        engine = make_engine(variant, path)
        engine.prepare()
        model_bytes = sum(p.numel() * p.element_size() for p in engine.model.parameters())
        prepared = peak_rss_bytes()  # the first use's export, if any: once per weights, cached
        reset_peak_rss()
        before = peak_rss_bytes()
        started = time.perf_counter()
        engine.run(image, tile=0)
        seconds = time.perf_counter() - started
        queue.put((peak_rss_bytes(), before, prepared, model_bytes, seconds, f"{engine.backend}-{engine.precision_name}",
                   None))
    except Exception as error:  # report, don't hang the parent
        queue.put((0, 0, 0, 0, 0.0, path, f"{type(error).__name__}: {error}"))


def per_pixel(variant: str, path: str, height: int, width: int) -> tuple:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_per_pixel_child, args=(variant, path, height, width, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def cli_peak(variant: str, folder: Path, source: Path) -> tuple[int, float, str]:
    """Peak RSS and seconds of `deblur-app deblur` on ``source`` with random ``variant`` weights."""
    from deblur_app.model.checkpoints import save_checkpoint

    weights = MIMO_WEIGHTS if variant == "mimo-unet" and MIMO_WEIGHTS.exists() else save_checkpoint(
        folder / f"{variant}.safetensors", random_model(variant), {"trained_by": "bench"})
    out = folder / f"{variant}.jpg"
    command = [sys.executable, "-c", RUN_CLI, "deblur", str(source), "-o", str(out), "--weights", str(weights),
               "--overwrite"]
    started = time.monotonic()
    child = subprocess.Popen(command, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    peak = 0
    while child.poll() is None:
        peak = max(peak, peak_rss_bytes(child.pid))
        time.sleep(0.05)
    output = child.stdout.read().strip().splitlines()
    if child.returncode != 0:
        raise SystemExit(f"{variant}: the CLI failed ({child.returncode}):\n" + "\n".join(output[-10:]))
    return peak, time.monotonic() - started, (output[-1] if output else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("per-pixel", "12mp"))
    parser.add_argument("--networks", default="mimo-unet,nafnet-64,nafnet-32,fftformer")
    parser.add_argument("--size", default="384x512", help="HEIGHTxWIDTH of the whole-image run (per-pixel)")
    parser.add_argument("--paths", default="default", help="default and/or BACKEND-PRECISION, comma-separated")
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("needs Linux (/proc/<pid>/status)")
    mib = 1024**2
    if args.what == "per-pixel":
        height, width = (int(v) for v in args.size.lower().split("x"))
        print(f"whole {width}x{height} image, growth of peak RSS over the prepared engine")
        for variant in args.networks.split(","):
            for path in args.paths.split(","):
                peak, before, prepared, model_bytes, seconds, ran, error = per_pixel(variant, path, height, width)
                if error:
                    print(f"{variant:10s} {path:14s} failed: {error}")
                    continue
                print(f"{variant:10s} {ran:14s} {(peak - before) / (height * width):7.0f} B/pixel  "
                      f"(peak {peak / mib:6.0f} MiB, engine loaded {before / mib:6.0f} MiB, "
                      f"peak while preparing {prepared / mib:6.0f} MiB, "
                      f"parameters {model_bytes / mib:4.0f} MiB, {seconds:5.1f} s)", flush=True)
        return
    from deblur_app import imagefiles

    with tempfile.TemporaryDirectory(prefix="bench-network-memory-") as folder:
        folder = Path(folder)
        source = folder / "photo-12mp.jpg"
        imagefiles.save_image(source, photo(3000, 4000), quality=90)
        print("deblur-app deblur on a 4000x3000 JPEG, default options; peak RSS of the whole process")
        for variant in args.networks.split(","):
            peak, seconds, last = cli_peak(variant, folder, source)
            verdict = "ok" if peak <= 1.5e9 else "OVER 1.5 GB"
            print(f"{variant:10s} peak {peak / 1e9:5.2f} GB ({peak / mib:5.0f} MiB) {verdict}, {seconds:5.0f} s; "
                  f"{last}", flush=True)


if __name__ == "__main__":
    main()
