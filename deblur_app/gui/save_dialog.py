"""Save As: file name, format (PNG, JPEG + quality, TIFF 8/16-bit, WebP), optional ½ and ¼ outputs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..imagefiles import DEFAULT_QUALITY
from .i18n import bit_depth_text
from .icons import icon
from .tasks import SaveChoice

FORMATS = {  # name: (extension, has quality, can be 16-bit)
    "PNG": (".png", False, True),
    "JPEG": (".jpg", True, False),
    "TIFF": (".tif", False, True),
    "WebP": (".webp", True, False),
}
EXTENSIONS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".webp": "WebP"}


class SaveDialog(QDialog):
    def __init__(self, default: Path, original_depth: int, source_is_jpeg: bool, parent: QWidget | None = None,
                 scales: bool = True) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Save Deblurred Photo As"))
        self.original_depth = original_depth
        form = QFormLayout(self)
        form.addRow(self.tr("File:"), self._file_row(default))
        self.format_combo = QComboBox()
        self.format_combo.addItems(list(FORMATS))
        self.format_combo.setToolTip(self.tr("File format; the extension follows it"))
        form.addRow(self.tr("Format:"), self.format_combo)
        form.addRow(self.tr("Quality:"), self._quality_box(source_is_jpeg))
        form.addRow(self.tr("Bit depth:"), self._depth_box(original_depth))
        self.scales_check = QCheckBox(self.tr("Also save the ½ and ¼ outputs (…_half, …_quarter)"))
        self.scales_check.setChecked(False)  # for this save only: never remembered, never used by Save
        self.scales_check.setToolTip(self.tr("Write the network's coarse outputs next to the photo"))
        if not scales:  # NAFNet, FFTformer: checked, the save failed after the dialog had closed
            self.scales_check.setEnabled(False)
            self.scales_check.setToolTip(self.tr("This network returns only the full-size image: there are no ½ and "
                                                 "¼ outputs to save"))
        form.addRow("", self.scales_check)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

        self.format_combo.setCurrentText(EXTENSIONS.get(default.suffix.lower(), "PNG"))
        self.format_combo.currentTextChanged.connect(self._format_changed)
        self.path_edit.textChanged.connect(self._path_changed)
        self._update_fields()

    def _file_row(self, default: Path) -> QHBoxLayout:
        self.path_edit = QLineEdit(str(default))
        self.path_edit.setToolTip(self.tr("Where to write the deblurred photo"))
        self.path_edit.setMinimumWidth(420)
        browse = QPushButton(icon("folder"), self.tr("Browse…"))
        browse.setToolTip(self.tr("Choose the file name and folder"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(browse)
        return row

    def _quality_box(self, source_is_jpeg: bool) -> QSpinBox:
        # For this save only, like the ½ and ¼ outputs: Save always keeps a JPEG source's quality.
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(0 if source_is_jpeg else 1, 100)
        if source_is_jpeg:  # 0 stands for "the original's tables and chroma subsampling"
            self.quality_spin.setSpecialValueText(self.tr("Same as the original"))
        self.quality_spin.setValue(0 if source_is_jpeg else DEFAULT_QUALITY)
        self.quality_spin.setSuffix(self.tr(" %"))
        self.quality_spin.setToolTip(self.tr("JPEG/WebP quality: 90–95 keeps detail; WebP at 100 is lossless"))
        return self.quality_spin

    def _depth_box(self, original_depth: int) -> QComboBox:
        self.depth_combo = QComboBox()
        self.depth_combo.addItem(self.tr("As the original ({depth})").format(depth=bit_depth_text(original_depth)), None)
        self.depth_combo.addItem(bit_depth_text(8), 8)
        self.depth_combo.addItem(bit_depth_text(16), 16)
        self.depth_combo.setToolTip(self.tr("Bits per channel; 16-bit keeps smooth gradients for further editing "
                                            "(PNG/TIFF)"))
        return self.depth_combo

    def _browse(self) -> None:
        filters = ";;".join(f"{name} (*{ext}{' *.jpeg' if name == 'JPEG' else ''})" for name, (ext, _, _) in FORMATS.items())
        current = f"{self.format_combo.currentText()} (*{FORMATS[self.format_combo.currentText()][0]}"
        chosen = next((f for f in filters.split(";;") if f.startswith(current)), "")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Save As"), self.path_edit.text(), filters, chosen,
                                              QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path_edit.setText(path)

    def _format_changed(self, name: str) -> None:
        path = Path(self.path_edit.text())
        wanted = FORMATS[name][0]
        if EXTENSIONS.get(path.suffix.lower()) != name:
            self.path_edit.blockSignals(True)
            self.path_edit.setText(str(path.with_suffix(wanted)))
            self.path_edit.blockSignals(False)
        self._update_fields()

    def _path_changed(self, text: str) -> None:
        name = EXTENSIONS.get(Path(text).suffix.lower())
        if name and name != self.format_combo.currentText():
            self.format_combo.blockSignals(True)
            self.format_combo.setCurrentText(name)
            self.format_combo.blockSignals(False)
        self._update_fields()

    def _update_fields(self) -> None:
        _ext, has_quality, deep = FORMATS[self.format_combo.currentText()]
        self.quality_spin.setEnabled(has_quality)
        if not deep:
            self.depth_combo.setCurrentIndex(1)
        self.depth_combo.setEnabled(deep)

    def choice(self) -> SaveChoice:
        path = Path(self.path_edit.text()).expanduser()
        if EXTENSIONS.get(path.suffix.lower()) is None:
            path = path.with_suffix(FORMATS[self.format_combo.currentText()][0])
        depth = self.depth_combo.currentData() if self.depth_combo.isEnabled() else 8
        return SaveChoice(path, depth, self.quality_spin.value() or None, self.scales_check.isChecked())
