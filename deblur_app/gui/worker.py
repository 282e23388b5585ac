"""The model-runner thread: the only part of the window that touches torch.

``EngineWorker`` runs in a QThread that the client (client.py) owns. It owns the loaded model
(loaded lazily, reloaded when the model or device changes) and runs one request at a time;
requests and results are plain data (messages.py) carried by queued signals, so the GUI
thread never waits on the network. Engines are opened by jobs.open_engine.

torch is imported inside the worker thread only: importing this module does not import torch
(a test checks that).
"""

from __future__ import annotations

import dataclasses
import traceback
import weakref

from PySide6.QtCore import QObject, Signal, Slot

from .. import __version__, imagefiles, reasons
from ..engine.heap import return_freed_memory
from ..engine.progress import Cancelled
from ..jobs import BatchJob, SaveOptions, batch_log_header, existing_output_rule
from ..model.registry import VARIANTS, run_name
from .i18n import shown_device, shown_model_name, shown_path
from .messages import (PREPARING_INT8, PREPARING_TIMING, BatchRequest, CheckInt8Request, DeblurRequest, EngineInfo, Job,
                       LoadedModel, PrepareRequest, RunSettings, WeightsInfo, prepared_for)
from .outcomes import DeblurOutcome, RunFacts, compose_outcome  # noqa: F401  (DeblurOutcome: the result type)
from .partial_frames import PartialFrames
from .reasons import translated

# What the window holds per pixel of a photo while the network runs, beyond what the engine counts for
# any caller (devices.PHOTO_BYTES_PER_PIXEL: the float32 photo, the stitcher, decoding and encoding): the
# photo's display pyramid as pixmaps (5.3 bytes; a pixmap shares its QImage's pixels), the run's partial
# frame in 8 bits (3) and, for a photo over 4 MP, the frame's half-size pyramid on screen and the one being
# made (2 x 1.3). That is some 11 bytes; the 16 kept leave the rest (~60 MB at 12 MP) toward the window's own
# runtime (Qt, ~122 MB), which the engine's model does not count: counting all of it moved 12 MP to torch
# (OpenVINO's copies left no tile room). A 12 MP photo in the window peaked at 1.514 GB with MIMO-UNet
# before the half-size frame (benchmarks/RESULTS.md, bench_12mp_memory.py window).
WINDOW_HELD_BYTES_PER_PIXEL = 16
# and the window's own runtime whatever the photo (Qt's libraries and widgets): the window peaked 122 MB above the
# command line on the same 800x600 photo (benchmarks/RESULTS.md, session 8). Until session 11 the engine's model
# counted 128 MiB of OpenVINO runtime that 12 MP command-line runs showed its other parts already cover; what it
# covered in the window was this (MIMO-UNet at 12 MP in the window peaked at 1.484 GB, session 9)
WINDOW_HELD_BYTES = 128 * 1024**2



