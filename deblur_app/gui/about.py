"""The About dialog: version, weights and their provenance, torch/Qt versions, device.

Everything about torch comes from the worker's EngineInfo; this module does
not import torch.
"""

from __future__ import annotations

import html
import platform

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from .. import __version__
from .icons import app_icon
from .worker import EngineInfo, LoadedModel

MODEL_CARD_LABELS = {  # the model card fields first, in this order; other metadata follows
    "trained_by": "Trained by",
    "val_psnr": "Validation PSNR (dB)",
    "val_input_psnr": "Blurred input PSNR (dB)",
    "dataset": "Data",
    "license": "Licence",
    "steps": "Training steps",
    "samples_seen": "Samples seen",
    "train_hours": "Training hours",
    "hardware": "Trained on",
    "identity_psnr": "Identity PSNR (dB)",
    "batch": "Batch size",
    "crop": "Crop (px)",
    "deblur_app_version": "Made with deblur_app",
}
HIDDEN_KEYS = {"variant"}


def about_html(info: EngineInfo | None, model: LoadedModel | None) -> str:
    rows: list[tuple[str, str]] = [("Version", __version__)]
    if model is not None:
        rows.append(("Loaded weights", f"{model.display_name}: {model.path}"))
        rows.append(("Provenance", model.provenance))
        keys = [k for k in MODEL_CARD_LABELS if model.metadata.get(k) and model.metadata[k] != model.provenance]
        keys += sorted(k for k in model.metadata if k not in MODEL_CARD_LABELS and k not in HIDDEN_KEYS)
        for key in keys:
            label = MODEL_CARD_LABELS.get(key, key.replace("_", " ").capitalize())
            rows.append((label, str(model.metadata[key])))
        rows.append(("Running on", f"{model.device} ({model.precision})"))
    elif info is not None:
        for weights in info.weights.values():
            text = f"{weights.path} — {weights.description}" if weights.path else "not installed"
            rows.append((weights.display_name, text))
    if info is not None:
        devices = ", ".join(d.upper() if d != "mps" else "Apple MPS" for d in info.devices)
        rows.append(("Devices", f"{devices}; Auto uses {info.auto_device}"
                     + (f" ({info.accelerator_name})" if info.accelerator_name else "")))
        rows.append(("PyTorch", info.torch_version))
    else:
        rows.append(("PyTorch", "starting…"))
    rows.append(("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})"))
    rows.append(("Python", f"{platform.python_version()} on {platform.system()} {platform.machine()}"))
    body = "".join(
        f"<tr><td style='padding-right:14px;color:#9a9a9a'>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    return (
        "<h2 style='margin-bottom:2px'>Deblur</h2>"
        "<p>Removes camera shake and motion blur from photos with MIMO-UNet "
        "(Cho et al., <i>Rethinking Coarse-to-Fine Approach in Single Image Deblurring</i>, ICCV 2021).</p>"
        f"<table>{body}</table>"
    )


class AboutDialog(QDialog):
    def __init__(self, info: EngineInfo | None, model: LoadedModel | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Deblur")
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
