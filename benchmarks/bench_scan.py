"""How fast a folder scan scores 12 MP JPEGs, and whether its memory stays flat over thousands.

Speed: ``--photos`` 12 MP (4000x3000) JPEGs, made here (a synthetic scene of edges of
every orientation, upscaled, with sensor-like noise, quality 92: ~3-5 MB each, like a
camera's), scanned by ``jobs.scan.iter_scan`` with a warm pool of ``--processes`` worker
processes (start-up excluded: the pool scores one chunk before the clock starts). Besides
the wall-clock rate it prints the workers' CPU time per photo (/proc), which a loaded
machine skews far less, and the rate that would give on that many free cores. The
references in the same process, one photo after another, CPU time: the plain way
(``imagefiles.load_image``, full decode, and the score of the full-size photo), the scan's
earlier RGB draft decode, and what it does now (luma draft decode), with how far the
scores of the luma decode are from the RGB decode's.

Memory: ``--memory-photos`` entries (hard links to 50 distinct 1 MP JPEGs, so the disk
holds 50 files), scanned with the same pool; the resident memory of this process and of
the workers is sampled every 0.5 s and reported at 10 %, 50 % and 100 % of the scan.

    python benchmarks/bench_scan.py                       # 40 x 12 MP, 5000 for memory
    python benchmarks/bench_scan.py --photos 10 --memory-photos 500   # quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from deblur_app import imagefiles  # noqa: E402
from deblur_app.jobs.scan import ScanJob, iter_scan, local_pool, score_chunk  # noqa: E402
from deblur_app.triage import assess  # noqa: E402
from test_blur_score import scene  # noqa: E402


def make_jpegs(folder: Path, count: int, size: tuple[int, int], seed: int = 0) -> list[Path]:
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        base = scene(size[1] // 4, size[0] // 4, seed=seed + index)
        photo = cv2.resize(base, size, interpolation=cv2.INTER_CUBIC)
        photo = np.clip(photo.astype(np.int16) + rng.integers(-5, 6, photo.shape, dtype=np.int16), 0, 255).astype(np.uint8)
        path = folder / f"photo{index:04}.jpg"
        cv2.imwrite(str(path), photo[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
        paths.append(path)
    return paths


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def warm_pool(processes: int, sample: Path):
    pool = local_pool(processes)
    list(pool.map(score_chunk, [[str(sample)]] * processes, [None] * processes))
    return pool


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat), for a figure a loaded machine does not skew."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def speed(folder: Path, paths: list[Path], processes: int) -> None:
    pool = warm_pool(processes, paths[0])
    workers = list(pool._processes)
    cpu_before = sum(cpu_seconds(pid) for pid in workers)
    begun = time.perf_counter()
    events = list(iter_scan(ScanJob(folder, workers=processes), pool=pool))
    scan_seconds = time.perf_counter() - begun
    cpu_per_photo = (sum(cpu_seconds(pid) for pid in workers) - cpu_before) / max(1, len(paths))
    pool.shutdown()
    scored = sum(e.kind == "scored" for e in events)
    rate = scored / scan_seconds
    print(f"scan: {scored} x 12 MP JPEG in {scan_seconds:.1f} s = {rate:.1f} photos/s with {processes} processes; "
          f"worker CPU {cpu_per_photo * 1000:.0f} ms/photo, i.e. {processes / cpu_per_photo:.1f} photos/s on "
          f"{processes} free cores")
    compare_in_this_process(paths[: min(len(paths), 8)], processes / cpu_per_photo, processes)


def compare_in_this_process(paths: list[Path], free_rate: float, processes: int) -> None:
    """Per photo, one after another in this process (CPU time, medians): the plain way (full decode,
    full-size score), the scan's RGB draft decode (before the luma decode) and what the scan does now."""
    ways = {
        "plain: full decode + full-size score": lambda p: assess(imagefiles.load_image(p).pixels),
        "RGB draft decode (1/4) + score": lambda p: assess(imagefiles.load_for_measuring(p)),
        "luma draft decode (1/4) + score (the scan)": lambda p: assess(imagefiles.load_for_measuring(p, grey=True)),
    }
    times = {name: [] for name in ways}
    scores = {name: [] for name in ways}
    for path in paths:
        for name, way in ways.items():  # interleaved: a busy machine slows every way alike
            started = time.process_time()
            scores[name].append(way(path).blur_score)
            times[name].append(time.process_time() - started)
    plain = statistics.median(times[next(iter(ways))])
    print(f"in this process, CPU time per photo (median of {len(paths)}):")
    for name in ways:
        median = statistics.median(times[name])
        change = max(abs(a - b) for a, b in zip(scores[name], scores["RGB draft decode (1/4) + score"]))
        print(f"  {name:44s} {median * 1000:6.0f} ms  {plain / median:5.2f}x plain  "
              f"score vs RGB draft: max |difference| {change:.1f}")
    print(f"from CPU times: the scan on {processes} free cores ({free_rate:.1f} photos/s) is {free_rate * plain:.1f}x "
          "the plain way on one")


def memory(folder: Path, count: int, processes: int) -> None:
    distinct = make_jpegs(folder, 50, (1200, 900), seed=100)
    for index in range(count - len(distinct)):
        os.link(distinct[index % len(distinct)], folder / f"link{index:05}.jpg")
    pool = warm_pool(processes, distinct[0])
    workers = list(pool._processes)  # the pids, for /proc
    samples, done = [], threading.Event()

    def sample() -> None:
        while not done.is_set():
            samples.append((time.perf_counter(), rss_mb(os.getpid()), sum(rss_mb(pid) for pid in workers)))
            time.sleep(0.5)

    sampler = threading.Thread(target=sample, daemon=True)
    begun = time.perf_counter()
    sampler.start()
    scored, marks = 0, {}
    for event in iter_scan(ScanJob(folder, workers=processes), pool=pool):
        scored += event.kind == "scored"
        for fraction in (0.1, 0.5):
            if fraction not in marks and scored >= fraction * count:
                marks[fraction] = (rss_mb(os.getpid()), sum(rss_mb(pid) for pid in workers))
    marks[1.0] = (rss_mb(os.getpid()), sum(rss_mb(pid) for pid in workers))
    done.set()
    sampler.join()
    pool.shutdown()
    peak = max(s[1] + s[2] for s in samples) if samples else 0.0
    print(f"memory over {scored} photos ({time.perf_counter() - begun:.0f} s): "
          + ", ".join(f"at {int(f * 100)} %: driver {d:.0f} MB + workers {w:.0f} MB" for f, (d, w) in sorted(marks.items()))
          + f"; peak {peak:.0f} MB")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=40)
    ap.add_argument("--memory-photos", type=int, default=5000)
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args(argv)
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "big"
        folder.mkdir()
        speed(folder, make_jpegs(folder, args.photos, (4000, 3000)), args.processes)
    if args.memory_photos:
        with tempfile.TemporaryDirectory() as tmp:
            memory(Path(tmp), args.memory_photos, args.processes)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
