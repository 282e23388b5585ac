"""Strength: how much of the correction each photo's result keeps, and re-showing it without a run.

``StrengthControl`` is a controller over the session (session.py), like the opener and the saver:
the Strength control's value becomes the selected photo's strength (session.set_strength) and the
default for the next new result (the settings remember it); once the control rests, the result
is re-blended at that strength in a pool thread (outcomes.Reblender), never by the network, and
the blend is taken into the session (session.take_blend) only while it still is the photo's
result at the photo's strength. Save writes the photo at the same strength (saving.py), so what
the window shows is what Save writes. What it needs of the window is declared in StrengthWindow.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from .photo_state import Photo
from .session import PhotoSession, SessionEvent, same_strength
from .settings import AppSettings

# the texts belong to the window: translated in its context, whichever file builds them
translate = QCoreApplication.translate
REST_MS = 120  # a change is shown once the slider rests, not on every step of a drag


class StrengthWindow(Protocol):
    """What strength needs of the window."""

    def show_message(self, text: str, timeout_ms: int = 0) -> None: ...


class Blender(Protocol):
    """The pool that re-blends results (outcomes.Reblender); its ``reblended`` goes to ``take_blend``."""

    def request(self, outcome, photo_pixels, strength: float) -> int: ...

    def forget(self, photo_key: str) -> None: ...


class StrengthControl(QObject):
    """Each photo's result keeps its own strength (see the module docstring)."""

    reblended = Signal(object)  # DeblurOutcome re-shown at its photo's strength

    def __init__(self, session: PhotoSession, window: StrengthWindow, settings: AppSettings, blender: Blender,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.window, self.settings, self.blender = session, window, settings, blender
        self._rest_timer = QTimer(self)
        self._rest_timer.setSingleShot(True)
        self._rest_timer.setInterval(REST_MS)
        self._rest_timer.timeout.connect(self._blend_moved)
        # the photos whose strength moved since the control last rested: another photo selected within
        # REST_MS of a move (typing 40, Enter, Alt+Down) left the first one shown at its old strength, which
        # Save did not write
        self._moved: list[str] = []
        session.observe(self._session_changed)

    def remembered(self) -> float:
        """The strength new results get: the last one the user chose (0..1)."""
        return self.settings.strength / 100

    def choose(self, percent: int) -> None:
        """The Strength control moved: the selected photo's result keeps that much of the correction."""
        self.settings.strength = percent  # remembered: the default for the next new result
        photo = self.session.current()
        if photo is not None and self.session.set_strength(photo.key, percent / 100):
            if photo.key not in self._moved:
                self._moved.append(photo.key)
            self._rest_timer.start()

    def _session_changed(self, event: SessionEvent) -> None:
        if event.kind == "removed":
            self.blender.forget(event.key)

    def _blend_moved(self) -> None:
        moved, self._moved = self._moved, []
        for key in moved:
            photo = self.session.get(key)
            if photo is not None:
                self.reblend_if_needed(photo)

    def reblend_if_needed(self, photo: Photo) -> None:
        """Ask for the result on screen at the photo's strength, unless it is at that strength already."""
        outcome = photo.shown_outcome
        if outcome is None or photo.image is None or photo.strength is None:
            return
        if not same_strength(outcome.strength, photo.strength):
            self.blender.request(outcome, photo.image.pixels, photo.strength)

    def take_blend(self, outcome) -> None:
        photo = self.session.get(outcome.photo_key)
        if photo is None or photo.original is None or not self.session.take_blend(photo.key, outcome):
            return  # closed, the strength moved on (a newer blend is on its way), or a new run replaced the result
        if photo is self.session.current():
            self.window.show_message(translate("MainWindow", "Showing {percent:.0f} % of the correction").format(
                percent=outcome.strength * 100), 5000)
        self.reblended.emit(outcome)
