"""The torch side of the registry: recognise a checkpoint by its keys, read its configuration
from its shapes, build the network (registry.py has the descriptive table and the API overview).

Each architecture's module (``registry.Architecture.implementation``) provides, timm-style, by name:

``SIGNATURE_KEYS``      keys every checkpoint of the architecture has, and no other architecture's
``config_from_shapes``  {key: shape} -> the constructor arguments (any width, any block counts)
``build(config)``       the network for inference, with random weights (returns a list of outputs,
                        coarsest first, as ``Architecture.outputs`` says)
``CANCEL_POINTS``       the block classes before each of which a run may be cancelled
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Mapping, Sequence
from types import ModuleType

from torch import nn

from .registry import ARCHITECTURES, Architecture


def implementation(architecture: Architecture | str) -> ModuleType:
    key = architecture if isinstance(architecture, str) else architecture.key
    return importlib.import_module(f"{__package__}.{ARCHITECTURES[key].implementation}")


def recognise(keys: Collection[str]) -> Architecture | None:
    """The architecture whose signature keys a state dict has, if any."""
    present = set(keys)
    for architecture in ARCHITECTURES.values():
        if set(implementation(architecture).SIGNATURE_KEYS) <= present:
            return architecture
    return None


def config_from_shapes(architecture: Architecture, shapes: Mapping[str, Sequence[int]]) -> dict:
    return implementation(architecture).config_from_shapes(shapes)


def build(architecture: Architecture, config: Mapping[str, object]) -> nn.Module:
    return implementation(architecture).build(dict(config))


def cancel_points(architecture: Architecture) -> tuple[type, ...]:
    return tuple(implementation(architecture).CANCEL_POINTS)
