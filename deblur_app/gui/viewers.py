"""The comparison views: linked side by side, split, scales and difference heatmap.

Every view is built from :class:`~deblur_app.gui.image_view.ImageView`; :class:`Viewers` stacks
them and switches between the modes.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QStackedWidget,
    QWidget,
)

from .image_view import BACKGROUND, ImageView, Layer, ViewLink, badge_width, draw_badge

MODES = ("side", "split", "scales", "difference")
MODE_TITLES = {"side": QT_TRANSLATE_NOOP("Viewers", "Side by side"), "split": QT_TRANSLATE_NOOP("Viewers", "Split"),
               "scales": QT_TRANSLATE_NOOP("Viewers", "Scales"), "difference": QT_TRANSLATE_NOOP("Viewers", "Difference")}


def mode_title(mode: str) -> str:
    """The view mode's name in the interface language."""
    return QCoreApplication.translate("Viewers", MODE_TITLES[mode])


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
        draw_badge(painter, self.tr("Original"), QPointF(10, 10))
        draw_badge(painter, self.tr("Deblurred"), QPointF(area.right() - 10, 10), align_right=True)


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


class ScaleHeader(QLabel):
    """A scale's name and its size over its column: "½ — 150 × 150" on one line where it fits, else the name over the
    size on two lines, each elided only where even that does not fit. It never asks its column for more room: at the
    window's least size the headers made the columns of a result wider than a third and were cut at both ends
    ("½ — 150 × 15(", "ull — 300 × 30")."""

    def __init__(self, tip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setContentsMargins(0, 4, 0, 4)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.tip = tip
        self.whole = ""  # the header in one line, whether or not it is shown so
        self._lines: tuple[str, ...] = ()

    def set_scale(self, scale: str, size: tuple[int, int] | None = None) -> None:
        """The scale's name and, once known, the size (width, height) of what its column shows."""
        if size is None:
            self.whole, self._lines = scale, (scale,)
        else:
            dimensions = f"{size[0]} × {size[1]}"
            self.whole = QCoreApplication.translate("ScalesView", "{scale} — {width} × {height}").format(
                scale=scale, width=size[0], height=size[1])
            self._lines = (scale, dimensions)
        self._fit()

    def _fit(self) -> None:
        room = max(1, self.contentsRect().width())
        metrics = self.fontMetrics()
        if metrics.horizontalAdvance(self.whole) <= room or len(self._lines) < 2:
            text = metrics.elidedText(self.whole, Qt.TextElideMode.ElideRight, room)
        else:
            text = "\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideRight, room) for line in self._lines)
        self.setToolTip(self.tip if text == self.whole else f"{self.whole}\n{self.tip}")
        if text != self.text():
            self.setText(text)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()


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
        self.headers: dict[str, ScaleHeader] = {}
        self.inputs: dict[str, ImageView] = {}
        self.outputs: dict[str, ImageView] = {}
        self.links: list[ViewLink] = []
        for column, (key, label) in enumerate(self.SCALES):
            header = ScaleHeader(self.tr("The network sees the input at full, ½ and ¼ size (every 2nd / 4th pixel) "
                                         "and restores each; coarse scales are solved first"))
            header.set_scale(self.tr(label))
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
        # What the outputs' row says while it has none (a run's progress, the invitation to deblur): one note across
        # the three empty panes. In the ½ pane alone, a third of the view, the window's least size cut it to a column
        # of word pieces ("ress", "Deblu", "trl+F").
        self.note = QLabel(self)
        self.note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note.setWordWrap(True)
        self.note.setMargin(20)
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.note.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.note.setAutoFillBackground(True)
        palette = self.note.palette()
        palette.setColor(self.note.backgroundRole(), BACKGROUND)
        palette.setColor(self.note.foregroundRole(), QColor(170, 170, 170))  # as an empty view's message
        self.note.setPalette(palette)
        grid.addWidget(self.note, 2, 0, 1, len(self.SCALES))
        self.note.hide()

    def minimumSizeHint(self) -> QSize:
        """Room in each column for its panes' captions ("Output ½"): with the headers no longer asking for their
        width, the window's least size gave the filmstrip the room and cut the captions to "Outp…"."""
        hint = super().minimumSizeHint()
        caption = max(badge_width(self.font(), view.caption) for view in self.views()) + 6
        spacing = self.layout().horizontalSpacing() * (len(self.SCALES) - 1)
        return QSize(max(hint.width(), caption * len(self.SCALES) + spacing), hint.height())

    @property
    def message(self) -> str:
        """What the outputs' row says while it has no outputs ("" when it has them)."""
        return self.note.text()

    def set_message(self, message: str) -> None:
        self.note.setText(message)
        self.note.setVisible(bool(message))
        self.note.raise_()

    def has_outputs(self) -> bool:
        return self.outputs["full"].has_image()

    def views(self) -> list[ImageView]:
        return [*self.inputs.values(), *self.outputs.values()]

    def set_images(self, images: ScaleImages | None, message: str = "", original: Layer | None = None) -> None:
        """The run's scales, or none yet: ``original`` then shows as the full-size input (the view was blank until
        a MIMO-UNet run, browsing photos in it showed nothing of them)."""
        for key, label in self.SCALES:
            if images is None:
                shown = original if key == "full" else None
                self.inputs[key].set_image(shown, message="")
                self.outputs[key].set_image(None)
                self.headers[key].set_scale(self.tr(label), None if shown is None else (shown.width, shown.height))
                continue
            self.inputs[key].set_image(images.inputs[key])
            self.outputs[key].set_image(images.outputs[key], images.inputs[key])
            layer = images.outputs[key]
            self.headers[key].set_scale(self.tr(label), (layer.width, layer.height))
        self.set_message("" if images is not None else message)


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
        self.partial_shown = False  # a run's result so far is in the result views (show_partial)
        self._pending_hint = ""  # set_pending_hint: Deblur's own until the window says otherwise
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
        self.partial_shown = False
        if original is None:
            hint = message or self.tr("Open a photo (Ctrl+O) or drop photos here")
            for view in (self.compare.left, self.compare.right, self.difference):
                view.set_image(None, message=hint if view is not self.compare.left else "")
            self.split.set_pair(None, None, hint)
            self.scales.set_images(None, hint)
            return
        pending = message or self.pending_hint
        self.compare.left.set_image(original)
        self.compare.right.set_image(result, original, "" if result else pending)
        self.split.set_pair(original, result, "" if result else self.tr("Deblur the photo to compare it here"))
        self.difference.max_change = max_change
        self.difference.set_image(heat, original, "" if heat else pending)
        if scales is None and result is not None:  # ``message``: a whole-photo run's network without them says so
            pending = message or self.tr("The scales view shows whole-photo runs; a preview has no ½ and ¼ outputs")
        self.scales.set_images(scales, "" if scales else pending, original)
        for view in (self.compare.right, self.split, self.difference):
            view.set_mark(mark if result else None)
        self.link.sync_from(self.compare.left)

    def show_partial(self, partial: Layer, original: Layer, message: str) -> None:
        """A run's result so far in the result views (side by side, split) until set_content replaces it."""
        self.compare.right.set_image(partial, original, message)
        self.split.set_pair(original, partial)
        for view in (self.compare.right, self.split):
            view.set_mark(None)
        self.partial_shown = True

    def set_flipped(self, flipped: bool) -> None:
        for view in self.all_views():
            view.set_flipped(flipped)

    @property
    def pending_hint(self) -> str:
        """What a result view of a photo not deblurred yet says (set_pending_hint; Deblur's own hint by default)."""
        return self._pending_hint or self.tr("Not deblurred yet: press Deblur (Ctrl+R), or Preview (Ctrl+Shift+R) "
                                             "for the visible area")

    def set_pending_hint(self, hint: str) -> None:
        """The invitation a photo not deblurred yet shows, as the window's actions stand (action_state.pending_hint;
        "" for Deblur's own): changed where it shows now, and used from now on."""
        old, self._pending_hint = self.pending_hint, hint
        new = self.pending_hint
        if new == old:
            return
        for view in (self.compare.right, self.difference, self.split):
            if view.message == old:
                view.message = new
                view.viewport().update()
        if self.scales.message == old:
            self.scales.set_message(new)

    def set_waiting_message(self, message: str) -> None:
        """Change the note shown where the result will appear (the progress of a run) without new content."""
        waiting = [view for view in (self.compare.right, self.difference) if not view.has_image()]
        if not self.scales.has_outputs():
            self.scales.set_message(message)
        if self.split.has_image() and self.split.result_layer() is None:
            waiting.append(self.split)
        if self.partial_shown:  # the note rides on the result as it builds up
            waiting.append(self.compare.right)
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
