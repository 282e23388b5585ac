"""What handing the freed heap back after every tile costs and gives (engine/inference.py's per-tile
return_freed_memory, glibc's malloc_trim): a tiled run with and without the per-tile call, in the same process.

For each network and path, in a fresh process: the engine is built and prepared (export, compiled shapes) and run
once unmeasured; then --runs pairs of runs of one photo in small tiles, each pair with and without the per-tile call
(alternating which goes first, so a change of the machine's load falls on both). Only the call after each tile is
left out (the engine's other hand-backs, before the tiles and after an export, stay). Every run starts from a trimmed
heap and a reset high-water mark (VmHWM, Linux >= 4.0), so each run's peak RSS is its own.

Printed per network and path: the median seconds of a run with and without the call and their ratio, the same for
the tiles alone and for a tile's network passes (the median tile: a tiled run compiles its OpenVINO shapes again, its
compiled models going at the end of each tiled run, inference.py's release_compiled; the median leaves those compiles
out), the seconds spent inside the per-tile calls, the CPU seconds of a run (all threads; on a loaded machine less
skewed than wall-clock time) and inside the calls, and the peak RSS of the runs with and without (the median over the
runs, and the highest).

    nice -n 10 python benchmarks/bench_trim_per_tile.py [--networks mimo-unet,nafnet-64] [--size 1500x2000]
        [--tile 256] [--runs 5] [--paths default,torch-fp32]

Weights: MIMO-UNet the project's weights/mimo-unet.safetensors, the others random of the published configuration
(time and memory do not depend on the values). The OpenVINO cache is the user's, as bench_networks.py's.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_network_memory import make_engine, peak_rss_bytes, photo, reset_peak_rss  # noqa: E402

MB = 1e6


class PerTileTrim:
    """Stands in for inference.return_freed_memory: the call after each tile (from _run_tiles) is timed, or left
    out while ``skipping``; every other caller gets the real hand-back."""

    def __init__(self, real) -> None:
        self.real = real
        self.skipping = False
        self.calls = 0
        self.seconds = 0.0
        self.cpu_seconds = 0.0

    def __call__(self) -> None:
        if sys._getframe(1).f_code.co_name != "_run_tiles":
            self.real()
            return
        if self.skipping:
            return
        started, cpu = time.perf_counter(), time.thread_time()
        self.real()
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.thread_time() - cpu
        self.calls += 1


def _child(variant: str, path: str, height: int, width: int, tile: int, runs: int, queue) -> None:
    try:
        from deblur_app.engine import heap, inference

        image = photo(height, width)
        engine = make_engine(variant, path)
        engine.prepare()
        trim = PerTileTrim(heap.return_freed_memory)
        inference.return_freed_memory = trim
        tiles_seconds = []  # the tiles alone: a tiled run also compiles its shapes again (release_compiled at its end)
        run_tiles = engine._run_tiles

        def timed_tiles(*args, **kwargs):
            started = time.perf_counter()
            run_tiles(*args, **kwargs)
            tiles_seconds.append(time.perf_counter() - started)

        engine._run_tiles = timed_tiles
        tile_seconds = []  # each tile's network passes (the per-tile call comes after them, in _run_tiles)
        run_tile = engine._run_tile

        def timed_tile(*args, **kwargs):
            started = time.perf_counter()
            outputs = run_tile(*args, **kwargs)
            tile_seconds.append(time.perf_counter() - started)
            return outputs

        engine._run_tile = timed_tile
        warm = engine.run(image, tile=tile)  # compiles the tiles' shapes: first-use work, not a run's
        measured = {True: [], False: []}  # with the per-tile call: [(seconds, peak bytes, start bytes, trim s)]
        for index in range(runs):
            for with_trim in ((True, False) if index % 2 == 0 else (False, True)):
                trim.skipping, trim.seconds, trim.cpu_seconds, trim.calls = not with_trim, 0.0, 0.0, 0
                heap.return_freed_memory()
                tile_seconds.clear()
                reset_peak_rss()
                start = peak_rss_bytes()
                started, cpu = time.perf_counter(), time.process_time()
                engine.run(image, tile=tile)
                seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
                measured[with_trim].append((seconds, peak_rss_bytes(), start, trim.seconds, trim.calls,
                                            tiles_seconds[-1], statistics.median(tile_seconds), cpu_seconds,
                                            trim.cpu_seconds))
        queue.put((measured, warm.tiles, f"{warm.backend}-{warm.precision}", None))
    except Exception as error:  # report, don't hang the parent
        queue.put((None, 0, path, f"{type(error).__name__}: {error}"))


def measure(variant: str, path: str, height: int, width: int, tile: int, runs: int) -> tuple:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_child, args=(variant, path, height, width, tile, runs, queue))
    child.start()
    result = queue.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--networks", default="mimo-unet,nafnet-64")
    parser.add_argument("--size", default="1500x2000", help="HEIGHTxWIDTH of the photo (default 3 MP)")
    parser.add_argument("--tile", type=int, default=256, help="tile size in pixels (the window's 12 MP torch tiles)")
    parser.add_argument("--runs", type=int, default=5, help="pairs of runs, with and without the per-tile call")
    parser.add_argument("--paths", default="default", help="default and/or BACKEND-PRECISION, comma-separated")
    args = parser.parse_args()
    if not Path("/proc/self/clear_refs").exists():
        raise SystemExit("needs Linux (/proc/self/clear_refs to reset the high-water mark)")
    height, width = (int(v) for v in args.size.lower().split("x"))
    print(f"{width}x{height} photo, {args.tile}-pixel tiles, {args.runs} runs each with and without the per-tile "
          f"malloc_trim (medians; peak RSS: median / highest)", flush=True)
    for variant in args.networks.split(","):
        for path in args.paths.split(","):
            measured, tiles, ran, error = measure(variant, path, height, width, args.tile, args.runs)
            if error:
                print(f"{variant:10s} {path:14s} failed: {error}", flush=True)
                continue
            with_trim, without = measured[True], measured[False]
            seconds_with = statistics.median(m[0] for m in with_trim)
            seconds_without = statistics.median(m[0] for m in without)
            trim_seconds = statistics.median(m[3] for m in with_trim)
            tiles_with = statistics.median(m[5] for m in with_trim)
            tiles_without = statistics.median(m[5] for m in without)
            cpu_with = statistics.median(m[7] for m in with_trim)
            cpu_without = statistics.median(m[7] for m in without)
            trim_cpu = statistics.median(m[8] for m in with_trim)
            tile_with = statistics.median(m[6] for m in with_trim)
            tile_without = statistics.median(m[6] for m in without)
            calls = with_trim[0][4]
            peaks_with = [m[1] for m in with_trim]
            peaks_without = [m[1] for m in without]
            starts = [m[2] for m in with_trim + without]
            print(f"{variant:10s} {ran:14s} {tiles:3d} tiles: {seconds_with:6.2f} s with, {seconds_without:6.2f} s "
                  f"without, ratio {seconds_with / seconds_without:5.3f}; the tiles alone {tiles_with:6.2f} s with, "
                  f"{tiles_without:6.2f} s without, ratio {tiles_with / tiles_without:5.3f}; a tile (median) "
                  f"{tile_with * 1e3:5.0f} ms with, {tile_without * 1e3:5.0f} ms without, ratio "
                  f"{tile_with / tile_without:5.3f}; inside the calls {trim_seconds * 1e3:6.1f} ms ({calls} calls, "
                  f"{trim_seconds * 1e3 / max(calls, 1):5.2f} ms each, "
                  f"{100 * trim_seconds / max(calls, 1) / tile_with:4.2f} % of a tile); CPU seconds of a run (all "
                  f"threads) {cpu_with:6.1f} with, {cpu_without:6.1f} without, ratio {cpu_with / cpu_without:5.3f}, "
                  f"inside the calls {trim_cpu:5.2f} ({100 * trim_cpu / cpu_with:4.2f} %); peak RSS with "
                  f"{statistics.median(peaks_with) / MB:5.0f}/{max(peaks_with) / MB:5.0f} MB, without "
                  f"{statistics.median(peaks_without) / MB:5.0f}/{max(peaks_without) / MB:5.0f} MB "
                  f"(runs start at {min(starts) / MB:.0f}-{max(starts) / MB:.0f} MB)", flush=True)
            for label, runs in (("with", with_trim), ("without", without)):
                print(f"    {label:7s} s: " + " ".join(f"{m[0]:.2f}" for m in runs) + "  tiles s: "
                      + " ".join(f"{m[5]:.2f}" for m in runs) + "  a tile ms: "
                      + " ".join(f"{m[6] * 1e3:.0f}" for m in runs) + "  CPU s: "
                      + " ".join(f"{m[7]:.1f}" for m in runs) + "  peak MB: "
                      + " ".join(f"{m[1] / MB:.0f}" for m in runs), flush=True)


if __name__ == "__main__":
    main()
