"""``deblur-app batch --cluster``: the local batch's photos spread over a Ray cluster.

Ray Data runs a pool of actors; each loads the model once, from weights the driver
puts in Ray's object store (worker machines need no weights file), and then reads,
deblurs and writes one photo at a time with the local batch's own per-photo code.
The driver plans every output with the local batch's rules and reports each photo
as it comes back, so the summary and exit code are the local batch's.

Only the command line imports this module, and only when --cluster is given: Ray
is an optional extra (``pip install -e ".[cluster]"``).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import pickle
import re
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .. import imagefiles, reasons
from ..engine.progress import CancelCheck, Cancelled
from ..reasons import ReasonText
from .run import JobError, SaveOptions, deblur_planned, not_run_for_full_disk, open_engine
from .spec import EngineChoices
from ..model.checkpoints import Checkpoint
from .naming import PlannedOutput

LOCAL = "local"
# Only the weights and one short row per photo travel through the object store (the
# workers read and write the photos themselves), so a private instance needs little.
LOCAL_OBJECT_STORE_BYTES = 256 * 1024**2
# Ray restarts a dead worker and gives its photo to another one; a photo that was
# started this many times (its workers died each time: a photo that runs any worker
# out of memory, or crashes a decoder) is reported as failed instead of killing
# workers for ever.
MAX_ATTEMPTS = 3
# For the fault-tolerance tests: entries "NAME:MARKER" separated by ";". The first
# worker that deblurs the photo NAME dies in the middle of it, as under the kernel's
# OOM killer (creating the file MARKER records that it happened); with no MARKER
# ("NAME:") every worker that tries the photo dies.
WORKER_EXIT_VARIABLE = "DEBLUR_TEST_WORKER_EXIT"
# For the full-disk test: photo names separated by ";". A worker deblurring one of them fails as a write does
# on a full disk (OSError ENOSPC), in the middle of the photo.
WORKER_DISK_FULL_VARIABLE = "DEBLUR_TEST_WORKER_DISK_FULL"
# For the cancel test: "NAME:PID". The worker deblurring the photo NAME sends PID (the driver) SIGINT, as a user's
# Ctrl+C reaches it, and waits until its own cancel check sees the batch cancelled: the cancel comes in the middle
# of that photo whatever the machine's load.
WORKER_CTRL_C_VARIABLE = "DEBLUR_TEST_WORKER_CTRL_C"
# How often a worker's network run asks the ledger whether the batch was cancelled (a round trip to an actor).
CANCEL_POLL_SECONDS = 0.25
# Ray's C++ core writes each of its ERROR lines to the driver's stderr as well as to its log
# file, and has no setting for that stream alone. Ray Data's worker pool makes it write one on
# every successful run (ray-project/ray#53727: the pool's actors receive their constructor
# arguments through the object store and may restart; the driver holds those arguments for
# the whole run, so the restart it warns about cannot fail here). Every failure of a run
# reaches the user as the command's own one-line reason (ClusterError, or a photo's failure
# line), so the driver's C++ core logs only fatal lines. Python-side Ray logging is quieted
# separately (logging_level, the ray.data logger).
BACKEND_LOG_LEVEL_VARIABLE = "RAY_BACKEND_LOG_LEVEL"
DRIVER_CORE_LOG_LEVEL = "fatal"


class ClusterError(JobError):
    """A one-line reason why the cluster run cannot start or go on."""


def import_ray():
    """Ray, or ClusterError saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the extra installs both)
    except ImportError:
        raise ClusterError(reasons.reason(reasons.RAY_NOT_INSTALLED)) from None
    return ray


@dataclass
class PoolSize:
    workers: int
    gpus_per_worker: float
    cpus_per_worker: float


def connect(address: str) -> bool:
    """Join the cluster at ``address``, or start a private one for ``local``; True if this started Ray.

    A program that already connected (ray.init) keeps its connection.
    """
    ray = import_ray()
    if ray.is_initialized():
        return False
    quiet = dict(logging_level=logging.WARNING, log_to_driver=False)
    try:
        with _driver_core_log_level(DRIVER_CORE_LOG_LEVEL):
            if address == LOCAL:
                # Its notice about token authentication concerns clusters that others reach.
                logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(logging.ERROR)
                ray.init(include_dashboard=False, object_store_memory=LOCAL_OBJECT_STORE_BYTES, **quiet)
            else:
                ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as error:
        raise ClusterError(reasons.reason(reasons.CANNOT_CONNECT_CLUSTER, address=address,
                                          cause=reasons.first_line(error, None))) from None
    return True


