"""Compare Networks: two networks' results on the selected photo side by side, zoom and pan linked.

People choose a network by eye (issue 26). The Compare window shows the photo the main window
has selected: the user picks network A and network B among the installed ones (each with what it
is for and, when it is slow on this CPU, its expected time, said before it runs); Compare runs
both on the model thread one after the other (``CompareRuns``: the worker owns the model, nothing
here touches torch); each pane shows its network's result under its name and time. Keep makes one
side the photo's result with that network chosen in the side panel, so Save writes what the pane
showed. The results belong to the photo (session.Comparison): switching photos shows each photo's
own comparison, and a comparison under way goes on for its photo.

``CompareNetworks`` is what the main window holds: the action (enabled by action_state's rule,
its tooltip saying why not), the runs and the window. Like the other controllers it works over the
session and sees the main window only through what it declares: ``ComparingWindow``, and the side
panel as ``CompareOptions``.
"""

from __future__ import annotations

import os
import time
from typing import Protocol

import numpy as np
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QComboBox, QDialog, QGridLayout, QHBoxLayout, QLabel, QProgressBar, QPushButton,
                               QSizePolicy, QVBoxLayout, QWidget)

from . import network_notes
from .action_state import WindowFacts, compare_unavailable
from .client import EngineClient
from .icons import icon
from .image_view import ImageView, Layer, ViewLink
from .messages import DeblurRequest, EngineInfo, RunSettings, same_run
from .outcomes import reblend
from .qtimage import pixmaps
from .reasons import translated
from .run_tracking import RunTracker, preparation_progress
from .session import Comparison, PhotoSession, SessionEvent, same_picture, same_strength
from .strength import StrengthControl
from .timing import computed_megapixel_passes, describe_progress, format_eta, seconds_per_megapixel, time_left

translate = QCoreApplication.translate
SIDES = (0, 1)
SIDE_NAMES = ("A", "B")


