"""Deblurring files: the glue the command line and the window share.

Reads a photo, runs the engine, writes the results atomically (``deblur_file``,
the per-photo step), and runs whole folders (``iter_batch``). Everything
that can go wrong for one file surfaces as ``JobError`` with a one-line
message naming the file, so callers never show a traceback.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .. import imagefiles, reasons
from ..weights.catalog import WeightsNotFound, find_weights, load_installed
from ..engine.devices import DeviceError
from ..engine.inference import DeblurResult, Deblurrer, EngineError, EngineOptions
from ..engine.progress import CancelCheck, Cancelled, ProgressCallback
from ..engine.strength import apply_strength
from ..engine.tiling import FROM_OPTIONS
from ..model.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from .spec import BatchEvent, BatchJob, BatchLog, BatchSummary, EngineChoices, PhotoFacts, SaveOptions
from ..model.registry import DEFAULT_VARIANT, PRESETS
from .naming import (PlannedOutput, batch_candidates, distinct_pairs, input_folder_problem, plan_outputs,
                     scale_paths)
from .pipeline import Outcome, Pipeline, Steps, disk_full


class JobError(Exception):
    """A one-line, user-facing reason why a job could not be done."""


@dataclass
class ModelChoice:
    variant: str  # a key of VARIANTS
    ensemble: bool


def parse_model(name: str | None, ensemble: bool = False) -> ModelChoice | None:
    """'mimo-unet++' is MIMO-UNet+ with the 8-way self-ensemble."""
    if name is None:
        return None
    preset = PRESETS.get(name.lower())
    if preset is None:
        raise JobError(reasons.reason(reasons.UNKNOWN_MODEL, name=repr(name), choices=", ".join(PRESETS)))
    return ModelChoice(preset.variant, ensemble or preset.ensemble)


def load_model(model: ModelChoice | None, weights: Path | None) -> Checkpoint:
    """The checkpoint to run: an explicit file (checked against --model) or the installed one."""
    try:
        if weights is not None:
            return load_checkpoint(weights, expected_variant=model.variant if model else None)
        return load_installed(_installed_weights(model.variant if model else None))
    except CheckpointError as error:
        raise JobError(reasons.of(error)) from None


def _installed_weights(variant: str | None) -> Path:
    """The installed weights file of this network (the default one when None). Raises JobError."""
    try:
        return find_weights(variant or DEFAULT_VARIANT).path
    except WeightsNotFound as error:
        raise JobError(reasons.of(error)) from None


def check_weights(choices: EngineChoices) -> None:
    """Raises JobError where open_engine would find no weights to load (none installed for the network, no
    ``choices.weights`` named): known from a listing of the weights folders, no file read. A batch asks it before
    anything else of its photos (iter_batch's ``check_model``): without weights none of them would run, and an
    existing output or an unreadable photo is not the first thing to mend."""
    if choices.weights is None:
        _installed_weights(choices.variant)


def make_engine(checkpoint: Checkpoint, options: EngineOptions) -> Deblurrer:
    try:
        return Deblurrer.from_checkpoint(checkpoint, options)
    except DeviceError as error:
        raise JobError(reasons.of(error)) from None


def open_checkpoint(choices: EngineChoices) -> Checkpoint:
    """The weights the choices name: ``choices.weights`` (checked against ``choices.variant``) or the
    installed ones of ``choices.variant`` (the default network when None). Raises JobError."""
    model = ModelChoice(choices.variant, choices.ensemble) if choices.variant else None
    return load_model(model, choices.weights)


def engine_options(choices: EngineChoices) -> EngineOptions:
    return EngineOptions(device=choices.device, precision=choices.precision, tile=choices.tile,
                         ensemble=choices.ensemble, backend=choices.backend,
                         held_bytes_per_pixel=choices.held_bytes_per_pixel, held_bytes=choices.held_bytes)


@dataclass
class OpenedEngine:
    checkpoint: Checkpoint
    engine: Deblurrer

    def model_name(self) -> str:
        return model_name(self.checkpoint, self.engine.options.ensemble)

    def describe(self) -> str:
        """'MIMO-UNet (mimo-unet.safetensors) on cpu bf16 with OpenVINO': what runs, and where."""
        backend = " with OpenVINO" if self.engine.backend == "openvino" else ""
        return f"{self.model_name()} on {self.engine.device} {self.engine.precision_name}{backend}"


def model_name(checkpoint: Checkpoint, ensemble: bool) -> str:
    """'MIMO-UNet+ with self-ensemble (mimo-unet+.safetensors)'."""
    name = checkpoint.display_name + (" with self-ensemble" if ensemble else "")
    return f"{name} ({checkpoint.path.name})"


def open_engine(choices: EngineChoices, checkpoint: Checkpoint | None = None) -> OpenedEngine:
    """The one way the command line, the window's worker and the cluster's workers open an engine.

    ``checkpoint``: weights already loaded for these choices (a cluster worker gets them from the
    driver, `check-int8` opens two engines on one file); else they are found and loaded here.
    Raises JobError with a one-line reason.
    """
    if checkpoint is None:
        # loaded here for this engine alone: what it says of the weights is kept, not its tensors, which the engine's
        # network shares (Checkpoint.build) and lets go while OpenVINO runs a large photo (release_torch_weights)
        checkpoint = open_checkpoint(choices)
        engine = make_engine(checkpoint, engine_options(choices))
        return OpenedEngine(dataclasses.replace(checkpoint, state_dict={}), engine)
    return OpenedEngine(checkpoint, make_engine(checkpoint, engine_options(choices)))


@dataclass
class FileResult:
    input: Path
    outputs: list[Path] = field(default_factory=list)
    result: DeblurResult | None = None


def deblur_file(
    input_path: Path,
    output_path: Path,
    engine: Deblurrer,
    save: SaveOptions,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    max_megapixels: float | None = None,
    tile: int | None | object = FROM_OPTIONS,
    ensemble: bool | None = None,
) -> FileResult:
    """Read, deblur and save one photo: the per-photo step of every batch (and of a remote worker).

    ``tile`` (None: auto, 0: whole image, N pixels) and ``ensemble`` are this run's; left out,
    the engine's options give them.
    Raises JobError, or Cancelled before anything is written.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    loaded = load_photo(input_path, output_path, save, max_megapixels)
    result = run_photo(engine, loaded, progress, cancel, tile, ensemble)
    return FileResult(input_path, save_result(result, loaded, output_path, save), result)


def load_photo(input_path: Path, output_path: Path, save: SaveOptions,
               max_megapixels: float | None = None) -> imagefiles.LoadedImage:
    """The photo to deblur, once the save may write where it is asked to; raises JobError."""
    check_outputs(input_path, output_path, save)  # before the slow run rather than after it
    try:
        return imagefiles.load_image(input_path, max_pixels=_max_pixels(max_megapixels))
    except imagefiles.ImageFileError as error:
        raise JobError(reasons.of(error)) from None


def _max_pixels(max_megapixels: float | None) -> int | None:
    return int(max_megapixels * 1e6) if max_megapixels else None


def run_photo(engine: Deblurrer, loaded: imagefiles.LoadedImage, progress: ProgressCallback | None = None,
              cancel: CancelCheck | None = None, tile: int | None | object = FROM_OPTIONS,
              ensemble: bool | None = None) -> DeblurResult:
    """The network's part of a photo; raises JobError, or Cancelled."""
    try:
        return engine.run(loaded.pixels, progress=progress, cancel=cancel, tile=tile, ensemble=ensemble)
    except EngineError as error:
        raise JobError(reasons.about(loaded.path, reasons.of(error))) from None


def save_result(result: DeblurResult, loaded: imagefiles.LoadedImage, output_path: Path, save: SaveOptions) -> list[Path]:
    """Write the result (and its ½ and ¼ outputs if asked for); never over the photo it came from."""
    check_outputs(loaded.path, output_path, save)
    written = []
    if save.save_scales and (result.half is None or result.quarter is None):
        raise JobError(reasons.about(output_path, reasons.reason(reasons.NO_SCALE_OUTPUTS)))
    try:
        written.append(_save(output_path, apply_strength(loaded.pixels, result.full, save.strength), loaded, save))
        if save.save_scales:
            coarse_like = dataclasses.replace(loaded, alpha=None)
            for name, path in scale_paths(output_path).items():
                written.append(_save(path, getattr(result, name), coarse_like, save))
    except imagefiles.ImageFileError as error:
        raise JobError(reasons.of(error)) from None
    return written


def _save(path: Path, pixels: np.ndarray, like: imagefiles.LoadedImage, save: SaveOptions) -> Path:
    return imagefiles.save_image(
        path, pixels, like=like, bit_depth=save.bit_depth, quality=save.quality, overwrite=save.overwrite,
        marker=imagefiles.app_marker(),  # a later batch of this folder leaves it alone (naming.batch_candidates)
    )


def input_problem(path: Path, max_megapixels: float | None = None) -> reasons.ReasonText:
    """Why a photo cannot be read at all ('' when it can be opened): checked before the model loads.
    A camera RAW file's sensor data is read too (not developed), so a fake or truncated one is named here;
    another photo's header is opened as load_image opens it (not an image, HEIC without pillow-heif, over
    ``max_megapixels``), so such a file after the first is not found only once the model has loaded."""
    path = Path(path)
    not_a_file = imagefiles.not_a_file_reason(path)  # a folder, or a pipe or device the open below would wait on
    if not_a_file:
        return reasons.about(path, not_a_file)
    try:
        with open(path, "rb") as handle:
            if not handle.read(1):
                return reasons.about(path, reasons.reason(reasons.EMPTY_FILE))
    except FileNotFoundError:
        return reasons.about(path, reasons.reason(reasons.FILE_NOT_FOUND))
    except PermissionError:
        return reasons.about(path, reasons.reason(reasons.CANNOT_READ_PERMISSION))
    except OSError as error:
        return reasons.about(path, reasons.reason(reasons.CANNOT_READ, cause=error.strerror or error))
    problem = imagefiles.raw_problem(path)  # a fake or truncated camera RAW file, found in a fraction of a second
    if problem or imagefiles.is_raw(path):
        return problem
    cut_short = imagefiles.cut_short_reason(path)  # before a large photo's engine preparation, not after it
    if cut_short:
        return reasons.about(path, cut_short)
    facts = imagefiles.file_facts(path)
    several = imagefiles.several_pictures_reason(facts) if facts is not None else ""
    if several:
        return reasons.about(path, several)
    in_header = imagefiles.header_problem(path, max_pixels=_max_pixels(max_megapixels))
    return reasons.about(path, in_header) if in_header else ""


def prepare_output_folder(folder: Path) -> None:
    """Create the output folder if needed and make sure files can be written in it; raises JobError."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise JobError(reasons.about(folder, reasons.reason(reasons.OUTPUT_FOLDER_IS_A_FILE)))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise JobError(reasons.about(folder, reasons.reason(reasons.CANNOT_CREATE_OUTPUT_FOLDER, cause=_os_reason(error)))) from None
    problem = folder_problem(folder)
    if problem:
        raise JobError(problem)


def folder_problem(folder: Path) -> reasons.ReasonText:
    """Why files cannot be written in an existing folder ('' when they can): it is tried, not guessed."""
    folder = Path(folder)
    if not folder.is_dir():  # `-o notes.txt/out.png`: a file where the folder should be is no missing folder
        exists = folder.exists()
        return reasons.about(folder, reasons.reason(reasons.NOT_A_FOLDER if exists else reasons.NO_SUCH_FOLDER))
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".deblur-write-test-"):
            pass
    except OSError as error:
        return reasons.about(folder, reasons.reason(reasons.CANNOT_WRITE_IN_OUTPUT_FOLDER, cause=_os_reason(error)))
    return ""


def _os_reason(error: OSError) -> str:
    return "permission denied" if isinstance(error, PermissionError) else (error.strerror or str(error))


def output_problem(plan: PlannedOutput, overwrite: bool) -> reasons.ReasonText:
    """The policy's one-line answer for a planned output, saying how to replace an existing one."""
    problem = plan.problem(overwrite)
    return problem if not problem or plan.refusal else reasons.reason(reasons.USE_OVERWRITE, problem=problem)


def check_outputs(input_path: Path, output_path: Path, save: SaveOptions) -> None:
    """Raise JobError if the save may not write there: the output policy (naming.plan_outputs), then the format."""
    (plan,) = plan_outputs([(Path(input_path), Path(output_path))], save_scales=save.save_scales)
    problem = output_problem(plan, save.overwrite)
    if problem:
        raise JobError(problem)
    if save.bit_depth == 16 and imagefiles.sixteen_bit_problem(output_path):
        raise JobError(reasons.about(output_path, imagefiles.sixteen_bit_problem(output_path)))


# ----------------------------------------------------------------------------- batches


# Deblurs planned photos elsewhere (deblur_app.jobs.cluster): yields (plan, failure reason or "",
# seconds) for each, in any order. Once the cancel check is set it begins no network run, yields the photos whose
# run had finished (written) and leaves out those it did not run, then ends.
RemoteRun = Callable[[list[PlannedOutput], CancelCheck | None], Iterator[tuple[PlannedOutput, str, float]]]


def iter_batch(
    job: BatchJob,
    load_engine: Callable[[], Deblurrer],
    cancel: CancelCheck | None = None,
    on_progress: Callable[[BatchEvent], None] | None = None,
    remote: RemoteRun | None = None,
    check_model: Callable[[], None] | None = None,
) -> Iterator[BatchEvent]:
    """Deblur a folder (or ``job.files``) photo by photo, yielding what happens; the one batch loop of the app.

    Yields "start" (with the photo count), "left_out" for each file of the folder that is no
    photo to deblur (with the reason: naming.batch_candidates), then for each photo "file" and
    one of "done", "skipped" or "failed", then "end" with the summary. Progress within a photo
    goes to ``on_progress`` (it happens inside the network run). Nothing slow happens before
    the checks: the output folder is created and tested for writing, and every photo's output
    is planned (naming.plan_outputs: never an input), its file opened and, with a blur filter,
    its blur scored, so the photos that will not run are reported first; ``load_engine`` is
    called then, once, for the first photo that needs the network. A bad photo fails alone; a
    batch that cannot run at all (no output folder, no model) raises JobError. With
    ``job.log_header`` every event also goes to the batch's log in the output folder
    (BatchLog), and the summary says where it is.

    ``check_model``: raises JobError where ``load_engine`` would certainly fail (check_weights: no weights
    installed); called first, once the batch has photos, before its output folder is made and its photos are
    checked: the order of a batch's checks is decided here, and a missing network comes before every photo's
    problem (an output that exists, a photo that cannot be read).

    ``cancel`` (the window's Cancel, the command line's first Ctrl+C): no network run begins after it and the one
    under way stops within its pass; every photo the network had finished is written (atomically) and reported
    "done" before "end", whose summary says cancelled: its counts are the files written.

    With ``remote`` (a cluster run), the photos that need the network are handed to it,
    all at once after the checks, instead of being deblurred here; "done" and "failed"
    follow in the order it finishes them.
    """
    log = BatchLog(job.output_dir, job.log_header) if job.log_header is not None and job.files is None else None
    try:
        for event in _batch_events(job, load_engine, cancel, on_progress, remote, check_model):
            if log is not None:
                log(event)
                if event.kind == "end":
                    event.summary.log_path = log.written
            yield event
    finally:
        if log is not None:
            log.close()


@dataclass
class _Tally:
    """What a batch has done so far: its summary in the making."""

    done: int = 0
    skipped: int = 0
    failed: list[tuple[Path, reasons.ReasonText]] = field(default_factory=list)
    cancelled: bool = False

    def cancelled_by(self, cancel: CancelCheck | None) -> bool:
        self.cancelled = self.cancelled or (cancel is not None and cancel.is_set())
        return self.cancelled


def _batch_events(job: BatchJob, load_engine, cancel, on_progress, remote, check_model) -> Iterator[BatchEvent]:
    started = time.monotonic()
    pairs, left_out, unmarked = _job_pairs(job)
    if pairs and check_model is not None:  # no network to run: said before anything else (iter_batch)
        check_model()
    total, tally = len(pairs), _Tally()
    yield BatchEvent("start", total=total)
    # an output folder the batch cannot use stops it (JobError) before anything is said of the files
    plans = _plan(job, pairs, unmarked) if pairs else []
    for path, reason in left_out:  # every file not deblurred is named, with why (not a photo, our own output...)
        yield BatchEvent("left_out", path=path, reason=reason)
    if plans:
        if remote is None:  # a cluster run cleans up once its workers are gone (cluster.py)
            # A run killed mid-write (SIGKILL, the OOM killer) leaves hidden temporaries beside its outputs;
            # only those of this run's own outputs go, so a rerun leaves a clean folder.
            imagefiles.remove_orphaned_temporaries(path for plan in plans if not plan.refusal for path in plan.paths)
        runnable = yield from _check(job, plans, cancel, tally)
        if remote is not None:
            yield from _run_remote(runnable, total, remote, cancel, tally)
        else:
            yield from _run_here(job, runnable, total, load_engine, cancel, on_progress, tally)
    summary = BatchSummary(total, tally.done, tally.skipped, tally.failed, tally.cancelled,
                           time.monotonic() - started, left_out=left_out)
    yield BatchEvent("end", total=total, summary=summary)


def _job_pairs(job: BatchJob) -> tuple[list[tuple[Path, Path]], list[tuple[Path, str]], list[Path]]:
    """The job's (photo, output) pairs, the files of its folder left out with why, and those of them no output
    may replace (BatchCandidates.unmarked)."""
    if job.files is not None:
        return distinct_pairs(job.files), [], []
    problem = input_folder_problem(job.input_dir)
    if problem:
        raise JobError(problem)
    candidates = batch_candidates(job.input_dir, job.output_dir, job.recursive, job.template)
    return candidates.pairs, candidates.left_out, candidates.unmarked


def _plan(job: BatchJob, pairs: list[tuple[Path, Path]], unmarked: list[Path]) -> list[PlannedOutput]:
    if job.files is not None:  # outputs beside their photos, or in a folder the command line prepared
        return plan_outputs(pairs, job.save.save_scales, inputs=[source for source, _ in pairs])
    prepare_output_folder(job.output_dir)
    return plan_outputs(pairs, job.save.save_scales, unmarked=unmarked)


def _check(job: BatchJob, plans: list[PlannedOutput], cancel, tally: _Tally):
    """Skip or fail each photo that will not run, yielding its events; returns the (index, plan) of the others."""
    runnable, folders, total = [], {}, len(plans)
    for index, plan in enumerate(plans):
        if tally.cancelled_by(cancel):
            break
        source, target = plan.source, plan.target
        skip = _why_skip(plan, job)
        problem = "" if skip else _photo_problem(plan, job, folders)
        skip = skip or ("" if problem else _sharp_enough(source, job))
        if skip or problem:
            yield BatchEvent("file", index, total, source, target)
        if skip:
            tally.skipped += 1
            yield BatchEvent("skipped", index, total, source, target, skip)
        elif problem:
            tally.failed.append((source, problem))
            yield BatchEvent("failed", index, total, source, target, problem)
        else:
            runnable.append((index, plan))
    return runnable


def _why_skip(plan: PlannedOutput, job: BatchJob) -> reasons.ReasonText:
    if not plan.refusal and plan.target in plan.existing and job.skip_existing:
        return reasons.reason(reasons.OUTPUT_EXISTS, output=plan.target.name)
    return ""


def _photo_problem(plan: PlannedOutput, job: BatchJob, folders: dict[Path, str]) -> reasons.ReasonText:
    """Why a photo cannot run: its output (the policy), its file, or (a list of files) its output's folder."""
    problem = output_problem(plan, job.save.overwrite) or input_problem(plan.source, job.max_megapixels)
    if problem or job.files is None:  # a folder's batch creates its sub-folders as it goes
        return problem
    folder = plan.target.parent
    if folder not in folders:
        folders[folder] = folder_problem(folder)
    return folders[folder]


def _run_here(job: BatchJob, runnable, total: int, load_engine, cancel, on_progress, tally: _Tally):
    """The checked photos through the pipeline (jobs/pipeline.py): reading and writing overlap the network,
    the events stay those of one photo after the other."""
    if not runnable or tally.cancelled_by(cancel):
        return
    pipeline = Pipeline(runnable, _batch_steps(job), load_engine, cancel)
    plans = dict(runnable)
    try:
        outcomes = pipeline.outcomes(None if on_progress is None else lambda index, step: on_progress(
            BatchEvent("progress", index, total, plans[index].source, fraction=step.fraction)))
        for position, (index, plan) in enumerate(runnable):
            if tally.cancelled_by(cancel):  # the photos written meanwhile are reported, then nothing more
                for index, outcome in _finished(pipeline).items():
                    yield BatchEvent("file", index, total, plans[index].source, plans[index].target)
                    yield from _report(outcome, plans[index], total, tally, 0.0)
                return
            yield BatchEvent("file", index, total, plan.source, plan.target)
            begun = time.monotonic()
            outcome = next(outcomes)
            if outcome.kind == "fatal":  # no engine: the batch cannot run (raised as before)
                raise outcome.error
            if outcome.kind == "cancelled":
                tally.cancelled = True
                return
            yield from _report(outcome, plan, total, tally, time.monotonic() - begun)
            if outcome.disk_full:
                yield from _stop_for_full_disk(pipeline, runnable[position + 1:], total, tally)
                return
    finally:
        pipeline.close()  # a write under way finishes (atomically); nothing is written after the batch


def _stop_for_full_disk(pipeline: Pipeline, rest, total: int, tally: _Tally):
    """A full output disk stops the batch: every later write would fail too, after a network run each (minutes
    a photo, for nothing). The photos written meanwhile are reported; each other one fails, saying why."""
    finished = _finished(pipeline)
    for index, plan in rest:
        yield BatchEvent("file", index, total, plan.source, plan.target)
        if index in finished:
            yield from _report(finished[index], plan, total, tally, 0.0)
            continue
        reason = not_run_for_full_disk(plan.source)
        tally.failed.append((plan.source, reason))
        yield BatchEvent("failed", index, total, plan.source, plan.target, reason)


#: The outcomes _report turns into a photo's last event (not "cancelled", nor "fatal").
_REPORTED_KINDS = ("done", "failed", "skipped")


def _finished(pipeline: Pipeline) -> dict[int, Outcome]:
    """The photos the pipeline finished after the batch stopped taking results (written meanwhile, failed or
    skipped), by index, in the order they finished: reported before the batch ends."""
    return {outcome.index: outcome for outcome in pipeline.finish() if outcome.kind in _REPORTED_KINDS}


def not_run_for_full_disk(source: Path) -> reasons.ReasonText:
    """What a batch says of each photo it did not run once a write found the output disk full (the policy of the
    local batch and of a cluster's workers: the first failed write for lack of space, pipeline.disk_full, stops
    the network for the rest, which would fail the same way after minutes each)."""
    return reasons.about(source, reasons.reason(reasons.NOT_RUN_DISK_FULL))


def _report(outcome: Outcome, plan: PlannedOutput, total: int, tally: _Tally, seconds: float):
    if outcome.kind == "skipped":
        tally.skipped += 1
        yield BatchEvent("skipped", outcome.index, total, plan.source, plan.target, outcome.reason)
    elif outcome.kind == "failed":
        tally.failed.append((plan.source, outcome.reason))
        yield BatchEvent("failed", outcome.index, total, plan.source, plan.target, outcome.reason)
    else:
        tally.done += 1
        yield BatchEvent("done", outcome.index, total, plan.source, plan.target, seconds=seconds, facts=outcome.done)


class WrittenMeanwhile(JobError):
    """A photo's output that did not exist when the batch was planned exists now: another batch into the same
    folder wrote it. A batch that skips existing outputs skips the photo, as it would have at the start."""


def _batch_steps(job: BatchJob) -> Steps:
    """A batch's per-photo work for the pipeline: deblur_planned's steps, split where the threads meet."""

    def skip_if_written_meanwhile(plan: PlannedOutput) -> None:
        if job.skip_existing and os.path.lexists(plan.target):
            raise WrittenMeanwhile(reasons.reason(reasons.OUTPUT_EXISTS, output=plan.target.name))

    def load(plan: PlannedOutput) -> imagefiles.LoadedImage:
        plan.target.parent.mkdir(parents=True, exist_ok=True)
        skip_if_written_meanwhile(plan)  # before the network's minutes, not only after them
        return load_photo(plan.source, plan.target, job.save, job.max_megapixels)

    def deblur(engine: Deblurrer, loaded: imagefiles.LoadedImage, progress: ProgressCallback,
               cancel: CancelCheck) -> DeblurResult:
        return run_photo(engine, loaded, progress, cancel, job.tile, job.ensemble)

    def save(plan: PlannedOutput, loaded: imagefiles.LoadedImage, result: DeblurResult) -> PhotoFacts:
        try:
            return _facts(FileResult(plan.source, save_result(result, loaded, plan.target, job.save), result))
        except JobError:  # written while the network ran: 'already exists', now or at the write's last step
            skip_if_written_meanwhile(plan)
            raise

    def prepare(engine: Deblurrer, size: tuple[int, int], cancel: CancelCheck) -> None:
        engine.prepare_photo(*size, tile=job.tile, ensemble=job.ensemble, cancel=cancel)

    return Steps(load=load, deblur=deblur, save=save, reason=lambda plan, error: failure_reason(plan.source, error),
                 skipped=lambda error: isinstance(error, WrittenMeanwhile),
                 pixels=lambda loaded: loaded.pixels.shape[0] * loaded.pixels.shape[1],
                 size=lambda plan: imagefiles.photo_size(plan.source, max_pixels=_max_pixels(job.max_megapixels)),
                 prepare=prepare)


def _run_remote(runnable, total: int, remote: RemoteRun, cancel, tally: _Tally):
    if not runnable or tally.cancelled_by(cancel):
        return
    index_of = {id(plan): index for index, plan in runnable}
    # after a cancel the remote run ends by itself, once the photos its workers had begun are back: those written
    # are reported, so the summary counts every file the cluster wrote (RemoteRun)
    for plan, reason, seconds in remote([plan for _, plan in runnable], cancel):
        index = index_of[id(plan)]
        if reason:
            tally.failed.append((plan.source, reason))
            yield BatchEvent("failed", index, total, plan.source, plan.target, reason)
        else:
            tally.done += 1
            yield BatchEvent("done", index, total, plan.source, plan.target, seconds=seconds)
    tally.cancelled_by(cancel)


def deblur_planned(source: Path, target: Path, engine: Deblurrer, save: SaveOptions,
                   **run) -> tuple[FileResult | None, reasons.ReasonText, bool]:
    """The step of every batch for one checked photo, here or on a cluster worker: its output's
    folder, then deblur_file (``run``: its progress, cancel, max_megapixels, tile, ensemble).

    Returns (the result, '', False) or (None, the one-line reason it failed, whether it failed for lack of space,
    pipeline.disk_full: the batch then runs no more photos, not_run_for_full_disk): one bad photo, or a bug it
    triggers, must not stop the batch. Cancelled passes through.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return deblur_file(source, target, engine, save, **run), "", False
    except Cancelled:
        raise
    except Exception as error:  # one bad photo (or a bug it triggers) must not stop the batch
        return None, failure_reason(source, error), disk_full(error)


def failure_reason(source: Path, error: BaseException) -> reasons.ReasonText:
    """The one-line reason a photo failed: a JobError's own, else the photo and what went wrong."""
    return reasons.of(error) if isinstance(error, JobError) else reasons.about(source, one_line_reason(error))


def _facts(done: FileResult) -> PhotoFacts:
    result = done.result
    return PhotoFacts(tuple(done.outputs), result.full.shape[1], result.full.shape[0], result.seconds, result.tiles,
                      tuple(result.notes))


def _sharp_enough(source: Path, job: BatchJob) -> reasons.ReasonText:
    """Why the photo is skipped by the job's blur filter ('' to deblur it). A photo the scan
    cannot read is deblurred, so that the deblurring names the problem."""
    if job.min_blur is None:
        return ""
    from .scan import blur_of

    score = blur_of(source, job.max_megapixels)
    if score is None or score >= job.min_blur:
        return ""
    return reasons.reason(reasons.SHARP_ENOUGH, score=f"{score:.1f}", threshold=f"{job.min_blur:g}")


def one_line_reason(error: BaseException) -> reasons.ReasonText:
    """A one-line reason for an unexpected error, with advice where there is some (the Reason the
    error carries, when it is one line already and needs no advice)."""
    said = reasons.one_line(reasons.of(error), 300)
    text = str(said) or type(error).__name__
    if isinstance(error, MemoryError) or "out of memory" in text.lower():
        return reasons.reason(reasons.OUT_OF_MEMORY_ADVICE, error=said if str(said) else text)
    return said if str(said) else text
