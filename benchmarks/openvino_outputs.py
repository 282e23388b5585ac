"""What the int8 studies (int8_*.py, nafnet_int8_*.py) share: photos as network inputs, and a network's
float32-hinted outputs on them, so that every variant is compared the same way."""

from __future__ import annotations

import numpy as np


def nchw(images_u8: np.ndarray) -> np.ndarray:
    """(N, H, W, 3) uint8 photos -> (N, 3, H, W) float32 in [0, 1]."""
    return np.ascontiguousarray(images_u8.transpose(0, 3, 1, 2), dtype=np.float32) / 255.0


def outputs_of(core, network, inputs: list[np.ndarray], output: int = 0) -> list[np.ndarray]:
    """``network``'s output number ``output`` for each (1, 3, H, W) input of any size, HxWx3 clipped to [0, 1]."""
    compiled = core.compile_model(network, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    request = compiled.create_infer_request()
    outputs = []
    for pixels in inputs:
        request.infer({0: pixels})
        outputs.append(np.clip(request.get_output_tensor(output).data[0].transpose(1, 2, 0), 0, 1).copy())
    return outputs
