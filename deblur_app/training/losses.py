"""The paper's training objective: multi-scale content loss plus MSFR."""

from __future__ import annotations

import torch
import torch.nn.functional as F

FREQUENCY_WEIGHT = 0.1


def sharp_pyramid(sharp: torch.Tensor) -> list[torch.Tensor]:
    """The sharp target at ¼, ½ and full size, in the network's output order."""
    half = F.interpolate(sharp, scale_factor=0.5, mode="bilinear", align_corners=False)
    quarter = F.interpolate(sharp, scale_factor=0.25, mode="bilinear", align_corners=False)
    return [quarter, half, sharp]


def _spectrum(x: torch.Tensor) -> torch.Tensor:
    transformed = torch.fft.fft2(x.float())
    return torch.stack([transformed.real, transformed.imag], dim=-1)


def mimo_loss(outputs: list[torch.Tensor], sharp: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
    """L1 content loss at every scale + 0.1 x L1 between the 2-D FFTs (MSFR)."""
    targets = sharp_pyramid(sharp.float())
    content = sum(F.l1_loss(o.float(), t) for o, t in zip(outputs, targets))
    frequency = sum(F.l1_loss(_spectrum(o), _spectrum(t)) for o, t in zip(outputs, targets))
    total = content + FREQUENCY_WEIGHT * frequency
    return total, {"content": float(content.detach()), "frequency": float(frequency.detach())}
