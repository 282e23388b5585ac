"""File > Scan Folder…: the folder's photos in the filmstrip, each with its blur badge.

A mixin of :class:`~deblur_app.gui.main_window.MainWindow` (opening and saving are controllers: opening.py, saving.py). The
scan (jobs.scan.iter_scan: worker processes, no model) runs in a QThread and reports
each photo as it is scored; the photos join the filmstrip without being read, and their
thumbnails are asked for only when they scroll into view, so thousands of photos keep
the window responsive. The filmstrip can then be sorted by blur, show only the blurred,
select the blurred, and hand them to the batch (which deblurs only those the scan calls
blurred: BatchJob.min_blur).
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QThread, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QFileDialog, QListWidgetItem, QProgressDialog

from ..jobs.scan import ScanJob, ScanSummary, iter_scan
from .blur_badges import BLUR_ROLE, badged_icon
from .filmstrip import KEY_ROLE
from .photo_state import Photo

translate = QCoreApplication.translate
BLURRED_VERDICTS = ("slightly blurred", "blurred")


def verdict_text(verdict: str) -> str:
    """A verdict as the window shows it (the CSV keeps the English words of its contract)."""
    return {
        "sharp": translate("MainWindow", "sharp"),
        "slightly blurred": translate("MainWindow", "slightly blurred"),
        "blurred": translate("MainWindow", "blurred"),
    }.get(verdict, verdict)


class ScanThread(QThread):
    """Runs one folder scan off the GUI thread; every result comes back through a queued signal."""

    counted = Signal(int)  # photos found
    scored = Signal(str, float, str)  # path, blur score, verdict
    failed = Signal(str, str)  # path, one-line reason
    done = Signal(object)  # ScanSummary

    def __init__(self, folder: Path, recursive: bool = False, processes: int | None = None, parent=None) -> None:
        super().__init__(parent)
        self.job = ScanJob(Path(folder), recursive, workers=processes)
        self.cancel_event = threading.Event()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:
        summary = ScanSummary(0, {}, [], [], False, 0.0)
        try:
            for event in iter_scan(self.job, cancel=self.cancel_event):
                if event.kind == "start":
                    self.counted.emit(event.total)
                elif event.kind == "scored":
                    self.scored.emit(str(event.path), event.row.blur_score, event.row.verdict)
                elif event.kind == "failed":
                    self.failed.emit(str(event.path), event.reason)
                elif event.kind == "end":
                    summary = event.summary
        except Exception as error:  # the folder went away mid-scan: say so, do not crash the window
            summary.failed.append((self.job.input_dir, " ".join(str(error).split())))
        self.done.emit(summary)


class WindowScanning:
    """Scanning a folder for blur and acting on the result (see the module docstring)."""

    scan_thread: ScanThread | None = None
    scan_processes: int | None = None  # None: one per core (tests set 1)

    def _create_scan_actions(self) -> None:
        a = self._action
        self.act_scan = a(translate("MainWindow", "Sca&n Folder…"), self.scan_folder_dialog, "Ctrl+Shift+O", "open",
                          translate("MainWindow", "Score every photo of a folder for blur and list them with a blur badge"))
        self.act_sort_blur = a(translate("MainWindow", "Sort by &Blur"), self.sort_by_blur, None, None,
                               translate("MainWindow", "Blurriest photos first"))
        self.act_only_blurred = a(translate("MainWindow", "Show Only B&lurred"), self.show_only_blurred, None, None,
                                  translate("MainWindow", "Hide the photos the scan found sharp"), checkable=True)
        self.act_select_blurred = a(translate("MainWindow", "Select Bl&urred"), self.select_blurred, None, None,
                                    translate("MainWindow", "Select every photo the scan found blurred"))
        self.act_batch_blurred = a(translate("MainWindow", "Batch the Blurred…"), self.batch_blurred, None, "batch",
                                   translate("MainWindow", "Deblur the scanned folder's blurred photos in a batch"))
        self.blur_scores: dict[str, tuple[float, str]] = {}
        self.scanned_folder: Path | None = None
        self._thumbnails_asked: set[str] = set()
        self._thumbnail_timer = QTimer(self)
        self._thumbnail_timer.setSingleShot(True)
        self._thumbnail_timer.setInterval(80)
        self._thumbnail_timer.timeout.connect(self._ask_visible_thumbnails)
        self.filmstrip.verticalScrollBar().valueChanged.connect(lambda _v: self._thumbnail_timer.start())
        self._update_scan_actions()

    def _add_blur_menu(self, view_menu) -> None:
        blur_menu = view_menu.addMenu(translate("MainWindow", "&Blur"))
        for action in (self.act_sort_blur, self.act_only_blurred, self.act_select_blurred, self.act_batch_blurred):
            blur_menu.addAction(action)

    def _update_scan_actions(self) -> None:
        scanned = bool(self.blur_scores)
        for action in (self.act_sort_blur, self.act_only_blurred, self.act_select_blurred, self.act_batch_blurred):
            action.setEnabled(scanned)
        self.act_scan.setEnabled(self.scan_thread is None)

    # -- the scan

    def scan_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, translate("MainWindow", "Scan Folder"),
                                                  self.settings.folder("open"))
        if folder:
            self.start_scan(Path(folder))

    def start_scan(self, folder: Path, recursive: bool = False) -> ScanThread | None:
        if self.scan_thread is not None:
            return None
        self.scanned_folder = Path(folder)
        self.settings.set_folder("open", folder)
        self.filmstrip.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        thread = ScanThread(folder, recursive, self.scan_processes, self)
        self.scan_progress = QProgressDialog(translate("MainWindow", "Looking for photos…"),
                                             translate("MainWindow", "Cancel"), 0, 0, self)
        self.scan_progress.setWindowTitle(translate("MainWindow", "Scan Folder"))
        self.scan_progress.setMinimumDuration(0)
        self.scan_progress.canceled.connect(thread.cancel)
        thread.counted.connect(self._on_scan_counted)
        thread.scored.connect(self._on_scan_scored)
        thread.done.connect(self._on_scan_done)
        self.scan_thread = thread
        self._scan_done = 0
        self._update_scan_actions()
        thread.start()
        return thread

    def cancel_scan(self) -> None:
        if self.scan_thread is not None:
            self.scan_thread.cancel()

    def stop_scan(self) -> None:
        """Cancel a running scan and wait for its thread (the window is closing)."""
        thread = self.scan_thread
        if thread is not None:
            thread.cancel()
            thread.wait()

    def _on_scan_counted(self, total: int) -> None:
        self.scan_progress.setRange(0, max(total, 1))
        self.scan_progress.setLabelText(translate("MainWindow", "Scanning {total} photos for blur…").format(total=total))

    def _on_scan_scored(self, raw_path: str, score: float, verdict: str) -> None:
        path = Path(raw_path)
        key = str(path.resolve())
        if key not in self.photos:
            self.session.add(Photo(key, path))  # the filmstrip lists it
        self.blur_scores[key] = (score, verdict)
        item = self.filmstrip.item_for(key)
        item.setData(BLUR_ROLE, (score, verdict))
        item.setIcon(badged_icon(item.data(self.filmstrip.THUMB_ROLE), score, verdict))
        item.setToolTip(translate("MainWindow", "{path}\nBlur score {score:.0f} of 100: {verdict}").format(
            path=path, score=score, verdict=verdict_text(verdict)))
        if self.act_only_blurred.isChecked():
            self.filmstrip.setRowHidden(self.filmstrip.row(item), verdict not in BLURRED_VERDICTS)
        self._scan_done += 1
        self.scan_progress.setValue(self._scan_done)
        self._thumbnail_timer.start()

    def _on_scan_done(self, summary: ScanSummary) -> None:
        thread, self.scan_thread = self.scan_thread, None
        self.scan_progress.reset()
        self.scan_progress.hide()
        if thread is not None:
            thread.wait()
        counts = summary.counts
        message = translate("MainWindow", "Scanned {count} photos: {sharp} sharp, {slight} slightly blurred, "
                                          "{blurred} blurred, {failed} unreadable").format(
            count=summary.total, sharp=counts.get("sharp", 0), slight=counts.get("slightly blurred", 0),
            blurred=counts.get("blurred", 0), failed=len(summary.failed))
        if summary.cancelled:
            message = translate("MainWindow", "Scan cancelled.") + " " + message
        self.statusBar().showMessage(message, 15000)
        self.last_scan_summary = summary
        self._update_scan_actions()
        self._update_actions()

    # -- lazy thumbnails

    def _ask_visible_thumbnails(self) -> None:
        """Thumbnails of the scanned photos in view (and a screenful beyond), each asked for once."""
        strip = self.filmstrip
        viewport = strip.viewport().rect()
        first = strip.indexAt(viewport.topLeft())
        row = first.row() if first.isValid() else 0
        rows_in_view = max(1, viewport.height() // max(1, strip.gridSize().height()) + 1)
        asked = 0
        while row < strip.count() and asked < 2 * rows_in_view:
            item = strip.item(row)
            row += 1
            if strip.isRowHidden(row - 1):
                continue
            asked += 1
            key = item.data(KEY_ROLE)
            if key in self.blur_scores and key not in self._thumbnails_asked:
                self._thumbnails_asked.add(key)
                self.tasks.thumbnail_for(key, self.photos[key].path)

    # -- acting on the scores

    def sort_by_blur(self) -> None:
        """Blurriest first; photos without a score keep their order after the scored ones."""
        strip = self.filmstrip
        current = strip.current_key()
        items = [strip.takeItem(0) for _ in range(strip.count())]
        items.sort(key=lambda item: -(item.data(BLUR_ROLE) or (-1.0, ""))[0])
        for item in items:
            strip.addItem(item)
        self.show_only_blurred(self.act_only_blurred.isChecked())
        if current is not None:
            strip.select(current)
        self._thumbnail_timer.start()

    def show_only_blurred(self, only: bool) -> None:
        strip = self.filmstrip
        for row in range(strip.count()):
            blur = strip.item(row).data(BLUR_ROLE)
            strip.setRowHidden(row, bool(only) and blur is not None and blur[1] not in BLURRED_VERDICTS)
        self._thumbnail_timer.start()

    def blurred_items(self) -> list[QListWidgetItem]:
        strip = self.filmstrip
        return [strip.item(row) for row in range(strip.count())
                if (strip.item(row).data(BLUR_ROLE) or (0, ""))[1] in BLURRED_VERDICTS]

    def select_blurred(self) -> None:
        items = self.blurred_items()
        self.filmstrip.clearSelection()
        if items:
            self.filmstrip.setCurrentItem(items[0])
        for item in items:
            item.setSelected(True)

    def batch_blurred(self) -> None:
        """The batch dialog on the scanned folder, deblurring only the photos scored blurred or worse."""
        from ..triage import calibration

        self.show_batch()
        if self.scanned_folder is not None:
            self.batch_dialog.only_blurred(self.scanned_folder, calibration().slightly_blurred_from)
