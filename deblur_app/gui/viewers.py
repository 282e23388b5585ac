"""Image views: linked side-by-side, split view, scales view, difference heatmap.

Every view is a QGraphicsView showing an :class:`ImageItem`; zoom and pan are
view transforms. Each image arrives as a :class:`Layer`, a pyramid of pixmaps
built once (full size, then halvings), and the item draws only the exposed
part of the smallest level that still has enough pixels for the current
zoom, so a 12 MP photo pans and zooms without resampling megapixels per paint.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QStyleOptionGraphicsItem,
    QWidget,
)

MIN_ZOOM, MAX_ZOOM = 0.01, 32.0
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
MODES = ("side", "split", "scales", "difference")
MODE_TITLES = {"side": QT_TRANSLATE_NOOP("Viewers", "Side by side"), "split": QT_TRANSLATE_NOOP("Viewers", "Split"),
               "scales": QT_TRANSLATE_NOOP("Viewers", "Scales"), "difference": QT_TRANSLATE_NOOP("Viewers", "Difference")}


def mode_title(mode: str) -> str:
    """The view mode's name in the interface language."""
    return QCoreApplication.translate("Viewers", MODE_TITLES[mode])


class Layer:
    """One image as a pyramid of pixmaps (index 0 is full size)."""

    def __init__(self, levels: list[QPixmap]) -> None:
        if not levels:
            raise ValueError("a layer needs at least one pixmap")
        self.levels = levels
        self.width = levels[0].width()
        self.height = levels[0].height()

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


def _draw_badge(painter: QPainter, text: str, anchor: QPointF, align_right: bool = False) -> None:
    font = QFont(painter.font())
    font.setPointSizeF(max(8.0, font.pointSizeF()))
    painter.setFont(font)
    metrics = painter.fontMetrics()
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
        self.fit_enlarges = False  # fit shrinks large photos but shows small ones at 100 %
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
        scale = max(MIN_ZOOM, scale if self.fit_enlarges else min(1.0, scale))
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
                width = min(area.width() - 20, metrics.horizontalAdvance(self.message) + 14)
                anchor = QPointF(area.center().x() - width / 2, area.bottom() - metrics.height() - 16)
                _draw_badge(painter, metrics.elidedText(self.message, Qt.TextElideMode.ElideRight, width - 14), anchor)
        elif self.message:
            painter.setPen(QColor(170, 170, 170))
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(area.adjusted(20, 20, -20, -20), flags, self.message)
        painter.restore()

    def draw_overlays(self, painter: QPainter, area: QRect) -> None:
        caption = self.tr("Original (Space)") if self.showing_original() else self.caption
        if caption:
            _draw_badge(painter, caption, QPointF(10, 10))


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