class EngineSignals(QObject):
    """What the worker reports; the GUI-side client relays the same signals."""

    info_ready = Signal(object)
    status = Signal(str)
    model_loaded = Signal(object)
    progress = Signal(int, int, int, str)
    partial = Signal(int, object)  # job id, PartialFrame: a tiled run's result so far, for display only
    finished = Signal(int, object)
    failed = Signal(int, object, str)  # job id, its reason (reasons.ReasonText), the traceback
    cancelled = Signal(int)
    batch_event = Signal(int, object)
    # what the worker prepares now for the runs to come: PREPARING_INT8 (the OpenVINO export and NNCF's
    # quantisation, minutes the first time) or PREPARING_TIMING (`auto` times its paths); "" when that ended
    preparing = Signal(str)
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
                EngineInfo(__version__, self.tr("unavailable ({error})").format(error=_one_line(error)), [], "cpu", {})
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
    def handle(self, job: Job) -> None:
        if isinstance(job.request, PrepareRequest):
            self._prepare(job)
            return
        if isinstance(job.request, CheckInt8Request):
            self._check_paths(job)
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
        return prepared_for(settings) + (_weights_stamp(settings.variant),)

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
        opened = open_engine(EngineChoices(variant=settings.variant, device=settings.device, precision=settings.precision,
                                           held_bytes_per_pixel=WINDOW_HELD_BYTES_PER_PIXEL,
                                           held_bytes=WINDOW_HELD_BYTES))
        return opened.checkpoint, opened.engine

    def _adopt(self, key: tuple, checkpoint, engine) -> None:
        self._engine, self._engine_key = engine, key
        self._loaded = LoadedModel(
            checkpoint.variant.key, checkpoint.variant.display_name, checkpoint.path,
            _provenance(checkpoint), dict(checkpoint.metadata), str(engine.device), engine.precision_name,
            engine.precision.reason, _planner(engine),
        )
        self.model_loaded.emit(self._loaded)
        name = run_name(checkpoint.variant.key, False)
        self.status.emit(self.tr("{model} ready on {device}").format(model=name, device=shown_device(str(engine.device))))

    def _prepare(self, job: Job) -> None:
        """Where these settings run int8 and its model is not cached yet, load the model and quantise now;
        where `auto` has yet to time its paths on this CPU, time them now (the timings are kept on disk).

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
            if job.token.is_set() or not engine.preparation_needed():
                return
            quantising = engine.int8_preparation_needed()
            self.preparing.emit(PREPARING_INT8 if quantising else PREPARING_TIMING)
            try:
                engine.prepare(cancel=job.token)  # timing alone: kept on disk, the engine itself is not kept
            finally:
                self.preparing.emit("")
            if engine is not self._engine:
                return
            if (engine.precision_name, engine.precision.reason) != (self._loaded.precision,
                                                                     self._loaded.precision_reason):
                # timed (the fastest path) or fell back: the label says which precision runs now, the tip why
                self._loaded = dataclasses.replace(self._loaded, precision=engine.precision_name,
                                                   precision_reason=engine.precision.reason)
                self.model_loaded.emit(self._loaded)
            if engine.pending_notes:
                self.status.emit(self.tr("No fast int8 model for these weights: {reason}").format(
                    reason=translated(reasons.joined(*engine.pending_notes))))
            elif quantising and engine.precision_name == "int8":
                self.status.emit(self.tr("The fast int8 model is ready (kept for next time)"))
        except Cancelled:
            pass
        except Exception:  # noqa: BLE001 (no weights, a broken file: the run says why, in its own words)
            pass
        finally:
            self.prepared.emit(job.job_id)

    def _check_paths(self, job: Job) -> None:
        """Where `auto` could take a fast path (bf16, int8) but nobody measured it for these weights: measure each
        on the check set, record its verdict in the user's file and load the engine again, which then chooses
        with them (engine/verdicts.py). Never an error, and never in a run's way: cancelled by any run
        (EngineClient.submit); a cancelled check records nothing for the path it was measuring."""
        try:
            from ..engine.devices import int8_runs_on, resolve_device

            settings = job.request.settings
            if job.token.is_set() or settings.precision != "auto" or not int8_runs_on(resolve_device(settings.device)):
                return
            key = self._engine_key_for(settings)
            engine = self._engine if self._engine is not None and self._engine_key == key else self._load(settings)[1]
            paths = () if job.token.is_set() else engine.unmeasured_paths()
            verdicts = [v for v in (self._check_path(engine.model, path, job) for path in paths) if v]
            if not verdicts:  # nothing measured (no path can run here): nothing to choose again
                return
            self._adopt(key, *self._load(settings))  # chooses again, with the verdicts
            if self._engine.preparation_needed():
                self._engine.prepare(cancel=job.token)
                self._loaded = dataclasses.replace(self._loaded, precision=self._engine.precision_name,
                                                   precision_reason=self._engine.precision.reason)
                self.model_loaded.emit(self._loaded)
            self.status.emit(self.tr("Measured the fast paths with these weights: {verdicts}").format(
                verdicts=translated(reasons.joined(*verdicts))))
        except Cancelled:
            pass
        except Exception:  # noqa: BLE001 (a broken file: float runs, as without a verdict)
            pass
        finally:
            self.prepared.emit(job.job_id)

    def _check_path(self, model, path: str, job: Job) -> reasons.ReasonText:
        """Measure and record one path's verdict: its description, "" where the path cannot run here."""
        from ..engine.verdicts import check_path, record

        shown = shown_path(path)
        self.status.emit(self.tr("Measuring whether {path} keeps the picture with these weights (once)…").format(
            path=shown))

        def progress(done: int, total: int) -> None:
            self.status.emit(self.tr("Measuring {path} with these weights: photo {done} of {total}…").format(
                path=shown, done=done, total=total))

        try:
            check = check_path(model, path, cancel=job.token, progress=progress)
        except Cancelled:
            raise
        except Exception:  # noqa: BLE001 (no int8 model here, no OpenVINO: float runs, as without a verdict)
            return ""
        record(model, check)
        return reasons.about(path, check.verdict.describe())

    def _run_deblur(self, job: Job) -> None:
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

        # a preview said "Deblurring with" here, over the window's "Previewing photo.jpg with" of a second before
        started = self.tr("Previewing with {model}…") if request.region is not None else self.tr("Deblurring with {model}…")
        self.status.emit(started.format(model=shown_model_name(request.settings)))
        self.progress.emit(job.job_id, 0, 0, "")  # the model is ready: the network starts now
        settings = request.settings
        computed = engine.planned_pixels(pixels.shape[0], pixels.shape[1], settings.tile)  # its speed's measure
        result = engine.run(pixels, progress=progress, cancel=job.token, tile=settings.tile, ensemble=settings.ensemble)
        facts = RunFacts(result.seconds, result.tiles, result.passes, result.device, result.precision,
                         request.settings.model_name, tuple(result.notes), getattr(result, "backend", "torch"),
                         settings=request.settings, computed_pixels=computed)
        # what the window shows is what Save writes: a gray photo's result in gray (the network answers in colour)
        full, half, quarter = (None if outputs is None else imagefiles.in_photo_colours(outputs, request.grayscale)
                               for outputs in (result.full, result.half, result.quarter))
        outcome = compose_outcome(request.photo_key, request.pixels, request.region, full, half, quarter,
                                  request.settings.strength, facts)
        # the pictures' temporaries (the bands of the blend and heatmap, the halved levels) were freed into this
        # thread's arena, where Save (the file thread) and the pixmaps (the GUI thread) would not reuse them (heap.py)
        return_freed_memory()
        self.finished.emit(job.job_id, outcome)

    # -- batch

    def _run_batch(self, job: Job) -> None:
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


def _planner(engine):
    """The engine's tile plan for the window's time estimate (LoadedModel.planner), without keeping the engine: None
    once the worker let it go. Called on the GUI thread: the plan only reads the engine's sizes and choices."""
    engine_ref = weakref.ref(engine)

    def planned_pixels(height: int, width: int, tile: int | None) -> int | None:
        engine = engine_ref()
        return None if engine is None else engine.planned_pixels(height, width, tile)

    return planned_pixels


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]


def _reason(error: BaseException) -> reasons.ReasonText:
    """A one-line reason for a dialog: the jobs' one wording of a failure (the Reason the core's error
    carries, with advice when memory ran out), loaded here because jobs.run imports torch."""
    from ..jobs import one_line_reason

    return one_line_reason(error)