class CompareRuns(QObject):
    """A comparison's two runs on the model thread, one after the other; what they give goes to the session.

    A run the main window starts takes the model thread (EngineClient.submit cancels whatever runs):
    the comparison then ends as cancelled. Closing the photo cancels its comparison.
    """

    progressed = Signal(str)  # photo key: the running side's progress text changed
    ended = Signal(str)  # photo key: the comparison finished, was cancelled or failed

    def __init__(self, engine: EngineClient, session: PhotoSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine, self.session = engine, session
        self.speeds: dict[tuple[str, str, str], float] = {}  # filled by the owner: seconds per megapixel
        self._job: tuple[int, str, int] | None = None  # job id, photo key, side
        self._requests: list[DeblurRequest] = []
        self._reused: dict[int, object] = {}  # side -> the photo's result used for it (start)
        self._started = 0.0
        self._network_started: float | None = None
        self._steps = (0, 0, 0.0)  # done, total, when the last step finished
        self.progress_text = ""
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._emit_progress)
        engine.progress.connect(self._on_progress)
        engine.finished.connect(self._on_finished)
        engine.failed.connect(self._on_failed)
        engine.cancelled.connect(self._on_cancelled)
        engine.preparation_changed.connect(self._on_preparation_changed)
        session.observe(self._session_changed)

    @property
    def running_key(self) -> str | None:
        return self._job[1] if self._job is not None else None

    def start(self, photo_key: str, pixels: np.ndarray, settings: tuple[RunSettings, RunSettings],
              grayscale: bool = False, results: dict[int, object] | None = None) -> None:
        """Compare two networks on a photo (a comparison under way, of any photo, is cancelled first);
        ``grayscale``: a gray photo, whose results are shown in gray as Save writes them; ``results``: side -> the
        photo's own result of that side's run (same settings, at the comparison's strength): not run again."""
        self.cancel()
        self.session.start_comparison(photo_key, (settings[0].variant, settings[1].variant), settings[0].strength)
        self._requests = [DeblurRequest(photo_key, pixels, s, grayscale=grayscale) for s in settings]
        self._reused = dict(results or {})
        self._next(photo_key, 0)

    def _next(self, photo_key: str, side: int) -> None:
        """Run ``side``, or take the photo's result for it and go on; the comparison ends after the last side."""
        while side < len(self._requests) and side in self._reused:
            if not self.session.take_compared(photo_key, side, self._reused[side]):
                side = len(self._requests)  # ended meanwhile (the photo closed)
                break
            side += 1
        if side < len(self._requests):
            self._submit(side)  # the side before stays the running job until this one is (Cancel stays enabled)
            return
        if self._job is not None:
            self._end()
        self._requests, self._reused, self.progress_text = [], {}, ""
        self.ended.emit(photo_key)

    def cancel(self) -> None:
        """Stop now: the running side gets no result; a finished side stays to be seen (and kept)."""
        if self._job is None:
            return
        key = self._end()
        self.engine.cancel()
        self.session.end_comparison(key, "cancelled")
        self.ended.emit(key)

    def _submit(self, side: int) -> None:
        request = self._requests[side]
        self._job = (self.engine.submit(request), request.photo_key, side)
        self._started, self._network_started, self._steps = time.monotonic(), None, (0, 0, 0.0)
        self._tick.start()
        self._emit_progress()

    def _end(self) -> str:
        key = self._job[1]
        self._job, self._requests, self._reused, self.progress_text = None, [], {}, ""
        self._tick.stop()
        return key

    def _current(self, job_id: int) -> bool:
        return self._job is not None and self._job[0] == job_id

    def _emit_progress(self) -> None:
        if self._job is None:
            return
        now = time.monotonic()
        done, total, last = self._steps
        left = None
        if self._network_started is not None and done and total > 1:
            left = max(0.0, time_left(last - self._network_started, done, total) - (now - last))
        waiting = preparation_progress(self.engine) if self._network_started is None else ""
        self.progress_text = waiting or describe_progress(now - self._started, left)
        self.progressed.emit(self._job[1])

    def _on_preparation_changed(self, kind: str) -> None:
        if self._job is not None and self._network_started is None and not kind:
            self._started = time.monotonic()  # the preparation this side waited for ended: its own time starts
        self._emit_progress()

    # -- the model thread's reports

    def _on_progress(self, job_id: int, done: int, total: int, _text: str) -> None:
        if not self._current(job_id):
            return
        if total == 0:  # the model is loaded: the network starts now
            self._network_started = time.monotonic()
            return
        self._steps = (done, total, time.monotonic())
        self._emit_progress()

    def _on_finished(self, job_id: int, outcome: object) -> None:
        if not self._current(job_id):
            return
        _job, key, side = self._job
        request = self._requests[side]
        settings, pixels = request.settings, request.pixels
        megapixels = computed_megapixel_passes(outcome.facts, pixels.shape[0] * pixels.shape[1] / 1e6)
        speed = seconds_per_megapixel(outcome.facts.seconds, megapixels)
        if speed is not None:
            self.speeds[(settings.variant, settings.device, settings.precision)] = speed
        taken = self.session.take_compared(key, side, outcome)
        if not self._current(job_id):
            return  # an observer of the session cancelled the comparison meanwhile
        if taken and side + 1 < len(self._requests):
            self._next(key, side + 1)
            return
        self._end()
        self.ended.emit(key)

    def _on_failed(self, job_id: int, reason: object, _details: str) -> None:
        if self._current(job_id):
            key = self._end()
            self.session.end_comparison(key, "failed", reason)
            self.ended.emit(key)

    def _on_cancelled(self, job_id: int) -> None:
        if self._current(job_id):  # another run took the model thread
            key = self._end()
            self.session.end_comparison(key, "cancelled")
            self.ended.emit(key)

    def _session_changed(self, event: SessionEvent) -> None:
        if event.kind == "removed" and event.key == self.running_key:
            self.cancel()


