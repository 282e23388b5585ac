"""The model-runner thread: the only part of the window that touches torch.

``EngineClient`` lives in the GUI thread and owns a QThread running an
``EngineWorker``. The worker owns the loaded model (loaded lazily, reloaded
when the model or device changes) and runs one request at a time. Requests
and results are plain data (numpy arrays, dataclasses) carried by queued
signals, so the GUI thread never waits on the network.

torch is imported inside the worker thread only: importing this module does
not import torch (a test checks that).
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from .. import __version__
from ..engine.progress import Cancelled, CancelToken
from ..model.variants import DEFAULT_VARIANT, VARIANTS, run_name
from ..jobs import DEFAULT_NAME, BatchJob, SaveOptions, batch_log_header, existing_output_rule
from .outcomes import DeblurOutcome, RunFacts, compose_outcome  # noqa: F401  (DeblurOutcome: the result type)
from .partial_frames import PartialFrames


# ----------------------------------------------------------------------------- plain data


@dataclass(frozen=True)
class RunSettings:
    variant: str = DEFAULT_VARIANT
    ensemble: bool = False
    device: str = "auto"
    tile: int | None = None  # None: auto (sized from free memory), 0: whole image, N: N-pixel tiles
    precision: str = "auto"
    strength: float = 1.0  # how much of the correction to show and save (0..1)

    @property
    def model_name(self) -> str:
        return run_name(self.variant, self.ensemble)


@dataclass
class DeblurRequest:
    photo_key: str
    pixels: np.ndarray  # float32 (H, W, 3) of the whole photo
    settings: RunSettings
    region: tuple[int, int, int, int] | None = None  # (left, top, width, height): a preview
    kind: str = "deblur"


@dataclass
class BatchRequest:
    input_dir: Path
    output_dir: Path
    settings: RunSettings
    recursive: bool = False
    template: str = DEFAULT_NAME
    skip_existing: bool = True
    quality: int | None = None  # None: a JPEG source's own tables and subsampling (imagefiles.save_image)
    kind: str = "batch"
    min_blur: float | None = None  # deblur only photos whose blur score is at least this (jobs.scan)


@dataclass
class PrepareRequest:
    """Load the model for these settings and do its slow first-use work now, before any run:
    the int8 quantisation (15-70 s, once per weights) when the settings choose int8."""

    settings: RunSettings
    kind: str = "prepare"


def _prepared_for(settings: RunSettings) -> tuple:
    """What a preparation depends on: the model the worker loads for a run (see EngineWorker._engine_for)."""
    return settings.variant, settings.device, settings.precision


@dataclass
class WeightsInfo:
    key: str
    display_name: str
    path: Path | None
    description: str
    missing_message: str
    kind: str = ""  # "published", "user" or "starter" (catalog.PROVENANCES); "" when missing


@dataclass
class EngineInfo:
    app_version: str
    torch_version: str
    devices: list[str]  # present devices, e.g. ["cuda", "cpu"]
    auto_device: str
    weights: dict[str, WeightsInfo]
    accelerator_name: str = ""


@dataclass
class LoadedModel:
    variant: str
    display_name: str
    path: Path
    provenance: str
    metadata: dict[str, str]
    device: str
    precision: str
    precision_reason: str = ""  # why auto (or a fallback) runs this precision


@dataclass
class _Job:
    job_id: int
    token: CancelToken
    request: object


# ----------------------------------------------------------------------------- worker (own thread)


class EngineSignals(QObject):
    """What the worker reports; the GUI-side client relays the same signals."""

    info_ready = Signal(object)
    status = Signal(str)
    model_loaded = Signal(object)
    progress = Signal(int, int, int, str)
    partial = Signal(int, object)  # job id, PartialFrame: a tiled run's result so far, for display only
    finished = Signal(int, object)
    failed = Signal(int, str, str)
    cancelled = Signal(int)
    batch_event = Signal(int, object)
    preparing = Signal(bool)  # the int8 model is being quantised now (True), or that ended (False)
    prepared = Signal(int)  # a preparation job ended, whichever way


def _weights_stamp(variant: str) -> tuple | None:
    from ..weights.catalog import WeightsNotFound, find_weights

    try:
        path = find_weights(variant).path
        return str(path), path.stat().st_mtime_ns
    except (WeightsNotFound, OSError):
        return None


def _provenance(checkpoint) -> str:
    from ..weights.catalog import classify, describe

    return describe(classify(checkpoint.path, checkpoint.variant))


class EngineWorker(EngineSignals):
    def __init__(self) -> None:
        super().__init__()
        self._engine = None
        self._engine_key: tuple | None = None
        self._loaded: LoadedModel | None = None

    # -- start-up and info

    @Slot()
    def publish_info(self) -> None:
        try:
            self.info_ready.emit(self._engine_info())
        except Exception as error:  # a broken torch install must not kill the window
            self.info_ready.emit(
                EngineInfo(__version__, f"unavailable ({_one_line(error)})", [], "cpu", {})
            )

    @staticmethod
    def _engine_info() -> EngineInfo:
        import torch

        from ..weights.catalog import available_weights, describe, missing_weights_message
        from ..engine.devices import available_devices, resolve_device

        weights = {}
        for key, found in available_weights().items():
            variant = VARIANTS[key]
            weights[key] = WeightsInfo(
                key,
                variant.display_name,
                found.path if found else None,
                describe(found) if found else "",
                missing_weights_message(variant),
                found.kind if found else "",
            )
        name = torch.cuda.get_device_name() if torch.cuda.is_available() else ""
        return EngineInfo(
            __version__, torch.__version__, available_devices(), str(resolve_device("auto")), weights, name
        )

    # -- jobs

    @Slot(object)
    def handle(self, job: _Job) -> None:
        if isinstance(job.request, PrepareRequest):
            self._prepare(job)
            return
        if job.token.is_set():
            self.cancelled.emit(job.job_id)
            return
        try:
            if isinstance(job.request, BatchRequest):
                self._run_batch(job)
            else:
                self._run_deblur(job)
        except Cancelled:
            self.status.emit(self.tr("Cancelled"))
            self.cancelled.emit(job.job_id)
        except Exception as error:
            self.failed.emit(job.job_id, _reason(error), traceback.format_exc())

    @staticmethod
    def _engine_key_for(settings: RunSettings) -> tuple:
        # the weights file is part of the key: weights installed meanwhile are used by the next run
        return _prepared_for(settings) + (_weights_stamp(settings.variant),)

    def _engine_for(self, settings: RunSettings):
        key = self._engine_key_for(settings)
        if self._engine is None or self._engine_key != key:
            self._engine = None
            name = run_name(settings.variant, False)
            self.status.emit(self.tr("Loading {model} weights…").format(model=name))
            self._adopt(key, *self._load(settings))
        return self._engine

    @staticmethod
    def _load(settings: RunSettings):
        """The checkpoint and an engine for it: not yet the worker's (see _adopt)."""
        from ..jobs import EngineChoices, open_engine

        # the self-ensemble and tiles are given with each run (RunSettings), not as the engine's defaults
        opened = open_engine(EngineChoices(variant=settings.variant, device=settings.device, precision=settings.precision))
        return opened.checkpoint, opened.engine

    def _adopt(self, key: tuple, checkpoint, engine) -> None:
        self._engine, self._engine_key = engine, key
        self._loaded = LoadedModel(
            checkpoint.variant.key, checkpoint.variant.display_name, checkpoint.path,
            _provenance(checkpoint), dict(checkpoint.metadata), str(engine.device), engine.precision_name,
            engine.precision.reason,
        )
        self.model_loaded.emit(self._loaded)
        name = run_name(checkpoint.variant.key, False)
        self.status.emit(self.tr("{model} ready on {device}").format(model=name, device=engine.device))

    def _prepare(self, job: _Job) -> None:
        """Where these settings run int8 and its model is not cached yet, load the model and quantise now.

        Never an error: cancelled by the window closing or other settings coming; a failure is left
        for the run to report, as it did before (a failed quantisation falls back to float with a note).
        Nothing else is kept loaded: with nothing slow ahead, the first run loads the model as before.
        """
        try:
            from ..engine.devices import int8_runs_on, resolve_device

            settings = job.request.settings
            if job.token.is_set() or not int8_runs_on(resolve_device(settings.device)):
                return  # on a GPU: no model is loaded (there) before a run asks for it
            key = self._engine_key_for(settings)
            if self._engine is not None and self._engine_key == key:
                engine = self._engine
            else:
                checkpoint, engine = self._load(settings)
                if engine.int8_preparation_needed():
                    self._adopt(key, checkpoint, engine)
            if job.token.is_set() or not engine.int8_preparation_needed():
                return
            self.preparing.emit(True)
            try:
                engine.prepare(cancel=job.token)
            finally:
                self.preparing.emit(False)
            if engine.precision_name == "int8":
                self.status.emit(self.tr("The fast int8 model is ready (kept for next time)"))
            else:  # it fell back: the label says which precision runs now, the status why
                self._loaded = dataclasses.replace(self._loaded, precision=engine.precision_name,
                                                   precision_reason=engine.precision.reason)
                self.model_loaded.emit(self._loaded)
                self.status.emit(self.tr("No fast int8 model for these weights: {reason}").format(
                    reason="; ".join(engine.pending_notes)))
        except Cancelled:
            pass
        except Exception:  # noqa: BLE001 (no weights, a broken file: the run says why, in its own words)
            pass
        finally:
            self.prepared.emit(job.job_id)

    def _run_deblur(self, job: _Job) -> None:
        request: DeblurRequest = job.request
        engine = self._engine_for(request.settings)
        pixels = request.pixels
        if request.region is not None:
            left, top, width, height = request.region
            pixels = pixels[top : top + height, left : left + width]
        passes = 8 if request.settings.ensemble else 1
        frames = PartialFrames(request.photo_key, request.pixels, request.region, request.settings.strength)

        def progress(step) -> None:
            tile = (step.done - 1) // passes + 1
            tiles = max(1, step.total // passes)
            if passes > 1:
                text = self.tr("tile {tile} of {tiles}, pass {run} of {passes}").format(
                    tile=tile, tiles=tiles, run=(step.done - 1) % passes + 1, passes=passes)
            else:
                text = self.tr("tile {tile} of {tiles}").format(tile=tile, tiles=tiles)
            self.progress.emit(job.job_id, step.done, step.total, text)
            if step.finished_tile is not None and not job.token.is_set():
                frame = frames.add(step.finished_tile, last=step.done >= step.total)
                if frame is not None:
                    self.partial.emit(job.job_id, frame)

        self.status.emit(self.tr("Deblurring with {model}…").format(model=request.settings.model_name))
        self.progress.emit(job.job_id, 0, 0, "")  # the model is ready: the network starts now
        settings = request.settings
        result = engine.run(pixels, progress=progress, cancel=job.token, tile=settings.tile, ensemble=settings.ensemble)
        facts = RunFacts(result.seconds, result.tiles, result.passes, result.device, result.precision,
                         request.settings.model_name, tuple(result.notes), getattr(result, "backend", "torch"))
        outcome = compose_outcome(request.photo_key, request.pixels, request.region, result.full, result.half,
                                  result.quarter, request.settings.strength, facts)
        self.finished.emit(job.job_id, outcome)

    # -- batch

    def _run_batch(self, job: _Job) -> None:
        from .. import jobs

        request: BatchRequest = job.request
        settings = request.settings
        skip, overwrite = existing_output_rule("skip" if request.skip_existing else "replace")
        save = SaveOptions(quality=request.quality, overwrite=overwrite, strength=settings.strength)
        batch = BatchJob(request.input_dir, request.output_dir, request.recursive, request.template,
                         skip_existing=skip, save=save, tile=settings.tile, ensemble=settings.ensemble,
                         min_blur=request.min_blur)
        batch.log_header = batch_log_header(batch, settings.model_name, settings.device)

        def emit(event) -> None:
            self.batch_event.emit(job.job_id, event)

        summary = None
        for event in jobs.iter_batch(batch, lambda: self._engine_for(settings), cancel=job.token, on_progress=emit):
            emit(event)
            summary = event.summary or summary
        self.status.emit(self.tr("Batch cancelled") if summary.cancelled else self.tr("Batch finished"))
        self.finished.emit(job.job_id, summary)


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


def _reason(error: BaseException) -> str:
    """A one-line reason for a dialog; the engine's and jobs' errors already are one line."""
    text = _one_line(error)
    if "out of memory" in text.lower():
        return QCoreApplication.translate("EngineWorker", "Out of memory: {error}. Try a smaller tile size or the CPU.").format(
            error=text)
    return text


# ----------------------------------------------------------------------------- client (GUI thread)

_STUCK: list[tuple[QThread, EngineWorker]] = []


def stuck_threads() -> int:
    """Worker threads that did not stop when their window closed (still running)."""
    return sum(1 for thread, _worker in _STUCK if thread.isRunning())


class EngineClient(EngineSignals):
    """The GUI-side handle on the worker thread: submit, prepare, cancel, shut down.

    A run asked for while a preparation is under way waits here, not in the worker's
    queue, so that cancelling it takes effect at once rather than after the quantisation.
    """

    busy_changed = Signal(bool)
    preparation = Signal(str)  # a lasting status note while the int8 model is prepared; "" when that ends

    _submit = Signal(object)
    _refresh = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, CancelToken]] = {}
        self._preparations: dict[int, tuple[tuple, CancelToken]] = {}  # in the worker, not ended yet
        self._held: list[_Job] = []  # runs waiting for the preparations to end
        self.preparing = False  # the worker is quantising the int8 model
        self.info: EngineInfo | None = None
        self.loaded_model: LoadedModel | None = None
        self._thread = QThread()
        self._thread.setObjectName("deblur-engine")
        self._worker = EngineWorker()
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.publish_info)
        self._thread.finished.connect(self._worker.deleteLater)
        self._submit.connect(self._worker.handle)
        self._refresh.connect(self._worker.publish_info)
        w = self._worker
        w.info_ready.connect(self._on_info)
        w.status.connect(self.status)
        w.model_loaded.connect(self._on_model_loaded)
        w.progress.connect(self.progress)
        w.partial.connect(self.partial)
        w.batch_event.connect(self.batch_event)
        w.finished.connect(self._on_finished)
        w.failed.connect(self._on_failed)
        w.cancelled.connect(self._on_cancelled)
        w.preparing.connect(self._on_preparing)
        w.prepared.connect(self._on_prepared)
        self._thread.start()

    # -- state

    @property
    def busy(self) -> bool:
        return bool(self._pending)

    @property
    def preparation_pending(self) -> bool:
        """A preparation has not ended yet: runs asked for now wait for it."""
        return bool(self._preparations)

    @property
    def busy_kind(self) -> str | None:
        """The kind of the newest unfinished request ('deblur', 'preview', 'batch') or None."""
        if not self._pending:
            return None
        return self._pending[max(self._pending)][0]

    # -- requests

    def submit(self, request: DeblurRequest | BatchRequest) -> int:
        """Run a request; whatever was running is cancelled first.

        A preparation for the same model goes on and the run starts after it (on the
        prepared model); one for other settings is of no use to this run and is cancelled.
        """
        was_busy = self.busy
        self.cancel()
        self._cancel_preparations(keep=_prepared_for(request.settings))
        job_id = next(self._ids)
        token = CancelToken()
        kind = request.kind if not (isinstance(request, DeblurRequest) and request.region) else "preview"
        self._pending[job_id] = (kind, token)
        job = _Job(job_id, token, request)
        if self._preparations:
            self._held.append(job)
            self._announce_preparation()
        else:
            self._submit.emit(job)
        if not was_busy:
            self.busy_changed.emit(True)
        return job_id

    def prepare(self, settings: RunSettings) -> None:
        """Load the model for these settings now and make its int8 model if it needs one (see PrepareRequest).

        Cheap when there is nothing to do; a preparation for other settings is cancelled.
        Asked before the worker has said what it has (weights, devices), it waits for that.
        """
        if self.info is None:
            return
        key = _prepared_for(settings)
        if any(other == key and not token.is_set() for other, token in self._preparations.values()):
            return
        self._cancel_preparations()
        job_id = next(self._ids)
        token = CancelToken()
        self._preparations[job_id] = (key, token)
        self._submit.emit(_Job(job_id, token, PrepareRequest(settings)))

    def cancel(self) -> None:
        """Cancel the runs (a preparation goes on: the next run will want it)."""
        for _kind, token in self._pending.values():
            token.cancel()
        held, self._held = self._held, []
        for job in held:  # never reached the worker: they end now, reported as the worker would (later)
            QTimer.singleShot(0, self, functools.partial(self._on_cancelled, job.job_id))

    def _cancel_preparations(self, keep: tuple | None = None) -> None:
        """Cancel the preparations under way, but one for the model ``keep`` (a run will use it)."""
        for key, token in self._preparations.values():
            if key != keep:
                token.cancel()

    def refresh_info(self) -> None:
        self._refresh.emit()

    def shutdown(self, timeout_ms: int = 15000) -> bool:
        """Cancel, stop the thread and wait for it; False if it did not stop in time.

        A thread that is still busy is kept referenced (see ``stuck_threads``) so
        Python never destroys a running QThread; the app then exits hard.
        """
        self.cancel()
        self._cancel_preparations()
        self._thread.quit()
        stopped = self._thread.wait(timeout_ms)
        if not stopped:
            _STUCK.append((self._thread, self._worker))
        return stopped

    @property
    def thread_running(self) -> bool:
        return self._thread.isRunning()

    # -- worker signals

    def _on_info(self, info: EngineInfo) -> None:
        self.info = info
        self.info_ready.emit(info)

    def _on_model_loaded(self, model: LoadedModel) -> None:
        self.loaded_model = model
        self.model_loaded.emit(model)

    def _end(self, job_id: int) -> None:
        self._pending.pop(job_id, None)
        if not self._pending:
            self.busy_changed.emit(False)

    def _on_finished(self, job_id: int, outcome: object) -> None:
        self._end(job_id)
        self.finished.emit(job_id, outcome)

    def _on_failed(self, job_id: int, reason: str, details: str) -> None:
        self._end(job_id)
        self.failed.emit(job_id, reason, details)

    def _on_cancelled(self, job_id: int) -> None:
        self._end(job_id)
        self.cancelled.emit(job_id)

    def _on_preparing(self, active: bool) -> None:
        self.preparing = active
        self._announce_preparation()

    def _announce_preparation(self) -> None:
        if not self.preparing:
            self.preparation.emit("")
        elif self._held:
            self.preparation.emit(self.tr("The run starts when the fast int8 model is ready "
                                          "(prepared once for these weights, about a minute)…"))
        else:
            self.preparation.emit(self.tr("Preparing the fast int8 model for these weights (once, about a minute)…"))

    def _on_prepared(self, job_id: int) -> None:
        self._preparations.pop(job_id, None)
        if not self._preparations:
            held, self._held = self._held, []
            for job in held:
                self._submit.emit(job)