@contextlib.contextmanager
def _driver_core_log_level(level: str):
    """Ray's C++ core reads its log level from the environment when ray.init connects; set it
    for that moment only, so that nothing this process starts later inherits it. A level the
    user set themselves (RAY_BACKEND_LOG_LEVEL, to debug Ray) is kept.

    The core acknowledges the variable with an INFO line on stderr, written by C++ (Python's
    sys.stderr cannot catch it): ray.init's stderr goes to a temporary file, and everything
    in it but Ray's own C++ lines below ERROR is passed on afterwards."""
    if BACKEND_LOG_LEVEL_VARIABLE in os.environ:
        yield
        return
    os.environ[BACKEND_LOG_LEVEL_VARIABLE] = level
    try:
        with _stderr_file_descriptor_filtered(RAY_CORE_NOTICE):
            yield
    finally:
        os.environ.pop(BACKEND_LOG_LEVEL_VARIABLE, None)


# A line of Ray's C++ log below ERROR: "[2026-12-06 05:46:10,010 I 20651 20651] logging.cc:303: ..."
RAY_CORE_NOTICE = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+ [TDIW] \d+ \d+\] ")


@contextlib.contextmanager
def _stderr_file_descriptor_filtered(dropped: re.Pattern):
    """What is written to file descriptor 2 inside the block, less the lines ``dropped`` matches, written after it."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            lines = caught.read().decode("utf-8", "replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not dropped.match(line)))
            sys.stderr.flush()


def packed(said: ReasonText) -> bytes:
    """A reason as a row of Ray Data carries it: its pickle. Ray's blocks are Arrow tables, which keep a
    column of str as Arrow strings (a Reason would arrive as its English alone); Ray pickles whatever
    passes between its processes anyway, and Reason pickles as its template and fields."""
    return pickle.dumps(said)


def unpacked(row_value: bytes) -> ReasonText:
    """The reason a worker packed (``packed``): '' when the photo went well."""
    return pickle.loads(bytes(row_value))


def plan_pool(workers: int | None, gpus_per_worker: float | None) -> PoolSize:
    """One worker per GPU (or per ``gpus_per_worker`` GPUs) where the cluster has GPUs, else one per machine.

    The workers share the cluster's cores evenly (at most a machine's worth each, so each
    machine can hold one), so one CPU worker on a machine uses all of its cores, as the
    local batch does. A pool the cluster cannot hold is refused: Ray would wait for it for ever.
    """
    ray = import_ray()
    resources = ray.cluster_resources()
    gpus, cpus = resources.get("GPU", 0), int(resources.get("CPU", 1))
    nodes = _worker_nodes(ray)
    if gpus_per_worker is None:
        gpus_per_worker = 1 if gpus else 0
    if gpus_per_worker > gpus:
        raise ClusterError(reasons.reason(reasons.TOO_MANY_GPUS_PER_WORKER, gpus_per_worker=f"{gpus_per_worker:g}",
                                          gpus=f"{gpus:g}"))
    if workers is None:
        workers = max(1, int(gpus // gpus_per_worker)) if gpus_per_worker else max(1, len(nodes))
    if workers * gpus_per_worker > gpus:
        raise ClusterError(reasons.reason(reasons.WORKERS_NEED_MORE_GPUS, workers=workers,
                                          gpus_per_worker=f"{gpus_per_worker:g}", gpus=f"{gpus:g}"))
    if workers > cpus:
        raise ClusterError(reasons.reason(reasons.WORKERS_NEED_A_CORE_EACH, workers=workers, cpus=cpus))
    smallest_node = min((int(n["Resources"].get("CPU", 0)) for n in nodes), default=cpus)
    return PoolSize(workers, gpus_per_worker, max(1, min(smallest_node, cpus // workers)))


def _worker_nodes(ray) -> list[dict]:
    return [n for n in ray.nodes() if n.get("Alive") and n["Resources"].get("CPU", 0) + n["Resources"].get("GPU", 0) > 0]


def check_shared_folders(input_dir: Path, output_dir: Path, first_photo: Path) -> None:
    """Every machine of the cluster sees the photos and the output folder, at the same paths."""
    ray = import_ray()
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    @ray.remote(num_cpus=0)
    def look(paths: list[str]) -> tuple[str, list[bool]]:
        return socket.gethostname(), [os.path.exists(p) for p in paths]

    paths = [os.path.abspath(p) for p in (input_dir, first_photo, output_dir)]
    nodes = _worker_nodes(ray)
    probes = [look.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(paths)
              for n in nodes]
    for host, seen in ray.get(probes):
        if not (seen[0] and seen[1]):
            raise ClusterError(reasons.reason(reasons.WORKER_CANNOT_SEE_INPUT, host=host, folder=paths[0]))
        if not seen[2]:
            raise ClusterError(reasons.reason(reasons.WORKER_CANNOT_SEE_OUTPUT, host=host, folder=paths[2]))


class PhotoWorker:
    """One actor of the pool: the model loaded once, then one photo per call."""

    def __init__(self, weights, attempts, engine_choices: EngineChoices, save: SaveOptions,
                 max_megapixels: float | None) -> None:
        import ray

        checkpoint: Checkpoint = ray.get(weights) if isinstance(weights, ray.ObjectRef) else weights
        # A worker that cannot start (no GPU there for --device cuda) says why with its
        # first photo; raising here would have Ray Data restart it, tracebacks and all.
        self.engine, self.cannot_start = None, ""
        try:
            self.engine = open_engine(engine_choices, checkpoint).engine
        except JobError as error:
            self.cannot_start = reasons.reason(reasons.WORKER_CANNOT_START, host=socket.gethostname(),
                                               cause=reasons.of(error))
        self.attempts = attempts
        self.save = save
        self.max_megapixels = max_megapixels

    def __call__(self, batch: dict) -> dict:
        import ray

        if self.cannot_start:
            count = len(batch["source"])
            return {**batch, "error": [packed(self.cannot_start)] * count, "seconds": [0.0] * count,
                    "fatal": [True] * count, "cancelled": [False] * count}
        errors, seconds, cancelled = [], [], []
        for source, target in zip(batch["source"], batch["target"]):
            source, target = Path(source), Path(target)
            begun = time.monotonic()
            started, disk_full, batch_cancelled = ray.get(self.attempts.begin.remote(str(source)))
            not_run = batch_cancelled  # no network run begins after a cancel: the photo is left out, not failed
            if not_run:
                errors.append("")
            elif disk_full:  # a write found the output disk full: the local batch's policy, no network run
                errors.append(not_run_for_full_disk(source))
            elif started > MAX_ATTEMPTS:
                errors.append(reasons.about(source, reasons.reason(reasons.WORKERS_DIED, count=MAX_ATTEMPTS)))
            else:
                try:
                    errors.append(self._deblur(source, target))
                except Cancelled:  # stopped within its pass, before anything was written
                    errors.append("")
                    not_run = True
            cancelled.append(not_run)
            seconds.append(time.monotonic() - begun)
        return {**batch, "error": [packed(error) for error in errors], "seconds": seconds,
                "fatal": [False] * len(errors), "cancelled": cancelled}

    def _deblur(self, source: Path, target: Path) -> ReasonText:
        """The local batch's step for one photo (jobs.run.deblur_planned); the one-line reason it failed, or ''.
        A failure for lack of space stops every worker's network for the photos not yet begun (the ledger).
        Raises Cancelled when the batch was cancelled during the network's pass (the ledger, LedgerCancel)."""
        import ray

        cancel = LedgerCancel(self.attempts)
        _, reason, disk_full = deblur_planned(source, target, self.engine, self.save, cancel=cancel,
                                              progress=_worker_exit_hook(source, cancel),
                                              max_megapixels=self.max_megapixels)
        if disk_full:
            ray.get(self.attempts.stop_for_full_disk.remote())
        return reason


