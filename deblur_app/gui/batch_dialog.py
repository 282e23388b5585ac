"""Batch: deblur every photo of a folder on the window's worker thread.

The dialog is not modal: the main window stays usable (it only refuses to
start its own runs while the batch holds the model thread).
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..model.registry import ENSEMBLE_PASSES, PRESETS, VARIANTS, Preset
from .icons import icon
from .reasons import translated
from ..reasons import ReasonText, file_name, one_line_name, without_subject
from .settings import AppSettings
from ..jobs import BatchEvent, BatchSummary
from ..jobs import NotAFileName, default_batch_output, output_name
from .timing import batch_time_left, describe_progress, format_eta
from .client import EngineClient
from .messages import BatchRequest, RunSettings
from .run_tracking import preparation_progress

def reason_alone(reason: ReasonText, path: Path | None) -> ReasonText:
    """The reason without the photo's path in front: the list shows the photo in its own column."""
    if path is not None:
        for spelled in (str(path), path.name):
            if str(reason).startswith(spelled + ": "):
                return without_subject(reason, spelled)
    return reason


class BatchDialog(QDialog):
    running_changed = Signal(bool)

    def __init__(self, engine: EngineClient, settings: AppSettings, run_settings: RunSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Batch Deblur"))
        self.engine = engine
        self.settings = settings
        self.run_settings = run_settings
        self.job_id: int | None = None
        self.summary: BatchSummary | None = None
        self._total = 0
        self._finished_files = 0
        self._current_fraction = 0.0
        self._started = 0.0
        self._file_started = 0.0
        self._done_seconds: list[float] = []  # of the photos deblurred so far (skips and failures are quick)
        self._heard = False  # an event of the running batch came (before it, it may wait for a preparation)
        from ..triage import calibration

        self._min_blur = calibration().slightly_blurred_from  # blurred or slightly blurred
        self._build()
        # the time shown moves on between the worker's reports (one tile can take minutes)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._update_eta)
        self._input_text = self.input_edit.text()
        self.input_edit.textChanged.connect(self._output_follows_input)
        for edit in (self.input_edit, self.output_edit, self.template_edit):
            edit.textChanged.connect(self._recheck)
        engine.batch_event.connect(self._on_event)
        engine.preparation_changed.connect(self._preparation_changed)
        engine.finished.connect(self._on_finished)
        engine.failed.connect(self._on_failed)
        engine.cancelled.connect(self._on_cancelled)
        # methods, not lambdas: Qt disconnects them when the dialog is deleted, the engine living on
        engine.busy_changed.connect(self._engine_busy_changed)
        engine.info_ready.connect(self._engine_info_changed)
        self._update_models()
        self._update_buttons()

    def _engine_busy_changed(self, _busy: bool) -> None:
        self._update_buttons()

    def _engine_info_changed(self, _info) -> None:
        self._update_models()

    # -- layout

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.addWidget(self._photos_group())
        layout.addWidget(self._progress_group(), 1)
        layout.addLayout(self._buttons())
        self.resize(640, 560)

    def _photos_group(self) -> QGroupBox:
        """Which photos, where to, under which names, with which model and strength."""
        options = QGroupBox(self.tr("Photos"))
        form = QFormLayout(options)
        self.input_edit = QLineEdit(self.settings.folder("batch_input"))
        self.input_edit.setToolTip(self.tr("The folder holding the photos to deblur"))
        form.addRow(self.tr("Input folder:"), self._with_browse(self.input_edit, "batch_input"))
        self.recursive_check = QCheckBox(self.tr("Include sub-folders (the output mirrors the folder tree)"))
        self.recursive_check.setChecked(self.settings.batch_recursive)
        self.recursive_check.setToolTip(self.tr("Also deblur photos in folders inside the input folder"))
        form.addRow("", self.recursive_check)
        self.output_edit = QLineEdit(self.settings.folder("batch_output"))
        self.output_edit.setToolTip(self.tr("Where the deblurred photos and the log file are written"))
        form.addRow(self.tr("Output folder:"), self._with_browse(self.output_edit, "batch_output"))
        self.template_edit = QLineEdit(self.settings.batch_template)
        self.template_edit.setToolTip(self.tr("Output file name: {stem} = name without extension, {ext} = extension "
                                              "(.jpg for formats that cannot be written), {name} = full name"))
        form.addRow(self.tr("File names:"), self.template_edit)
        self.model_combo = QComboBox()
        for preset in PRESETS.values():
            self.model_combo.addItem(self._preset_label(preset), (preset.variant, preset.ensemble))
        self.model_combo.setToolTip(self.tr("The network; MIMO-UNet++ is the most accurate and the slowest"))
        form.addRow(self.tr("Model:"), self.model_combo)
        self.strength_spin = QSpinBox()
        self.strength_spin.setRange(0, 100)
        self.strength_spin.setSuffix(self.tr(" %"))
        self.strength_spin.setValue(self.settings.batch_strength)
        self.strength_spin.setToolTip(self.tr("How much of the correction the saved photos keep; "
                                              "lower values blend towards the originals"))
        form.addRow(self.tr("Strength:"), self.strength_spin)
        self.skip_check = QCheckBox(self.tr("Skip photos whose output already exists"))
        self.skip_check.setChecked(self.settings.batch_skip_existing)
        self.skip_check.setToolTip(self.tr("Leave existing outputs alone (otherwise they are replaced; "
                                           "originals never are)"))
        form.addRow("", self.skip_check)
        self.blurred_check = QCheckBox(self.tr("Only the blurred photos (blur score from {score:.0f})").format(
            score=self._min_blur))
        self.blurred_check.setToolTip(self.tr("Score every photo for blur first and deblur only those at or above "
                                              "the score; sharp photos are skipped (File > Scan Folder shows the scores)"))
        form.addRow("", self.blurred_check)
        self.problem_label = QLabel()
        self.problem_label.setTextFormat(Qt.TextFormat.PlainText)  # names files: "<b>.jpg" is a name, not markup
        self.problem_label.setStyleSheet("color: #ff8a80")
        self.problem_label.setWordWrap(True)
        form.addRow("", self.problem_label)
        return options

    def _progress_group(self) -> QGroupBox:
        """The photo now, all photos, the time left, and the files not deblurred."""
        progress = QGroupBox(self.tr("Progress"))
        grid = QVBoxLayout(progress)
        self.file_label = QLabel(self.tr("Not started"))
        self.file_label.setToolTip(self.tr("The photo being deblurred now"))
        self.file_label.setTextFormat(Qt.TextFormat.PlainText)
        self.file_bar = QProgressBar()
        self.file_bar.setFormat(self.tr("This photo: %p%"))
        self.file_bar.setToolTip(self.tr("Progress on the current photo (tiles and ensemble passes)"))
        self.overall_bar = QProgressBar()
        self.overall_bar.setFormat(self.tr("%v of %m photos"))
        self.overall_bar.setToolTip(self.tr("Photos finished (done, skipped or failed) of all photos found"))
        self.eta_label = QLabel("")
        self.eta_label.setToolTip(self.tr("Time left, estimated from the photos done so far"))
        for widget in (self.file_label, self.file_bar, self.overall_bar, self.eta_label):
            grid.addWidget(widget)
        self.failures = QTreeWidget()
        self.failures.setHeaderLabels([self.tr("File not deblurred"), self.tr("Reason")])
        self.failures.setRootIsDecorated(False)
        self.failures.setToolTip(self.tr("Files that were not deblurred, with the reason: failed photos, and files "
                                         "left out (other formats, this app's own outputs)"))
        self.failures.setMinimumHeight(90)
        self.failures.setWordWrap(False)
        self.failures.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.failures.resizeColumnToContents(0)  # its header whole: it read "File not deblurre" before a batch
        grid.addWidget(self.failures)
        self.summary_label = QLabel("")
        self.summary_label.setTextFormat(Qt.TextFormat.PlainText)
        self.summary_label.setWordWrap(True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self.summary_label)
        return progress

    def _buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.start_button = QPushButton(icon("deblur"), self.tr("Start"))
        self.start_button.setToolTip(self.tr("Deblur every photo found in the input folder"))
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(icon("cancel"), self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop after the current tile; finished photos are kept (Esc)"))
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setToolTip(self.tr("Close this dialog (a running batch keeps running)"))
        self.close_button.clicked.connect(self.hide)
        for button in (self.start_button, self.cancel_button, self.close_button):
            buttons.addWidget(button)
        return buttons

    def propose_input(self, folder: Path | None) -> None:
        """The folder of the photo shown in the window as the input, where no folder that exists is filled in
        (the first batch, or a remembered folder since removed); the output follows it (_output_follows_input)."""
        text = self.input_edit.text().strip()
        if folder is None or self.running or (text and Path(text).expanduser().is_dir()):
            return
        self.input_edit.setText(str(folder))

    def _output_follows_input(self, text: str) -> None:
        """The output folder is the input's "deblurred" sub-folder (jobs/naming.py) until the user chooses another:
        while it is empty or still the previous input's sub-folder, it follows a new input."""
        previous, self._input_text = self._input_text, text
        output = self.output_edit.text().strip()
        if output and (not previous.strip() or output != str(default_batch_output(Path(previous.strip())))):
            return  # a folder the user chose (or remembered from a batch)
        self.output_edit.setText(str(default_batch_output(Path(text.strip()))) if text.strip() else "")

    def only_blurred(self, folder: Path, min_blur: float) -> None:
        """Set up a batch of a scanned folder's blurred photos (scanning.py)."""
        self.input_edit.setText(str(folder))
        self._min_blur = min_blur
        self.blurred_check.setText(self.tr("Only the blurred photos (blur score from {score:.0f})").format(score=min_blur))
        self.blurred_check.setChecked(True)

    def _with_browse(self, edit: QLineEdit, key: str) -> QWidget:
        row = QWidget()
        box = QHBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(edit, 1)
        button = QPushButton(icon("folder"), self.tr("Browse…"))
        button.setToolTip(self.tr("Choose the folder"))
        button.clicked.connect(lambda: self._browse(edit, key))
        box.addWidget(button)
        return row

    def _browse(self, edit: QLineEdit, key: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose Folder"), edit.text() or self.settings.folder(key))
        if folder:
            edit.setText(folder)

    def _update_models(self) -> None:
        info = self.engine.info
        model = self.model_combo.model()
        for row, preset in enumerate(PRESETS.values()):
            variant = preset.variant
            item = model.item(row)
            weights = info.weights.get(variant) if info else None
            present = info is None or (weights is not None and weights.path is not None)
            item.setEnabled(present)
            item.setToolTip("" if present else (translated(weights.missing_message) if weights else self.tr("no weights installed")))
        if not model.item(self.model_combo.currentIndex()).isEnabled():
            for row in range(self.model_combo.count()):
                if model.item(row).isEnabled():
                    self.model_combo.setCurrentIndex(row)
                    break

    def _preset_label(self, preset: Preset) -> str:
        if not preset.ensemble:
            return preset.display_name
        return self.tr("{name} ({variant} with ×{passes} ensemble, ≈{passes}× slower)").format(
            name=preset.display_name, variant=VARIANTS[preset.variant].display_name, passes=ENSEMBLE_PASSES)

    # -- running

    @property
    def running(self) -> bool:
        return self.job_id is not None

    def _update_buttons(self) -> None:
        self.start_button.setEnabled(not self.running and not self.engine.busy)
        self.cancel_button.setEnabled(self.running)
        for widget in (self.input_edit, self.output_edit, self.template_edit, self.model_combo,
                       self.recursive_check, self.skip_check):
            widget.setEnabled(not self.running)

    def validate(self) -> str:
        source = Path(self.input_edit.text().strip()).expanduser()
        target = Path(self.output_edit.text().strip()).expanduser()
        if not self.input_edit.text().strip() or not source.is_dir():
            return self.tr("Choose an input folder that exists.")
        if not self.output_edit.text().strip():
            return self.tr("Choose an output folder.")
        try:
            name = output_name(Path("photo.jpg"), self.template_edit.text())
        except NotAFileName:  # the rule is the one every front end follows (jobs/naming.py)
            return self.tr("File names: the template must give a plain file name.")
        except (KeyError, IndexError, ValueError) as error:
            return self.tr("File names: unknown placeholder {placeholder}; use {{stem}}, {{ext}} or {{name}}.").format(
                placeholder=error)
        if source.resolve() == target.resolve() and name == "photo.jpg":
            return self.tr("The outputs would replace the originals: change the folder or the file names.")
        return ""

    def _recheck(self) -> None:
        """A shown problem goes (or changes) as soon as the fields are fixed, not only on the next Start."""
        if self.problem_label.text():
            self.problem_label.setText(self.validate())

    def start(self) -> None:
        problem = self.validate()
        self.problem_label.setText(problem)
        if problem or self.running:
            return
        variant, ensemble = self.model_combo.currentData()
        self.settings.batch_strength = self.strength_spin.value()
        run = dataclasses.replace(self.run_settings, variant=variant, ensemble=ensemble,
                                  strength=self.strength_spin.value() / 100)
        request = BatchRequest(
            Path(self.input_edit.text().strip()).expanduser(), Path(self.output_edit.text().strip()).expanduser(), run,
            recursive=self.recursive_check.isChecked(), template=self.template_edit.text(),
            skip_existing=self.skip_check.isChecked(),
            min_blur=self._min_blur if self.blurred_check.isChecked() else None,
        )
        self.settings.set_folder("batch_input", request.input_dir)
        self.settings.set_folder("batch_output", request.output_dir)
        self.settings.batch_template = request.template
        self.settings.batch_recursive = request.recursive
        self.settings.batch_skip_existing = request.skip_existing
        self.failures.clear()
        self.summary_label.setText("")
        self.summary = None
        self.file_label.setText(self.tr("Looking for photos…"))
        self.file_bar.setValue(0)
        self.overall_bar.setRange(0, 1)
        self.overall_bar.setValue(0)
        self.eta_label.setText("")
        self._total, self._finished_files, self._current_fraction = 0, 0, 0.0
        self._done_seconds = []
        self._heard = False  # no event of the batch yet: it may wait for the fast path's first preparation
        self._started = self._file_started = time.monotonic()
        self._tick.start()
        self.job_id = self.engine.submit(request)
        self._update_buttons()
        self.running_changed.emit(True)

    def cancel(self) -> None:
        if self.running:
            self.engine.cancel()
            self.file_label.setText(self.tr("Cancelling…"))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.running:
            self.cancel()
            return
        super().keyPressEvent(event)

    # -- worker events

    def _on_event(self, job_id: int, event: BatchEvent) -> None:
        if job_id != self.job_id:
            return
        self._heard = True
        if event.kind == "start":
            self._total = event.total
            self.overall_bar.setRange(0, max(1, event.total))
            if event.total == 0:
                self.file_label.setText(self.tr("No photos found") if self.recursive_check.isChecked()
                                        else self.tr("No photos found (try sub-folders)"))
        elif event.kind == "file":
            self._current_fraction = 0.0
            self.file_label.setText(self.tr("{number} of {total}: {name}").format(
                number=event.index + 1, total=event.total, name=file_name(event.path)))
            self.file_bar.setValue(0)
            self._file_started = time.monotonic()
        elif event.kind == "progress":
            self._current_fraction = event.fraction
            self.file_bar.setValue(round(event.fraction * 100))
        elif event.kind in ("done", "skipped", "failed"):
            self._finished_files += 1
            self._current_fraction = 0.0
            if event.kind == "done":
                self._done_seconds.append(event.seconds)
            self.overall_bar.setValue(self._finished_files)
            self.file_bar.setValue(100)
            if event.kind == "failed":
                self._add_failure(event.path, event.reason)
        elif event.kind == "left_out":
            self._add_failure(event.path, event.reason, icon_name="about")
        self._update_eta()

    def _add_failure(self, path: Path, reason: ReasonText, icon_name: str = "error") -> None:
        try:
            shown = path.relative_to(Path(self.input_edit.text().strip()).expanduser())
        except ValueError:
            shown = path
        reason = translated(reason_alone(reason, path))
        item = QTreeWidgetItem([one_line_name(shown), reason])
        item.setToolTip(0, one_line_name(path))
        item.setToolTip(1, reason)
        item.setIcon(0, icon(icon_name))
        self.failures.addTopLevelItem(item)
        # the name column takes what it needs, but leaves the reason at least half of the width
        self.failures.resizeColumnToContents(0)
        self.failures.setColumnWidth(0, min(self.failures.columnWidth(0), self.failures.viewport().width() // 2))

    def _preparation_changed(self, kind: str) -> None:
        if self.running and not self._heard and not kind:
            # the preparation the batch waited for ended: the batch's own time starts now
            self._started = self._file_started = time.monotonic()
            self.file_label.setText(self.tr("Looking for photos…"))
        self._update_eta()

    def _update_eta(self) -> None:
        if not self.running:
            return
        waiting = "" if self._heard else preparation_progress(self.engine)
        if waiting:  # "Looking for photos…" and the time went on through the int8 model's first making (minutes)
            self.file_label.setText(waiting)
            self.eta_label.setText("")
            return
        now = time.monotonic()
        left = batch_time_left(self._done_seconds, now - self._file_started, self._current_fraction,
                               self._total - self._finished_files)
        self.eta_label.setText(describe_progress(now - self._started, left))
        if self._total and self._finished_files < self._total:
            self.file_bar.setFormat(self.tr("This photo: %p% · {elapsed}").format(
                elapsed=format_eta(now - self._file_started)))

    def _on_finished(self, job_id: int, summary: object) -> None:
        if job_id != self.job_id or not isinstance(summary, BatchSummary):
            return
        self.summary = summary
        self._stop()
        counts = dict(done=summary.done, skipped=summary.skipped, failed=len(summary.failed), total=summary.total,
                      time=format_eta(summary.seconds))
        if summary.cancelled:
            text = self.tr("Cancelled: {done} deblurred, {skipped} skipped, {failed} failed of {total} in {time}.")
        else:
            text = self.tr("Finished: {done} deblurred, {skipped} skipped, {failed} failed of {total} in {time}.")
        text = text.format(**counts)
        if summary.left_out:
            text += "\n" + self.tr("Left out (not photos to deblur): {count}").format(count=len(summary.left_out))
        if summary.log_path:
            text += "\n" + self.tr("Log: {path}").format(path=one_line_name(summary.log_path))
        self.summary_label.setText(text)
        self.file_label.setText(self.tr("Cancelled") if summary.cancelled else self.tr("Done"))
        self.eta_label.setText("")
        self._update_buttons()
        self.running_changed.emit(False)

    def _stop(self) -> None:
        self.job_id = None
        self._tick.stop()
        self.file_bar.setFormat(self.tr("This photo: %p%"))

    def _on_failed(self, job_id: int, reason: object, _details: str) -> None:
        if job_id != self.job_id:
            return
        self._stop()
        self.summary_label.setText(self.tr("The batch could not run: {reason}").format(reason=translated(reason)))
        self.file_label.setText(self.tr("Failed"))
        self._update_buttons()
        self.running_changed.emit(False)

    def _on_cancelled(self, job_id: int) -> None:
        if job_id != self.job_id:
            return
        self._stop()
        self.summary_label.setText(self.tr("Cancelled before the first photo."))
        self._update_buttons()
        self.running_changed.emit(False)
