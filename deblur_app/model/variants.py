"""The one table of networks and presets: names, files, sizes (no torch, so any layer may read it).

A *variant* is an architecture with its own weights (MIMO-UNet, MIMO-UNet+). A
*preset* is what a user picks: a variant, optionally with the 8-way
self-ensemble ("mimo-unet++" is MIMO-UNet+ with the ensemble). The command
line, the window, the weights catalog, checkpoints and training all read this
table, so a name or file is spelled once; mimo_unet.build_variant builds the
network of a row.
"""

from __future__ import annotations

from dataclasses import dataclass

ENSEMBLE_PASSES = 8  # the dihedral self-ensemble: 4 rotations x 2 flips


@dataclass(frozen=True)
class Variant:
    key: str  # as typed on the command line
    display_name: str
    num_res: int  # residual blocks per encoder/decoder stage
    dropout: float  # training only; no weights
    published_file: str  # the paper's release file name
    own_file: str  # this project's (starter or fine-tuned) safetensors file name


VARIANTS: dict[str, Variant] = {
    "mimo-unet": Variant("mimo-unet", "MIMO-UNet", 8, 0.0, "MIMO-UNet.pkl", "mimo-unet.safetensors"),
    "mimo-unet+": Variant("mimo-unet+", "MIMO-UNet+", 20, 0.1, "MIMO-UNetPlus.pkl", "mimo-unet-plus.safetensors"),
}
DEFAULT_VARIANT = "mimo-unet"


@dataclass(frozen=True)
class Preset:
    key: str  # as typed on the command line
    display_name: str
    variant: str  # a key of VARIANTS
    ensemble: bool


PRESETS: dict[str, Preset] = {
    "mimo-unet": Preset("mimo-unet", "MIMO-UNet", "mimo-unet", False),
    "mimo-unet+": Preset("mimo-unet+", "MIMO-UNet+", "mimo-unet+", False),
    "mimo-unet++": Preset("mimo-unet++", "MIMO-UNet++", "mimo-unet+", True),
}


def variant_for_blocks(num_res: int) -> Variant | None:
    for variant in VARIANTS.values():
        if variant.num_res == num_res:
            return variant
    return None


def preset_for(variant: str, ensemble: bool) -> Preset | None:
    """The named preset of a variant with or without the ensemble, if there is one."""
    for preset in PRESETS.values():
        if preset.variant == variant and preset.ensemble == ensemble:
            return preset
    return None


def run_name(variant: str, ensemble: bool) -> str:
    """What a run is called in the window, logs and messages: 'MIMO-UNet++', 'MIMO-UNet ×8 ensemble'."""
    preset = preset_for(variant, ensemble)
    if preset is not None:
        return preset.display_name
    name = VARIANTS[variant].display_name if variant in VARIANTS else variant
    return f"{name} ×{ENSEMBLE_PASSES} ensemble" if ensemble else name
