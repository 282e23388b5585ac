"""The main window: photos, side panel, views, menus, status bar.

Actions are created once (window_actions.py); whether each is enabled is decided
in one place, :meth:`MainWindow.update_actions`. The open photos are a Qt-free
session (session.py): photos are opened by the PhotoOpener (opening.py) and saved
by the PhotoSaver (saving.py) and scanned by the FolderScanner (scanning.py),
controllers that change the session through its
commands; the filmstrip, the PhotoDisplay (photo_display.py: views, Last run, size,
title, strength) and the actions follow the session's events.
Each photo's strength is kept and re-shown by StrengthControl (strength.py).
Deblur, Preview and Cancel are RunCommands (run_commands.py) over the session and the RunTracker
(run_tracking.py), which talks to the model thread. The model runs in the worker thread
(worker.py) and files are read and written in a pool thread (tasks.py), so
nothing slow runs on the GUI thread.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QFrame, QLineEdit, QMainWindow, QScrollArea,
                               QSplitter, QWidget)

from ..engine.tiling import parse_tile, tile_text
from . import dialogs
from .about import AboutDialog
from .action_state import WindowFacts, enabled_actions, pending_hint, run_button
from .batch_dialog import BatchDialog
from .compare import CompareNetworks
from .filmstrip import Filmstrip
from .focus_ring import FocusRing
from .icons import app_icon, icon
from .i18n import shown_model_name, ui_locale
from .opening import PhotoOpener
from .outcomes import Reblender
from .photo_display import APP_TITLE, PhotoDisplay
from .photo_state import Photo
from .prompts import DialogPrompts
from .run_tracking import RunTracker
from .run_commands import RunCommands
from .saving import PhotoSaver
from .session import PhotoSession, SessionEvent
from .settings import AppSettings
from .side_panel import SidePanel
from .status_bar import WindowStatusBar
from .strength import StrengthControl
from .tasks import FileTasks
from .viewers import Viewers
from .weights_dialog import StarterNote, WeightsDialog
from .weights_watch import WeightsFolderWatcher
from .scanning import FolderScanner
from .window_actions import WindowActions
from .client import EngineClient
from .messages import EngineInfo, LoadedModel


translate = QCoreApplication.translate
# The window's least size: the filmstrip, a side-by-side pair of photos and the whole width of the side panel with
# its scroll bar; tall enough for the Deblur button without scrolling the panel. Smaller (360 x 260 was tried), the
# panel was cut through; a scroll area around the whole window would scroll the photo views, which pan themselves.
MINIMUM_SIZE = QSize(640, 400)


def listed_names(names: list[str], most: int = 5) -> str:
    """The first ``most`` names as the window's language lists them, and how many more: Chinese separates them
    with its own comma and 和 (the unsaved-photos question said "a, b, c …" in every language)."""
    shown = names[:most]
    if len(names) > most:
        shown.append(translate("MainWindow", "{count} more").format(count=len(names) - most))
    return ui_locale().createSeparatedList(shown)


class MainWindow(WindowActions, QMainWindow):
    photo_loaded = Signal(str)  # key
    run_finished = Signal(object)  # DeblurOutcome of a network run
    reblended = Signal(object)  # DeblurOutcome re-shown at the photo's strength (no network run)
    saved = Signal(object)  # list of paths

    def __init__(self, settings: AppSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or AppSettings()
        self.setWindowTitle(APP_TITLE)
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        # the open photos and their state; self.photos reads them, the session's commands change them
        self.session = PhotoSession()
        self.photos: dict[str, Photo] = self.session.photos
        self.engine = EngineClient(self)
        self.runs = RunTracker(self.engine, self)
        self.reblender = Reblender(self)
        self.tasks = FileTasks(self)
        self.engine_info: EngineInfo | None = None
        self.batch_dialog: BatchDialog | None = None
        self.weights_dialog: WeightsDialog | None = None
        self.starter_note: StarterNote | None = None
        self.shutdown_timeout_ms = 15000
        self.worker_stopped = True
        self._show_original_key = False
        self._closing = False
        # the view the user chose: shown whenever the photo allows it (Scales needs ¼ and ½ outputs; a NAFNet photo
        # shows Side by side meanwhile, and the next MIMO-UNet photo shows Scales again)
        self.chosen_view = "side"

        self._build_widgets()
        # the controllers change the session; the filmstrip (in _build_widgets), they and the window follow it
        prompts = DialogPrompts(self)
        self.opening = PhotoOpener(self.session, self, self.settings, self.tasks, prompts, self)
        self.saving = PhotoSaver(self.session, self, self.tasks, prompts, self)
        self.scanning = FolderScanner(self.session, self, self.filmstrip, self.settings, self.tasks, prompts, self)
        self.strength = StrengthControl(self.session, self, self.settings, self.reblender, self)
        self.display = PhotoDisplay(self.session, self, self.viewers, self.panel, self.statusBar(), self.runs,
                                    self.strength.remembered)
        self.run_commands = RunCommands(self.session, self, self.runs, self.panel, self.strength, self.statusBar(),
                                        self.display, prompts, self)
        self.session.observe(self._session_changed)
        self._build_actions()
        # Compare Networks… (compare.py): its action, runs and window
        self.comparer = CompareNetworks(self.session, self, self.engine, self.runs, self.strength, self.panel, self)
        self.act_compare = self.comparer.action
        self._add_compare_action()
        self._connect()
        self._restore_settings()
        QApplication.instance().installEventFilter(self)
        self.focus_ring = FocusRing(self)  # where Tab went: seen on the dark theme, on the views and the filmstrip
        self.update_actions()
        self.statusBar().showMessage(self.tr("Starting the engine…"))

    # ------------------------------------------------------------------ building

    def _build_widgets(self) -> None:
        self.filmstrip = Filmstrip()
        self.filmstrip.follow(self.session)

        self.viewers = Viewers()
        for view in self.viewers.all_views():
            view.setAcceptDrops(False)
            view.viewport().setAcceptDrops(False)
        self.panel = SidePanel()
        self.panel.setMinimumWidth(240)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main-splitter")
        self.splitter.addWidget(self.filmstrip)
        self.splitter.addWidget(self.viewers)
        # a short window scrolls the panel: squeezed, its word-wrapped notes were cut through (900 x 600)
        self.panel_scroll = QScrollArea()
        self.panel_scroll.setWidget(self.panel)
        self.panel_scroll.setWidgetResizable(True)
        self.panel_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.panel_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # not a Tab stop of its own: Tab went to the panel's frame between the photo and Network, framing nothing;
        # the panel still scrolls to the control Tab reaches
        self.panel_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # what the panel's controls need and its scroll bar beside them: at the window's least width the bar took
        # 14 px of the panel, whose right edge (the combo boxes' arrows, the group frames) was cut off
        needed = max(self.panel.minimumWidth(), self.panel.minimumSizeHint().width())
        self.panel_scroll.setMinimumWidth(needed + self.panel_scroll.verticalScrollBar().sizeHint().width())
        self.splitter.addWidget(self.panel_scroll)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([160, 880, 270])
        self.setCentralWidget(self.splitter)
        # The least window in which a photo and the whole side panel are usable (see MINIMUM_SIZE); window managers
        # keep a window at least this size. Its layout asks for more once a photo is shown (the views' headers):
        # set in advance, the minimum does not grow under a window the user has just made small.
        self.setMinimumSize(MINIMUM_SIZE)

        status = WindowStatusBar()
        self.setStatusBar(status)
        self.zoom_label, self.size_label, self.elapsed_label = status.zoom_label, status.size_label, status.elapsed_label
        self.model_label, self.device_label, self.progress_bar = status.model_label, status.device_label, status.progress_bar
        # many photos added at once (a folder, a scan) update the actions once
        self._actions_timer = QTimer(self)
        self._actions_timer.setSingleShot(True)
        self._actions_timer.setInterval(0)
        self._actions_timer.timeout.connect(self.update_actions)

    def _connect(self) -> None:
        self.panel.options_changed.connect(self._options_changed)
        self.panel.strength_changed.connect(self.strength.choose)
        self.panel.weights_requested.connect(self.show_weights)
        self.panel.run_button.clicked.connect(self.run_commands.deblur_or_cancel)
        self.panel.preview_button.clicked.connect(self.run_commands.preview)
        self.viewers.zoom_changed.connect(self._show_zoom)
        engine = self.engine
        engine.info_ready.connect(self._on_engine_info)
        self.weights_watcher = WeightsFolderWatcher(self)  # installs made outside the window count at once
        self.weights_watcher.changed.connect(engine.refresh_info)
        engine.status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        engine.model_loaded.connect(self._on_model_loaded)
        engine.preparation.connect(self.statusBar().show_note)
        engine.busy_changed.connect(lambda _busy: self.update_actions())
        self.run_commands.finished.connect(self.run_finished)
        self.reblender.reblended.connect(self.strength.take_blend)
        self.strength.reblended.connect(self.reblended)
        self.tasks.loaded.connect(self.opening.take_loaded)
        self.tasks.saved.connect(self.saving.take_saved)
        self.tasks.thumbnail.connect(self.opening.take_thumbnail)
        self.tasks.previewed.connect(self.opening.take_previewed)
        self.opening.photo_loaded.connect(self.photo_loaded)
        self.saving.saved.connect(self.saved)
        self.installEventFilter(self.opening)  # drops of photos, folders and weights files

    # ------------------------------------------------------------------ state

    def current_photo(self) -> Photo | None:
        return self.session.current()

    def open_paths(self, paths: list[str | Path]) -> int:
        """The command line's and a second start's photos (opening.PhotoOpener.open_paths)."""
        return self.opening.open_paths(paths)

    # -- what the controllers need of the window (opening.OpeningWindow, saving.SavingWindow,
    # scanning.ScanningWindow; show_batch and scan_changed are below and in window_actions.py)

    def show_message(self, text: str, timeout_ms: int = 0) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def show_thumbnail(self, key: str, image: QImage) -> None:
        self.filmstrip.set_thumbnail(key, image)

    def runs_on_cpu(self) -> bool:
        device = self.panel.run_settings().device
        return device == "cpu" or (device == "auto" and self.engine_info is not None
                                   and self.engine_info.auto_device == "cpu")

    def offer_weights(self, files: list[Path]) -> None:
        self._weights_dialog().offer_install(self, files)

    @property
    def running(self) -> bool:
        return self.runs.running

    def update_actions(self) -> None:
        """Apply the one rule for which actions are enabled (action_state) to the window's facts."""
        facts = self._window_facts()
        for name, enabled in enabled_actions(facts).items():
            getattr(self, f"act_{name}").setEnabled(enabled)
        button, state = self.panel.run_button, run_button(facts)
        if state == "cancel":
            button.setText(self.tr("Cancel"))
            button.setIcon(icon("cancel"))
            button.setToolTip(self.tr("Stop at the next tile; the previous result stays (Esc)"))
            button.setEnabled(True)
        else:
            button.setText(self.tr("Deblur"))
            button.setIcon(icon("deblur"))
            button.setToolTip({
                "batch_running": self.tr("A batch is running; wait for it or cancel it in the batch window"),
                "comparing": self.tr("Two networks are being compared; wait for them or cancel in the Compare window"),
                "no_weights": self.tr("No model weights installed: see the note below"),
            }.get(state) or self.tr("Deblur the whole photo (Ctrl+R)"))
            button.setEnabled(self.act_deblur.isEnabled())
        self.panel.preview_button.setEnabled(self.act_preview.isEnabled())
        self.comparer.update_action(facts)
        self._offer_network_views()
        self.progress_bar.setVisible(facts.run_running)
        self.viewers.set_pending_hint({  # a photo not deblurred yet invites only what the actions allow
            "run_running": self.tr("Not deblurred yet: another photo is being deblurred; Deblur (Ctrl+R) is "
                                   "available when that run ends or is cancelled (Esc)"),
            "comparing": self.tr("Not deblurred yet: two networks are being compared; Deblur is available when "
                                 "they finish"),
            "batch_running": self.tr("Not deblurred yet: a batch is running; Deblur is available when it ends"),
            "no_weights": self.tr("Not deblurred yet: no model weights installed"),
            "not_ready": self.tr("Not deblurred yet"),
        }.get(pending_hint(facts), ""))
        self.setWindowModified(facts.unsaved)  # the title names the selected photo

    def _window_facts(self) -> WindowFacts:
        photo = self.current_photo()
        return WindowFacts(
            photo_selected=photo is not None,
            image_loaded=photo is not None and photo.loaded,
            has_result=photo is not None and photo.result is not None,
            unsaved=photo is not None and photo.unsaved,
            any_unsaved=any(p.unsaved for p in self.photos.values()),
            # while the view shows a run's result so far, Save would write another picture than the one on screen
            building=photo is not None and self.runs.partial_for(photo.key) is not None,
            engine_known=self.engine_info is not None,
            model_available=self.panel.model_available(),
            batch_running=self.engine.busy_kind == "batch",
            run_running=self.runs.running,
            cancelling=self.runs.cancelling,
            comparing=self.comparer.running,
            networks_installed=sum(1 for w in self.engine_info.weights.values() if w.path is not None)
            if self.engine_info is not None else 0,
            photo_count=self.filmstrip.count(),
            recent_files=bool(self.settings.recent_files()),
        )

    # ------------------------------------------------------------------ showing a photo

    def _step_photo(self, step: int) -> None:
        self.filmstrip.step(step)

    # ------------------------------------------------------------------ running (running.RunCommands)

    def deblur(self) -> None:
        self.run_commands.deblur()

    def cancel(self) -> None:
        self.run_commands.cancel()

    def visible_region_at_actual_size(self) -> tuple[int, int, int, int] | None:
        """What a preview covers (run_commands.RunningWindow): the photo at 100 %, side by side if the scales showed
        or the view has no picture yet (the Difference of a photo not deblurred): for the preview alone, the user's
        chosen view comes back (_offer_network_views): Difference with the preview, Scales with a whole-photo result."""
        if self.viewers.mode() == "scales" or not self.viewers.main_view().has_image():
            self.show_view_mode("side")
        self.viewers.actual_size()
        return self.viewers.visible_region()

    def _options_changed(self) -> None:
        run = self.panel.run_settings()
        self.statusBar().forget_model_if_stale(run, self.engine_info.auto_device if self.engine_info else None)
        self.settings.model = run.variant
        self.settings.ensemble = run.ensemble
        self.settings.device = run.device
        self.settings.precision = run.precision
        self.settings.tile = tile_text(run.tile)
        self.model_label.setText(shown_model_name(run))
        if self.runs.running and not self.runs.cancelling:  # a changed setting restarts the run with it (not a cancelled one)
            self.run_commands.restart()
        self.engine.prepare(run)  # an int8 model to make is made now, not in the next run
        self.update_actions()

    def _session_changed(self, event: SessionEvent) -> None:
        """The actions follow the session (the filmstrip and the PhotoDisplay follow it themselves)."""
        if event.kind == "added":
            self._actions_timer.start()
        elif event.kind in ("selected", "removed", "loaded", "strength", "saved"):
            self.update_actions()

    def _on_engine_info(self, info: EngineInfo) -> None:
        self.engine_info = info
        self.panel.set_engine_info(info, self.settings.model, self.settings.device)
        run = self.panel.run_settings()
        self.model_label.setText(shown_model_name(run))
        if not self.device_label.text():
            self.statusBar().show_device(info.auto_device)
        ready = self.panel.model_available()
        self.statusBar().showMessage(self.tr("Ready") if ready else self.tr("No model weights installed"), 5000)
        self.update_actions()
        self.engine.prepare(run)
        present = [w for w in info.weights.values() if w.path is not None]
        if present and all(w.kind == "starter" for w in present) and not self.settings.starter_note_shown:
            self.settings.starter_note_shown = True
            self.starter_note = StarterNote(self, self.show_weights)
            self.starter_note.show()

    def _on_model_loaded(self, model: LoadedModel) -> None:
        self.statusBar().show_loaded_model(model, self.panel.run_settings())
        self._offer_network_views()  # the expected time counts the loaded engine's tiles

    def _show_zoom(self, zoom: float) -> None:
        self.statusBar().show_zoom(zoom * 100 * self.devicePixelRatioF(), self.viewers.fitted())

    # ------------------------------------------------------------------ views

    def set_view_mode(self, mode: str) -> None:
        """The view the user chose (a View action, or Preview's side by side): shown, remembered for the photos
        that allow it and for the next start."""
        self.show_view_mode(mode)
        self.chosen_view = self.viewers.mode()
        self.settings.view_mode = self.chosen_view

    def show_view_mode(self, mode: str) -> None:
        """Show a view without making it the user's choice (Side by side while the photo has no Scales view)."""
        self.viewers.set_mode(mode)
        self.mode_actions[self.viewers.mode()].setChecked(True)

    def _toggle_original(self, checked: bool) -> None:
        self.viewers.set_flipped(checked or self._show_original_key)

    def set_show_original(self, shown: bool) -> None:
        """Hold-Space behaviour: show the original while the key is down."""
        self._show_original_key = shown
        self.viewers.set_flipped(shown or self.act_original.isChecked())

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) and event.key() == Qt.Key.Key_Space:
            active = QApplication.activeWindow()
            focus = QApplication.focusWidget()
            typing = isinstance(focus, (QLineEdit, QAbstractSpinBox)) or (
                isinstance(focus, QComboBox) and focus.isEditable())
            if (active is self or (active is None and self.isVisible())) and not typing and isinstance(watched, QWidget) \
                    and watched.window() is self:
                if not event.isAutoRepeat():
                    self.set_show_original(kind == QEvent.Type.KeyPress)
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------------ dialogs

    def show_about(self) -> None:
        AboutDialog(self.engine.info, self.engine.loaded_model, self).exec()

    def _weights_dialog(self) -> WeightsDialog:
        if self.weights_dialog is None:
            self.weights_dialog = WeightsDialog(self)
            self.weights_dialog.changed.connect(self.engine.refresh_info)  # the new weights are selectable at once
        return self.weights_dialog

    def show_weights(self) -> WeightsDialog:
        dialog = self._weights_dialog()
        dialog.refresh()
        if not dialog.isVisible() and not dialog.busy:
            dialog.status_label.setText("")  # reopened: the last operation's outcome is old news
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def show_batch(self) -> BatchDialog:
        if self.batch_dialog is None:
            self.batch_dialog = BatchDialog(self.engine, self.settings, self.panel.run_settings(), self)
            self.batch_dialog.running_changed.connect(lambda _r: self.update_actions())
        self.batch_dialog.run_settings = self.panel.run_settings()
        photo = self.current_photo()
        self.batch_dialog.propose_input(photo.path.parent if photo is not None else None)
        self.batch_dialog.show()
        self.batch_dialog.raise_()
        self.batch_dialog.activateWindow()
        return self.batch_dialog

    # ------------------------------------------------------------------ settings and closing

    def _restore_settings(self) -> None:
        self.panel.set_values(self.settings.model, self.settings.ensemble, self.settings.device,
                              parse_tile(self.settings.tile),
                              self.settings.precision, self.settings.strength)
        self.model_label.setText(shown_model_name(self.panel.run_settings()))
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(1280, 800)
        state = self.settings.window_state()
        if state is not None:
            self.restoreState(state)
        splitter = self.settings.splitter_state()
        if splitter is not None:
            self.splitter.restoreState(splitter)
        self.set_view_mode(self.settings.view_mode)

    def save_settings(self) -> None:
        self.settings.set_geometry(self.saveGeometry())
        self.settings.set_window_state(self.saveState())
        self.settings.set_splitter_state(self.splitter.saveState())
        self.settings.view_mode = self.chosen_view  # Scales, chosen, though a NAFNet photo showed side by side
        self.settings.sync()

    def _run_under_way(self) -> str:
        """The name of the photo a run or a comparison is deblurring ('' when none, or when it is cancelling)."""
        run = self.runs.run
        key = run.photo_key if run is not None and not run.cancelling else self.comparer.runs.running_key
        photo = self.session.get(key) if key is not None else None
        return photo.shown_name if photo is not None else ""

    def _batch_may_stop(self) -> bool:
        """Whether closing may stop the batch under way (True when none runs): a batch runs for hours in a dialog
        that may be hidden behind the window, and Quit stopped it without a word."""
        batch = self.batch_dialog
        if batch is None or not batch.running:
            return True
        return dialogs.confirm(
            self, self.tr("Batch Running"),
            self.tr("A batch is deblurring photos. Quitting stops it; the photos it has written are kept, and running "
                    "it again with “Skip photos whose output already exists” goes on from there."),
            self.tr("Stop the Batch and Quit"))

    def closeEvent(self, event) -> None:
        if self._closing:
            event.accept()
            return
        if self.saving.writing_before_quit:
            event.ignore()  # Save All is still writing; the window closes when it is done
            return
        unsaved = [p for p in self.photos.values() if p.unsaved]
        running = self._run_under_way()
        if unsaved:
            names = listed_names([p.shown_name for p in unsaved])
            text = self.tr("%n deblurred photo(s) not saved: {names}", "", len(unsaved)).format(names=names)
            detail = self.tr("Save All writes each beside its original, as Save (Ctrl+S) does.")
            if running:
                detail += " " + self.tr("Quitting also cancels the run under way on {name}.").format(name=running)
            answer = dialogs.choose(self, self.tr("Unsaved Results"), text,
                                    [("save", self.tr("Save All and Quit")), ("quit", self.tr("Quit Without Saving"))],
                                    detail)
            if answer == "save":
                self.saving.save_all_then_close()
                event.ignore()
                return
            if answer != "quit":
                event.ignore()
                return
        elif running and not dialogs.confirm(
                self, self.tr("Run Under Way"),
                self.tr("{name} is being deblurred. Quitting cancels the run, and what it has done is lost.").format(
                    name=running),
                self.tr("Cancel the Run and Quit")):
            event.ignore()  # Quit during a run of an hour ended it without a word (a batch asks, so does this)
            return
        if not self._batch_may_stop():
            event.ignore()
            return
        self._closing = True
        self.scanning.stop()
        self.save_settings()
        QApplication.instance().removeEventFilter(self)
        if self.batch_dialog is not None:
            self.batch_dialog.hide()
        # off the screen before waiting for the model thread: a run's tile can take it seconds to stop, and the
        # window stayed there frozen meanwhile ("8 s elapsed", nothing answering), as if the app had hung
        self.hide()
        QApplication.instance().processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        self.worker_stopped = self.engine.shutdown(self.shutdown_timeout_ms)
        self.reblender.shutdown()
        self.tasks.shutdown()
        event.accept()
