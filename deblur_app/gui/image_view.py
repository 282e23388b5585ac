"""The zoomable, pannable image view every comparison view is made of.

Each image arrives as a :class:`Layer`, a pyramid of pixmaps built once (full size, then
halvings), and the :class:`ImageItem` draws only the exposed part of the smallest level that still
has enough pixels for the current zoom, so a 12 MP photo pans and zooms without resampling
megapixels per paint. Zoom and pan are view transforms; :class:`ViewLink` keeps views in step.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QObject,
    QPointF,
    QRect,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

MIN_ZOOM, MAX_ZOOM = 0.01, 32.0
TINY = 8  # a photo that fits this many times into the view, both ways, is enlarged by Fit


def tiny_photo_zoom(fitting: float) -> float:
    """Fit's zoom where it does not enlarge (``fitting``: the zoom that fills the view): 100 % for a photo that
    fills an eighth of the view or more, else a whole number of times, to fill about half of it (crisp pixels):
    an 8 x 8 photo was a dot in the middle of the window."""
    if fitting < TINY:
        return min(1.0, fitting)
    return min(MAX_ZOOM, float(int(fitting / 2)))
#: Zoom In/Out and the wheel step along these percentages of actual pixels, so 50, 100, 200 and 400 %
#: are reached exactly (a constant factor such as 1.25 never lands on them again after a Fit).
ZOOM_LEVELS = (1, 2, 3, 4, 5, 100 / 16, 100 / 12, 100 / 8, 100 / 6, 25, 100 / 3, 50, 200 / 3, 100, 150, 200,
               300, 400, 600, 800, 1200, 1600, 2400, 3200)
WHEEL_NOTCH = 120  # angleDelta of one mouse-wheel notch


def next_zoom_level(percent: float, direction: int) -> float:
    """The next ladder step above (direction > 0) or below ``percent``."""
    if direction > 0:
        return next((level for level in ZOOM_LEVELS if level > percent * 1.001), ZOOM_LEVELS[-1])
    return next((level for level in reversed(ZOOM_LEVELS) if level < percent / 1.001), ZOOM_LEVELS[0])
BACKGROUND = QColor(38, 38, 40)


class Layer:
    """One image as a pyramid of pixmaps, largest first: full size, unless ``size`` (width, height) says
    what the image's size is (a run's partial frame of a large photo starts at half size)."""

    def __init__(self, levels: list[QPixmap], size: tuple[int, int] | None = None) -> None:
        if not levels:
            raise ValueError("a layer needs at least one pixmap")
        self.levels = levels
        self.width, self.height = size if size and size[0] and size[1] else (levels[0].width(), levels[0].height())

    def draw(self, painter: QPainter, target: QRectF, lod: float) -> None:
        level = self.levels[0]
        for candidate in self.levels[1:]:
            if candidate.width() >= self.width * lod:
                level = candidate
            else:
                break
        sx, sy = level.width() / self.width, level.height() / self.height
        source = QRectF(target.x() * sx, target.y() * sy, target.width() * sx, target.height() * sy)
        painter.drawPixmap(target, level, source)


class ImageItem(QGraphicsItem):
    """Draws a layer, or two layers split at a vertical divider, plus an optional marked region."""

    def __init__(self) -> None:
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.primary: Layer | None = None
        self.secondary: Layer | None = None  # drawn right of the divider
        self.split = 0.5
        self.mark: QRectF | None = None

    def set_layers(self, primary: Layer | None, secondary: Layer | None = None) -> None:
        self.prepareGeometryChange()
        self.primary, self.secondary = primary, secondary
        self.update()

    def boundingRect(self) -> QRectF:
        if self.primary is None:
            return QRectF()
        return QRectF(0, 0, self.primary.width, self.primary.height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self.primary is None:
            return
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        device = painter.device()
        lod *= device.devicePixelRatioF() if device is not None else 1.0  # high-DPI: count device pixels
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, lod < 1.0)  # crisp pixels when magnified
        bounds = self.boundingRect().toRect()
        exposed = option.exposedRect.toAlignedRect().intersected(bounds)
        if self.secondary is None:
            self.primary.draw(painter, QRectF(exposed), lod)
        else:
            x = round(self.split * bounds.width())
            left = exposed.intersected(QRect(0, 0, x, bounds.height()))
            right = exposed.intersected(QRect(x, 0, bounds.width() - x, bounds.height()))
            if not left.isEmpty():
                self.primary.draw(painter, QRectF(left), lod)
            if not right.isEmpty():
                self.secondary.draw(painter, QRectF(right), lod)
        if self.mark is not None:
            pen = QPen(QColor(255, 200, 60), 0, Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.mark)


def badge_font(font: QFont) -> QFont:
    badge = QFont(font)
    badge.setPointSizeF(max(8.0, font.pointSizeF()))
    return badge


def badge_width(font: QFont, text: str) -> int:
    """The width of draw_badge's box for ``text`` in ``font`` (the painter's)."""
    return QFontMetrics(badge_font(font)).horizontalAdvance(text) + 14


def draw_badge(painter: QPainter, text: str, anchor: QPointF, align_right: bool = False,
               max_width: float | None = None) -> None:
    """A caption on a dark rounded box; elided to ``max_width`` (the box's) where it is wider."""
    painter.setFont(badge_font(painter.font()))
    metrics = painter.fontMetrics()
    if max_width is not None and metrics.horizontalAdvance(text) + 14 > max_width:
        text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, int(max_width) - 14))
    width, height = metrics.horizontalAdvance(text) + 14, metrics.height() + 6
    x = anchor.x() - width if align_right else anchor.x()
    rect = QRectF(x, anchor.y(), width, height)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 150))
    painter.drawRoundedRect(rect, 4, 4)
    painter.setPen(QColor(235, 235, 235))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)


