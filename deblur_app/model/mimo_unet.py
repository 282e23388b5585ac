"""MIMO-UNet and MIMO-UNet+ (Cho et al., ICCV 2021), written once.

The attribute names follow the published code so that the published
``MIMO-UNet.pkl`` / ``MIMO-UNetPlus.pkl`` checkpoints load with
``strict=True``. Layout: building blocks, then the network, then the registry's
entry points (see networks.py); the named variants are in registry.py.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .exporting import SplitInputConv, float32_copy
from .registry import VARIANTS, Variant
from .statekeys import count_children

# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------


class BasicConv(nn.Module):
    """Convolution (or stride-2 transposed convolution) with an optional ReLU."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        relu: bool = True,
        transpose: bool = False,
    ) -> None:
        super().__init__()
        if transpose:
            conv: nn.Module = nn.ConvTranspose2d(
                in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2 - 1
            )
        else:
            conv = nn.Conv2d(
                in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2
            )
        layers = [conv]
        if relu:
            layers.append(nn.ReLU(inplace=True))
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


class ResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.main = nn.Sequential(
            BasicConv(channels, channels, 3, relu=True),
            BasicConv(channels, channels, 3, relu=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x) + x


class ResStack(nn.Module):
    """The published EBlock / DBlock: a chain of residual blocks."""

    def __init__(self, channels: int, num_res: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(*[ResBlock(channels) for _ in range(num_res)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class SCM(nn.Module):
    """Shallow convolutional module: features from a downscaled input image."""

    def __init__(self, out_channels: int) -> None:
        super().__init__()
        quarter, half = out_channels // 4, out_channels // 2
        self.main = nn.Sequential(
            BasicConv(3, quarter, 3, relu=True),
            BasicConv(quarter, half, 1, relu=True),
            BasicConv(half, half, 3, relu=True),
            BasicConv(half, out_channels - 3, 1, relu=True),
        )
        self.conv = BasicConv(out_channels, out_channels, 1, relu=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.main[1:](_image_conv(self.main[0], x))
        return self.conv(torch.cat([x, features], dim=1))


class FAM(nn.Module):
    """Feature attention: the SCM features gate the encoder features."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.merge = BasicConv(channels, channels, 3, relu=False)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return x1 + self.merge(x1 * x2)


class AFF(nn.Module):
    """Asymmetric feature fusion of the three encoder outputs.

    The published module concatenates the three inputs after resizing them to
    the target scale, then applies a 1x1 convolution. A 1x1 convolution
    commutes with nearest-neighbour resizing, so ``lean=True`` applies each
    slice of that convolution at the input's own scale and resizes the
    (narrower) result instead: the same function, without ever materialising
    the 224-channel full-resolution concatenation.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Sequential(
            BasicConv(in_channels, out_channels, 1, relu=True),
            BasicConv(out_channels, out_channels, 3, relu=False),
        )

    def forward(self, features: list[torch.Tensor], size: tuple[int, int], lean: bool = False) -> torch.Tensor:
        if not lean:
            resized = [_resize_nearest(f, size) for f in features]
            return self.conv(torch.cat(resized, dim=1))
        pointwise: nn.Conv2d = self.conv[0].main[0]
        weight, bias = pointwise.weight, pointwise.bias
        fused = None
        start = 0
        for feature in features:
            width = feature.shape[1]
            w = weight[:, start : start + width]
            start += width
            if feature.shape[-2] > size[0]:
                part = F.conv2d(_resize_nearest(feature, size), w)
            else:
                part = _resize_nearest(F.conv2d(feature, w), size)
            fused = part if fused is None else fused + part
        fused = F.relu(fused + bias.view(1, -1, 1, 1))
        return self.conv[1](fused)


def _image_conv(layer: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """A layer that reads image pixels, kept in float32 under autocast.

    bfloat16 keeps 8 significant bits, coarser than the pixels themselves near
    white; rounding the image costs about 10 dB of agreement with float32
    for almost no time (these layers have 3 input channels). Without autocast
    this is just ``layer(x)``.
    """
    if torch.is_autocast_enabled(x.device.type):
        with torch.autocast(x.device.type, enabled=False):
            return layer(x.float())
    return layer(x)


def _resize_nearest(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    # scale_factor (not size) reproduces the published pixel selection exactly
    # float(): under tracing (ONNX export) the sizes are tensors; the ratio is
    # a fixed power of two for every input size, so a constant is correct.
    factor = float(size[0]) / float(x.shape[-2])
    return F.interpolate(x, scale_factor=factor)


# --------------------------------------------------------------------------
# The network
# --------------------------------------------------------------------------


class MIMOUNet(nn.Module):
    """Multi-input multi-output U-Net.

    Returns the raw (unclamped) quarter, half and full-size outputs, each the
    network's residual added to the input at that scale. Height and width
    must be multiples of 4; the engine pads.
    """

    def __init__(self, num_res: int = 8, dropout: float = 0.0, lean_fusion: bool = False) -> None:
        super().__init__()
        base = 32
        self.num_res = num_res
        self.lean_fusion = lean_fusion
        self.Encoder = nn.ModuleList([ResStack(base, num_res), ResStack(base * 2, num_res), ResStack(base * 4, num_res)])
        self.feat_extract = nn.ModuleList(
            [
                BasicConv(3, base, 3, relu=True),
                BasicConv(base, base * 2, 3, stride=2, relu=True),
                BasicConv(base * 2, base * 4, 3, stride=2, relu=True),
                BasicConv(base * 4, base * 2, 4, stride=2, relu=True, transpose=True),
                BasicConv(base * 2, base, 4, stride=2, relu=True, transpose=True),
                BasicConv(base, 3, 3, relu=False),
            ]
        )
        self.Decoder = nn.ModuleList([ResStack(base * 4, num_res), ResStack(base * 2, num_res), ResStack(base, num_res)])
        self.Convs = nn.ModuleList([BasicConv(base * 4, base * 2, 1, relu=True), BasicConv(base * 2, base, 1, relu=True)])
        self.ConvsOut = nn.ModuleList([BasicConv(base * 4, 3, 3, relu=False), BasicConv(base * 2, 3, 3, relu=False)])
        self.AFFs = nn.ModuleList([AFF(base * 7, base), AFF(base * 7, base * 2)])
        self.FAM1 = FAM(base * 4)
        self.SCM1 = SCM(base * 4)
        self.FAM2 = FAM(base * 2)
        self.SCM2 = SCM(base * 2)
        # MIMO-UNet+ regularises the fused skips; Dropout2d has no weights.
        self.drop1 = nn.Dropout2d(dropout) if dropout else nn.Identity()
        self.drop2 = nn.Dropout2d(dropout) if dropout else nn.Identity()

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x_2 = F.interpolate(x, scale_factor=0.5)
        x_4 = F.interpolate(x_2, scale_factor=0.5)
        z2 = self.SCM2(x_2)
        z4 = self.SCM1(x_4)

        res1 = self.Encoder[0](_image_conv(self.feat_extract[0], x))
        z = self.FAM2(self.feat_extract[1](res1), z2)
        res2 = self.Encoder[1](z)
        z = self.FAM1(self.feat_extract[2](res2), z4)
        z = self.Encoder[2](z)

        full_size, half_size = tuple(res1.shape[-2:]), tuple(res2.shape[-2:])
        skip2 = self.drop2(self.AFFs[1]([res1, res2, z], half_size, self.lean_fusion))
        skip1 = self.drop1(self.AFFs[0]([res1, res2, z], full_size, self.lean_fusion))

        z = self.Decoder[0](z)
        quarter = self.ConvsOut[0](z) + x_4
        z = self.feat_extract[3](z)
        z = self.Decoder[1](self.Convs[0](torch.cat([z, skip2], dim=1)))
        half = self.ConvsOut[1](z) + x_2
        z = self.feat_extract[4](z)
        z = self.Decoder[2](self.Convs[1](torch.cat([z, skip1], dim=1)))
        full = self.feat_extract[5](z) + x
        return [quarter, half, full]


# --------------------------------------------------------------------------
# A named variant
# --------------------------------------------------------------------------


def build_variant(variant: Variant, lean_fusion: bool = False) -> MIMOUNet:
    """The network of a row of the variant table, with random weights."""
    return MIMOUNet(num_res=variant.num_res, dropout=variant.dropout, lean_fusion=lean_fusion)


def build_model(name: str, lean_fusion: bool = False) -> MIMOUNet:
    """The network of a variant key (see registry.VARIANTS), with random weights."""
    return build_variant(VARIANTS[name], lean_fusion=lean_fusion)


# --------------------------------------------------------------------------
# Registry entry points (networks.py)
# --------------------------------------------------------------------------

SIGNATURE_KEYS = ("Encoder.0.layers.0.main.0.main.0.weight", "feat_extract.0.main.0.weight")
CANCEL_POINTS = (ResBlock,)


def config_from_shapes(shapes) -> dict:
    return {"num_res": count_children(shapes, "Encoder.0.layers.")}


def build(config: dict) -> MIMOUNet:
    return MIMOUNet(num_res=int(config["num_res"]))


# The OpenVINO backend's export (engine/openvino_backend.py, via networks.py): one ONNX with
# dynamic height and width serves every input shape.
EXPORT_EXAMPLES = {"any": (64, 64)}


def export_tag(model: MIMOUNet) -> str:
    """What, besides the weights, makes one export differ from another (part of its cache key)."""
    return f"mimo-unet/{model.num_res}/split-input"


def export_settings(model: MIMOUNet) -> dict:
    """The fusion and the skips' dropout (MIMO-UNet+ as trained): not in the configuration (num_res)."""
    return {"lean_fusion": bool(model.lean_fusion),
            "dropout": model.drop1.p if isinstance(model.drop1, nn.Dropout2d) else 0.0}


def with_export_settings(model: MIMOUNet, settings: dict) -> None:
    model.lean_fusion = bool(settings["lean_fusion"])
    if settings["dropout"]:
        model.drop1, model.drop2 = nn.Dropout2d(settings["dropout"]), nn.Dropout2d(settings["dropout"])


def split_pixel_inputs(network: MIMOUNet) -> None:
    """Wrap the three convolutions that read the image (the ones the torch path keeps in float32)."""
    for block in (network.feat_extract[0], network.SCM1.main[0], network.SCM2.main[0]):
        block.main[0] = SplitInputConv(block.main[0])


def export_copy(model: MIMOUNet) -> MIMOUNet:
    """The network as exported: lean fusion, and image-reading convolutions exact under a bf16 runtime."""
    network = float32_copy(model)
    network.lean_fusion = True
    split_pixel_inputs(network)
    return network
