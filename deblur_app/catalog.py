"""Finding weights for each variant: explicit path, bundled weights/, user data folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .model.checkpoints import CheckpointError, read_state_dict
from .model.mimo_unet import VARIANTS, Variant
from .resources import weights_search_dirs


class WeightsNotFound(Exception):
    """No weights file for a variant; str() says where to put one."""


@dataclass(frozen=True)
class WeightsFile:
    variant: Variant
    path: Path
    kind: str  # "published" or "project"


def candidate_files(variant: Variant) -> list[WeightsFile]:
    """Every place a variant's weights may be, in priority order (published first)."""
    candidates = []
    for folder in weights_search_dirs():
        candidates.append(WeightsFile(variant, folder / variant.published_file, "published"))
        candidates.append(WeightsFile(variant, folder / variant.own_file, "project"))
    return candidates


def find_weights(variant_key: str) -> WeightsFile:
    variant = VARIANTS[variant_key]
    for candidate in candidate_files(variant):
        if candidate.path.is_file():
            return candidate
    raise WeightsNotFound(missing_weights_message(variant))


def missing_weights_message(variant: Variant) -> str:
    folders = " or ".join(str(f) for f in weights_search_dirs())
    return (
        f"no {variant.display_name} weights found: put {variant.published_file} (the paper's release) "
        f"or {variant.own_file} into {folders}, or pass --weights PATH"
    )


def available_weights() -> dict[str, WeightsFile | None]:
    found: dict[str, WeightsFile | None] = {}
    for key in VARIANTS:
        try:
            found[key] = find_weights(key)
        except WeightsNotFound:
            found[key] = None
    return found


def describe(weights: WeightsFile) -> str:
    """One line of provenance, read from the file's own metadata where it has some."""
    if weights.kind == "published":
        return "published weights of the paper (trained on GoPro)"
    try:
        _, metadata = read_state_dict(weights.path)
    except CheckpointError as error:
        return f"unreadable: {error}"
    origin = metadata.get("trained_by", "project weights")
    psnr = metadata.get("val_psnr")
    return f"{origin}; validation {psnr} dB" if psnr else origin
