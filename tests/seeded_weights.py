"""Untrained MIMO-UNet weights that are the same in every run, saved as the app's weights file."""
from __future__ import annotations

from pathlib import Path


def save_seeded_weights(folder: Path, trained_by: str) -> Path:
    """Write ``folder/mimo-unet.safetensors`` from a fixed seed (thresholds on its output stay put)."""
    import torch

    from deblur_app.model.checkpoints import save_checkpoint
    from deblur_app.model.mimo_unet import build_model

    torch.manual_seed(0)
    save_checkpoint(folder / "mimo-unet.safetensors", build_model("mimo-unet"), {"trained_by": trained_by})
    return folder


def save_seeded_plus(folder: Path) -> Path:
    """``folder/mimo-unet-plus.safetensors`` (MIMO-UNet+) from a fixed seed: a second network to switch to and remove."""
    import torch

    from deblur_app.model.checkpoints import save_checkpoint
    from deblur_app.model.mimo_unet import build_model

    torch.manual_seed(1)
    save_checkpoint(folder / "mimo-unet-plus.safetensors", build_model("mimo-unet+"), {"trained_by": "window machine"})
    return folder
