"""Plain descriptions of jobs and of what happens to them (no torch, no Qt).

The window's widgets read these (a batch's events and summary) without loading the
network; run.py does the work they describe.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..engine.tiling import FROM_OPTIONS
from ..reasons import ReasonText, about
from .naming import DEFAULT_NAME

# What a batch does with a photo whose output exists: skip the photo, replace the output, or
# refuse it (a failure that says how to replace it). Inputs are never written over, whatever
# the rule (naming.plan_outputs).
EXISTING_OUTPUT_RULES = ("skip", "replace", "refuse")


def existing_output_rule(rule: str) -> tuple[bool, bool]:
    """(BatchJob.skip_existing, SaveOptions.overwrite) for one of EXISTING_OUTPUT_RULES: the one
    place that says what the front ends' choices (the window's checkbox, --skip-existing and
    --overwrite) mean to a batch."""
    if rule not in EXISTING_OUTPUT_RULES:
        raise ValueError(f"unknown rule for existing outputs {rule!r}; one of {', '.join(EXISTING_OUTPUT_RULES)}")
    return rule == "skip", rule == "replace"


@dataclass(frozen=True)
class EngineChoices:
    """Which network to open, with which weights, and where and how it runs: the command line's model
    options and the window's settings, in the words of the engine's choices (engine.choices).

    No torch here: the window builds these before a model loads, and a cluster run sends them to
    workers that open their own engine (jobs.run.open_engine is the one place that opens one).
    """

    variant: str | None = None  # a key of VARIANTS; None: the default network, or whatever ``weights`` holds
    weights: Path | None = None  # a weights file instead of the installed ones (checked against ``variant``)
    ensemble: bool = False  # the engine's default for runs that do not say (8-way self-ensemble)
    device: str = "auto"
    precision: str = "auto"
    backend: str = "auto"
    tile: int | None = None  # the engine's default for runs that do not say (tiling.parse_tile's vocabulary)
    held_bytes_per_pixel: int = 0  # what the caller holds per photo pixel beside the engine (EngineOptions)
    held_bytes: int = 0  # and whatever the photo's size (EngineOptions)


@dataclass
class SaveOptions:
    save_scales: bool = False
    bit_depth: int | None = None  # None: same as the input where the format allows
    quality: int | None = None  # None: a JPEG keeps a JPEG input's quality and subsampling, else 95
    overwrite: bool = False
    strength: float = 1.0  # how much of the correction the saved photo keeps (0..1)


@dataclass
class BatchJob:
    """A folder of photos to deblur into another folder, or a list of photos each with its output
    (``of_files``); the rules both front ends follow."""

    input_dir: Path | None
    output_dir: Path | None
    recursive: bool = False
    template: str = DEFAULT_NAME
    skip_existing: bool = True  # else an existing output is replaced if save.overwrite, or fails
    save: SaveOptions = field(default_factory=SaveOptions)
    max_megapixels: float | None = None
    tile: int | None | object = FROM_OPTIONS  # None: auto, 0: whole image, N: N-pixel tiles
    ensemble: bool | None = None  # None: as the engine's options say
    min_blur: float | None = None  # skip photos whose blur score (jobs.scan) is lower; None: deblur all
    # (photo, output) pairs instead of a folder's photos (deblur FILE...); their output folders must exist
    files: list[tuple[Path, Path]] | None = None
    # the first lines of the batch's log in the output folder (batch_log_header); None: no log
    log_header: list[str] | None = None

    @classmethod
    def of_files(cls, pairs, save: SaveOptions, max_megapixels: float | None = None) -> "BatchJob":
        """These photos, each to its own output; none is skipped (an existing output is replaced or
        refused, as ``save.overwrite`` says)."""
        return cls(None, None, skip_existing=False, save=save, max_megapixels=max_megapixels,
                   files=[(Path(source), Path(target)) for source, target in pairs])


def batch_log_header(job: BatchJob, model: str, device: str) -> list[str]:
    """What the log of a folder's batch says first, from the window or the command line alike."""
    return [
        f"deblur-app {__version__} batch: {job.input_dir} -> {job.output_dir}",
        f"model {model}, device {device}, strength {job.save.strength * 100:.0f} %, "
        f"recursive {job.recursive}, names {job.template!r}",
    ]


