"""The About dialog: version, weights and their provenance, torch/Qt versions, device.

Everything about torch comes from the worker's EngineInfo; this module does
not import torch.
"""

from __future__ import annotations

import html
import platform

import PySide6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from .. import __version__
from ..model.registry import ARCHITECTURES
from ..weights.catalog import rounded_psnr
from .i18n import shown_device
from .icons import app_icon
from .messages import EngineInfo, LoadedModel
from .reasons import translated

MODEL_CARD_LABELS = {  # the model card fields first, in this order; other metadata follows
    "trained_by": QT_TRANSLATE_NOOP("AboutDialog", "Trained by"),
    "val_psnr": QT_TRANSLATE_NOOP("AboutDialog", "Validation PSNR (dB)"),
    "val_input_psnr": QT_TRANSLATE_NOOP("AboutDialog", "Blurred input PSNR (dB)"),
    "dataset": QT_TRANSLATE_NOOP("AboutDialog", "Data"),
    "license": QT_TRANSLATE_NOOP("AboutDialog", "Licence"),
    "steps": QT_TRANSLATE_NOOP("AboutDialog", "Training steps"),
    "samples_seen": QT_TRANSLATE_NOOP("AboutDialog", "Samples seen"),
    "train_hours": QT_TRANSLATE_NOOP("AboutDialog", "Training hours"),
    "hardware": QT_TRANSLATE_NOOP("AboutDialog", "Trained on"),
    "identity_psnr": QT_TRANSLATE_NOOP("AboutDialog", "Identity PSNR (dB)"),
    "batch": QT_TRANSLATE_NOOP("AboutDialog", "Batch size"),
    "crop": QT_TRANSLATE_NOOP("AboutDialog", "Crop (px)"),
    "deblur_app_version": QT_TRANSLATE_NOOP("AboutDialog", "Made with deblur_app"),
}
HIDDEN_KEYS = {"variant"}


translate = QCoreApplication.translate
PSNR_KEYS = ("val_psnr", "val_input_psnr", "identity_psnr")


def _shown_value(key: str, value: object) -> str:
    """A model card's value as the About box shows it: a PSNR to 2 decimals of dB, as `info` and the weights line
    show it (training writes the mean it measured, "31.273849..."), anything else as written."""
    return rounded_psnr(value) if key in PSNR_KEYS else str(value)


def about_html(info: EngineInfo | None, model: LoadedModel | None) -> str:
    rows: list[tuple[str, str]] = [(translate("AboutDialog", "Version"), __version__)]
    if model is not None:
        rows.append((translate("AboutDialog", "Loaded weights"), f"{model.display_name}: {model.path}"))
        rows.append((translate("AboutDialog", "Provenance"), translated(model.provenance)))
        keys = [k for k in MODEL_CARD_LABELS if model.metadata.get(k) and model.metadata[k] != model.provenance]
        keys += sorted(k for k in model.metadata if k not in MODEL_CARD_LABELS and k not in HIDDEN_KEYS)
        for key in keys:
            label = (translate("AboutDialog", MODEL_CARD_LABELS[key]) if key in MODEL_CARD_LABELS
                     else key.replace("_", " ").capitalize())
            rows.append((label, _shown_value(key, model.metadata[key])))
        rows.append((translate("AboutDialog", "Running on"), f"{shown_device(model.device)} ({model.precision})"))
    elif info is not None:
        for weights in info.weights.values():
            text = f"{weights.path} — {translated(weights.description)}" if weights.path else translate("AboutDialog", "not installed")
            rows.append((weights.display_name, text))
    if info is not None:
        devices = ", ".join(d.upper() if d != "mps" else "Apple MPS" for d in info.devices)
        auto = f"{info.auto_device} ({info.accelerator_name})" if info.accelerator_name else info.auto_device
        rows.append((translate("AboutDialog", "Devices"),
                     translate("AboutDialog", "{devices}; Auto uses {auto}").format(devices=devices, auto=auto)))
        rows.append(("PyTorch", info.torch_version))
    else:
        rows.append(("PyTorch", translate("AboutDialog", "starting…")))
    rows.append(("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})"))
    rows.append(("Python", translate("AboutDialog", "{version} on {system} {machine}").format(
        version=platform.python_version(), system=platform.system(), machine=platform.machine())))
    body = "".join(
        f"<tr><td style='padding-right:14px;color:#9a9a9a'>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    summary = translate("AboutDialog", "Removes camera shake and motion blur from photos with these networks:")
    papers = "".join(f"<li><b>{html.escape(a.display_name)}</b>: {html.escape(a.paper)}</li>"
                     for a in ARCHITECTURES.values())
    return (f"<h2 style='margin-bottom:2px'>Deblur</h2><p>{summary}</p><ul style='margin-top:0'>{papers}</ul>"
            f"<table>{body}</table>")


class AboutDialog(QDialog):
    def __init__(self, info: EngineInfo | None, model: LoadedModel | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About Deblur"))
        self.setWindowIcon(app_icon())
        layout = QVBoxLayout(self)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        layout.addWidget(icon, alignment=Qt.AlignmentFlag.AlignHCenter)
        self.text = QLabel(about_html(info, model))
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setMinimumWidth(460)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
