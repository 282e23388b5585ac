"""The Weights dialog: what is installed, Download the paper's weights, Install from file, Remove.

All the work (downloading, verifying, copying) is done by ``weightstore`` on a
plain background thread, one operation at a time; its progress and outcome
come back to the dialog as queued Qt signals, so the window never waits.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QDialog,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import reasons
from ..weights import store as weightstore
from ..weights.catalog import downloads
from ..model.registry import VARIANTS
from . import dialogs, network_notes
from .icons import app_icon
from .reasons import translated

VARIANT_NAMES = {key: variant.display_name for key, variant in VARIANTS.items()}


class _Relay(QObject):
    """Carries a background operation's news to the GUI thread (queued: the emitter is another thread)."""

    progress = Signal(object, object)  # bytes so far, total or None
    succeeded = Signal(object)
    failed = Signal(object)  # the WeightsError


class WeightsDialog(QDialog):
    changed = Signal()  # weights were installed or removed: the window refreshes its model list
    operation_finished = Signal(bool)  # True when it installed or removed something

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Weights"))
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self._thread: threading.Thread | None = None
        self._cancel: threading.Event | None = None
        self._relay: _Relay | None = None
        self._then: Callable[[], None] | None = None  # what follows a success (the next file to install)
        self._on_exists: Callable[[], None] = lambda: None  # the same operation, allowed to replace
        self._exists_question = ""
        layout = QVBoxLayout(self)
        layout.addWidget(self._intro())
        layout.addWidget(self._weights_table())
        layout.addLayout(self._download_row())
        self.terms_label = QLabel()  # whose weights, their terms, the training data: before any download
        self.terms_label.setWordWrap(True)
        self.terms_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.terms_label)
        layout.addLayout(self._file_buttons())
        layout.addLayout(self._progress_row())
        self.status_label = QLabel()
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)  # names files: "<b>.pth" is a name, not markup
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status_label)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self._show_terms()
        self.refresh()

    def _intro(self) -> QLabel:
        intro = QLabel(self.tr(
            "<b>Networks</b> are released with weights by the authors of their papers, each under its own "
            "terms (MIMO-UNet's for research use), shown below before you download. "
            "They deblur real photos much better than this app's starter weights. "
            "Download fetches them from the authors' Google Drive; if that fails, download them in a "
            "browser and use Install from File."))
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.RichText)
        return intro

    def _weights_table(self) -> QTreeWidget:
        """What is installed: network, file, provenance, size, whether used, folder."""
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels([self.tr("Network"), self.tr("File"), self.tr("Provenance"), self.tr("Size"),
                                    self.tr("Used"), self.tr("Folder")])
        self.table.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setMinimumSize(720, 160)
        self.table.currentItemChanged.connect(lambda *_: self._update_buttons())
        return self.table

    def _download_row(self) -> QHBoxLayout:
        get_row = QHBoxLayout()
        self.download_choice = QComboBox()  # every network whose authors publish weights
        for key, entry in downloads().items():
            self.download_choice.addItem(entry.display_name, key)
            self.download_choice.setItemData(self.download_choice.count() - 1, network_notes.one_line(key),
                                             Qt.ItemDataRole.ToolTipRole)
        self.download_choice.setToolTip(self.tr("The network whose published weights Download fetches"))
        self.download_choice.currentIndexChanged.connect(self._show_terms)
        self.download_button = QPushButton(self.tr("Download…"))
        self.download_button.setToolTip(self.tr("Download the chosen network's published weights, verify them and "
                                                "install them"))
        self.download_button.clicked.connect(self._download_chosen)
        get_row.addWidget(QLabel(self.tr("Network:")))
        get_row.addWidget(self.download_choice, 1)
        get_row.addWidget(self.download_button)
        return get_row

    def _file_buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        self.install_button = QPushButton(self.tr("Install from File…"))
        self.install_button.setToolTip(self.tr("Install a .pkl, .pth, .pt or .safetensors file, or a zip holding one"))
        self.install_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Delete the selected file from your weights folder"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.folder_button = QPushButton(self.tr("Open Folder"))
        self.folder_button.setToolTip(self.tr("Show your weights folder"))
        self.folder_button.clicked.connect(self._open_folder)
        for button in (self.install_button, self.remove_button, self.folder_button):
            buttons.addWidget(button)
        return buttons

    def _progress_row(self) -> QHBoxLayout:
        progress_row = QHBoxLayout()
        self.progress_bar = QProgressBar()
        self.progress_bar.setVisible(False)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Stop the download; nothing is installed"))
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)
        return progress_row

    # -- what is installed

    def refresh(self) -> None:
        self.table.clear()
        installed = weightstore.installed()
        for key, name in VARIANT_NAMES.items():
            files = [w for w in installed if w.variant == key]
            if not files:
                item = QTreeWidgetItem([name, self.tr("not installed"), "", "", "", ""])
                item.setData(0, Qt.ItemDataRole.UserRole, None)
                self.table.addTopLevelItem(item)
            for weights in files:
                item = QTreeWidgetItem([
                    name, reasons.file_name(weights.path), self._provenance_label(weights.provenance),
                    f"{weights.size / 1e6:.1f} MB", self.tr("in use") if weights.in_use else "",
                    reasons.one_line_name(weights.path.parent),
                ])
                item.setData(0, Qt.ItemDataRole.UserRole, weights)
                item.setToolTip(1, str(weights.path))
                if weights.in_use:
                    bold = QFont(item.font(0))
                    bold.setBold(True)
                    for column in range(self.table.columnCount()):
                        item.setFont(column, bold)
                self.table.addTopLevelItem(item)
        self._update_buttons()

    def installed_rows(self) -> list[weightstore.InstalledWeights]:
        rows = (self.table.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) for i in range(self.table.topLevelItemCount()))
        return [row for row in rows if row is not None]

    def _provenance_label(self, provenance: str) -> str:
        return {
            "published": self.tr("published (authors' release)"),
            "user": self.tr("yours"),
            "starter": self.tr("starter (weak on real photos)"),
        }.get(provenance, provenance)

    def _selected(self) -> weightstore.InstalledWeights | None:
        item = self.table.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else None

    @property
    def busy(self) -> bool:
        return self._thread is not None

    def _update_buttons(self) -> None:
        selected = self._selected()
        for button in (self.download_button, self.install_button):
            button.setEnabled(not self.busy)
        self.remove_button.setEnabled(not self.busy and selected is not None and selected.removable)

    # -- actions

    def _show_terms(self, *_args) -> None:
        key = self.download_choice.currentData()
        self.terms_label.setText(self.terms_text(key) if key else "")

    def terms_text(self, variant_key: str) -> str:
        entry = downloads()[variant_key]
        return self.tr("{model}: {purpose}. Paper: {paper}. Trained on {data} ({psnr}). Terms of the weights: "
                       "{terms}. Source: {link}").format(
            model=entry.display_name, purpose=network_notes.purpose(variant_key), paper=entry.paper,
            data=network_notes.published_words(entry.training_data), psnr=network_notes.published_words(entry.psnr),
            terms=network_notes.published_words(entry.terms), link=entry.link)

    def _download_chosen(self) -> None:
        """Download the chosen network's weights once its terms are accepted."""
        key = self.download_choice.currentData()
        if key and dialogs.confirm(self, self.tr("Download Weights"), self.terms_text(key), self.tr("Accept and Download")):
            self.download(key)

    def download(self, variant_key: str, source: str | None = None, overwrite: bool = False) -> None:
        name = VARIANT_NAMES[variant_key]
        self.status_label.setText(self.tr("Downloading {model}…").format(model=name))
        self._start(lambda progress, cancel: weightstore.download(
            variant_key, source=source, progress=progress, cancel=cancel, overwrite=overwrite),
            on_exists=lambda: self.download(variant_key, source, overwrite=True),
            exists_question=self.tr("{model} is already installed. Download it again and replace it?").format(model=name),
            cancellable=True)

    def choose_files(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(
            self, self.tr("Install Weights"), str(Path.home()),
            self.tr("Weights files (*.pkl *.pth *.pt *.safetensors *.zip);;All files (*)"))
        if names:
            self.install([Path(name) for name in names])

    def install(self, paths: list[Path], overwrite: bool = False) -> None:
        """Install files one after the other (each verified); asks before replacing installed weights."""
        if not paths:
            return
        path, rest = paths[0], paths[1:]
        self.status_label.setText(self.tr("Checking {file}…").format(file=reasons.file_name(path)))
        self._start(lambda _progress, _cancel: weightstore.install_file(path, overwrite=overwrite),
                    on_exists=lambda: self.install(paths, overwrite=True),
                    exists_question=self.tr("Weights of that network are already installed. Replace them with {file}?")
                    .format(file=reasons.file_name(path)),
                    then=lambda: self.install(rest))

    def remove_selected(self) -> None:
        selected = self._selected()
        if selected is None or not selected.removable or self.busy:
            return
        if not dialogs.confirm(self, self.tr("Remove Weights"),
                               self.tr("Delete {file} from your weights folder?").format(file=reasons.file_name(selected.path)),
                               self.tr("Remove")):
            return
        try:
            weightstore.remove(selected.path.name)
        except weightstore.WeightsError as error:
            self._report_failure(error)
            return
        self.status_label.setText(self.tr("Removed {file}").format(file=reasons.file_name(selected.path)))
        self.refresh()
        self.changed.emit()
        self.operation_finished.emit(True)

    def cancel(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self.cancel_button.setEnabled(False)

    def _open_folder(self) -> None:
        folder = weightstore.user_weights_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # -- running one operation in the background

    def _start(self, work: Callable, on_exists: Callable[[], None], exists_question: str,
               cancellable: bool = False, then: Callable[[], None] | None = None) -> None:
        if self.busy:
            return
        relay = _Relay()
        cancel = threading.Event()
        # bound slots of the dialog, so the emits from the operation's thread are queued to this one
        relay.progress.connect(self._on_progress)
        relay.succeeded.connect(self._on_succeeded)
        relay.failed.connect(self._on_failed)
        self._then, self._on_exists, self._exists_question = then, on_exists, exists_question

        def run() -> None:
            try:
                result = work(relay.progress.emit, cancel)
            except weightstore.WeightsError as error:
                relay.failed.emit(error)
            except Exception as error:  # a bug must still end the operation with a message
                relay.failed.emit(weightstore.WeightsError(f"{type(error).__name__}: {error}"))
            else:
                relay.succeeded.emit(result)

        self._relay, self._cancel = relay, cancel
        self._thread = threading.Thread(target=run, name="weights", daemon=True)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setVisible(True)
        self.cancel_button.setVisible(cancellable)
        self.cancel_button.setEnabled(True)
        self._update_buttons()
        self._thread.start()

    @Slot(object, object)
    def _on_progress(self, done: int, total: int | None) -> None:
        if total:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * done / total))
            self.progress_bar.setFormat(f"{done / 1e6:.1f} / {total / 1e6:.1f} MB")
        else:
            self.progress_bar.setFormat(f"{done / 1e6:.1f} MB")

    def _finish(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = self._cancel = self._relay = None
        self.progress_bar.setVisible(False)
        self.cancel_button.setVisible(False)
        self._update_buttons()

    @Slot(object)
    def _on_succeeded(self, result: object) -> None:
        then = self._then
        self._finish()
        path = result.path if isinstance(result, weightstore.InstalledWeights) else result
        if isinstance(result, weightstore.InstalledWeights) and result.already_installed:
            self.status_label.setText(self.tr("Already installed: {file} (the same file)").format(file=reasons.one_line_name(path)))
        else:
            said = [self.tr("Installed {file}: you can choose it in the Model panel now")
                    .format(file=reasons.one_line_name(path))]
            if isinstance(result, weightstore.InstalledWeights):  # what `weights install` says too, a line each
                said += [_as_sentence(translated(note)) for note in weightstore.install_notes(result)]
            self.status_label.setText("\n".join(said))
        self.refresh()
        self.changed.emit()
        self.operation_finished.emit(True)
        if then is not None:
            then()

    @Slot(object)
    def _on_failed(self, error: weightstore.WeightsError) -> None:
        on_exists, question = self._on_exists, self._exists_question
        self._finish()
        if isinstance(error, weightstore.AlreadyInstalled):
            if dialogs.confirm(self, self.tr("Replace Weights"), question, self.tr("Replace")):
                on_exists()
                return
            self.status_label.setText(self.tr("Nothing was changed"))
        elif isinstance(error, weightstore.WeightsCancelled):
            self.status_label.setText(self.tr("Cancelled: nothing was installed"))
        else:
            self._report_failure(error)
        self.operation_finished.emit(False)

    def _report_failure(self, error: Exception) -> None:
        self.status_label.setText(translated(reasons.of(error)))
        dialogs.show_error(self, self.tr("Weights Not Installed"), reasons.of(error))

    # -- drops and closing

    def offer_install(self, parent: QWidget, paths: list[Path]) -> bool:
        """Weights files dropped on the window: ask, then install them here, in view."""
        names = ", ".join(reasons.file_name(p) for p in paths)
        if self.busy or not dialogs.confirm(
                parent, self.tr("Install Weights"), self.tr("Install {files} as model weights?").format(files=names),
                self.tr("Install"),
                self.tr("The file is checked first: only weights of a network this app knows are installed.")):
            return False
        self.refresh()
        self.show()
        self.raise_()
        self.install(paths)
        return True

    def dragEnterEvent(self, event) -> None:
        if weights_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        paths = weights_files(event.mimeData())
        if paths and not self.busy:
            event.acceptProposedAction()
            self.install(paths)

    def done(self, result: int) -> None:
        """Closing stops a download; nothing half-downloaded stays."""
        self.cancel()
        if self._thread is not None:
            self._thread.join(timeout=10)
        super().done(result)


def _as_sentence(text: str) -> str:
    """A reason of the core (lower case, to follow "file: ") as a line of its own."""
    return text[:1].upper() + text[1:]


def weights_files(mime) -> list[Path]:
    """The dropped files that look like weights files (by extension; the contents are checked on install)."""
    if not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if weightstore.is_weights_file(p)]


class StarterNote(QMessageBox):
    """Said once, without blocking, while only the starter weights are installed."""

    def __init__(self, parent: QWidget, get_weights: Callable[[], None]) -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Information)
        self.setWindowTitle(self.tr("Starter Weights Only"))
        self.setText(self.tr("Only this app's starter weights are installed. They are weak on real photos: "
                             "the paper's weights deblur much better."))
        self.setInformativeText(self.tr("The paper's weights are the authors' release for research use, trained on "
                                        "GoPro. Get them now, or later in the File menu under Weights…"))
        self.get_button = self.addButton(self.tr("Get the Paper's Weights…"), QMessageBox.ButtonRole.AcceptRole)
        self.addButton(self.tr("Not Now"), QMessageBox.ButtonRole.RejectRole)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.buttonClicked.connect(lambda button: get_weights() if button is self.get_button else None)