class SplitView(ImageView):
    """Original left of a draggable divider, result right of it."""

    HANDLE = 9  # pixels either side of the divider that grab it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self._result: Layer | None = None
        self._dragging = False
        self.setMouseTracking(True)
        self.setToolTip(self.tr("Drag the divider (or Shift+Left/Right) to compare; hold Space to see the original"))

    def set_pair(self, original: Layer | None, result: Layer | None, message: str = "") -> None:
        self._result = result
        self.set_image(original, None, message)

    def result_layer(self) -> Layer | None:
        return self._result

    def _apply_layers(self) -> None:
        secondary = None if self.flipped else self._result
        self.item.set_layers(self._main, secondary)

    def showing_original(self) -> bool:
        return self.flipped and self._result is not None

    @property
    def split(self) -> float:
        return self.item.split

    def set_split(self, fraction: float) -> None:
        self.item.split = max(0.0, min(1.0, fraction))
        self.item.update()
        self.viewport().update()

    def _divider_x(self) -> float:
        x = self.item.split * self.item.boundingRect().width()
        return self.mapFromScene(QPointF(x, 0)).x()

    def _near_divider(self, x: float) -> bool:
        return self._result is not None and not self.flipped and abs(x - self._divider_x()) <= self.HANDLE

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._near_divider(event.position().x()):
            self._dragging = True
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._dragging:
            scene_x = self.mapToScene(event.position().toPoint()).x()
            width = self.item.boundingRect().width()
            self.set_split(scene_x / width if width else 0.5)
            event.accept()
            return
        near = self._near_divider(event.position().x())
        self.viewport().setCursor(Qt.CursorShape.SplitHCursor if near else Qt.CursorShape.OpenHandCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._dragging:
            self._dragging = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier and event.key() in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            step = -0.05 if event.key() == Qt.Key.Key_Left else 0.05
            self.set_split(self.split + step)
            event.accept()
            return
        super().keyPressEvent(event)

    def draw_overlays(self, painter: QPainter, area: QRect) -> None:
        if self._result is None or self.flipped:
            super().draw_overlays(painter, area)
            return
        x = self._divider_x()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
        painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
        centre = QPointF(x, area.center().y())
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.setPen(QPen(QColor(0, 0, 0, 90), 1))
        painter.drawEllipse(centre, 13, 13)
        painter.setPen(QPen(QColor(40, 40, 40), 2))
        for sign in (-1, 1):
            tip = QPointF(centre.x() + sign * 8, centre.y())
            painter.drawLine(tip, QPointF(centre.x() + sign * 3, centre.y() - 5))
            painter.drawLine(tip, QPointF(centre.x() + sign * 3, centre.y() + 5))
        _draw_badge(painter, self.tr("Original"), QPointF(10, 10))
        _draw_badge(painter, self.tr("Deblurred"), QPointF(area.right() - 10, 10), align_right=True)


class DifferenceView(ImageView):
    """|result − original| as a heatmap over a dimmed copy of the photo, with a legend."""

    def __init__(self, value_range: float, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Change: |deblurred − original|"), parent)
        self.value_range = value_range
        self.max_change = 0.0
        self.setToolTip(self.tr("Bright = where the network changed the photo most; hold Space for the original"))

    def draw_overlays(self, painter: QPainter, area: QRect) -> None:
        super().draw_overlays(painter, area)
        if self.showing_original():
            return
        bar = QRectF(area.right() - 230, area.bottom() - 34, 160, 12)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for stop, colour in ((0.0, QColor(0, 0, 4)), (0.35, QColor(120, 28, 109)), (0.7, QColor(237, 105, 37)), (1.0, QColor(252, 255, 164))):
            gradient.setColorAt(stop, colour)
        back = bar.adjusted(-44, -24, 66, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(back, 4, 4)
        painter.setBrush(gradient)
        painter.drawRect(bar)
        painter.setPen(QColor(235, 235, 235))
        metrics = painter.fontMetrics()
        painter.drawText(QPointF(bar.left() - 36, bar.bottom()), "0 %")
        painter.drawText(QPointF(bar.right() + 6, bar.bottom()), f"≥{self.value_range * 100:.0f} %")
        text = self.tr("largest change {percent:.1f} %").format(percent=self.max_change * 100)
        painter.drawText(QPointF(bar.center().x() - metrics.horizontalAdvance(text) / 2, bar.top() - 7), text)


class CompareView(QWidget):
    """Original and result side by side, zoom and pan linked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.left = ImageView(self.tr("Original"))
        self.right = ImageView(self.tr("Deblurred"))
        self.left.setToolTip(self.tr("The photo as opened. Wheel or Ctrl++/Ctrl+- to zoom, drag to pan"))
        self.right.setToolTip(self.tr("The deblurred result, linked to the original. Hold Space to see the original here"))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.left)
        layout.addWidget(self.right)


@dataclass
class ScaleImages:
    """Input and output at full, ½ and ¼ size (each a Layer)."""

    inputs: dict[str, Layer]  # keys "full", "half", "quarter"
    outputs: dict[str, Layer]


class ScalesView(QWidget):
    """The network's ¼, ½ and full outputs under the input reduced the same way; each pair linked."""

    SCALES = (("quarter", "¼"), ("half", "½"), ("full", QT_TRANSLATE_NOOP("ScalesView", "Full")))

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(2)
        grid.setVerticalSpacing(2)
        self.headers: dict[str, QLabel] = {}
        self.inputs: dict[str, ImageView] = {}
        self.outputs: dict[str, ImageView] = {}
        self.links: list[ViewLink] = []
        for column, (key, label) in enumerate(self.SCALES):
            header = QLabel(self.tr(label))
            header.setAlignment(Qt.AlignmentFlag.AlignCenter)
            header.setContentsMargins(0, 4, 0, 4)
            header.setToolTip(self.tr("The network sees the input at full, ½ and ¼ size (every 2nd / 4th pixel) "
                                      "and restores each; coarse scales are solved first"))
            self.headers[key] = header
            if key == "full":
                self.inputs[key] = ImageView(self.tr("Input"))
                self.outputs[key] = ImageView(self.tr("Output"))
                self.inputs[key].setToolTip(self.tr("The input at full size"))
                self.outputs[key].setToolTip(self.tr("The network's full-size output, linked to the input above"))
            else:
                self.inputs[key] = ImageView(self.tr("Input {scale}").format(scale=label))
                self.outputs[key] = ImageView(self.tr("Output {scale}").format(scale=label))
                self.inputs[key].setToolTip(self.tr("The input at {scale} size, reduced like the network's input "
                                                    "pyramid").format(scale=label))
                self.outputs[key].setToolTip(self.tr("The network's {scale}-size output, linked to the input "
                                                     "above").format(scale=label))
            self.inputs[key].fit_enlarges = self.outputs[key].fit_enlarges = True
            grid.addWidget(header, 0, column)
            grid.addWidget(self.inputs[key], 1, column)
            grid.addWidget(self.outputs[key], 2, column)
            self.links.append(ViewLink([self.inputs[key], self.outputs[key]], self))
            grid.setColumnStretch(column, 1)
        grid.setRowStretch(1, 1)
        grid.setRowStretch(2, 1)

    def views(self) -> list[ImageView]:
        return [*self.inputs.values(), *self.outputs.values()]

    def set_images(self, images: ScaleImages | None, message: str = "") -> None:
        for key, label in self.SCALES:
            if images is None:
                self.inputs[key].set_image(None, message="")
                self.outputs[key].set_image(None, message=message if key == "half" else "")
                self.headers[key].setText(self.tr(label))
                continue
            self.inputs[key].set_image(images.inputs[key])
            self.outputs[key].set_image(images.outputs[key], images.inputs[key])
            layer = images.outputs[key]
            self.headers[key].setText(self.tr("{scale} — {width} × {height}").format(
                scale=self.tr(label), width=layer.width, height=layer.height))


class Viewers(QStackedWidget):
    """The four view modes in a stack; full-size views share one zoom/pan link."""

    zoom_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from .imaging import HEAT_RANGE

        self.compare = CompareView()
        self.split = SplitView()
        self.scales = ScalesView()
        self.difference = DifferenceView(HEAT_RANGE)
        self._pages = {"side": self.compare, "split": self.split, "scales": self.scales, "difference": self.difference}
        for mode in MODES:
            self.addWidget(self._pages[mode])
        self.link = ViewLink([self.compare.left, self.compare.right, self.split, self.difference], self)
        for view in self.all_views():
            view.zoom_shown.connect(self._zoom_maybe_changed)
        self._mode = "side"
        self._last_zoom: tuple[float, bool] = (0.0, False)
        self.set_content(None, None)

    def all_views(self) -> list[ImageView]:
        return [self.compare.left, self.compare.right, self.split, self.difference, *self.scales.views()]

    # -- mode

    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            mode = "side"
        self._mode = mode
        self.setCurrentWidget(self._pages[mode])
        self._zoom_maybe_changed()

    def main_view(self) -> ImageView:
        """The view whose visible region a preview uses and whose zoom the status bar shows."""
        return {"side": self.compare.left, "split": self.split, "difference": self.difference,
                "scales": self.scales.outputs["full"]}[self._mode]

    def active_views(self) -> list[ImageView]:
        if self._mode == "scales":
            return list(self.scales.outputs.values())
        return [self.main_view()]

    # -- content

    def set_content(
        self,
        original: Layer | None,
        result: Layer | None,
        heat: Layer | None = None,
        scales: ScaleImages | None = None,
        max_change: float = 0.0,
        mark: QRectF | None = None,
        message: str = "",
    ) -> None:
        if original is None:
            hint = message or self.tr("Open a photo (Ctrl+O) or drop photos here")
            for view in (self.compare.left, self.compare.right, self.difference):
                view.set_image(None, message=hint if view is not self.compare.left else "")
            self.split.set_pair(None, None, hint)
            self.scales.set_images(None, hint)
            return
        pending = message or self.tr("Not deblurred yet: press Deblur (Ctrl+R), or Preview (Ctrl+Shift+R) "
                                     "for the visible area")
        self.compare.left.set_image(original)
        self.compare.right.set_image(result, original, "" if result else pending)
        self.split.set_pair(original, result, "" if result else self.tr("Deblur the photo to compare it here"))
        self.difference.max_change = max_change
        self.difference.set_image(heat, original, "" if heat else pending)
        if scales is None and result is not None:
            pending = self.tr("The scales view shows whole-photo runs; a preview has no ½ and ¼ outputs")
        self.scales.set_images(scales, "" if scales else pending)
        for view in (self.compare.right, self.split, self.difference):
            view.set_mark(mark if result else None)
        self.link.sync_from(self.compare.left)

    def set_flipped(self, flipped: bool) -> None:
        for view in self.all_views():
            view.set_flipped(flipped)

    def set_waiting_message(self, message: str) -> None:
        """Change the note shown where the result will appear (the progress of a run) without new content."""
        waiting = [view for view in (self.compare.right, self.difference, self.scales.outputs["half"])
                   if not view.has_image()]
        if self.split.has_image() and self.split.result_layer() is None:
            waiting.append(self.split)
        for view in waiting:
            view.message = message
            view.viewport().update()

    # -- zoom

    def zoom_by(self, factor: float) -> None:
        for view in self.active_views():
            view.zoom_by(factor)

    def zoom_step(self, direction: int) -> None:
        """Zoom In (1) or Out (-1) to the next step of the ladder; the linked views follow."""
        for view in self.active_views():
            view.zoom_step(direction)

    def fit(self) -> None:
        for view in self.active_views():
            view.fit()

    def actual_size(self) -> None:
        for view in self.active_views():
            view.actual_size()

    def zoom(self) -> float:
        return self.main_view().zoom()

    def fitted(self) -> bool:
        """Whether the main view shows the whole photo (its zoom follows the window's size)."""
        return self.main_view().fit_mode

    def _zoom_maybe_changed(self) -> None:
        zoom, fitted = self.zoom(), self.fitted()
        if abs(zoom - self._last_zoom[0]) > 1e-6 or fitted != self._last_zoom[1]:
            self._last_zoom = (zoom, fitted)
            self.zoom_changed.emit(zoom)

    def visible_region(self) -> tuple[int, int, int, int] | None:
        view = self.main_view()
        if not view.has_image():
            return None
        rect = view.visible_rect()
        return rect.x(), rect.y(), rect.width(), rect.height()
