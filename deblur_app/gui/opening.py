"""Opening photos: the Open dialog, the command line, Open Recent, drops (photos, folders, RAW
files, weights files), reading the selected photo, closing it.

``PhotoOpener`` is a controller over the session (session.py): it changes the open photos only
through the session's commands, and the filmstrip, views and actions follow the session's
events. What it needs of the window is declared in ``OpeningWindow``; what it asks the user in
prompts.Prompts; the files are read in the file pool (tasks.py), whose outcomes the window hands
to ``take_loaded``, ``take_thumbnail`` and ``take_previewed`` (a file found unreadable while its thumbnail
was made; every photo refused meanwhile is named in one dialog). So it is tested without a window
(tests/test_controllers.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Signal
from PySide6.QtGui import QImage

from .. import imagefiles, reasons
from .image_view import Layer
from .photo_state import Photo
from .prompts import LISTED_REASONS, Prompts, reasons_listed
from .qtimage import pixmaps
from .reasons import translated
from .session import PhotoSession, SessionEvent
from .settings import AppSettings
from .tasks import LoadOutcome
from .weights_dialog import weights_files

LARGE_PHOTO_MP = 4.0  # above this on the CPU, the status bar suggests a preview first
# Both cases: Qt's own dialog and GTK's match patterns case-sensitively on Linux, and cameras
# name their files IMG_0001.CR2, DSC_0042.NEF
PHOTO_PATTERNS = " ".join(f"*{e} *{e.upper()}" for e in imagefiles.SUPPORTED_EXTENSIONS)
# the texts belong to the window: translated in its context, whichever file builds them
translate = QCoreApplication.translate


class OpeningWindow(Protocol):
    """What opening photos needs of the window."""

    def show_message(self, text: str, timeout_ms: int = 0) -> None: ...

    def show_thumbnail(self, key: str, image: QImage) -> None: ...

    def runs_on_cpu(self) -> bool: ...

    def offer_weights(self, files: list[Path]) -> None: ...


class FileReader(Protocol):
    """The file pool's part that reads (tasks.FileTasks)."""

    def load(self, key: str, path: Path) -> None: ...

    def thumbnails_for(self, photos: list[tuple[str, Path]]) -> None: ...


