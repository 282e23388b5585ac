"""Loading and saving MIMO-UNet weights, treating every file as untrusted.

Accepted: the published format ``torch.save({'model': state_dict})``, a bare
state dict, and this project's float16 safetensors with metadata. Pickles are
only ever read with ``weights_only=True``, which refuses to build arbitrary
objects, so a malicious file cannot run code.
"""

from __future__ import annotations

import json
import os
import pickle
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .mimo_unet import MIMOUNet, build_variant
from .variants import VARIANTS, Variant, variant_for_blocks

SAFETENSORS_SUFFIX = ".safetensors"
_ENCODER_BLOCK = re.compile(r"^Encoder\.0\.layers\.(\d+)\.")


class CheckpointError(Exception):
    """A weights file that cannot be used; str() is one line naming the file."""


@dataclass
class Checkpoint:
    path: Path
    variant: Variant
    state_dict: dict[str, torch.Tensor]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def provenance(self) -> str:
        if self.metadata.get("trained_by"):
            return self.metadata["trained_by"]
        if self.path.name == self.variant.published_file:
            return "published weights of the paper (GoPro)"
        return "unknown origin"

    def build(self, lean_fusion: bool = False) -> MIMOUNet:
        model = build_variant(self.variant, lean_fusion=lean_fusion)
        model.load_state_dict(self.state_dict, strict=True)
        return model.eval()


def read_state_dict(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Read tensors and metadata from a file, without building a model."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"{path}: file not found")
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a weights file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{path}: the file is empty")
    if _looks_like_safetensors(path):
        return _read_safetensors(path)
    return _read_torch_pickle(path), {}


def _looks_like_safetensors(path: Path) -> bool:
    if path.suffix == SAFETENSORS_SUFFIX:
        return True
    with open(path, "rb") as handle:
        head = handle.read(9)
    # 8-byte little-endian header length, then the JSON header
    return len(head) == 9 and head[8:9] == b"{"


def _read_safetensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import SafetensorError, safe_open

    try:
        tensors: dict[str, torch.Tensor] = {}
        with safe_open(str(path), framework="pt") as handle:
            metadata = dict(handle.metadata() or {})
            for key in handle.keys():
                tensors[key] = handle.get_tensor(key).float()
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{path}: not a readable safetensors file ({_first_line(error)})") from None
    return tensors, metadata


def _read_torch_pickle(path: Path) -> dict[str, torch.Tensor]:
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        message, full_text = _first_line(error), str(error)
        # torch's message starts with advice ("Weights only load failed ...") and names the refused global later
        if any(sign in full_text for sign in ("weights_only", "Weights only load failed", "Unsupported global", "GLOBAL")):
            raise CheckpointError(
                f"{path}: refused: the file contains Python objects other than tensors "
                "(a checkpoint should hold weights only; it was not executed)"
            ) from None
        raise CheckpointError(f"{path}: not a PyTorch checkpoint ({message})") from None
    except (zipfile.BadZipFile, EOFError) as error:
        raise CheckpointError(f"{path}: truncated or corrupt file ({_first_line(error)})") from None
    except RuntimeError as error:
        message = _first_line(error)
        if "zip" in message.lower() or "central directory" in message.lower():
            raise CheckpointError(f"{path}: truncated or corrupt file ({message})") from None
        raise CheckpointError(f"{path}: cannot read checkpoint ({message})") from None
    except Exception as error:  # any other decoder failure is still just a bad file
        raise CheckpointError(f"{path}: not a PyTorch checkpoint ({_first_line(error)})") from None
    return _unwrap(path, loaded)


def _unwrap(path: Path, loaded: object) -> dict[str, torch.Tensor]:
    if isinstance(loaded, dict):
        for key in ("model", "state_dict", "params"):
            if key in loaded and isinstance(loaded[key], dict):
                loaded = loaded[key]
                break
    if not isinstance(loaded, dict) or not loaded:
        raise CheckpointError(f"{path}: not a checkpoint (no state dict of tensors inside)")
    tensors = {}
    for key, value in loaded.items():
        if not isinstance(value, torch.Tensor):
            raise CheckpointError(f"{path}: not a checkpoint (entry {key!r} is not a tensor)")
        tensors[key.removeprefix("module.")] = value.float()
    return tensors


def detect_variant(state_dict: dict[str, torch.Tensor], path: Path | str = "weights") -> Variant:
    blocks = {int(m.group(1)) for key in state_dict if (m := _ENCODER_BLOCK.match(key))}
    if not blocks:
        sample = ", ".join(list(state_dict)[:3])
        raise CheckpointError(f"{path}: not MIMO-UNet weights (no Encoder.0.layers.* keys; found e.g. {sample})")
    variant = variant_for_blocks(max(blocks) + 1)
    if variant is None:
        raise CheckpointError(f"{path}: {max(blocks) + 1} residual blocks per stage matches no known variant (8 or 20)")
    return variant


def check_architecture(state_dict: dict[str, torch.Tensor], variant: Variant, path: Path | str) -> None:
    expected = build_variant(variant).state_dict()
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing keys (e.g. {', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected keys (e.g. {', '.join(unexpected[:3])})")
        raise CheckpointError(f"{path}: not a {variant.display_name} checkpoint: {'; '.join(parts)}")
    for key, tensor in expected.items():
        if tuple(state_dict[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                f"{path}: wrong shape for {key}: {tuple(state_dict[key].shape)} in the file, "
                f"{tuple(tensor.shape)} expected by {variant.display_name}"
            )


def load_checkpoint(path: Path | str, expected_variant: str | None = None) -> Checkpoint:
    """Read, identify and validate a weights file. Raises CheckpointError."""
    path = Path(path)
    state_dict, metadata = read_state_dict(path)
    variant = detect_variant(state_dict, path)
    if expected_variant is not None and VARIANTS[expected_variant] != variant:
        wanted = VARIANTS[expected_variant].display_name
        raise CheckpointError(
            f"{path}: holds {variant.display_name} weights ({variant.num_res} blocks per stage) "
            f"but {wanted} was asked for"
        )
    check_architecture(state_dict, variant, path)
    return Checkpoint(path=path, variant=variant, state_dict=state_dict, metadata=metadata)


def save_checkpoint(path: Path | str, model_or_state: MIMOUNet | dict, metadata: dict[str, object]) -> Path:
    """Write this project's format: float16 safetensors with string metadata, atomically."""
    from safetensors.torch import save_file

    path = Path(path)
    state = model_or_state.state_dict() if isinstance(model_or_state, torch.nn.Module) else model_or_state
    tensors = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in state.items()}
    text_metadata = {k: v if isinstance(v, str) else json.dumps(v) for k, v in metadata.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        save_file(tensors, temp_name, metadata=text_metadata)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:200]