class LedgerCancel:
    """A worker's cancel check: whether the driver cancelled the batch (AttemptLedger.cancel), asked of the ledger at
    most every CANCEL_POLL_SECONDS while the network runs (the engine checks often: each a round trip otherwise)."""

    def __init__(self, ledger) -> None:
        self._ledger, self._cancelled, self._asked = ledger, False, -float("inf")

    def is_set(self) -> bool:
        import ray

        now = time.monotonic()
        if not self._cancelled and now - self._asked >= CANCEL_POLL_SECONDS:
            self._asked = now
            self._cancelled = ray.get(self._ledger.is_cancelled.remote())
        return self._cancelled


def _worker_exit_hook(source: Path, cancel: CancelCheck):
    """The fault-tolerance tests' way to kill a worker in the middle of a photo (see WORKER_EXIT_VARIABLE), to
    fail it as a full disk does (WORKER_DISK_FULL_VARIABLE), or to cancel the batch then (WORKER_CTRL_C_VARIABLE)."""
    name, _, driver = os.environ.get(WORKER_CTRL_C_VARIABLE, "").partition(":")
    if source.name == name:
        pressed = []

        def ctrl_c(_progress) -> None:
            if pressed:  # once: a second Ctrl+C stops the driver at once
                return
            pressed.append(True)
            os.kill(int(driver), signal.SIGINT)
            deadline = time.monotonic() + 60
            while not cancel.is_set() and time.monotonic() < deadline:
                time.sleep(0.05)

        return ctrl_c
    if source.name in os.environ.get(WORKER_DISK_FULL_VARIABLE, "").split(";"):
        def full(_progress) -> None:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        return full
    entries = dict(entry.partition(":")[::2] for entry in os.environ.get(WORKER_EXIT_VARIABLE, "").split(";"))
    if source.name not in entries:
        return None
    marker = entries[source.name]

    def die(_progress) -> None:
        if marker:
            try:
                os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
        os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))

    return die


