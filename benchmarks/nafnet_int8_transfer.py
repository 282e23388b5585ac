"""NAFNet's int8 for every TLC shape class from one NNCF quantisation: what carrying it over costs and keeps.

NNCF quantises only NAFNet's "global" export (the calibration crops' class); the "local", "wide" and "tall" exports
(inputs beyond TLC's 384-pixel window) get that int8 model carried over by node name
(engine/openvino_backend.transfer_int8), where calibrating "local" itself on 416-pixel images had peaked at 6.2 GB
with NAFNet-64. This measures, with the app's own code:

- the verdict of the weights (engine/verdicts.check_path on the shipped check set: its crops are "global"), under the
  rule of engine/choices.py (>= 45 dB on every photo and 99.9th percentile |int8 - fp32| <= 0.02);
- per carried-over class, the check set's crops tiled into images of that class (3x3 mosaics, 576 pixels a side
  where the class is beyond the window), int8 against OpenVINO float32 of the same export: the worst photo's PSNR
  and the largest 99.9th percentile of the absolute error, and how many of NNCF's FakeQuantizes had no place;
- the memory and time of the carrying over (peak RSS growth of this process while it runs) against NNCF's
  quantisation of "global" (its peak, when not cached).

Weights: the conformance weights of the published configuration (random, untrained: tests/conformance_weights.py).

    python benchmarks/nafnet_int8_transfer.py --network nafnet-64 [--cache DIR] [--classes local,wide,tall]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]

MIB = 1024 * 1024
SIDES = {"local": (576, 576), "wide": (192, 576), "tall": (576, 192)}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MIB


def mosaic(crops: np.ndarray, first: int, size: tuple[int, int]) -> np.ndarray:
    """3x3 check crops (N, H, W, 3 float) from ``first`` on, cut to ``size``."""
    tiles = [crops[(first + j) % len(crops)] for j in range(9)]
    rows = [np.concatenate(tiles[r * 3:(r + 1) * 3], 1) for r in range(3)]
    return np.concatenate(rows, 0)[:size[0], :size[1]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="nafnet-64")
    parser.add_argument("--cache", type=Path, help="the OpenVINO cache folder (kept: a second run reuses the int8 model)")
    parser.add_argument("--classes", default="local,wide,tall")
    parser.add_argument("--no-verdict", action="store_true", help="skip the check set's verdict")
    args = parser.parse_args()
    cache = args.cache or Path(f"/tmp/nafnet-int8-transfer-{args.network}")
    cache.mkdir(parents=True, exist_ok=True)
    from deblur_app.engine import openvino_backend

    openvino_backend.default_cache_dir = lambda: cache  # the engine's (verdict) and this script's models alike
    import openvino as ov

    from deblur_app.engine import verdicts
    from deblur_app.engine.choices import pixel_error
    from deblur_app.engine.int8_check import load_check_set, psnr
    from deblur_app.model.registry import ARCHITECTURES
    from nafnet_int8_sensitivity import conformance_model

    print(f"{args.network}, conformance weights; load average {os.getloadavg()[0]:.1f}; cache {cache}", flush=True)
    model = conformance_model(args.network)
    architecture = ARCHITECTURES["nafnet"]
    core = ov.Core()
    plan = openvino_backend.shipped_int8_plan()
    before, started = peak_mib(), time.perf_counter()
    first = core.read_model(str(openvino_backend.exported_ir(model, cache, architecture, "global")))
    cached = openvino_backend._is_complete(openvino_backend._quantized_path(
        cache, openvino_backend.int8_key(model, plan, architecture), architecture, "global"))
    quantized = openvino_backend.quantized_network(core, first, model, cache, plan, shape_class="global")
    print(f"global int8 ({'read from the cache' if cached else 'NNCF'}): {time.perf_counter() - started:.1f} s, "
          f"process peak {peak_mib():.0f} MiB (before {before:.0f})", flush=True)
    if not args.no_verdict:
        started = time.perf_counter()
        check = verdicts.check_path(model, "openvino-int8")
        v = check.verdict
        print(f"verdict on the check set ({v.photos} photos, {time.perf_counter() - started:.0f} s): worst "
              f"{v.hd_agreement_db:.2f} dB ({v.worst_photo}), 99.9th pct {v.pixel_error:.4f} ({v.pixel_worst_photo}), "
              f"PSNR change {v.validation_change_db:+.4f} dB -> {'qualifies' if v.qualifies() else 'does not qualify'}")
        print("  per photo: " + ", ".join(f"{a:.2f}/{e:.4f}" for a, e in zip(check.agreements_db, check.pixel_errors)),
              flush=True)
    crops = load_check_set().blurry.astype(np.float32) / 255
    for shape_class in filter(None, args.classes.split(",")):
        network = core.read_model(str(openvino_backend.exported_ir(model, cache, architecture, shape_class)))
        report, rss, peak, started = [], rss_mib(), peak_mib(), time.perf_counter()
        carried = openvino_backend.transfer_int8(quantized, network.clone(), report)
        seconds, grew = time.perf_counter() - started, peak_mib() - peak
        size = SIDES[shape_class]
        compiled = {}
        for name, graph in (("fp32", network), ("int8", carried)):
            graph = graph.clone()
            graph.reshape({graph.inputs[0]: [1, 3, *size]})
            compiled[name] = core.compile_model(graph, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        agreements, errors = [], []
        for index in range(len(crops)):
            image = np.ascontiguousarray(mosaic(crops, index, size).transpose(2, 0, 1)[None])
            out = {name: np.clip(c(image)[0][0].transpose(1, 2, 0), 0, 1) for name, c in compiled.items()}
            agreements.append(psnr(out["int8"], out["fp32"]))
            errors.append(pixel_error(out["int8"], out["fp32"]))
        del compiled
        t = report[0]
        print(f"{shape_class} ({size[1]}x{size[0]} mosaics of the check crops): carried over in {seconds:.2f} s, "
              f"peak RSS +{grew:.0f} MiB (RSS before {rss:.0f} MiB); {t.fake_quantizes} FakeQuantizes placed, "
              f"{t.constants} constant inputs, {len(t.unplaced)} without a place (all in the pooling: "
              f"{all('/sca.0/' in n or n.endswith('/Mul/fq_output_0') for n in t.unplaced)}); int8 vs fp32: worst "
              f"{min(agreements):.2f} dB, largest 99.9th pct {max(errors):.4f} -> "
              f"{'within' if min(agreements) >= 45 and max(errors) <= 0.02 else 'OUTSIDE'} the rule", flush=True)
        print("  per photo: " + ", ".join(f"{a:.2f}/{e:.4f}" for a, e in zip(agreements, errors)), flush=True)
    print(f"process peak {peak_mib():.0f} MiB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
