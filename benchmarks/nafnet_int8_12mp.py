"""NAFNet's int8 under `auto` on a 12 MP photo through the command line: the first use's peak memory.

As benchmarks/bench_12mp_memory.py's ``cli`` mode (its private home, stand-in weights, 4000x3000 JPEG and its
measurement: the summed RSS of the process tree sampled every 20 ms, and the largest process's high-water mark),
but the weights are installed WITH the fast paths' check, as a user installs them (`deblur-app weights install`
measures int8's verdict on the check set: NNCF quantises the "global" export there), so that `auto` may take int8:

1. ``weights install`` (the check: NNCF's quantisation of "global", cached);
2. ``deblur`` first use: auto's path timing, the "local" class's int8 carried over from "global"
   (openvino_backend.transfer_int8, no NNCF), the tiles;
3. ``deblur`` again, everything cached;
4. with ``--uncached``: the int8 models deleted from the cache and ``deblur --precision int8`` (NNCF's quantisation
   of "global" in the run's own process, as when a verdict is at hand but its int8 model was pruned).

    nice -n 10 python benchmarks/nafnet_int8_12mp.py [--network nafnet-64] [--size 3000x4000] [--uncached]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "benchmarks")]

from bench_12mp_memory import GOAL_BYTES, MB, RUN_CLI, measured, photo, private_home, stand_in_weights  # noqa: E402


def report(what: str, tree: int, single: int, seconds: float, lines: list[str]) -> None:
    verdict = "ok" if max(tree, single) <= GOAL_BYTES else "OVER 1.5 GB"
    print(f"{what:34s} peak {tree / MB:5.0f} MB (largest process {single / MB:5.0f} MB) {verdict}, {seconds:5.0f} s",
          flush=True)
    for line in lines[-3:]:
        print(f"    {line[:220]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="nafnet-64")
    parser.add_argument("--size", default="3000x4000", help="HEIGHTxWIDTH")
    parser.add_argument("--uncached", action="store_true", help="also a run whose int8 models are not cached")
    parser.add_argument("--home", type=Path, help="keep the private home here")
    args = parser.parse_args()
    height, width = (int(v) for v in args.size.lower().split("x"))
    from deblur_app import imagefiles

    print(f"{args.network}: a {width}x{height} JPEG; load average {os.getloadavg()[0]:.1f}", flush=True)
    with (tempfile.TemporaryDirectory(prefix="nafnet-int8-12mp-") if args.home is None
          else _kept(args.home)) as folder:
        folder = Path(folder)
        env = private_home(folder)
        source = folder / "photo.jpg"
        imagefiles.save_image(source, photo(height, width), quality=90)
        weights = stand_in_weights(args.network, folder)
        report("weights install (with the check)", *measured(
            [sys.executable, "-c", RUN_CLI, "weights", "install", str(weights)], env))
        deblur = [sys.executable, "-c", RUN_CLI, "deblur", str(source), "-o", str(folder / "out.jpg"),
                  "--model", args.network, "--overwrite"]
        report("deblur, auto, first use", *measured(deblur, env))
        report("deblur, auto, cached", *measured(deblur, env))
        if args.uncached:
            for cached in (Path(env["XDG_CACHE_HOME"]) / "deblur_app" / "openvino").glob("*-int8-*"):
                cached.unlink()
            report("deblur --precision int8, no int8 cached", *measured([*deblur, "--precision", "int8"], env))
    print(f"load average {os.getloadavg()[0]:.1f}")


def _kept(folder: Path):
    import contextlib

    folder.mkdir(parents=True, exist_ok=True)
    return contextlib.nullcontext(str(folder))


if __name__ == "__main__":
    main()
