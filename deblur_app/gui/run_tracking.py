"""Tracking the window's one deblur run at a time: submitting it, its progress, time left, and how it ended.

The window asks for runs and shows what this reports; the model itself stays on
the worker thread (worker.py). Time left comes from the tiles done so far; a
run of a single tile has nothing to count, so it is estimated from the speed of
the last finished run (seconds per megapixel and ensemble pass). A tiled run's
result so far (partial_frames.py) is kept for whoever shows the run's photo,
until the run ends or is cancelled.

A run asked for while the worker prepares the fast path (the int8 model's first making, minutes) waits for that
(client.py): meanwhile its progress is the preparation's own (``preparation_text``), and its time starts again
once the preparation ended, so the run's time and estimate are the network's, not the preparation's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from .outcomes import DeblurOutcome
from .partial_frames import PartialFrame
from .timing import computed_megapixel_passes, describe_progress, format_eta, seconds_per_megapixel, time_left
from .client import EngineClient
from .messages import PREPARING_INT8, PREPARING_TIMING, DeblurRequest, RunSettings

translate = QCoreApplication.translate


@dataclass
class Run:
    job_id: int
    photo_key: str
    region: tuple[int, int, int, int] | None
    started: float
    megapixel_passes: float
    speed_key: tuple[str, str, str]  # the network, device and precision: what sets the speed
    network_started: float | None = None  # when the model was ready and the first tile began
    waited_until: float | None = None  # when the preparation it waited for ended: the run's own time starts
    done: int = 0
    total: int = 0
    last_step: float = 0.0  # when the newest tile finished
    partial: PartialFrame | None = None  # the result so far, for display only
    cancelling: bool = False


def preparation_progress(engine: EngineClient) -> str:
    """What the worker prepares now and its time so far, for a run that waits for it (RunTracker.preparation_text,
    Compare Networks); "" when it prepares nothing."""
    started = engine.preparation_started
    elapsed = format_eta(time.monotonic() - started if started is not None else 0.0)
    if engine.preparation_kind == PREPARING_INT8:
        text = translate("RunTracker", "Preparing the fast int8 model (only the first time): {elapsed} elapsed")
    elif engine.preparation_kind == PREPARING_TIMING:
        text = translate("RunTracker", "Timing the fast paths on this computer (only the first time): {elapsed} elapsed")
    else:
        return ""
    return text.format(elapsed=elapsed)


class RunTracker(QObject):
    progressed = Signal(int, int, str)  # steps done, steps in all, "Tile 2 of 35"
    partial = Signal(object)  # PartialFrame of the run: its result so far (never saved)
    ticked = Signal(str)  # "12 s elapsed · about 3 min left"
    finished = Signal(object)  # DeblurOutcome
    failed = Signal(str, object, str)  # photo key, one-line reason (reasons.ReasonText), details
    cancelled = Signal(str)  # photo key
    ended = Signal(str, str)  # photo key, how it ended ("Last run 3.2 s"), whatever the way

    def __init__(self, engine: EngineClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.run: Run | None = None
        # (photo, region) of a run being submitted, or finished and its outcome on the way to the session
        self._handover: tuple[str, tuple[int, int, int, int] | None] | None = None
        # seconds per megapixel and ensemble pass of the last finished run, per network/device/precision
        self.speeds: dict[tuple[str, str, str], float] = {}
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._emit_tick)
        engine.progress.connect(self._on_progress)
        engine.partial.connect(self._on_partial)
        engine.finished.connect(self._on_finished)
        engine.failed.connect(self._on_failed)
        engine.cancelled.connect(self._on_cancelled)
        engine.preparation_changed.connect(self._on_preparation_changed)

    @property
    def running(self) -> bool:
        return self.run is not None

    @property
    def cancelling(self) -> bool:
        """The run under way was cancelled, not yet confirmed: a run started now goes after it (client.submit)."""
        return self.run is not None and self.run.cancelling

    def running_for(self, photo_key: str) -> bool:
        return self.run is not None and self.run.photo_key == photo_key

    def previewing(self, photo_key: str) -> bool:
        """A preview of this photo (a region of it) is under way, being submitted or just finished: the engine's busy
        signal updates the window's actions before the run is recorded here, and its end before its outcome is in
        the session."""
        if self._handover is not None:
            key, region = self._handover
        elif self.run is not None:
            key, region = self.run.photo_key, self.run.region
        else:
            return False
        return key == photo_key and region is not None

    def start(self, photo_key: str, pixels: np.ndarray, settings: RunSettings,
              region: tuple[int, int, int, int] | None = None, grayscale: bool = False) -> None:
        """Run the network on a photo (or a region of it); a run in progress is cancelled first.
        ``grayscale``: the photo is gray, so its result is shown in gray as Save writes it."""
        width, height = (region[2], region[3]) if region else (pixels.shape[1], pixels.shape[0])
        passes = 8 if settings.ensemble else 1
        self._handover = (photo_key, region)
        try:
            job_id = self.engine.submit(DeblurRequest(photo_key, pixels, settings, region, grayscale=grayscale))
        finally:
            self._handover = None
        self.run = Run(job_id, photo_key, region, time.monotonic(), width * height / 1e6 * passes,
                       (settings.variant, settings.device, settings.precision))
        self._tick.start()
        self._emit_tick()

    def cancel(self) -> None:
        if self.run is not None:
            # the result so far goes at once: the view need not wait for the worker to stop
            self.run.partial, self.run.cancelling = None, True
            self.engine.cancel()

    def partial_for(self, photo_key: str) -> PartialFrame | None:
        """The running photo's result so far; None for any other photo."""
        return self.run.partial if self.running_for(photo_key) else None

    def expected_seconds(self) -> float | None:
        """How long the network part of this run should take at the last run's speed."""
        speed = self.speeds.get(self.run.speed_key) if self.run is not None else None
        return None if speed is None else speed * self.run.megapixel_passes

    @property
    def waiting_for_preparation(self) -> bool:
        """The run waits while the worker prepares the fast path (its network has not started)."""
        return self.run is not None and self.run.network_started is None and bool(self.engine.preparation_kind)

    def preparation_text(self) -> str:
        """What the run waits for and the preparation's own time: "Preparing the fast int8 model (only the first
        time): 40 s elapsed"; "" when it waits for none. The view said "Deblurring: 2 min 10 s elapsed" all through
        the minutes of the first int8 quantisation, as if the network ran."""
        return preparation_progress(self.engine) if self.waiting_for_preparation else ""

    def progress_text(self) -> str:
        run = self.run
        if run is None:
            return ""
        now = time.monotonic()
        if self.waiting_for_preparation and self.engine.preparation_started is not None:
            return describe_progress(now - self.engine.preparation_started, None)  # the preparation's time, as the view
        elapsed = now - (run.waited_until or run.started)
        expected = self.expected_seconds()
        if run.network_started is None:  # still loading the model
            return describe_progress(elapsed, None)
        if run.done and run.total > 1:  # the pace of the tiles (or ensemble passes) done so far
            left = time_left(run.last_step - run.network_started, run.done, run.total) - (now - run.last_step)
        elif expected is not None:  # one tile: the speed of the last run
            left = expected - (now - run.network_started)
        else:
            left = None
        return describe_progress(elapsed, None if left is None else max(0.0, left))

    # -- the worker's reports

    def _current(self, job_id: int) -> bool:
        return self.run is not None and self.run.job_id == job_id

    def _emit_tick(self) -> None:
        if self.run is not None:
            self.ticked.emit(self.progress_text())

    def _on_preparation_changed(self, kind: str) -> None:
        run = self.run
        if run is not None and run.network_started is None and not kind:
            run.waited_until = time.monotonic()  # the preparation it waited for ended: the run's own time starts
        self._emit_tick()

    def _on_progress(self, job_id: int, done: int, total: int, text: str) -> None:
        if not self._current(job_id):
            return
        run = self.run
        now = time.monotonic()
        if total == 0:  # the model is loaded: the network starts now
            run.network_started = now
            return
        if run.network_started is None:
            run.network_started = run.started
        run.done, run.total, run.last_step = done, total, now
        self.progressed.emit(done, total, text[:1].upper() + text[1:])
        self._emit_tick()

    def _on_partial(self, job_id: int, frame: PartialFrame) -> None:
        if self._current(job_id) and not self.run.cancelling:
            self.run.partial = frame
            self.partial.emit(frame)

    def _end(self, note: str) -> str:
        key = self.run.photo_key
        self.run = None
        self._tick.stop()
        self.ended.emit(key, note)
        return key

    def _on_finished(self, job_id: int, outcome: object) -> None:
        if not self._current(job_id) or not isinstance(outcome, DeblurOutcome):
            return
        seconds = outcome.facts.seconds
        speed = seconds_per_megapixel(seconds, computed_megapixel_passes(outcome.facts, self.run.megapixel_passes))
        if speed is not None:
            self.speeds[self.run.speed_key] = speed
        self._handover = (self.run.photo_key, self.run.region)
        try:
            self._end(self.tr("Last run {seconds:.1f} s").format(seconds=seconds))
            self.finished.emit(outcome)
        finally:
            self._handover = None

    def _on_failed(self, job_id: int, reason: object, details: str) -> None:
        if self._current(job_id):
            seconds = time.monotonic() - self.run.started
            key = self._end(self.tr("Failed after {seconds:.1f} s").format(seconds=seconds))
            self.failed.emit(key, reason, details)

    def _on_cancelled(self, job_id: int) -> None:
        if self._current(job_id):
            seconds = time.monotonic() - self.run.started
            key = self._end(self.tr("Cancelled after {seconds:.1f} s").format(seconds=seconds))
            self.cancelled.emit(key)