class Cluster:
    """A connection to a Ray cluster and the size of the worker pool to run on it."""

    def __init__(self, address: str, workers: int | None = None, gpus_per_worker: float | None = None) -> None:
        self.address = address
        self._started_here = connect(address)
        try:
            self.pool = plan_pool(workers, gpus_per_worker)
        except BaseException:
            self.close()
            raise

    def describe(self) -> str:
        where = "a private Ray instance on this machine" if self.address == LOCAL else f"the Ray cluster at {self.address}"
        each = (f"{self.pool.gpus_per_worker:g} GPU(s)" if self.pool.gpus_per_worker
                else f"{self.pool.cpus_per_worker:g} CPU core(s)")
        return f"{self.pool.workers} worker(s) of {each} each on {where}"

    def close(self) -> None:
        if self._started_here:
            import ray

            ray.shutdown()
            self._started_here = False

    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def deblur(
        self,
        plans: list[PlannedOutput],
        checkpoint: Checkpoint,
        engine_choices: EngineChoices,
        save: SaveOptions,
        max_megapixels: float | None = None,
        cancel: CancelCheck | None = None,
    ) -> Iterator[tuple[PlannedOutput, ReasonText, float]]:
        """Deblur the planned photos on the pool; yields (plan, failure reason or '', seconds) as each finishes.

        Once ``cancel`` is set no worker begins a network run and those under way stop within their pass (the ledger):
        the photos written meanwhile still come back, those not run are left out, and then it ends, as the local
        batch does (jobs.run.RemoteRun)."""
        if not plans:
            return
        import ray

        _quiet_ray_data()
        attempts = ray.remote(num_cpus=0)(AttemptLedger).remote()
        # Absolute, as given (no symbolic links resolved): the paths every worker mounts.
        pending = {os.path.abspath(plan.source): plan for plan in plans}
        photos = self._photo_pool(plans, dict(weights=ray.put(checkpoint), attempts=attempts,
                                              engine_choices=engine_choices, save=save, max_megapixels=max_megapixels))
        done = threading.Event()
        watcher = threading.Thread(target=_pass_on_cancel, args=(cancel, attempts, done), daemon=True,
                                   name="deblur-cluster-cancel")
        watcher.start()
        try:
            for source, reason, seconds in _finished_photos(photos):
                yield pending.pop(source), reason, seconds
        except ray.exceptions.RayError as error:
            raise ClusterError(reasons.reason(reasons.CLUSTER_RUN_STOPPED, cause=reasons.first_line(error, None))) from None
        finally:
            done.set()
            watcher.join()
            ray.kill(attempts)
        # Every worker is done now: what workers killed mid-write left (hidden
        # temporary files, from this run or an earlier one that was killed) can go.
        imagefiles.remove_orphaned_temporaries(path for plan in plans for path in plan.paths)

    def _photo_pool(self, plans: list[PlannedOutput], worker_arguments: dict):
        """The photos as a Ray dataset mapped through the pool of PhotoWorkers (lazy: it runs as it is read)."""
        import ray.data

        rows = [{"source": os.path.abspath(plan.source), "target": os.path.abspath(plan.target)} for plan in plans]
        return ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            PhotoWorker,
            batch_size=1,
            # One photo at a time per worker, so no photo waits behind a busy worker while
            # another one is free; Ray Data restarts dead workers and retries their photo.
            compute=ray.data.ActorPoolStrategy(size=self.pool.workers, max_tasks_in_flight_per_actor=1),
            num_gpus=self.pool.gpus_per_worker,
            num_cpus=self.pool.cpus_per_worker,
            fn_constructor_kwargs=worker_arguments,
        )


