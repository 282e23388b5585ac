"""Watching the weights folders, so that weights installed from elsewhere are selectable at once.

`deblur-app weights install` (or a file copied into the folder) while the window is open left
its side panel saying "no weights installed" until a restart (issue 22). The folders are
watched; a change is reported once things have settled (a download's rename, a copy's
several writes), and a folder that does not exist yet is watched through its parent.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from ..resources import user_weights_dir
from ..weights import catalog

SETTLE_MS = 400


class WeightsFolderWatcher(QObject):
    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watcher = QFileSystemWatcher(self)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._settled)
        self._watcher.directoryChanged.connect(lambda _path: self._settle.start())
        self._watch()

    def _folders(self) -> list[Path]:
        folders = []
        for folder in [*catalog.weights_search_dirs(), user_weights_dir()]:
            folder = Path(folder)
            # not there yet (no weights installed so far): its parent says when it appears
            target = folder if folder.is_dir() else folder.parent
            if target.is_dir() and target not in folders:
                folders.append(target)
        return folders

    def _watch(self) -> None:
        wanted = {str(folder) for folder in self._folders()}
        watched = set(self._watcher.directories())
        if watched - wanted:
            self._watcher.removePaths(sorted(watched - wanted))
        if wanted - watched:
            self._watcher.addPaths(sorted(wanted - watched))

    def _settled(self) -> None:
        self._watch()  # a weights folder may have just been created
        self.changed.emit()
