"""The list of opened photos down the left of the window, with thumbnails and saved marks.

It follows the session (session.py): a photo opened or closed there is added or removed here,
its mark follows its result and saved state, and selecting an item selects the photo there
(and the other way round)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QWidget

from ..reasons import one_line_name
from .blur_badges import BLUR_ROLE, THUMB_ROLE, badged_icon, photo_icon
from .icons import icon
from .photo_state import Photo
from .session import PhotoSession, SessionEvent

KEY_ROLE = Qt.ItemDataRole.UserRole
GRID_WIDTH, GRID_HEIGHT, GRID_MIN_WIDTH = 150, 124, 100


def legible(image: QImage, box: QSize) -> QImage:
    """A tiny photo's thumbnail enlarged a whole number of times to fill the icon's ``box``, its pixels kept square
    and sharp (nearest neighbour): an icon is never enlarged, and an 8 x 8 photo's was a dot in the filmstrip."""
    factor = min(box.width() // max(1, image.width()), box.height() // max(1, image.height()))
    if factor < 2:
        return image
    return image.scaled(image.width() * factor, image.height() * factor, Qt.AspectRatioMode.IgnoreAspectRatio,
                        Qt.TransformationMode.FastTransformation)


class Filmstrip(QListWidget):
    """One item per photo key; the mark before a name says whether its result is saved (✓) or not (●);
    a scanned photo's thumbnail carries its blur badge (scanning.py)."""

    THUMB_ROLE = THUMB_ROLE

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("filmstrip")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setFlow(QListWidget.Flow.TopToBottom)
        self.setWrapping(False)
        self.setMovement(QListWidget.Movement.Static)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setIconSize(QSize(128, 96))
        self.setGridSize(QSize(GRID_WIDTH, GRID_HEIGHT))
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setToolTip(self.tr("Opened photos: select one to show it (Alt+Up/Alt+Down)"))
        self.setMinimumWidth(120)
        # one column: never a horizontal scroll bar (it showed under the photos as soon as the vertical one came,
        # the 150-pixel grid wider than the 160-pixel strip less that bar); the grid follows the width instead
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        width = max(GRID_MIN_WIDTH, min(GRID_WIDTH, self.viewport().width()))
        if self.gridSize().width() != width:
            self.setGridSize(QSize(width, GRID_HEIGHT))
            for row in range(self.count()):
                self.item(row).setSizeHint(self._item_size())
        super().resizeEvent(event)

    def follow(self, session: PhotoSession) -> None:
        self._session = session
        session.observe(self._session_changed)
        self.currentItemChanged.connect(lambda *_: session.select(self.current_key()))

    def _session_changed(self, event: SessionEvent) -> None:
        if event.kind == "added":
            self.add_photo(self._session.get(event.key))
        elif event.kind == "removed":
            self.remove(event.key)
        elif event.kind == "selected" and event.key != self.current_key():  # (a click here keeps its selection)
            if event.key is None:
                self.setCurrentItem(None)
            else:
                self.select(event.key)
        elif event.kind in ("strength", "outcome", "saved"):
            self.show_state(self._session.get(event.key))

    def add_photo(self, photo: Photo) -> QListWidgetItem:
        item = QListWidgetItem(icon("photo"), photo.shown_name)
        item.setData(KEY_ROLE, photo.key)
        item.setSizeHint(self._item_size())
        self.addItem(item)
        self.show_state(photo)
        return item

    def _item_size(self) -> QSize:
        return QSize(self.gridSize().width() - 4, GRID_HEIGHT - 4)

    def item_for(self, key: str) -> QListWidgetItem | None:
        for row in range(self.count()):
            item = self.item(row)
            if item.data(KEY_ROLE) == key:
                return item
        return None

    def current_key(self) -> str | None:
        item = self.currentItem()
        return item.data(KEY_ROLE) if item is not None else None

    def select(self, key: str) -> None:
        item = self.item_for(key)
        if item is not None:
            self.setCurrentItem(item)

    def remove(self, key: str) -> None:
        item = self.item_for(key)
        if item is not None:
            self.takeItem(self.row(item))

    def step(self, step: int) -> None:
        if self.count():
            self.setCurrentRow((self.currentRow() + step) % self.count())

    def set_thumbnail(self, key: str, image: QImage) -> None:
        item = self.item_for(key)
        if item is not None and not image.isNull():
            pixmap = QPixmap.fromImage(legible(image, self.iconSize()))
            # kept for a badge that comes later: a scan badged an opened photo's item on a grey card, and its
            # thumbnail never came back (the camera's preview is not taken for a photo already loaded)
            item.setData(THUMB_ROLE, pixmap)
            blur = item.data(BLUR_ROLE)
            item.setIcon(photo_icon(pixmap) if blur is None else badged_icon(pixmap, *blur))

    def show_state(self, photo: Photo) -> None:
        """The name's mark and the tooltip follow the photo's result and saved state."""
        item = self.item_for(photo.key)
        if item is None:
            return
        name = photo.shown_name
        if photo.unsaved:
            text, note = f"● {name}", self.tr("Deblurred, not saved")
        elif photo.result is not None:
            text, note = f"✓ {name}", self.tr("Saved to {path}").format(path=one_line_name(photo.saved_path))
        elif photo.preview is not None:
            text, note = name, self.tr("Preview only")
        else:
            text, note = name, ""
        item.setText(text)
        path = one_line_name(photo.path)
        item.setToolTip(f"{path}\n{note}" if note else path)