def _pass_on_cancel(cancel: CancelCheck | None, ledger, done: threading.Event) -> None:
    """Tell the workers (through the ledger) when the batch is cancelled: the driver's thread waits on Ray Data."""
    while cancel is not None and not done.wait(0.1):
        if cancel.is_set():
            ledger.cancel.remote()
            return


def _finished_photos(photos) -> Iterator[tuple[str, ReasonText, float]]:
    """(source, failure reason or '', seconds) of each photo as soon as it is done, leaving out those a cancel kept
    from running; ClusterError when a worker cannot start."""
    # iter_rows would hold every row back until the next one has arrived (it prefetches),
    # a photo late on the progress bar
    for rows in photos.iter_batches(batch_size=None, prefetch_batches=0, batch_format="numpy"):
        for source, error, fatal, seconds, not_run in zip(rows["source"], rows["error"], rows["fatal"],
                                                          rows["seconds"], rows["cancelled"]):
            if fatal:
                raise ClusterError(unpacked(error))
            if not not_run:
                yield str(source), unpacked(error), float(seconds)


def _quiet_ray_data() -> None:
    """No progress bars, start notices or statistics from Ray Data: the command line shows its own."""
    import ray.data

    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    context.enable_auto_log_stats = False
    logging.getLogger("ray.data").setLevel(logging.CRITICAL)


def _score_rows(batch: dict, max_megapixels: float | None) -> dict:
    """A Ray Data task of a cluster scan: score the photos of one block (jobs.scan's own step)."""
    from .scan import score_photo

    scores, verdicts, errors = [], [], []
    for source in batch["source"]:
        row, reason = score_photo(Path(str(source)), max_megapixels)
        scores.append(row.blur_score if row else -1.0)
        verdicts.append(row.verdict if row else "")
        errors.append(packed(reason))
    return {"source": batch["source"], "blur_score": scores, "verdict": verdicts, "error": errors}


def scan_on(cluster: "Cluster", paths: list[Path], max_megapixels: float | None = None,
            concurrency: int | None = None):
    """Score photos on the cluster's CPUs (one core per task, at most ``concurrency`` at once
    when given, else as many as the cluster has cores); yields (path, ScanRow or None,
    failure reason) as blocks finish. The workers read the photos themselves."""
    if not paths:
        return
    import ray
    import ray.data

    from .scan import ScanRow

    _quiet_ray_data()
    rows = [{"source": os.path.abspath(path)} for path in paths]
    given = {os.path.abspath(path): Path(path) for path in paths}
    blocks = max(1, min(len(rows), 8 * max(1, cluster.pool.workers)))
    scored = ray.data.from_items(rows, override_num_blocks=blocks).map_batches(
        _score_rows, batch_size=16, num_cpus=1, fn_kwargs=dict(max_megapixels=max_megapixels),
        **({"concurrency": concurrency} if concurrency else {}))
    try:
        for batch in scored.iter_batches(batch_size=None, prefetch_batches=0, batch_format="numpy"):
            for source, score, verdict, error in zip(batch["source"], batch["blur_score"], batch["verdict"], batch["error"]):
                path, reason = given[str(source)], unpacked(error)
                yield (path, None, reason) if reason else (path, ScanRow(path, float(score), str(verdict)), "")
    except ray.exceptions.RayError as error:
        raise ClusterError(reasons.reason(reasons.CLUSTER_SCAN_STOPPED, cause=reasons.first_line(error, None))) from None


class AttemptLedger:
    """How many times each photo was started, across all workers, whether a write found the output disk
    full (then no worker runs the network again: not_run_for_full_disk) and whether the batch was cancelled
    (then none runs it again either, and a run under way stops: LedgerCancel) (a Ray actor)."""

    def __init__(self) -> None:
        self.started: dict[str, int] = {}
        self.disk_full = False
        self.cancelled = False

    def begin(self, source: str) -> tuple[int, bool, bool]:
        """(how many times ``source`` was started, this time included; whether the disk was found full; whether
        the batch was cancelled)."""
        self.started[source] = self.started.get(source, 0) + 1
        return self.started[source], self.disk_full, self.cancelled

    def stop_for_full_disk(self) -> None:
        self.disk_full = True

    def cancel(self) -> None:
        self.cancelled = True

    def is_cancelled(self) -> bool:
        return self.cancelled