class ComparePane(QObject):
    """One side: its network, what it is for, the view of its result, and Keep."""

    def __init__(self, side: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.side = side
        self.network_combo = QComboBox()
        self.network_combo.setToolTip(self.tr("The network of this side: installed networks only"))
        self.network_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.note = QLabel()  # what the network is for; its expected time when slow
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #9a9a9a")
        self.note.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.view = ImageView()
        self.view.fit_enlarges = False
        self.keep_button = QPushButton(icon("save"), self.tr("Keep this result"))
        self.keep_button.setEnabled(False)
        self.header = QHBoxLayout()
        self.header.addWidget(QLabel(self.tr("Network {side}:").format(side=SIDE_NAMES[side])))
        self.header.addWidget(self.network_combo, 1)

    def place(self, grid: QGridLayout, column: int) -> None:
        """Into the window's grid: the rows line up across the panes, whatever a note's length."""
        grid.addLayout(self.header, 0, column)
        grid.addWidget(self.note, 1, column)
        grid.addWidget(self.view, 2, column)
        grid.addWidget(self.keep_button, 3, column)

    def network(self) -> str | None:
        return self.network_combo.currentData()

    def set_networks(self, installed: list[str], preferred: str | None, keep_choice: bool = True) -> None:
        """Offer the installed networks; keep the one chosen if it still is (``keep_choice``), else ``preferred``."""
        chosen = (self.network() if keep_choice else None) or preferred
        self.network_combo.blockSignals(True)
        self.network_combo.clear()
        for key in installed:
            self.network_combo.addItem(network_notes.VARIANTS[key].display_name, key)
            self.network_combo.setItemData(self.network_combo.count() - 1, network_notes.one_line(key),
                                           Qt.ItemDataRole.ToolTipRole)
        index = self.network_combo.findData(chosen if chosen in installed else preferred)
        self.network_combo.setCurrentIndex(max(0, index))
        self.network_combo.blockSignals(False)


class CompareWindow(QDialog):
    """Two networks' results on the selected photo side by side (see the module docstring)."""

    compare_requested = Signal()
    cancel_requested = Signal()
    keep_requested = Signal(int)  # side
    networks_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setWindowTitle(self.tr("Compare Networks"))
        self.resize(1240, 760)
        self.photo_label = QLabel()
        self.photo_label.setTextFormat(Qt.TextFormat.PlainText)  # names the photo: "<b>.jpg" is a name, not markup
        self.photo_label.setWordWrap(True)
        self.panes = [ComparePane(side, self) for side in SIDES]
        self.link = ViewLink([pane.view for pane in self.panes], self)
        for pane in self.panes:
            pane.network_combo.currentIndexChanged.connect(lambda _i: self.networks_changed.emit())
            pane.keep_button.clicked.connect(lambda _c=False, side=pane.side: self.keep_requested.emit(side))
            pane.view.installEventFilter(self)
            pane.view.viewport().installEventFilter(self)
        panes = QGridLayout()
        panes.setHorizontalSpacing(6)
        for pane in self.panes:
            pane.place(panes, pane.side)
            panes.setColumnStretch(pane.side, 1)
        panes.setRowStretch(2, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.photo_label)
        layout.addLayout(panes, 1)
        layout.addLayout(self._buttons())

    def _buttons(self) -> QHBoxLayout:
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setVisible(False)
        self.original_button = QPushButton(icon("original"), self.tr("Original"))
        self.original_button.setCheckable(True)
        self.original_button.setToolTip(self.tr("Show the original in both panes (or hold Space over them)"))
        self.original_button.toggled.connect(self._show_original)
        self.fit_button = QPushButton(icon("fit"), self.tr("Fit"))
        self.fit_button.setToolTip(self.tr("Show the whole photo in both panes (Ctrl+0)"))
        self.fit_button.setShortcut(QKeySequence("Ctrl+0"))
        self.fit_button.clicked.connect(lambda: self.panes[0].view.fit())
        self.actual_button = QPushButton(icon("actual"), self.tr("100 %"))
        self.actual_button.setToolTip(self.tr("One photo pixel per screen pixel in both panes (Ctrl+1); "
                                              "the wheel zooms, dragging pans, both panes together"))
        self.actual_button.setShortcut(QKeySequence("Ctrl+1"))
        self.actual_button.clicked.connect(lambda: self.panes[0].view.actual_size())
        self.compare_button = QPushButton(icon("deblur"), self.tr("Compare"))
        self.compare_button.setDefault(True)
        self.compare_button.setEnabled(False)  # until two networks and a photo are there
        self.compare_button.clicked.connect(self.compare_requested)
        self.cancel_button = QPushButton(icon("cancel"), self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop the comparison; the photo keeps its result"))
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.close)
        self.zoom_label = QLabel()
        self.zoom_label.setToolTip(self.tr("Zoom of both panes (100 % = one photo pixel per screen pixel)"))
        self.panes[0].view.zoom_shown.connect(self._show_zoom)
        row = QHBoxLayout()
        row.addWidget(self.progress_bar)
        row.addWidget(self.status_label, 1)
        row.addWidget(self.zoom_label)
        for button in (self.original_button, self.fit_button, self.actual_button, self.compare_button,
                       self.cancel_button, self.close_button):
            row.addWidget(button)
        return row

    def networks(self) -> tuple[str | None, str | None]:
        return self.panes[0].network(), self.panes[1].network()

    def _show_zoom(self) -> None:
        view = self.panes[0].view
        percent = view.zoom_percent()
        self.zoom_label.setText(self.tr("Fit ({percent:.0f} %)").format(percent=percent) if view.fit_mode
                                else self.tr("Zoom {percent:.0f} %").format(percent=percent))

    def _show_original(self, shown: bool) -> None:
        for pane in self.panes:
            pane.view.set_flipped(shown)

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and event.key() == Qt.Key.Key_Space:
            if not event.isAutoRepeat():
                self._show_original(kind == QEvent.Type.KeyPress or self.original_button.isChecked())
            return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.cancel_button.isEnabled():
            self.cancel_requested.emit()  # Esc stops a comparison first; a second Esc closes
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        # Closed, its runs stop (a finished side stays the photo's to see again): they went on out of sight, the
        # main window's Deblur disabled with nothing on screen saying why, for the minutes of a slow network's run
        if self.cancel_button.isEnabled():
            self.cancel_requested.emit()
        super().closeEvent(event)


class ComparingWindow(Protocol):
    """What Compare Networks needs of the main window."""

    @property
    def engine_info(self) -> EngineInfo | None:
        """The installed networks and devices; None until the model thread has told."""

    def update_actions(self) -> None: ...

    def show_message(self, text: str, timeout_ms: int = 0) -> None: ...


class CompareOptions(Protocol):
    """The side panel's run settings and network choice (side_panel.SidePanel)."""

    def run_settings(self) -> RunSettings: ...

    def choose_network(self, variant: str) -> None: ...


class CompareNetworks(QObject):
    """The main window's Compare Networks: its action, its runs and its window (see the module docstring)."""

    def __init__(self, session: PhotoSession, window: ComparingWindow, engine: EngineClient, runs: RunTracker,
                 strength: StrengthControl, options: CompareOptions, parent: QWidget) -> None:
        super().__init__(parent)
        self.session, self.window, self.engine, self.main_runs = session, window, engine, runs
        self.strength, self.options, self.parent_widget = strength, options, parent
        self.runs = CompareRuns(engine, session, self)
        self.runs.speeds = runs.speeds  # one record of this computer's speed per network
        self.runs.progressed.connect(self._on_progress)
        self.runs.ended.connect(self._on_ended)
        session.observe(self._session_changed)
        # weights installed or removed meanwhile: the network lists follow, once the window has the new info
        engine.info_ready.connect(self._engine_info_changed)
        self.dialog: CompareWindow | None = None
        self._offered: list[str] = []  # the installed networks the choices list
        # (photo, side) -> the outcome and its pixmaps, built once while that photo is shown
        self._layers: dict[tuple[str, int], tuple[object, Layer]] = {}
        self.action = QAction(icon("compare"), self.tr("Compare &Networks…"), parent)
        self.action.setIconText(self.tr("Compare"))
        self.action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.action.triggered.connect(self.show)
        parent.addAction(self.action)

    @property
    def running(self) -> bool:
        return self.runs.running_key is not None

    def _engine_info_changed(self, _info) -> None:
        # A method, not a lambda: Qt disconnects it when this object is deleted (with its window) while the
        # engine lives on; a lambda was still called then, on the deleted object, and kept it referenced.
        QTimer.singleShot(0, self, self.refresh)

    # -- the action

    def update_action(self, facts: WindowFacts) -> None:
        """The enabled state is action_state's rule (applied by the window); the tooltip says why not."""
        why = compare_unavailable(facts)
        tips = {
            "one_network": self.tr("Only one network is installed: get another one with File > Weights… "
                                   "to compare them"),
            "no_photo": self.tr("Open a photo to compare networks on it"),
            "batch_running": self.tr("A batch is running; wait for it or cancel it in the batch window"),
            "run_running": self.tr("A run is under way; wait for it or cancel it"),
        }
        self.action.setToolTip(tips.get(why) or self.tr("Run two networks on this photo and see their results "
                                                        "side by side, zoom and pan linked (Ctrl+Shift+C)"))
        self.action.setStatusTip(self.action.toolTip())
        if self.dialog is not None:
            self._update_buttons()

    def show(self) -> CompareWindow:
        if self.dialog is None:
            self.dialog = CompareWindow(self.parent_widget)
            self.dialog.compare_requested.connect(self.compare)
            self.dialog.cancel_requested.connect(self.cancel)
            self.dialog.keep_requested.connect(self.keep)
            self.dialog.networks_changed.connect(self.refresh)
        self.dialog.show()
        self.refresh(follow_photo=True)
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog

    # -- commands

    def compare(self) -> None:
        photo = self.session.current()
        a, b = self.dialog.networks() if self.dialog is not None else (None, None)
        if photo is None or not photo.loaded or not a or not b or a == b or self.main_runs.running:
            return
        settings = self._settings_for(photo, (a, b))
        self.runs.start(photo.key, photo.image.pixels, settings, grayscale=photo.image.grayscale,
                        results=self._results_of(photo, settings))
        self.window.show_message(self.tr("Comparing {a} and {b} on {name}…").format(
            a=self._name(a), b=self._name(b), name=photo.shown_name))
        self.window.update_actions()

    def _settings_for(self, photo, networks: tuple[str, str]) -> tuple[RunSettings, ...]:
        """The runs Compare asks for on this photo: the side panel's device, tiles and precision, the photo's strength."""
        strength = photo.strength if photo.strength is not None else self.strength.remembered()
        base = self.options.run_settings()
        return tuple(RunSettings(variant, False, base.device, base.tile, base.precision, strength)
                     for variant in networks)

    @staticmethod
    def _known_outcomes(photo, settings: tuple[RunSettings, ...]) -> dict[int, object]:
        """The sides whose run the photo has a finished result of already: its own result, or its last comparison's."""
        known = [photo.result] + (list(photo.comparison.outcomes.values()) if photo.comparison is not None else [])
        found = {}
        for side, wanted in enumerate(settings):
            found.update({side: outcome for outcome in reversed(known)
                          if outcome is not None and not outcome.preview and same_run(outcome.facts.settings, wanted)})
        return found

    @classmethod
    def _results_of(cls, photo, settings: tuple[RunSettings, ...]) -> dict[int, object]:
        """The known sides' results at the comparison's strength, instead of running the network again (a 12 MP
        photo: minutes)."""
        return {side: outcome if same_strength(outcome.strength, settings[side].strength)
                else reblend(outcome, photo.image.pixels, settings[side].strength)
                for side, outcome in cls._known_outcomes(photo, settings).items()}

    def cancel(self) -> None:
        if self.running:
            self.runs.cancel()
        elif self.dialog is not None:
            self.dialog.close()

    def keep(self, side: int) -> None:
        """The side's result becomes the photo's, made by its network, now chosen in the side panel."""
        photo = self.session.current()
        comparison = photo.comparison if photo is not None else None
        if comparison is None or side not in comparison.outcomes:
            return
        variant = comparison.networks[side]
        self.options.choose_network(variant)
        outcome = comparison.outcomes[side]
        # the status bar's "Last run" tells of the result shown, not of the run before the comparison; the
        # display shows the note on the session's "run_note" and the result on its "outcome"
        session = self.session
        session.note_run(photo.key, self.tr("Kept from Compare: {seconds:.1f} s").format(seconds=outcome.facts.seconds))
        session.keep_compared(photo.key, side)
        self.strength.reblend_if_needed(photo)  # at the photo's strength, if it moved since
        self.window.update_actions()
        self.window.show_message(self.tr("Kept {network}'s result for {name}; Save writes it").format(
            network=self._name(variant), name=photo.shown_name), 10000)
        self.refresh()

    # -- showing the selected photo's comparison

    def refresh(self, follow_photo: bool = False) -> None:
        """Show the selected photo's comparison; ``follow_photo``: another photo is shown, so the network
        choices become the ones its comparison was made with (else the user's choices stay)."""
        dialog = self.dialog
        if dialog is None or not dialog.isVisible() and not self.running:
            return
        photo = self.session.current()
        installed = self._installed()
        panel_network = self.options.run_settings().variant
        others = [key for key in installed if key != panel_network]
        comparison = photo.comparison if photo is not None else None
        preferred = comparison.networks if comparison is not None else (panel_network, others[0] if others else None)
        # networks installed or removed: the choices start afresh too (one network offered twice before)
        keep_choice = not follow_photo and installed == self._offered
        self._offered = installed
        for pane, network in zip(dialog.panes, preferred):
            pane.set_networks(installed, network, keep_choice=keep_choice)
            pane.note.setText(self._note(pane.network(), photo))
        self._show_photo(photo, comparison)
        self._update_buttons()

    def _show_photo(self, photo, comparison: Comparison | None) -> None:
        dialog = self.dialog
        if photo is None or photo.original is None:
            dialog.setWindowTitle(self.tr("Compare Networks"))
            dialog.photo_label.setText(self.tr("Open a photo to compare networks on it"))
            for pane in dialog.panes:
                pane.view.caption = ""
                pane.view.set_image(None, message="")
            return
        dialog.setWindowTitle(self.tr("Compare Networks — {name}").format(name=photo.shown_name))
        strength = comparison.strength if comparison is not None else (
            photo.strength if photo.strength is not None else self.strength.remembered())
        text = self.tr("{name}: {size}").format(name=photo.shown_name, size=photo.size_text)
        if strength < 1:
            text += " · " + self.tr("shown at {percent:.0f} % strength").format(percent=strength * 100)
        dialog.photo_label.setText(text)
        for pane in dialog.panes:
            self._show_side(pane, photo, comparison)

    def _show_side(self, pane: ComparePane, photo, comparison: Comparison | None) -> None:
        side, view = pane.side, pane.view
        outcome = comparison.outcomes.get(side) if comparison is not None else None
        network = comparison.networks[side] if comparison is not None else pane.network()
        name = self._name(network) if network else ""
        if outcome is not None:
            for other in [k for k in self._layers if k[0] != photo.key]:
                del self._layers[other]  # pixmaps of the shown photo only: a 12 MP pair is ~100 MB
            cached = self._layers.get((photo.key, side))
            if cached is None or cached[0] is not outcome:
                cached = self._layers[(photo.key, side)] = (outcome, Layer(pixmaps(outcome.display_levels)))
            layer = cached[1]
            view.caption = self.tr("{network} — {seconds:.1f} s").format(network=name, seconds=outcome.facts.seconds)
            view.set_image(layer, photo.original)
            kept = same_picture(photo.result, outcome)  # kept, or the photo's result it was taken from
            pane.keep_button.setText(self.tr("Kept: Save writes {network}'s result").format(network=name) if kept
                                     else self.tr("Keep {network}'s result").format(network=name))
            pane.keep_button.setEnabled(not kept)
            pane.keep_button.setToolTip(self.tr("Make this the photo's result and choose {network} in the side panel; "
                                                "Save then writes exactly this picture").format(network=name))
            return
        view.caption = self.tr("Original")
        view.set_image(photo.original, None, self._waiting_message(side, comparison, name, photo))
        pane.keep_button.setText(self.tr("Keep this result"))
        pane.keep_button.setEnabled(False)
        pane.keep_button.setToolTip(self.tr("Compare first: a finished result can be kept"))

    def _waiting_message(self, side: int, comparison: Comparison | None, name: str, photo) -> str:
        if comparison is None:
            if self._result_ready(photo, side):
                return self.tr("{network}'s result for this photo is ready: Compare shows it without running "
                               "{network} again").format(network=name)
            return self.tr("Press Compare to run {network} on this photo").format(network=name)
        if comparison.running == side:
            return self.tr("Running {network}: {progress}").format(network=name, progress=self.runs.progress_text)
        if comparison.running is not None:
            return self.tr("Waiting: {network} runs when {first} is done").format(
                network=name, first=self._name(comparison.networks[comparison.running]))
        if comparison.ended == "failed":
            return self.tr("{network} failed: {reason}").format(network=name, reason=translated(comparison.reason))
        return self.tr("Cancelled: no result from {network}").format(network=name)

    def _result_ready(self, photo, side: int) -> bool:
        """Whether Compare would take the photo's finished result for this side instead of running its network."""
        networks = self.dialog.networks() if self.dialog is not None else (None, None)
        if not photo.loaded or not all(networks):
            return False
        return side in self._known_outcomes(photo, self._settings_for(photo, networks))

    def _update_buttons(self) -> None:
        dialog, photo = self.dialog, self.session.current()
        a, b = dialog.networks()
        comparing_this = photo is not None and self.runs.running_key == photo.key
        can = photo is not None and photo.loaded and a and b and a != b and not self.main_runs.running \
            and self.engine.busy_kind != "batch"
        dialog.compare_button.setEnabled(bool(can) and not comparing_this)
        if a and a == b:
            dialog.compare_button.setToolTip(self.tr("Choose two different networks"))
        else:
            dialog.compare_button.setToolTip(self.tr("Run both networks on the whole photo, one after the other"))
        dialog.cancel_button.setEnabled(self.running)
        dialog.progress_bar.setVisible(self.running)
        dialog.status_label.setText(self._status(photo))

    def _status(self, photo) -> str:
        if self.running and (photo is None or self.runs.running_key != photo.key):
            other = self.session.get(self.runs.running_key)
            return self.tr("Comparing on {name}: {progress}").format(
                name=other.shown_name if other else "", progress=self.runs.progress_text)
        comparison = photo.comparison if photo is not None else None
        if comparison is None:
            return self.tr("Choose two networks and press Compare")
        if comparison.running is not None:
            return self.tr("Running {network} ({step} of 2): {progress}").format(
                network=self._name(comparison.networks[comparison.running]), step=comparison.running + 1,
                progress=self.runs.progress_text)
        if comparison.ended == "done":
            return self.tr("Both done. Zoom in to judge; keep the one you prefer")
        if comparison.ended == "failed":
            return self.tr("The comparison failed: {reason}").format(reason=translated(comparison.reason))
        return self.tr("Cancelled; the photo keeps its result")

    # -- reports

    def _on_progress(self, key: str) -> None:
        photo = self.session.current()
        if self.dialog is None:
            return
        self.dialog.status_label.setText(self._status(photo))
        if photo is not None and photo.key == key and photo.comparison is not None:
            running = photo.comparison.running
            if running is not None:
                self._show_side(self.dialog.panes[running], photo, photo.comparison)

    def _on_ended(self, key: str) -> None:
        photo = self.session.get(key)
        comparison = photo.comparison if photo is not None else None
        if comparison is not None and comparison.ended == "done":
            seconds = [comparison.outcomes[side].facts.seconds for side in SIDES]
            self.window.show_message(self.tr("Compared {a} ({ta}) and {b} ({tb}) on {name}").format(
                a=self._name(comparison.networks[0]), ta=format_eta(seconds[0]),
                b=self._name(comparison.networks[1]), tb=format_eta(seconds[1]), name=photo.shown_name), 10000)
        self.window.update_actions()
        self.refresh()

    def _session_changed(self, event: SessionEvent) -> None:
        if event.kind in ("selected", "loaded"):  # another photo, or the selected one's pixels arrived
            self.refresh(follow_photo=event.kind == "selected")
        elif event.kind == "comparison" and self.dialog is not None:
            photo = self.session.current()
            if photo is not None and photo.key == event.key:
                self._show_photo(photo, photo.comparison)
                self._update_buttons()
        elif event.kind == "removed":
            for side in SIDES:
                self._layers.pop((event.key, side), None)

    # -- words

    def _installed(self) -> list[str]:
        info = self.window.engine_info
        if info is None:
            return []
        return [key for key in network_notes.VARIANTS if key in info.weights and info.weights[key].path is not None]

    @staticmethod
    def _name(variant: str) -> str:
        return network_notes.VARIANTS[variant].display_name if variant in network_notes.VARIANTS else variant

    def _note(self, variant: str | None, photo) -> str:
        """What the network is for and, when slow on this CPU, its expected time: said before it runs."""
        if not variant:
            return ""
        text = network_notes.one_line(variant)
        settings = self.options.run_settings()
        info = self.window.engine_info
        on_cpu = settings.device == "cpu" or (settings.device == "auto" and info is not None
                                              and info.auto_device == "cpu")
        if photo is not None and photo.loaded and on_cpu:
            measured = self.runs.speeds.get((variant, settings.device, settings.precision))
            loaded = self.engine.loaded_model
            planner = loaded.planner if loaded is not None and loaded.variant == variant else None
            pixels = network_notes.computed_pixels(variant, photo.image.height, photo.image.width, settings.tile,
                                                   planner)
            slow = network_notes.expected_time_note(variant, pixels, os.cpu_count() or 1, measured=measured)
            text = f"{text}\n{slow}" if slow else text
        return text
