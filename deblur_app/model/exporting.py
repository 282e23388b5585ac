"""Layers that only an exported network (the OpenVINO backend's ONNX) uses, with no runtime of its own.

``SplitInputConv``: a convolution that reads image pixels, exact to float32 even when the runtime
computes in bf16. A network module's ``export_copy`` puts it where its network reads the image.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class SplitInputConv(nn.Module):
    """A convolution that reads image pixels, exact to float32 even when run in bf16.

    bf16 keeps 8 significant bits, coarser than 8-bit pixels near white, so a
    bf16 runtime would round the image itself. Feeding the convolution the
    bf16-representable part of each pixel and, separately, the small remainder
    (whose own rounding is negligible) keeps the pixels intact; by linearity the
    two results add up to the convolution of the image.
    """

    def __init__(self, conv: nn.Conv2d) -> None:
        super().__init__()
        self.conv = conv
        self.remainder = copy.deepcopy(conv)
        self.remainder.bias = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        coarse = x.to(torch.bfloat16).to(x.dtype)
        return self.conv(coarse) + self.remainder(x - coarse)


def float32_view(model: nn.Module) -> nn.Module:
    """``model`` itself where it is float32 on the CPU already (tracing reads it and changes nothing),
    else float32_copy. A copy of NAFNet-64's 259 MiB of weights only added to the first export's peak:
    2.17 GB before, 1.81 GB without it and with the exporter's freed heap returned (benchmarks/
    bench_12mp_memory.py export). Channels-last weights need no copy: the exporter writes every
    initializer contiguous, so the file is the same byte for byte (tests/test_network_fast_paths.py)."""
    tensors = [*model.parameters(), *model.buffers()]
    if all(t.device.type == "cpu" and t.dtype == torch.float32 for t in tensors):
        return model.eval()
    return float32_copy(model)


def float32_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` on the CPU in float32 and contiguous layout, for tracing: the engine's own
    model keeps its device and channels-last weights."""
    return copy.deepcopy(model).to("cpu", torch.float32, memory_format=torch.contiguous_format).eval()
