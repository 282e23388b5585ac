"""The run commands: Deblur, Preview, Cancel, a restart when a setting changes, and how a run ended.

``RunCommands`` is a controller over the session (session.py), like the opener and the saver:
it starts a run of the selected photo at its strength (or, for a first result, the strength
chosen last) through the RunTracker (run_tracking.py, which talks to the model thread), and
takes what the run reports into the session through its commands (take_outcome, note_run), which
the PhotoDisplay, filmstrip and actions follow. The result Save writes is the one the session
holds, so what the window shows is what Save writes. What it needs of the window is declared in
``RunningWindow``; the status bar, the side panel's settings and the display in the narrow
protocols below. Tested without a window (tests/test_controllers.py).
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, Signal

from .i18n import shown_device, shown_model_name
from .messages import RunSettings
from .outcomes import DeblurOutcome
from .photo_state import Photo
from .prompts import Prompts
from .run_tracking import RunTracker
from .session import PhotoSession, SessionEvent
from .strength import StrengthControl

# the texts belong to the window: translated in its context, whichever file builds them
translate = QCoreApplication.translate

Region = tuple[int, int, int, int]


class RunningWindow(Protocol):
    """What the run commands need of the window."""

    def update_actions(self) -> None: ...

    def visible_region_at_actual_size(self) -> Region | None:
        """Show the photo at 100 % (beside its result) and say which part of it is in view."""


class RunOptions(Protocol):
    """The side panel's run settings (side_panel.SidePanel)."""

    def run_settings(self) -> RunSettings: ...


class RunStatus(Protocol):
    """The status bar's part that tells of a run (status_bar.WindowStatusBar)."""

    def showMessage(self, text: str, timeout: int = 0) -> None: ...

    def show_starting(self) -> None: ...

    def show_progress(self, done: int, total: int, text: str) -> None: ...


class Display(Protocol):
    """What shows the selected photo (photo_display.PhotoDisplay)."""

    def refresh(self, key: str | None = None) -> None: ...


class RunCommands(QObject):
    """Deblur, Preview and Cancel over the session (see the module docstring)."""

    finished = Signal(object)  # DeblurOutcome of a network run, once the session holds it

    def __init__(self, session: PhotoSession, window: RunningWindow, runs: RunTracker, options: RunOptions,
                 strength: StrengthControl, status: RunStatus, display: Display, prompts: Prompts,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.window, self.runs, self.options = session, window, runs, options
        self.strength, self.status, self.display, self.prompts = strength, status, display, prompts
        runs.progressed.connect(status.show_progress)
        runs.partial.connect(lambda _frame: window.update_actions())  # Save waits for the whole result
        runs.finished.connect(self._on_finished)
        runs.failed.connect(self._on_failed)
        runs.cancelled.connect(self._on_cancelled)
        runs.ended.connect(self._on_ended)
        session.observe(self._on_session_changed)

    @property
    def running(self) -> bool:
        return self.runs.running

    def deblur_or_cancel(self) -> None:
        """The side panel's run button: Cancel while a run goes, else Deblur (also while one is being cancelled)."""
        if self.runs.running and not self.runs.cancelling:
            self.cancel()
        else:
            self.deblur()

    def deblur(self) -> None:
        self._start(region=None)

    def preview(self) -> None:
        from .imaging import preview_region  # OpenCV loads on the first preview, not at start-up

        photo = self.session.current()
        if photo is None or not photo.loaded:
            return
        visible = self.window.visible_region_at_actual_size()  # the preview is judged at 100 %
        if visible is None:
            return
        region = preview_region(visible, (photo.image.width, photo.image.height))
        if region[2] >= photo.image.width and region[3] >= photo.image.height:
            region = None  # the whole photo is in view: a preview would be a full run
        self._start(region=region)

    def restart(self) -> None:
        """A setting changed while a run goes: the run starts again with it."""
        run = self.runs.run
        photo = self.session.get(run.photo_key) if run is not None else None
        if photo is not None:
            self.status.showMessage(translate("MainWindow", "Settings changed: restarting…"))
            self._start(run.region, photo)

    def cancel(self) -> None:
        if self.runs.running and not self.runs.cancelling:
            self.runs.cancel()
            self.status.showMessage(translate("MainWindow", "Cancelling…"))
            self.display.refresh()  # the result so far is gone at once: back to what the view showed before
            self.window.update_actions()

    def _start(self, region: Region | None, photo: Photo | None = None) -> None:
        photo = photo or self.session.current()
        if photo is None or not photo.loaded:
            return
        strength = photo.strength if photo.strength is not None else self.strength.remembered()
        settings = dataclasses.replace(self.options.run_settings(), strength=strength)
        text = translate("MainWindow", "Previewing {name} with {model}…") if region else translate(
            "MainWindow", "Deblurring {name} with {model}…")
        self.status.showMessage(text.format(name=photo.shown_name, model=shown_model_name(settings)))
        self.runs.start(photo.key, photo.image.pixels, settings, region, grayscale=photo.image.grayscale)
        self.status.show_starting()
        self.display.refresh(photo.key)
        self.window.update_actions()

    def _on_session_changed(self, event: SessionEvent) -> None:
        # A closed photo's run is cancelled here, whoever closed it (Close, a photo that could not be
        # read, ...): its result would have nowhere to go, and the model thread would stay busy for it.
        if event.kind == "removed" and self.runs.running_for(event.key):
            self.cancel()

    # -- the run's reports

    def _on_ended(self, photo_key: str, note: str) -> None:
        self.session.note_run(photo_key, note)  # the display shows the selected photo's
        self.window.update_actions()

    def _on_finished(self, outcome: DeblurOutcome) -> None:
        photo = self.session.get(outcome.photo_key)
        if photo is None or photo.original is None:
            return
        # a first result starts at the strength chosen last, also if it was moved during the run; the
        # display shows it (its pixmaps, strength, views) on the session's "outcome"
        self.session.take_outcome(photo.key, outcome, self.strength.remembered())
        facts = outcome.facts
        # self.tr, not translate: PySide6 6.11's lupdate reads a plural form (%n) from self.tr only
        if outcome.preview:
            text = self.tr("Preview of {name} in {seconds:.1f} s ({tiles} tile(s) on {device})", "", facts.tiles)
        else:
            text = self.tr("Deblurred {name} in {seconds:.1f} s ({tiles} tile(s) on {device})", "", facts.tiles)
        self.status.showMessage(text.format(name=photo.shown_name, seconds=facts.seconds, tiles=facts.tiles,
                                            device=shown_device(facts.device)), 10000)
        self.strength.reblend_if_needed(photo)  # the strength moved while it ran
        self.window.update_actions()
        self.finished.emit(outcome)

    def _on_failed(self, _photo_key: str, reason: object, details: str) -> None:
        self.status.showMessage(translate("MainWindow", "Deblurring failed"), 8000)
        self.display.refresh()
        self.prompts.error(translate("MainWindow", "Deblurring Failed"), reason, details)

    def _on_cancelled(self, photo_key: str) -> None:
        photo = self.session.get(photo_key)
        kept = photo is not None and (photo.result is not None or photo.preview is not None)
        self.status.showMessage(translate("MainWindow", "Cancelled; the previous result is kept") if kept
                                else translate("MainWindow", "Cancelled; no result yet"), 8000)
        self.display.refresh()
