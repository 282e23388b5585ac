"""What the int8 studies (int8_*.py, nafnet_int8_*.py) share: photos as network inputs, a network's
float32-hinted outputs on them, and a quantised graph with some operations read in float, so that every variant
is made and compared the same way."""

from __future__ import annotations

import re

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


def quantized_consumers(network, pattern: str) -> list:
    """(consumer input, FakeQuantize) pairs: every input of an operation matching ``pattern`` fed by a FakeQuantize."""
    found = []
    for op in network.get_ordered_ops():
        if op.get_type_name() == "FakeQuantize" or not re.search(pattern, op.get_friendly_name()):
            continue
        for port in op.inputs():
            source = port.get_source_output().get_node()
            if source.get_type_name() == "FakeQuantize":
                found.append((port, source))
    return found


def with_float(quantized, float_pattern: str):
    """A copy of the quantised graph in which the operations matching ``float_pattern`` read unquantised inputs."""
    network = quantized.clone()
    for port, fake_quantize in quantized_consumers(network, float_pattern):
        port.replace_source_output(fake_quantize.input_value(0))
    network.validate_nodes_and_infer_types()
    return network
