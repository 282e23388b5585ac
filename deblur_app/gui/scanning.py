"""File > Scan Folder…: the folder's photos in the filmstrip, each with its blur badge.

``FolderScanner`` is a controller, like the opener and the saver (opening.py, saving.py): the
scanned photos join the session (session.py), which the filmstrip follows; it badges, sorts,
filters and selects the filmstrip's items and asks the file pool for thumbnails; what it needs
of the window is declared in ``ScanningWindow``. The
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

from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QListWidgetItem, QProgressDialog

from .. import reasons
from ..jobs.scan import ScanJob, ScanSummary, iter_scan
from .blur_badges import BLUR_ROLE, badged_icon
from .filmstrip import KEY_ROLE, Filmstrip
from .opening import FileReader
from .photo_state import Photo
from .prompts import LISTED_REASONS, Prompts, reasons_listed
from .reasons import translated
from .session import PhotoSession
from .settings import AppSettings

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
    failed = Signal(str, object)  # path, one-line reason (reasons.ReasonText)
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
            summary.failed.append((self.job.input_dir, reasons.one_line(reasons.of(error))))
        self.done.emit(summary)


class ScanningWindow(Protocol):
    """What scanning needs of the window."""

    def show_message(self, text: str, timeout_ms: int = 0) -> None: ...

    def show_batch(self) -> Any: ...  # the batch dialog, shown

    def scan_changed(self) -> None: ...  # a scan started or ended: the actions follow


class FolderScanner(QObject):
    """Scanning a folder for blur and acting on the result (see the module docstring)."""

    def __init__(self, session: PhotoSession, window: ScanningWindow, filmstrip: Filmstrip, settings: AppSettings,
                 files: FileReader, prompts: Prompts, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.window, self.filmstrip, self.settings, self.files, self.prompts = (
            session, window, filmstrip, settings, files, prompts)
        self.thread: ScanThread | None = None
        self.processes: int | None = None  # None: one per core (tests set 1)
        self.blur_scores: dict[str, tuple[float, str]] = {}
        self.scanned_folder: Path | None = None
        self.last_summary: ScanSummary | None = None
        self.only_blurred = False  # View > Blur > Show Only Blurred
        self._progress: QProgressDialog | None = None
        self._done = 0
        self._thumbnails_asked: set[str] = set()
        self._thumbnail_timer = QTimer(self)
        self._thumbnail_timer.setSingleShot(True)
        self._thumbnail_timer.setInterval(80)
        self._thumbnail_timer.timeout.connect(self._ask_visible_thumbnails)
        filmstrip.verticalScrollBar().valueChanged.connect(lambda _v: self._thumbnail_timer.start())

    @property
    def scanned(self) -> bool:
        return bool(self.blur_scores)

    # -- the scan

    def scan_folder_dialog(self) -> None:
        folder = self.prompts.folder_to_scan(translate("MainWindow", "Scan Folder"), self.settings.folder("open"))
        if folder:
            self.start(Path(folder))

    def start(self, folder: Path, recursive: bool = False) -> ScanThread | None:
        if self.thread is not None:
            return None
        self.scanned_folder = Path(folder)
        self.settings.set_folder("open", folder)
        self.filmstrip.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        thread = ScanThread(folder, recursive, self.processes, self)
        self._progress = QProgressDialog(translate("MainWindow", "Looking for photos…"),
                                         translate("MainWindow", "Cancel"), 0, 0, self.filmstrip.window())
        self._progress.setWindowTitle(translate("MainWindow", "Scan Folder"))
        self._progress.setMinimumDuration(0)
        self._progress.canceled.connect(thread.cancel)
        thread.counted.connect(self._on_counted)
        thread.scored.connect(self._on_scored)
        thread.done.connect(self._on_done)
        self.thread = thread
        self._done = 0
        self.window.scan_changed()
        thread.start()
        return thread

    def cancel(self) -> None:
        if self.thread is not None:
            self.thread.cancel()

    def stop(self) -> None:
        """Cancel a running scan and wait for its thread (the window is closing)."""
        thread = self.thread
        if thread is not None:
            thread.cancel()
            thread.wait()

    def _on_counted(self, total: int) -> None:
        self._progress.setRange(0, max(total, 1))
        self._progress.setLabelText(translate("MainWindow", "Scanning {total} photos for blur…").format(total=total))

    def _on_scored(self, raw_path: str, score: float, verdict: str) -> None:
        path = Path(raw_path)
        key = str(path.resolve())
        if key not in self.session:
            self.session.add(Photo(key, path))  # the filmstrip lists it
        self.blur_scores[key] = (score, verdict)
        item = self.filmstrip.item_for(key)
        item.setData(BLUR_ROLE, (score, verdict))
        item.setIcon(badged_icon(item.data(self.filmstrip.THUMB_ROLE), score, verdict))
        item.setToolTip(translate("MainWindow", "{path}\nBlur score {score:.0f} of 100: {verdict}").format(
            path=reasons.one_line_name(path), score=score, verdict=verdict_text(verdict)))
        if self.only_blurred:
            self.filmstrip.setRowHidden(self.filmstrip.row(item), verdict not in BLURRED_VERDICTS)
        self._done += 1
        self._progress.setValue(self._done)
        self._thumbnail_timer.start()

    def _on_done(self, summary: ScanSummary) -> None:
        thread, self.thread = self.thread, None
        progress, self._progress = self._progress, None
        progress.reset()
        progress.hide()
        progress.deleteLater()  # each scan makes its own: kept, every scan of a session would stay in memory
        if thread is not None:
            thread.wait()
            thread.deleteLater()
        counts = summary.counts
        message = translate("MainWindow", "Scanned {count} photos: {sharp} sharp, {slight} slightly blurred, "
                                          "{blurred} blurred, {failed} unreadable").format(
            count=summary.total, sharp=counts.get("sharp", 0), slight=counts.get("slightly blurred", 0),
            blurred=counts.get("blurred", 0), failed=len(summary.failed))
        if summary.cancelled:
            message = translate("MainWindow", "Scan cancelled.") + " " + message
        self.window.show_message(message, 15000)
        self.last_summary = summary
        self.window.scan_changed()
        if summary.failed:
            self._name_unreadable(summary)

    def _name_unreadable(self, summary: ScanSummary) -> None:
        """The photos the scan could not read, each with its reason, in one dialog: the status bar's count
        ("2 unreadable") named none of them."""
        count = len(summary.failed)
        # self.tr, not translate: PySide6 6.11's lupdate reads a plural form (%n) from self.tr only
        text, details = reasons_listed(
            self.tr("%n photo(s) could not be read, so they have no blur score:", "", count),
            [translated(reason) for _path, reason in summary.failed],
            self.tr("… and %n more (Show Details…)", "", count - LISTED_REASONS))
        self.prompts.error(self.tr("Unreadable Photos"), text, details)

    # -- lazy thumbnails

    def _ask_visible_thumbnails(self) -> None:
        """Thumbnails of the scanned photos in view (and a screenful beyond), each asked for once, queued as one
        batch (FileTasks.thumbnails_for): asked one by one, the first could start and queue its RAW check before
        the window had queued the rest, and on a loaded machine the check ran ahead of the thumbnails in view."""
        strip = self.filmstrip
        batch: list[tuple[str, Path]] = []
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
                batch.append((key, self.session.get(key).path))
        if batch:
            self.files.thumbnails_for(batch)

    # -- acting on the scores

    def sort_by_blur(self) -> None:
        """Blurriest first; photos without a score keep their order after the scored ones."""
        strip = self.filmstrip
        current = strip.current_key()
        items = [strip.takeItem(0) for _ in range(strip.count())]
        items.sort(key=lambda item: -(item.data(BLUR_ROLE) or (-1.0, ""))[0])
        for item in items:
            strip.addItem(item)
        self.show_only_blurred(self.only_blurred)
        if current is not None:
            strip.select(current)
        self._thumbnail_timer.start()

    def show_only_blurred(self, only: bool) -> None:
        self.only_blurred = bool(only)
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

        dialog = self.window.show_batch()
        if self.scanned_folder is not None:
            dialog.only_blurred(self.scanned_folder, calibration().slightly_blurred_from)
