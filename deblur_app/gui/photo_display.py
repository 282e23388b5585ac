"""What the window shows of the selected photo: the views (with its run's result so far), the
Last run text, the photo's size, the title, the Strength control and the run's time.

``PhotoDisplay`` follows the session (session.py): another photo selected or closed, pixels
read, a result arrived, re-blended or saved, and it shows them (building a result's pixmaps
once), instead of each command of the window pushing the change into each widget. It also
follows the run's frames and ticks
(run_tracking.py). What the session does not see (a run started, cancelled or failed, a
blend ready) the window tells it with ``refresh``.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMainWindow

from . import network_notes
from .image_view import Layer
from .partial_frames import PartialFrame
from .photo_state import Photo, shown_for
from .qtimage import pixmaps
from .run_tracking import RunTracker
from .session import PhotoSession, SessionEvent
from .side_panel import SidePanel
from .status_bar import WindowStatusBar
from .viewers import Viewers

APP_TITLE = "Deblur"
# the texts belong to the window: translated in its context, whichever file builds them
translate = QCoreApplication.translate


class PhotoDisplay:
    """Shows the selected photo (see the module docstring)."""

    def __init__(self, session: PhotoSession, window: QMainWindow, viewers: Viewers, panel: SidePanel,
                 status: WindowStatusBar, runs: RunTracker, default_strength: Callable[[], float]) -> None:
        self.session, self.window, self.viewers, self.panel, self.status, self.runs = (
            session, window, viewers, panel, status, runs)
        self.default_strength = default_strength  # the strength a new result gets (0..1)
        self._partial_layer: tuple[PartialFrame, Layer] | None = None  # pixmaps of the run's newest frame
        session.observe(self._session_changed)
        runs.partial.connect(self._on_partial)
        runs.ticked.connect(self._on_tick)
        runs.ended.connect(self._on_run_ended)

    def _session_changed(self, event: SessionEvent) -> None:
        if event.kind in ("selected", "removed"):
            self.show_current()
            return
        photo = self.session.get(event.key)
        if photo is None:
            return
        if event.kind in ("outcome", "blended") and photo.original is not None:
            # pixmaps built once per result, for whichever photo it is (the views show them when it is selected)
            arrived = photo.shown_outcome if event.kind == "blended" else (
                photo.preview if photo.preview is not None else photo.result)
            photo.shown = shown_for(arrived, photo.original)
        if photo.key != self.session.current_key:
            return
        if event.kind == "outcome":
            self.show_strength()  # a first result starts at the default strength
        elif event.kind == "run_note":
            self.show_run_note()
        if event.kind in ("loaded", "saved", "outcome", "blended"):
            self.refresh()

    def show_current(self) -> None:
        photo = self.session.current()
        self.show_strength()
        if not self.runs.running:  # else the run's ticks say its time
            self.show_run_note()
        self.refresh()

    def show_strength(self) -> None:
        """The Strength control shows the selected photo's strength, or the default for its next result."""
        photo = self.session.current()
        strength = photo.strength if photo is not None and photo.strength is not None else self.default_strength()
        self.panel.show_strength(round(strength * 100))

    def refresh(self, key: str | None = None) -> None:
        """Show the selected photo as it is now (only if it is ``key``, when given)."""
        photo: Photo | None = self.session.current()
        if key is not None and (photo is None or photo.key != key):
            return
        self.status.size_label.setText(photo.size_text if photo else "")
        if photo is None or photo.original is None:
            message = translate("MainWindow", "Opening {name}…").format(name=photo.shown_name) if photo else ""
            self.viewers.set_content(None, None, message=message)
            self.window.setWindowTitle(f"{APP_TITLE}[*]")
            self.panel.result_label.setText(translate("MainWindow", "No result yet"))
            return
        self.window.setWindowTitle(f"{photo.shown_name}[*] — {APP_TITLE}")
        shown = photo.shown
        outcome = photo.shown_outcome
        if shown is None:
            waiting = self.run_message() if self.runs.running_for(photo.key) else ""
            self.viewers.set_content(photo.original, None, message=waiting)
        else:
            self.viewers.set_content(photo.original, shown.result, shown.heat, shown.scales,
                                     outcome.max_change if outcome else 0.0, shown.mark, _no_scales_said(outcome))
        self._show_partial(photo)
        self.panel.result_label.setText(photo.describe())

    def run_message(self) -> str:
        """What the views say while the selected photo's run goes: its progress, what it waits for (the fast path's
        first preparation), or that it is being cancelled (the view went on saying "Deblurring: 10 s elapsed" while
        the status bar said "Cancelling…")."""
        if self.runs.cancelling:
            return translate("MainWindow", "Cancelling…")
        return self.runs.preparation_text() or translate("MainWindow", "Deblurring: {progress}").format(
            progress=self.runs.progress_text())

    def _show_partial(self, photo: Photo) -> None:
        """Draw the photo's run's result so far, if it has one, over what its views show."""
        frame = self.runs.partial_for(photo.key)
        if frame is None:
            return
        if self._partial_layer is None or self._partial_layer[0] is not frame:
            self._partial_layer = (frame, Layer(pixmaps(frame.display_levels), frame.size))
        self.viewers.show_partial(self._partial_layer[1], photo.original, self.run_message())

    def _on_partial(self, frame: PartialFrame) -> None:
        photo = self.session.current()
        if photo is not None and photo.key == frame.photo_key and photo.original is not None:
            self._show_partial(photo)  # another photo's tiles never reach the view

    def _on_tick(self, text: str) -> None:
        self.status.show_elapsed(text)
        photo = self.session.current()
        if photo is not None and (photo.shown is None or self.viewers.partial_shown) and self.runs.running_for(photo.key):
            self.viewers.set_waiting_message(self.run_message())

    def _on_run_ended(self, _photo_key: str, _note: str) -> None:
        self._partial_layer = None
        self.show_run_note()  # the run's ticks are over: the selected photo's own note again

    def show_run_note(self) -> None:
        photo = self.session.current()
        self.status.show_elapsed(photo.run_note if photo else "")


def _no_scales_said(outcome) -> str:
    """Why the Scales view of a whole-photo result is empty: its network has no ½ and ¼ outputs (the view said
    "a preview has none" of a NAFNet or FFTformer run, shown while MIMO-UNet was chosen); '' for the others."""
    if outcome is None or outcome.preview or outcome.scales:
        return ""
    return network_notes.no_scales_to_show(outcome.facts.model_name)
