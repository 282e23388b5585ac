"""Scanning a folder for blur: every photo's blur score, on both cores (or a Ray cluster).

The one scan loop of the app (``iter_scan``), which the command line and the window
consume as events, like ``run.iter_batch``. Each photo is read small
(``imagefiles.load_for_measuring``) and scored (``triage.assess``) in a pool of worker
processes, a bounded number in flight, so memory stays flat over any number of photos.
A photo that cannot be read fails alone with a one-line reason naming it; the scan goes on.
No torch: the scan never loads the network.
"""

from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .. import imagefiles, reasons
from ..reasons import ReasonText
from ..triage import VERDICTS, assess
from .naming import batch_candidates, input_folder_problem

# Ray or another pool scores the given photos elsewhere: yields (path, ScanRow or None,
# failure reason) for each, in any order (jobs.cluster.Cluster.scan).
RemoteScan = Callable[[list[Path]], Iterator[tuple[Path, "ScanRow | None", ReasonText]]]
# photos handed to each worker process at once, and how many such chunks wait per worker
CHUNK, CHUNKS_IN_FLIGHT_PER_WORKER = 8, 3


@dataclass
class ScanJob:
    input_dir: Path
    recursive: bool = False
    max_megapixels: float | None = None
    workers: int | None = None  # processes; None: one per core


@dataclass(frozen=True)
class ScanRow:
    """One line of the CSV contract: path, blur_score (0..100, higher = blurrier), verdict."""

    path: Path
    blur_score: float
    verdict: str


@dataclass
class ScanSummary:
    total: int
    counts: dict[str, int]  # per verdict
    failed: list[tuple[Path, ReasonText]]
    ignored: list[tuple[Path, ReasonText]]  # files that are no photos to score, with the one-line reason naming each
    cancelled: bool
    seconds: float


@dataclass
class ScanEvent:
    kind: str  # start | scored | failed | end
    done: int = 0
    total: int = 0
    path: Path | None = None
    row: ScanRow | None = None
    reason: ReasonText = ""
    summary: ScanSummary | None = None


@dataclass
class _Found:
    photos: list[Path] = field(default_factory=list)
    ignored: list[tuple[Path, ReasonText]] = field(default_factory=list)


def find_photos(input_dir: Path, recursive: bool) -> _Found:
    """The folder's photos (sorted) and its other files with the reason, as a batch sees them
    (naming.batch_candidates: the app's own outputs, multi-picture files, other formats); hidden files are neither."""
    candidates = batch_candidates(Path(input_dir), Path(input_dir), recursive)
    return _Found([source for source, _output in candidates.pairs], candidates.left_out)


def score_photo(path: Path, max_megapixels: float | None = None) -> tuple[ScanRow | None, ReasonText]:
    """(row, '') for a photo, or (None, one-line reason naming it) when it cannot be read."""
    limit = None if max_megapixels is None else int(max_megapixels * 1_000_000)
    try:
        pixels = imagefiles.load_for_measuring(path, max_pixels=limit, grey=True)  # the score sees only luma
        result = assess(pixels)
    except imagefiles.ImageFileError as error:
        return None, reasons.of(error)
    except MemoryError:
        return None, reasons.about(path, reasons.reason(reasons.OUT_OF_MEMORY_READING))
    except Exception as error:  # a decoder bug on one file must not stop the scan
        cause = " ".join(str(error).split())[:200] or type(error).__name__
        return None, reasons.about(path, reasons.reason(reasons.CANNOT_SCORE, cause=cause))
    return ScanRow(Path(path), result.blur_score, result.verdict), ""


def score_chunk(paths: list[str], max_megapixels: float | None) -> list[tuple[str, ScanRow | None, ReasonText]]:
    """A worker process's unit of work (picklable arguments, module-level function)."""
    return [(path, *score_photo(Path(path), max_megapixels)) for path in paths]


def _worker_init() -> None:
    import cv2

    cv2.setNumThreads(1)  # the pool is the parallelism: one thread per process


def local_pool(workers: int | None) -> futures.ProcessPoolExecutor:
    """Worker processes started by spawning (safe beside the window's threads)."""
    count = max(1, workers or os.cpu_count() or 1)
    return futures.ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"),
                                       initializer=_worker_init)


def score_locally(paths: list[Path], max_megapixels: float | None, pool: futures.Executor, workers: int,
                  cancel=None) -> Iterator[tuple[Path, ScanRow | None, ReasonText]]:
    """Score the photos in ``pool``, at most a few chunks per worker in flight (flat memory)."""
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    pending: set[futures.Future] = set()
    next_chunk = 0
    while next_chunk < len(chunks) or pending:
        while next_chunk < len(chunks) and len(pending) < workers * CHUNKS_IN_FLIGHT_PER_WORKER:
            if cancel is not None and cancel.is_set():
                break
            pending.add(pool.submit(score_chunk, [str(p) for p in chunks[next_chunk]], max_megapixels))
            next_chunk += 1
        if not pending:
            return
        finished, pending = futures.wait(pending, return_when=futures.FIRST_COMPLETED)
        for future in finished:
            for path, row, reason in future.result():
                yield Path(path), row, reason
        if cancel is not None and cancel.is_set():
            for future in pending:
                future.cancel()
            return


def iter_scan(job: ScanJob, cancel=None, remote: RemoteScan | None = None,
              pool: futures.Executor | None = None) -> Iterator[ScanEvent]:
    """Scan a folder, yielding "start" (photo count), "scored" or "failed" per photo as each
    finishes (any order), then "end" with the summary. ``cancel`` (an Event-like object)
    stops it between photos; ``remote`` scores elsewhere (a cluster); ``pool`` is an
    executor to reuse (else one is started and shut down here)."""
    started = time.monotonic()
    problem = input_folder_problem(job.input_dir)
    if problem:
        raise NotADirectoryError(problem)
    found = find_photos(job.input_dir, job.recursive)
    total = len(found.photos)
    yield ScanEvent("start", total=total)
    counts, failed, done, cancelled = {verdict: 0 for verdict in VERDICTS}, [], 0, False
    own_pool = pool is None and remote is None and total > 0
    workers = max(1, job.workers or os.cpu_count() or 1)
    if own_pool:
        pool = local_pool(min(workers, max(1, total // CHUNK + 1)))
    try:
        results = (remote(found.photos) if remote is not None
                   else score_locally(found.photos, job.max_megapixels, pool, workers, cancel) if total else iter(()))
        for path, row, reason in results:
            done += 1
            if row is not None:
                counts[row.verdict] += 1
                yield ScanEvent("scored", done, total, path, row)
            else:
                failed.append((path, reason))
                yield ScanEvent("failed", done, total, path, reason=reason)
            if cancel is not None and cancel.is_set():
                break
    finally:
        if own_pool:
            pool.shutdown(wait=True, cancel_futures=True)
    cancelled = cancel is not None and cancel.is_set() and done < total
    summary = ScanSummary(total, counts, failed, found.ignored, cancelled, time.monotonic() - started)
    yield ScanEvent("end", done, total, summary=summary)


def blur_of(path: Path, max_megapixels: float | None = None) -> float | None:
    """One photo's blur score, or None when it cannot be read (batch --only-blurred)."""
    row, _reason = score_photo(Path(path), max_megapixels)
    return None if row is None else row.blur_score
