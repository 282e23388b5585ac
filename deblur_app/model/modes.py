"""When a network's forward may take its inference paths (torch only)."""

from __future__ import annotations

import torch


def eager_inference() -> bool:
    """Inference (no autograd) outside an ONNX export: a forward may compute the same function in pieces
    (channel groups, folded matrices) to save memory. The export traces the plain graph, or its own."""
    return not torch.is_grad_enabled() and not torch.jit.is_tracing()
