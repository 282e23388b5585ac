"""The torch side of the registry: recognise a checkpoint by its keys, read its configuration
from its shapes, build the network (registry.py has the descriptive table and the API overview).

Each architecture's module (``registry.Architecture.implementation``) provides, timm-style, by name:

``SIGNATURE_KEYS``      keys every checkpoint of the architecture has, and no other architecture's
``config_from_shapes``  {key: shape} -> the constructor arguments (any width, any block counts)
``build(config)``       the network for inference, with random weights (returns a list of outputs,
                        coarsest first, as ``Architecture.outputs`` says)
``CANCEL_POINTS``       the block classes before each of which a run may be cancelled
``unusable(config)``    optional: why a configuration the shapes describe cannot restore a photo (a reason),
                        None where it can (Restormer's dual-pixel weights read two views, not a photo)
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Mapping, Sequence
from types import ModuleType

import torch
from torch import nn

from .exporting import float32_copy
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


def unusable(architecture: Architecture, config: Mapping[str, object]):
    """Why weights of this configuration cannot restore a photo (a reason), None where they can."""
    check = getattr(implementation(architecture), "unusable", None)
    return None if check is None else check(dict(config))


def cancel_points(architecture: Architecture) -> tuple[type, ...]:
    return tuple(implementation(architecture).CANCEL_POINTS)


# The OpenVINO backend's export, per architecture (optional module attributes, defaults below):
# ``EXPORT_EXAMPLES``     {shape class: (height, width) of the tracing input}; one export per class
# ``export_shape_class``  (model, height, width) -> the class serving that input size, None: none does
# ``export_copy(model)``  the float32 CPU copy to trace (MIMO-UNet: with its bf16-exact pixel inputs)
# ``export_tag(model)``   what besides the weights tells two exports apart (part of the cache key)
# ``export_settings(model)``  what the export depends on that a built network holds besides its configuration and
#                         weights (NAFNet's pooling windows), as plain data (JSON); {} by default
# ``with_export_settings(model, settings)``  gives a network built from its configuration those settings again
ANY_SHAPE = "any"


def export_classes(architecture: Architecture) -> tuple[str, ...]:
    """The shape classes, the one large photos and their tiles need first."""
    return tuple(getattr(implementation(architecture), "EXPORT_EXAMPLES", {ANY_SHAPE: None}))


def export_example(architecture: Architecture, shape_class: str) -> tuple[int, int]:
    examples = getattr(implementation(architecture), "EXPORT_EXAMPLES", {ANY_SHAPE: (64, 64)})
    return examples[shape_class]


def export_shape_class(architecture: Architecture, model: nn.Module, height: int, width: int) -> str | None:
    classify = getattr(implementation(architecture), "export_shape_class", None)
    return ANY_SHAPE if classify is None else classify(model, height, width)


def export_copy(architecture: Architecture, model: nn.Module) -> nn.Module:
    make = getattr(implementation(architecture), "export_copy", float32_copy)
    return make(model)


def export_tag(architecture: Architecture, model: nn.Module) -> str:
    tag = getattr(implementation(architecture), "export_tag", None)
    return tag(model) if tag is not None else architecture.key


def configuration(architecture: Architecture, model: nn.Module) -> dict:
    """A built network's constructor arguments, read from its shapes as a checkpoint's are (a network whose weights
    were let go, on the meta device, keeps its shapes)."""
    return config_from_shapes(architecture, {key: tuple(value.shape) for key, value in model.state_dict().items()})


def export_settings(architecture: Architecture, model: nn.Module) -> dict:
    read = getattr(implementation(architecture), "export_settings", None)
    return {} if read is None else read(model)


def rebuilt(architecture: Architecture, config: Mapping[str, object], settings: Mapping[str, object]) -> nn.Module:
    """The network of ``config`` given ``settings`` (export_settings), in eval mode, its weights on the meta device
    (no memory, no random initialisation): the caller assigns them (``load_state_dict(..., strict=True,
    assign=True)``)."""
    with torch.device("meta"):
        model = build(architecture, config)
    given = getattr(implementation(architecture), "with_export_settings", None)
    if given is not None:
        given(model, dict(settings))
    return model.eval()