class ImageView(QGraphicsView):
    """A zoomable, pannable view of one image; Space-flip shows ``original`` instead."""

    view_changed = Signal()  # the user zoomed or panned this view: linked views follow
    zoom_shown = Signal()  # the zoom may have changed, whoever changed it (the status bar follows)

    def __init__(self, caption: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = ImageItem()
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        # overlays (captions, divider) are drawn in viewport coordinates: repaint fully
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setBackgroundBrush(BACKGROUND)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # pan by dragging (or the arrow keys); no scroll bars flickering in and out with the zoom
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.link: ViewLink | None = None
        self.fit_enlarges = False  # fit shrinks large photos, shows small ones at 100 % and tiny ones enlarged
        self.caption = caption
        self.message = ""
        self.fit_mode = True
        self.flipped = False
        self._wheel_delta = 0
        self._main: Layer | None = None
        self._original: Layer | None = None

    # -- content

    def set_image(self, main: Layer | None, original: Layer | None = None, message: str = "") -> None:
        """Show ``main``; ``original`` is what Space-flip shows (None: nothing to flip to)."""
        old_size = self._size()
        self._main, self._original, self.message = main, original, message
        self._apply_layers()
        if self._size() != old_size or self.fit_mode:
            self.setSceneRect(self.item.boundingRect())
            if self.link is not None:
                self.link.catch_up(self)  # take the zoom of the linked views, or fit
            elif self.fit_mode:
                self.fit()
        self.viewport().update()

    def has_image(self) -> bool:
        return self.item.primary is not None

    def _size(self) -> tuple[int, int]:
        layer = self.item.primary
        return (layer.width, layer.height) if layer else (0, 0)

    def _apply_layers(self) -> None:
        shown = self._original if (self.flipped and self._original is not None) else self._main
        self.item.set_layers(shown)

    def set_flipped(self, flipped: bool) -> None:
        if flipped != self.flipped:
            self.flipped = flipped
            self._apply_layers()
            self.viewport().update()

    def set_mark(self, rect: QRectF | None) -> None:
        self.item.mark = rect
        self.item.update()

    def showing_original(self) -> bool:
        return self.flipped and self._original is not None

    # -- zoom

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, scale: float) -> None:
        self.fit_mode = False
        scale = max(MIN_ZOOM, min(MAX_ZOOM, scale))
        self.setTransform(self.transform().fromScale(scale, scale))
        self.view_changed.emit()
        self.zoom_shown.emit()

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.zoom() * factor)

    def zoom_percent(self) -> float:
        """The zoom in percent of actual pixels (100 % = one photo pixel per screen pixel)."""
        return self.zoom() * 100 * max(1.0, self.devicePixelRatioF())

    def zoom_step(self, direction: int) -> None:
        """Zoom to the next step of :data:`ZOOM_LEVELS` in or out."""
        level = next_zoom_level(self.zoom_percent(), direction)
        self.set_zoom(level / 100 / max(1.0, self.devicePixelRatioF()))

    def actual_size(self) -> None:
        """100 %: one image pixel on one screen pixel, also on high-DPI screens."""
        self.set_zoom(1.0 / max(1.0, self.devicePixelRatioF()))

    def fit(self, quiet: bool = False) -> None:
        """Show the whole image; ``quiet`` when a linked view asked (no echo back)."""
        self.fit_mode = True
        rect = self.sceneRect()
        if rect.isEmpty():
            return
        viewport = self.viewport().rect()
        scale = min((viewport.width() - 4) / rect.width(), (viewport.height() - 4) / rect.height())
        if not self.fit_enlarges:
            scale = tiny_photo_zoom(scale)
        scale = max(MIN_ZOOM, scale)
        self.setTransform(self.transform().fromScale(scale, scale))
        self.centerOn(rect.center())
        if not quiet:
            self.view_changed.emit()
        self.zoom_shown.emit()

    def apply_state(self, scale: float, center: QPointF, fit_mode: bool) -> None:
        """Follow another (linked) view."""
        self.fit_mode = fit_mode
        if abs(self.zoom() - scale) > 1e-9:
            self.setTransform(self.transform().fromScale(scale, scale))
        self.centerOn(center)
        self.zoom_shown.emit()

    def center(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def visible_rect(self) -> QRect:
        """The part of the image in view, in image pixels."""
        area = self.mapToScene(self.viewport().rect()).boundingRect()
        return area.toAlignedRect().intersected(self.item.boundingRect().toRect())

    # -- events

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y()
        if delta and self.has_image():
            # touchpads send many small deltas: one zoom step per notch's worth
            self._wheel_delta += delta
            while abs(self._wheel_delta) >= WHEEL_NOTCH:
                direction = 1 if self._wheel_delta > 0 else -1
                self._wheel_delta -= direction * WHEEL_NOTCH
                self.zoom_step(direction)
            event.accept()
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.fit_mode:
            self.fit(quiet=not self.isVisible())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.link is not None:
            self.link.catch_up(self)
        elif self.fit_mode:
            self.fit(quiet=True)

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.view_changed.emit()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        painter.save()
        painter.resetTransform()
        area = self.viewport().rect()
        if self.has_image():
            self.draw_overlays(painter, area)
            if self.message:
                metrics = painter.fontMetrics()
                advance = metrics.horizontalAdvance(self.message)
                width = min(area.width() - 20, advance + 14)
                anchor = QPointF(area.center().x() - width / 2, area.bottom() - metrics.height() - 16)
                # elided only when it does not fit: elidedText cut a message exactly its own width wide
                text = self.message if advance + 14 <= width else metrics.elidedText(
                    self.message, Qt.TextElideMode.ElideRight, width - 14)
                draw_badge(painter, text, anchor)
        elif self.message:
            painter.setPen(QColor(170, 170, 170))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(area.adjusted(20, 20, -20, -20), flags, self.message)
        painter.restore()

    def draw_overlays(self, painter: QPainter, area: QRect) -> None:
        caption = self.tr("Original (Space)") if self.showing_original() else self.caption
        if caption:
            # a narrow pane (the Scales view's at the window's least size) cut it at its edge: nearer the edge there,
            # elided only where even that does not fit
            margin = 10 if badge_width(painter.font(), caption) + 20 <= area.width() else 3
            draw_badge(painter, caption, QPointF(margin, 10), max_width=area.width() - 2 * margin)


class ViewLink(QObject):
    """Keeps the zoom and the centre of several views of equally sized images in step.

    Only a visible view leads (a hidden one has a stale size); a view that
    becomes visible catches up with the last state. In fit mode every view
    fits its own viewport instead of copying a scale made for another size.
    """

    def __init__(self, views: list[ImageView] | tuple = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.views: list[ImageView] = []
        self._busy = False
        self._state: tuple[float, QPointF, bool, QRectF] | None = None
        for view in views:
            self.add(view)

    def add(self, view: ImageView) -> None:
        self.views.append(view)
        view.link = self
        view.view_changed.connect(lambda view=view: self.sync_from(view))

    def sync_from(self, source: ImageView) -> None:
        if self._busy or not source.has_image() or not source.isVisible():
            return
        self._busy = True
        try:
            scale, center, rect = source.zoom(), source.center(), source.sceneRect()
            self._state = (scale, center, source.fit_mode, rect)
            for view in self.views:
                if view is source or not view.has_image() or view.sceneRect() != rect:
                    continue
                if source.fit_mode:
                    view.fit(quiet=True)
                else:
                    view.apply_state(scale, center, False)
        finally:
            self._busy = False

    def catch_up(self, view: ImageView) -> None:
        if self._busy or not view.has_image():
            return
        self._busy = True
        try:
            state = self._state
            if state is not None and not state[2] and state[3] == view.sceneRect():
                view.apply_state(state[0], state[1], False)
            else:
                view.fit(quiet=True)
        finally:
            self._busy = False