def photo_files(paths: list[str | Path]) -> list[Path]:
    """The files to open: a folder gives the photos inside it (sorted), a file itself."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and imagefiles.is_supported(p)))
        else:
            files.append(path)
    return files


def photo_key(path: Path) -> str:
    """One key per file, whichever way its path was spelled."""
    return str(path.resolve()) if path.exists() else str(path.absolute())


def dropped_paths(mime) -> list[Path]:
    """The dropped local photos and folders (other files are for the weights dialog or refused)."""
    if not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p.is_dir() or imagefiles.is_supported(p)]


class PhotoOpener(QObject):
    """Adding, reading and closing photos (see the module docstring)."""

    photo_loaded = Signal(str)  # key

    def __init__(self, session: PhotoSession, window: OpeningWindow, settings: AppSettings, files: FileReader,
                 prompts: Prompts, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.window, self.settings, self.files, self.prompts = session, window, settings, files, prompts
        self._unopened: list[LoadOutcome] = []  # read and refused since the last dialog said so (_report_unopened)
        self._previewing: set[str] = set()  # photos whose thumbnail (and check, tasks.FileTasks) is under way
        session.observe(self._session_changed)

    def open_dialog(self) -> None:
        photos = translate("MainWindow", "Photos ({patterns})").format(patterns=PHOTO_PATTERNS)
        every_file = translate("MainWindow", "All files (*)")
        paths = self.prompts.photos_to_open(translate("MainWindow", "Open Photos"), self.settings.folder("open"),
                                            f"{photos};;{every_file}")
        if paths:
            self.open_paths(paths)

    def open_paths(self, paths: list[str | Path]) -> int:
        """Add photos (folders add the photos inside); select the first new one, or the first given
        that was open already. Returns how many were added."""
        files = photo_files(paths)
        first_key = None
        added: list[tuple[str, Path]] = []
        for path in files:
            key = photo_key(path)
            if self.session.add(Photo(key, path)):
                added.append((key, path))
                self._previewing.add(key)
            first_key = first_key or key
        if files:
            self.settings.set_folder("open", files[0].parent)
        if first_key is not None:
            self.session.select(first_key)  # its read is queued first, its priority or not: the pool may be idle
        if added:
            self.files.thumbnails_for(added)  # then the thumbnails, queued whole (tasks.FileTasks)
        return len(added)

    def _session_changed(self, event: SessionEvent) -> None:
        """A selected photo not read yet is read now (a scan lists thousands it never reads)."""
        if event.kind == "selected" and event.key is not None and self.session.start_loading(event.key):
            photo = self.session.get(event.key)
            self.window.show_message(translate("MainWindow", "Opening {name}…").format(name=photo.shown_name))
            self.files.load(photo.key, photo.path)

    def take_loaded(self, outcome: LoadOutcome) -> None:
        photo = self.session.get(outcome.key)
        if photo is not None and outcome.error:
            self._refuse(photo, outcome)
        elif photo is not None:
            self._show_loaded(photo, outcome)
        self._report_unopened()

    def take_previewed(self, key: str, refused: LoadOutcome | None) -> None:
        """A photo's thumbnail was made, or the photo was found unreadable (refused): it leaves the filmstrip."""
        self._previewing.discard(key)
        photo = self.session.get(key)
        if refused is not None and photo is not None and not photo.loaded:
            self._refuse(photo, refused)
        self._report_unopened()

    def _refuse(self, photo: Photo, outcome: LoadOutcome) -> None:
        self.session.remove(photo.key)  # the filmstrip selects the next photo, which starts to be read
        self.settings.remove_recent(photo.path)
        self._unopened.append(outcome)

    def _report_unopened(self) -> None:
        """One dialog for every photo refused since the last, once no photo is being read. Opening several bad
        files chains their reads (removing one selects the next), and a dialog each stacked up on the screen."""
        busy = any(photo.loading or photo.key in self._previewing for photo in self.session)
        if not self._unopened or busy:
            return
        unopened, self._unopened = self._unopened, []
        if len(unopened) == 1:
            name = reasons.file_name(unopened[0].path)
            self.window.show_message(translate("MainWindow", "Could not open {name}").format(name=name), 8000)
            self.prompts.error(translate("MainWindow", "Cannot Open Photo"), unopened[0].error, unopened[0].details)
            return
        count = len(unopened)
        # self.tr, not translate: PySide6 6.11's lupdate reads a plural form (%n) from self.tr only
        self.window.show_message(self.tr("Could not open %n photo(s)", "", count), 8000)
        text, details = reasons_listed(
            self.tr("%n photo(s) could not be opened:", "", count), [translated(o.error) for o in unopened],
            self.tr("… and %n more (Show Details…)", "", count - LISTED_REASONS), [o.details for o in unopened])
        self.prompts.error(self.tr("Cannot Open Photos"), text, details)

    def _show_loaded(self, photo: Photo, outcome: LoadOutcome) -> None:
        photo.original = Layer(pixmaps(outcome.levels))  # before the session tells the views
        if outcome.thumb is not None:
            self.window.show_thumbnail(photo.key, outcome.thumb)
        self.settings.add_recent(photo.path)
        self.window.show_message(self._opened_message(photo, outcome.image), 10000)
        self.session.take_image(photo.key, outcome.image)
        self.photo_loaded.emit(photo.key)

    def _opened_message(self, photo: Photo, image) -> str:
        megapixels = image.width * image.height / 1e6
        if megapixels >= LARGE_PHOTO_MP and self.window.runs_on_cpu():
            return translate("MainWindow", "Opened {name} ({megapixels:.0f} MP on the CPU: try Preview, "
                                           "Ctrl+Shift+R, to judge the effect in seconds)").format(
                name=photo.shown_name, megapixels=megapixels)
        return translate("MainWindow", "Opened {name}").format(name=photo.shown_name)

    def take_thumbnail(self, key: str, image: QImage) -> None:
        photo = self.session.get(key)
        if photo is not None and not photo.loaded:
            self.window.show_thumbnail(key, image)

    def close_current(self) -> None:
        photo = self.session.current()
        if photo is None:
            return
        if photo.unsaved and not self.prompts.confirm(
            translate("MainWindow", "Close Photo"),
            translate("MainWindow", "The deblurred {name} is not saved.").format(name=photo.shown_name),
            translate("MainWindow", "Close Without Saving")
        ):
            return
        self.session.remove(photo.key)  # its run, if any, is cancelled by the run commands (run_commands.py)

    # drag and drop: the window's drag events come here (installed as its event filter)

    def eventFilter(self, watched, event) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            mime = event.mimeData()
            if dropped_paths(mime) or weights_files(mime):
                event.acceptProposedAction()
            else:
                event.ignore()
            return True
        if kind == QEvent.Type.Drop:
            self._drop(event)
            return True
        return super().eventFilter(watched, event)

    def _drop(self, event) -> None:
        paths = dropped_paths(event.mimeData())
        weights = weights_files(event.mimeData())
        if not paths and not weights:
            event.ignore()
            return
        event.acceptProposedAction()
        if weights:
            self.window.offer_weights(weights)
        if paths:
            self.open_paths(paths)
