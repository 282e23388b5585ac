"""Opening photos into the window: the Open dialog, the command line, drops, loading, closing.

A mixin of :class:`~deblur_app.gui.main_window.MainWindow` (like window_actions.py): the
photos are read in the file pool (tasks.py) and arrive in ``_on_loaded``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from .. import imagefiles
from . import dialogs
from .image_view import Layer
from .photo_state import Photo
from .qtimage import pixmaps
from .tasks import LoadOutcome
from .weights_dialog import weights_files

LARGE_PHOTO_MP = 4.0  # above this on the CPU, the status bar suggests a preview first
# Both cases: Qt's own dialog and GTK's match patterns case-sensitively on Linux, and cameras
# name their files IMG_0001.CR2, DSC_0042.NEF
PHOTO_PATTERNS = " ".join(f"*{e} *{e.upper()}" for e in imagefiles.SUPPORTED_EXTENSIONS)
# the texts belong to the window: translated in its context, whichever file builds them
translate = QCoreApplication.translate


class WindowOpening:
    """Adding, loading and removing photos (see the module docstring)."""

    def open_dialog(self) -> None:
        photos = translate("MainWindow", "Photos ({patterns})").format(patterns=PHOTO_PATTERNS)
        every_file = translate("MainWindow", "All files (*)")
        paths, _ = QFileDialog.getOpenFileNames(self, translate("MainWindow", "Open Photos"),
                                                self.settings.folder("open"), f"{photos};;{every_file}")
        if paths:
            self.open_paths(paths)

    def open_paths(self, paths: list[str | Path]) -> int:
        """Add photos (folders add the photos inside); select the first new one. Returns how many were added."""
        files: list[Path] = []
        for raw in paths:
            path = Path(raw).expanduser()
            if path.is_dir():
                files.extend(sorted(p for p in path.iterdir() if p.is_file() and imagefiles.is_supported(p)))
            else:
                files.append(path)
        first_item = None
        added = 0
        for path in files:
            key = str(path.resolve()) if path.exists() else str(path.absolute())
            if key in self.photos:
                first_item = first_item or self.filmstrip.item_for(key)
                continue
            photo = Photo(key, path)
            self.session.add(photo)
            item = self.filmstrip.add_photo(photo)
            first_item = first_item or item
            added += 1
            self.tasks.thumbnail_for(key, path)
        if files:
            self.settings.set_folder("open", files[0].parent)
        if first_item is not None:
            self.filmstrip.setCurrentItem(first_item)
        self._update_actions()
        return added

    def _on_loaded(self, outcome: LoadOutcome) -> None:
        photo = self.photos.get(outcome.key)
        if photo is None:
            return
        photo.loading = False
        if outcome.error:
            self._remove_photo(photo.key)
            self.settings.remove_recent(photo.path)
            self.statusBar().showMessage(
                translate("MainWindow", "Could not open {name}").format(name=photo.path.name), 8000)
            dialogs.show_error(self, translate("MainWindow", "Cannot Open Photo"), outcome.error, outcome.details)
            self._update_actions()
            return
        photo.image = outcome.image
        photo.original = Layer(pixmaps(outcome.levels))
        if outcome.thumb is not None:
            self.filmstrip.set_thumbnail(photo.key, outcome.thumb)
        self.settings.add_recent(photo.path)
        message = translate("MainWindow", "Opened {name}").format(name=photo.path.name)
        megapixels = photo.image.width * photo.image.height / 1e6
        device = self.panel.run_settings().device
        on_cpu = device == "cpu" or (device == "auto" and self.engine_info is not None and self.engine_info.auto_device == "cpu")
        if megapixels >= LARGE_PHOTO_MP and on_cpu:
            message = translate("MainWindow", "Opened {name} ({megapixels:.0f} MP on the CPU: try Preview, "
                                              "Ctrl+Shift+R, to judge the effect in seconds)").format(
                name=photo.path.name, megapixels=megapixels)
        self.statusBar().showMessage(message, 10000)
        if photo is self.current_photo():
            self._refresh_views()
        self._update_actions()
        self.photo_loaded.emit(photo.key)

    def _on_thumbnail(self, key: str, image: QImage) -> None:
        photo = self.photos.get(key)
        if photo is not None and not photo.loaded:
            self.filmstrip.set_thumbnail(key, image)

    def close_current_photo(self) -> None:
        photo = self.current_photo()
        if photo is None:
            return
        if photo.unsaved and not dialogs.confirm(
            self, translate("MainWindow", "Close Photo"),
            translate("MainWindow", "The deblurred {name} is not saved.").format(name=photo.path.name),
            translate("MainWindow", "Close Without Saving")
        ):
            return
        if self.runs.running_for(photo.key):
            self.cancel()
        self._remove_photo(photo.key)

    def _remove_photo(self, key: str) -> None:
        self.filmstrip.remove(key)
        self.session.remove(key)
        self.reblender.forget(key)
        self._show_current()

    # drag and drop

    def dragEnterEvent(self, event) -> None:  # photos, folders and weights files
        if self._dropped_paths(event.mimeData()) or weights_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = self._dropped_paths(event.mimeData())
        weights = weights_files(event.mimeData())
        if paths or weights:
            event.acceptProposedAction()
            if weights:
                self._weights_dialog().offer_install(self, weights)
            if paths:
                self.open_paths(paths)
        else:
            event.ignore()

    @staticmethod
    def _dropped_paths(mime) -> list[Path]:
        if not mime.hasUrls():
            return []
        paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
        return [p for p in paths if p.is_dir() or imagefiles.is_supported(p)]
