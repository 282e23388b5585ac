"""The side panel: model, ensemble, device, precision, tile size, Deblur/Cancel, Preview and strength."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..engine.choices import PRECISION_CHOICES
from ..engine.tiling import AUTO, MAX_TILE, MIN_TILE, WHOLE
from ..model.registry import ENSEMBLE_PASSES, VARIANTS, preset_for
from . import network_notes
from .i18n import ui_locale
from .messages import EngineInfo, RunSettings
from .reasons import translated

# Translated where shown (SidePanel.tr); QT_TRANSLATE_NOOP marks them for lupdate.
DEVICE_LABELS = {"auto": QT_TRANSLATE_NOOP("SidePanel", "Auto"), "cpu": QT_TRANSLATE_NOOP("SidePanel", "CPU"),
                 "cuda": QT_TRANSLATE_NOOP("SidePanel", "CUDA (NVIDIA GPU)"),
                 "mps": QT_TRANSLATE_NOOP("SidePanel", "MPS (Apple GPU)")}
# label and tip of each of engine.choices.PRECISION_CHOICES (the list and its order are spelled there)
PRECISION_LABELS = {
    "auto": (QT_TRANSLATE_NOOP("SidePanel", "Auto (fastest)"),
             QT_TRANSLATE_NOOP("SidePanel", "int8 where it was measured to keep the picture, else bf16 on CPUs "
                                            "that compute it natively, fp16 on NVIDIA GPUs, else fp32; the Device "
                                            "label's tip says which and why")),
    "fp32": (QT_TRANSLATE_NOOP("SidePanel", "Exact (fp32)"),
             QT_TRANSLATE_NOOP("SidePanel", "Full float32, as the paper's code: slower, bit-for-bit reproducible")),
    "bf16": (QT_TRANSLATE_NOOP("SidePanel", "bf16"),
             QT_TRANSLATE_NOOP("SidePanel", "bfloat16: fast on CPUs with AVX512-BF16 or AMX and on recent GPUs, "
                                            "slow elsewhere")),
    "fp16": (QT_TRANSLATE_NOOP("SidePanel", "fp16 (GPU)"),
             QT_TRANSLATE_NOOP("SidePanel", "float16 on a GPU; a result that overflows is redone in fp32")),
    "int8": (QT_TRANSLATE_NOOP("SidePanel", "Fastest (int8)"),
             QT_TRANSLATE_NOOP("SidePanel", "8-bit integers with OpenVINO on the CPU: fastest, slightly less exact; "
                                            "the first run calibrates once for these weights")),
}


class WheelWhenFocused:
    """A control of the panel that the mouse wheel changes only once it has focus (a click, Tab): scrolling the
    panel in a short window with the pointer passing over Precision made it bf16, over Network another network.
    The wheel goes on to the panel's scroll area instead."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Qt's WheelFocus would focus it on the first turn

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if self.hasFocus():
            super().wheelEvent(event)
            return
        area = self.parentWidget()
        while area is not None and not isinstance(area, QAbstractScrollArea):
            area = area.parentWidget()
        if area is None:
            event.ignore()
        else:  # handed on, not ignored: Qt passes only the wheel events of the system up to the parents
            QApplication.sendEvent(area.viewport(), event)


class PanelComboBox(WheelWhenFocused, QComboBox):
    pass


class PanelSpinBox(WheelWhenFocused, QSpinBox):
    pass


class PanelSlider(WheelWhenFocused, QSlider):
    pass