@dataclass(frozen=True)
class PhotoFacts:
    """What came of one photo deblurred in this process (for a "done" event): no pixels, so events stay small."""

    outputs: tuple[Path, ...]
    width: int
    height: int
    seconds: float  # the network's
    tiles: int
    notes: tuple[ReasonText, ...] = ()


@dataclass
class BatchSummary:
    total: int
    done: int
    skipped: int
    failed: list[tuple[Path, ReasonText]]
    cancelled: bool
    seconds: float
    log_path: Path | None = None
    # files of the folder that are no photos to deblur: (file, one-line reason naming it)
    left_out: list[tuple[Path, str]] = field(default_factory=list)


@dataclass
class BatchEvent:
    kind: str  # start | left_out | file | progress | done | skipped | failed | end
    index: int = 0
    total: int = 0
    path: Path | None = None
    output: Path | None = None
    reason: ReasonText = ""
    fraction: float = 0.0  # of this photo, for "progress"
    seconds: float = 0.0  # this photo's, for "done"
    summary: BatchSummary | None = None  # for "end"
    facts: PhotoFacts | None = None  # for "done", when the photo was deblurred in this process


def naming_the_file(reason: ReasonText, path: Path | None, output: Path | None = None) -> ReasonText:
    """A failure's reason naming its file once: as it is when it starts with the photo or its
    output (most reasons do, as the CLI prints them), else with the photo's path in front."""
    if any(spelled is not None and str(reason).startswith(f"{spelled}: ") for spelled in (path, output)):
        return reason
    return about(path, reason) if path is not None else reason


class BatchLog:
    """The batch's log file in its output folder: one consumer of iter_batch's events.

    Opened at the first photo (the folder exists by then), flushed after every line so a
    killed batch leaves a log that says how far it got. Only the logs of the last
    KEPT_BATCH_LOGS runs stay in the folder: rerunning a batch must not pile up a log each time.
    """

    KEPT_BATCH_LOGS = 3

    def __init__(self, output_dir: Path, header: list[str]) -> None:
        self.path = Path(output_dir) / f"deblur-batch-{time.strftime('%Y%m%d-%H%M%S')}.log"
        self._header = list(header)
        self._handle = None

    @property
    def written(self) -> Path | None:
        return self.path if self._handle is not None else None

    def __call__(self, event: BatchEvent) -> None:
        if event.kind == "start":
            self._header.append(f"{event.total} photo(s)")
        if event.kind in ("start", "file", "progress", "left_out"):
            return
        if event.kind == "skipped":
            self._write(f"SKIPPED {event.path}: {event.reason}")
        elif event.kind == "failed":
            self._write(f"FAILED {naming_the_file(event.reason, event.path, event.output)}")
        elif event.kind == "done":
            self._write(f"OK {event.path} -> {event.output} ({event.seconds:.1f} s)")
        elif event.kind == "end" and self._handle is not None:
            summary = event.summary
            for _path, reason in summary.left_out:
                self._write(f"LEFT OUT {reason}")
            self._write(f"{'CANCELLED: ' if summary.cancelled else ''}{summary.done} deblurred, {summary.skipped} "
                        f"skipped, {len(summary.failed)} failed in {summary.seconds:.1f} s")

    def _write(self, line: str) -> None:
        if self._handle is None:
            from ..housekeeping import keep_newest

            keep_newest(self.path.parent.glob("deblur-batch-*.log"), self.KEPT_BATCH_LOGS - 1)
            stem, number = self.path.stem, 2
            while self.path.exists():  # two runs in the same second each get their own log
                self.path = self.path.with_name(f"{stem}-{number}.log")
                number += 1
            self._handle = open(self.path, "a", encoding="utf-8")
            for header in self._header:
                self._handle.write(header + "\n")
        self._handle.write(line + "\n")
        self._handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
