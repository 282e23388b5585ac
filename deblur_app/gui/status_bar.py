"""The window's status bar: messages on the left, the run's progress and the photo's facts on the right."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QToolTip, QWidget

from .messages import LoadedModel, RunSettings
from .reasons import translated

# the device label's texts were the window's: translated in its context
translate = QCoreApplication.translate


class FittingLabel(QLabel):
    """A status-bar label that gives up width before the window does: its text elided where the bar has no room
    for all of it, whole in its tooltip then. In a window of the least width (640 px) the labels of a photo's size,
    the run's time, the network and the device asked for more than the window (669 px in Chinese), so the window
    could not be made as small as it says. The run's time stays whole (short, and nothing without its number)."""

    LEAST_TEXT_WIDTH = 40  # what an elided label keeps, in pixels of text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._whole = ""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._whole = text
        self.updateGeometry()
        self._fit()

    def text(self) -> str:
        """The whole text, whether or not it is elided on the screen."""
        return self._whole

    def shown_text(self) -> str:
        return super().text()

    def _padding(self) -> int:
        return super().sizeHint().width() - self.fontMetrics().horizontalAdvance(super().text())

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = super().sizeHint()
        return QSize(self.fontMetrics().horizontalAdvance(self._whole) + self._padding(), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        hint = self.sizeHint()
        return QSize(min(hint.width(), self._padding() + self.LEAST_TEXT_WIDTH), hint.height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        room = self.width() - self._padding()
        shown = self._whole if self.fontMetrics().horizontalAdvance(self._whole) <= room else \
            self.fontMetrics().elidedText(self._whole, Qt.TextElideMode.ElideRight, max(0, room))
        if shown != super().text():
            super().setText(shown)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ToolTip and self.shown_text() != self._whole:
            QToolTip.showText(event.globalPos(), f"{self._whole}\n{self.toolTip()}", self)
            return True
        return super().event(event)


class WindowStatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.zoom_label = QLabel()
        self.zoom_label.setToolTip(self.tr("Zoom of the view (100 % = one photo pixel per screen pixel)"))
        self.size_label = FittingLabel()
        self.size_label.setToolTip(self.tr("Size of the selected photo"))
        self.model_label = FittingLabel()
        self.model_label.setToolTip(self.tr("The network used for the next run"))
        self.device_label = FittingLabel()
        self.device_label.setToolTip(self.tr("Where the network runs, and at what precision"))
        self.elapsed_label = QLabel()  # never elided: "Last run …" said nothing (Xvfb, 640 px)
        self.elapsed_label.setToolTip(self.tr("Time of the current or last run, and the time left"))
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(240)
        self.progress_bar.setMinimumWidth(180)
        self.progress_bar.setToolTip(self.tr("Tiles (and ensemble passes) done"))
        self.progress_bar.setVisible(False)
        self.elapsed_label.setVisible(False)  # shown with a run's time: no empty box beside the photo's size
        self.device_label.setVisible(False)  # shown once the device is known: an empty box ended the bar until then
        # its widest text in the window's language: the English width cut the Chinese "适合窗口 (21 %)" to "§合窗口"
        advance = self.zoom_label.fontMetrics().horizontalAdvance
        widest = max(advance(self.tr("Fit ({percent:.0f} %)").format(percent=3200)),
                     advance(self.tr("Zoom {percent:.0f} %").format(percent=3200)))
        self.zoom_label.setMinimumWidth(widest + 16)
        for widget in (self.progress_bar, self.elapsed_label, self.size_label, self.zoom_label,
                       self.model_label, self.device_label):
            if isinstance(widget, QLabel):
                widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.addPermanentWidget(widget)
        self.setStyleSheet("QStatusBar::item { border: none; border-left: 1px solid palette(mid); }"
                           "QStatusBar QLabel { padding: 0px 8px; }")
        self._note = ""  # the lasting note of show_note, to take away only while it is still shown
        # the model the device label describes, and the device/precision settings it was loaded for
        self._described: tuple[LoadedModel, tuple[str, str]] | None = None

    def show_note(self, text: str) -> None:
        """A message that stays until replaced (a long preparation); "" takes it away if it is still shown."""
        if text:
            self._note = text
            self.showMessage(text)
        elif self._note and self.currentMessage() == self._note:
            self.clearMessage()

    def show_zoom(self, percent: float, fitted: bool) -> None:
        if fitted:
            self.zoom_label.setText(self.tr("Fit ({percent:.0f} %)").format(percent=percent))
        else:
            self.zoom_label.setText(self.tr("Zoom {percent:.0f} %").format(percent=percent))

    def show_elapsed(self, text: str) -> None:
        self.elapsed_label.setText(text)
        self.elapsed_label.setVisible(bool(text))

    def show_starting(self) -> None:
        self.progress_bar.setRange(0, 0)  # busy until the first tile is done
        self.progress_bar.setFormat(self.tr("Starting…"))

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.progress_bar.setRange(0, max(1, total))
        self.progress_bar.setValue(done)
        self.progress_bar.setFormat(text.replace("%", "%%"))

    # -- the device label: where the next run goes, and at what precision once its model is loaded

    def show_device(self, device: str) -> None:
        """The device alone (no model loaded for the chosen settings yet)."""
        self._described = None
        self.device_label.setText(translate("MainWindow", "Device: {device}").format(device=device.upper()))
        self.device_label.setVisible(True)
        self.device_label.setToolTip(self.tr("Where the network runs, and at what precision"))

    def show_loaded_model(self, model: LoadedModel, run: RunSettings) -> None:
        """Describe the model the next run uses; a model of another network (Compare Networks' second one, a
        batch's) is not it: the label said "CPU (fp32)" of MIMO-UNet's int8 runs after a comparison."""
        if model.variant != run.variant:
            return
        self._described = (model, (run.device, run.precision))
        self.device_label.setText(translate("MainWindow", "Device: {device} ({precision})").format(
            device=model.device.upper(), precision=model.precision))
        self.device_label.setVisible(True)
        self.device_label.setToolTip(translate("MainWindow", "Runs in {precision} because {reason}").format(
            precision=model.precision, reason=translated(model.precision_reason)))

    def forget_model_if_stale(self, run: RunSettings, auto_device: str | None) -> None:
        """After another network, device or precision is chosen, the label no longer describes what the
        next run uses (it said "CPU (int8)" and 47.1 dB for MIMO-UNet+): back to the device alone
        until that model loads (issue 22). ``auto_device``: what Auto means here, once known."""
        if self._described is None:
            return
        model, settings = self._described
        if model.variant == run.variant and settings == (run.device, run.precision):
            return
        self.show_device(auto_device if auto_device is not None and run.device == "auto" else run.device)