class TileSpinBox(WheelWhenFocused, QSpinBox):
    """Auto, Whole image, or tiles of N px (at least MIN_TILE): the engine's and command line's vocabulary.

    The box's own values: 0 shows Auto (the special value), 1 Whole image, then MIN_TILE and up.
    """

    AUTO_VALUE, WHOLE_VALUE = 0, 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(self.AUTO_VALUE, MAX_TILE)
        self.setSingleStep(128)

    def tile(self) -> int | None:
        value = self.value()
        if value == self.AUTO_VALUE:
            return AUTO
        return WHOLE if value == self.WHOLE_VALUE else max(MIN_TILE, value)

    def set_tile(self, tile: int | None) -> None:
        if tile is AUTO:
            self.setValue(self.AUTO_VALUE)
        else:
            self.setValue(self.WHOLE_VALUE if tile == WHOLE else max(MIN_TILE, tile))

    def _whole_text(self) -> str:
        return self.tr("Whole image")

    def textFromValue(self, value: int) -> str:
        if value == self.WHOLE_VALUE:
            return self._whole_text()
        return self.tr("{pixels} px").format(pixels=value)

    def valueFromText(self, text: str) -> int:
        if text.strip().lower() == self._whole_text().lower():
            return self.WHOLE_VALUE
        digits = "".join(c for c in text if c.isdigit())
        return min(MAX_TILE, max(MIN_TILE, int(digits))) if digits else self.AUTO_VALUE

    def validate(self, text: str, position: int):
        typed = text.strip().lower()
        words = [self._whole_text().lower(), self.specialValueText().lower()]
        if typed in words:
            return QValidator.State.Acceptable, text, position
        if not typed or any(word.startswith(typed) for word in words):
            return QValidator.State.Intermediate, text, position
        digits = typed.removesuffix("px").strip()
        if not digits.isdigit():
            return QValidator.State.Invalid, text, position
        pixels = int(digits)
        state = QValidator.State.Acceptable if MIN_TILE <= pixels <= MAX_TILE else QValidator.State.Intermediate
        return state, text, position

    def stepBy(self, steps: int) -> None:
        value = self.value()
        for _ in range(abs(steps)):
            if steps > 0:
                value = self.WHOLE_VALUE if value == self.AUTO_VALUE else \
                    MIN_TILE if value < MIN_TILE else min(MAX_TILE, value + self.singleStep())
            else:
                value = self.AUTO_VALUE if value <= self.WHOLE_VALUE else \
                    self.WHOLE_VALUE if value <= MIN_TILE else max(MIN_TILE, value - self.singleStep())
        self.setValue(value)


MORE_NETWORKS = "get-more-networks"  # the network list's last entry: opens the Weights dialog


class SidePanel(QWidget):
    options_changed = Signal()
    strength_changed = Signal(int)  # percent; needs no new network run
    weights_requested = Signal()  # the weights note's link: open the Weights dialog

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._quiet = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self._model_group())
        self.run_button = QPushButton(self.tr("Deblur"))
        self.run_button.setMinimumHeight(36)
        self.run_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        layout.addWidget(self.run_button)
        self.preview_button = QPushButton(self.tr("Preview visible area"))
        self.preview_button.setToolTip(self.tr("Deblur only the part of the photo in view, at 100 %: "
                                               "see the effect in seconds before running the whole photo "
                                               "(Ctrl+Shift+R)"))
        layout.addWidget(self.preview_button)
        layout.addWidget(self._strength_group())
        layout.addWidget(self._result_group())
        layout.addStretch(1)
        layout.addWidget(self._weights_note())
        self._connect()
        self._update_ensemble_label()

    def _model_group(self) -> QGroupBox:
        """Network, self-ensemble, device, precision and tiles: what a run is made with."""
        group = QGroupBox(self.tr("Model"))
        form = QFormLayout(group)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.model_combo = PanelComboBox()
        for key, variant in VARIANTS.items():
            self.model_combo.addItem(variant.display_name, key)
            self.model_combo.setItemData(self.model_combo.count() - 1, network_notes.one_line(key),
                                         Qt.ItemDataRole.ToolTipRole)
        self.model_combo.insertSeparator(self.model_combo.count())
        self.model_combo.addItem(self.tr("Get more networks…"), MORE_NETWORKS)
        self.model_combo.setItemData(self.model_combo.count() - 1, self.tr("Download or install other networks"),
                                     Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setToolTip(self.tr("The network that deblurs: each is trained for a kind of blur"))
        self._last_network = 0
        form.addRow(self.tr("Network:"), self.model_combo)
        self.network_note = QLabel()  # what the chosen network is for; its expected time when slow
        self.network_note.setWordWrap(True)
        self.network_note.setStyleSheet("color: #9a9a9a")
        form.addRow(self.network_note)
        self._photo_pixels, self._cpu_cores, self._on_cpu = 0, 1, True
        self._speeds: dict[str, float] = {}
        self._computed: Callable[[str, int | None], int] | None = None
        self.ensemble_check = QCheckBox()
        self.ensemble_check.setToolTip(self.tr("Run the photo in 8 flips/rotations and average: slightly better, "
                                                "about 8× slower"))
        form.addRow(self.ensemble_check)
        self.device_combo = PanelComboBox()
        self.device_combo.addItem(self.tr(DEVICE_LABELS["auto"]), "auto")
        self.device_combo.setToolTip(self.tr("Where the network runs; Auto picks a GPU when there is one"))
        form.addRow(self.tr("Device:"), self.device_combo)
        self.precision_combo = PanelComboBox()
        for key in PRECISION_CHOICES:
            label, tip = PRECISION_LABELS[key]
            self.precision_combo.addItem(self.tr(label), key)
            self.precision_combo.setItemData(self.precision_combo.count() - 1, self.tr(tip), Qt.ItemDataRole.ToolTipRole)
        self.precision_combo.setToolTip(self.tr("Arithmetic precision of the network"))
        form.addRow(self.tr("Precision:"), self.precision_combo)
        self.tile_spin = TileSpinBox()
        self.tile_spin.setSpecialValueText(self.tr("Auto"))
        self.tile_spin.setToolTip(self.tr("Tiles for large photos: Auto sizes them from free memory; Whole image "
                                          "runs the photo in one piece; smaller tiles (at least {minimum} px) need "
                                          "less memory and can be cancelled sooner").format(minimum=MIN_TILE))
        form.addRow(self.tr("Tiles:"), self.tile_spin)
        return group

    def _strength_group(self) -> QGroupBox:
        group = QGroupBox(self.tr("Strength"))
        row = QHBoxLayout(group)
        self.strength_slider = PanelSlider(Qt.Orientation.Horizontal)
        self.strength_spin = PanelSpinBox()
        for control in (self.strength_slider, self.strength_spin):
            control.setRange(0, 100)
            control.setValue(100)
            control.setToolTip(self.tr("How much of the correction to show and save: lower values blend the result "
                                       "towards the original (keeps grain and texture); changes without a new run"))
        self.strength_slider.setPageStep(10)
        self.strength_spin.setSuffix(self.tr(" %"))
        row.addWidget(self.strength_slider, 1)
        row.addWidget(self.strength_spin)
        return group

    def _result_group(self) -> QGroupBox:
        self.result_group = QGroupBox(self.tr("Last run"))
        result_layout = QVBoxLayout(self.result_group)
        self.result_label = QLabel(self.tr("No result yet"))
        self.result_label.setTextFormat(Qt.TextFormat.PlainText)  # names the saved file: "<b>.jpg" is a name, not markup
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setToolTip(self.tr("Details of the result shown"))
        result_layout.addWidget(self.result_label)
        return self.result_group

    def _weights_note(self) -> QLabel:
        self.weights_label = QLabel()
        self.weights_label.setWordWrap(True)
        self.weights_label.setStyleSheet("color: #9a9a9a")
        self.weights_label.setToolTip(self.tr("Where the model weights are looked for"))
        self.weights_label.setTextFormat(Qt.TextFormat.RichText)
        self.weights_label.linkActivated.connect(lambda _link: self.weights_requested.emit())
        return self.weights_label

    def _connect(self) -> None:
        for changes in (self.model_combo.currentIndexChanged, self.ensemble_check.toggled,
                        self.device_combo.currentIndexChanged, self.precision_combo.currentIndexChanged,
                        self.tile_spin.valueChanged):
            changes.connect(self._changed)
        self.strength_slider.valueChanged.connect(self._strength_moved)
        self.strength_spin.valueChanged.connect(self._strength_moved)

    def _strength_moved(self, value: int) -> None:
        for control in (self.strength_slider, self.strength_spin):
            if control.value() != value:
                control.blockSignals(True)
                control.setValue(value)
                control.blockSignals(False)
        if not self._quiet:
            self.strength_changed.emit(value)

    def strength(self) -> float:
        return self.strength_spin.value() / 100

    def show_strength(self, percent: int) -> None:
        """Show a photo's strength without announcing a change."""
        self._quiet = True
        try:
            self._strength_moved(percent)
        finally:
            self._quiet = False

    def _changed(self, *_args) -> None:
        if self.model_combo.currentData() == MORE_NETWORKS:  # an entry that opens the Weights dialog
            self._quiet, quiet = True, self._quiet
            self.model_combo.setCurrentIndex(self._last_network)
            self._quiet = quiet
            self.weights_requested.emit()
            return
        self._last_network = self.model_combo.currentIndex()
        self._update_ensemble_label()
        if not self._quiet:
            self.options_changed.emit()

    def show_photo_size(self, pixels: int, cpu_cores: int, on_cpu: bool,
                        speeds: dict[str, float] | None = None,
                        computed: Callable[[str, int | None], int] | None = None) -> None:
        """The photo a run would take: a slow network's expected time is said before it runs.
        ``speeds``: seconds per computed megapixel and pass of the networks the window has run on this CPU;
        ``computed``: the pixels a pass of a network computes for the photo with a tile setting, its tiles with
        their overlap (network_notes.computed_pixels); the photo's own pixels where None."""
        self._photo_pixels, self._cpu_cores, self._on_cpu = pixels, cpu_cores, on_cpu
        self._speeds = dict(speeds or {})
        self._computed = computed
        self._update_network_note()

    def _update_network_note(self) -> None:
        key = self.model_combo.currentData()
        if key not in VARIANTS:
            self.network_note.clear()
            return
        text = network_notes.one_line(key)
        if self._photo_pixels and self._on_cpu:
            pixels = self._computed(key, self.tile_spin.tile()) if self._computed else self._photo_pixels
            slow = network_notes.expected_time_note(key, pixels, self._cpu_cores,
                                                    self.ensemble_check.isChecked(), self._speeds.get(key))
            text = f"{text}\n{slow}" if slow else text
        self.network_note.setText(text)

    def _update_ensemble_label(self) -> None:
        self._update_network_note()
        preset = preset_for(self.model_combo.currentData(), True)
        if preset is not None:
            text = self.tr("{name} (≈{passes}× slower)").format(name=preset.display_name, passes=ENSEMBLE_PASSES)
        else:
            text = self.tr("Self-ensemble (≈{passes}× slower)").format(passes=ENSEMBLE_PASSES)
        self.ensemble_check.setText(text)

    # -- values

    def run_settings(self) -> RunSettings:
        return RunSettings(
            variant=self.model_combo.currentData(),
            ensemble=self.ensemble_check.isChecked(),
            device=self.device_combo.currentData() or "auto",
            tile=self.tile_spin.tile(),
            precision=self.precision_combo.currentData() or "auto",
            strength=self.strength(),
        )

    def choose_network(self, variant: str) -> None:
        """Run ``variant`` from now on, as the user would choose it (a kept comparison: compare.py); the
        ensemble goes off, as a compared result ran without it."""
        self.ensemble_check.setChecked(False)
        self.model_combo.setCurrentIndex(self.model_combo.findData(variant))

    def set_values(self, model: str, ensemble: bool, device: str, tile: int | None, precision: str | None = None,
                   strength: int | None = None) -> None:
        self._quiet = True
        try:
            if strength is not None:
                self._strength_moved(strength)
            index = self.model_combo.findData(model)
            if index >= 0 and self.model_combo.model().item(index).isEnabled():
                self.model_combo.setCurrentIndex(index)
            self.ensemble_check.setChecked(ensemble)
            index = self.device_combo.findData(device)
            self.device_combo.setCurrentIndex(max(0, index))
            self.tile_spin.set_tile(tile)
            if precision is not None:
                index = self.precision_combo.findData(precision)
                if index >= 0 and self.precision_combo.model().item(index).isEnabled():
                    self.precision_combo.setCurrentIndex(index)
            self._update_ensemble_label()
        finally:
            self._quiet = False

    def model_available(self) -> bool:
        index = self.model_combo.currentIndex()
        return (index >= 0 and self.model_combo.itemData(index) in VARIANTS
                and self.model_combo.model().item(index).isEnabled())

    def set_engine_info(self, info: EngineInfo, model: str, device: str) -> None:
        """Offer only the devices present and the models whose weights are installed."""
        self._quiet = True
        try:
            self._offer_devices(info)
            self._offer_networks(info)
            self._show_weights_note(info)
        finally:
            self._quiet = False
        self.set_values(model, self.ensemble_check.isChecked(), device, self.tile_spin.tile())
        if not self.model_available():
            self._fall_back_to_an_installed_network()
        self._update_ensemble_label()

    def _offer_devices(self, info: EngineInfo) -> None:
        """Auto and the devices present; fp16 only with a GPU."""
        self.device_combo.clear()
        self.device_combo.addItem(self.tr(DEVICE_LABELS["auto"]), "auto")
        self.device_combo.setItemData(0, self.tr("Auto: {device} on this computer").format(device=info.auto_device.upper()),
                                      Qt.ItemDataRole.ToolTipRole)
        for name in ("cuda", "mps", "cpu"):
            if name in info.devices:
                self.device_combo.addItem(self.tr(DEVICE_LABELS[name]), name)
        fp16 = self.precision_combo.model().item(self.precision_combo.findData("fp16"))
        fp16.setEnabled(any(name in info.devices for name in ("cuda", "mps")))
        if not fp16.isEnabled() and self.precision_combo.currentData() == "fp16":
            self.precision_combo.setCurrentIndex(0)

    def _offer_networks(self, info: EngineInfo) -> None:
        """The list shows the installed networks; the others are one click away (Get more networks…)."""
        items = self.model_combo.model()
        for row in range(self.model_combo.count()):
            key = self.model_combo.itemData(row)
            if key not in VARIANTS:
                continue  # the separator and "Get more networks…"
            weights = info.weights.get(key)
            present = weights is not None and weights.path is not None
            item = items.item(row)
            item.setEnabled(present)
            self.model_combo.view().setRowHidden(row, not present)
            tip = f"{weights.path}\n{translated(weights.description)}" if present else (
                translated(weights.missing_message) if weights else self.tr("no weights found"))
            item.setToolTip(f"{network_notes.one_line(key)}\n\n{tip}")

    def _show_weights_note(self, info: EngineInfo) -> None:
        """Under the panel: which networks have no weights, or that only the starter weights are there."""
        missing = [w for w in info.weights.values() if w.path is None]
        names = ui_locale().createSeparatedList([w.display_name for w in missing])
        only_starter = not missing and all(w.kind == "starter" for w in info.weights.values())
        if missing:
            note = self.tr("{names}: no weights installed.").format(names=html.escape(names))
            link = self.tr("Get the paper's weights…")
        elif only_starter:
            note, link = self.tr("Starter weights only: weak on real photos."), self.tr("Get the paper's weights…")
        else:
            note, link = "", self.tr("Weights…")
        self.weights_label.setText(f"{note} <a href='weights'>{html.escape(link)}</a>".strip())
        self.weights_label.setToolTip("\n\n".join(translated(w.missing_message) for w in missing)
                                      or self.tr("All weights are installed"))

    def _fall_back_to_an_installed_network(self) -> None:
        for row in range(self.model_combo.count()):
            if self.model_combo.itemData(row) in VARIANTS and self.model_combo.model().item(row).isEnabled():
                self._quiet = True
                self.model_combo.setCurrentIndex(row)
                # the ensemble was chosen for the network that is gone (MIMO-UNet++): the fallback
                # runs plain, not 8x slower by surprise (issue 22)
                self.ensemble_check.setChecked(False)
                self._quiet = False
                # the window stores the fallback and stops describing the old model's device
                self.options_changed.emit()
                break
