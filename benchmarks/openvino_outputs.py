"""What the int8 studies (int8_*.py, nafnet_int8_*.py) share: photos as network inputs, a network's
float32-hinted outputs on them, and a quantised graph with some operations read in float, so that every variant
is made and compared the same way."""

from __future__ import annotations

import re
import time

import numpy as np

# MIMO-UNet's modules as OpenVINO names them (ONNX export paths); ONNX names the transposed convolutions
# (feat_extract.3/.4) only by their operation. Encoder/Decoder .0 work at full resolution, .1 at 1/2, .2 at 1/4
# (Decoder in reverse: .0 quarter, .2 full); SCM1/SCM2 take the 1/2 and 1/4 inputs.
MIMO_GROUPS = {
    "feat_extract.1": r"/feat_extract\.1/", "feat_extract.2": r"/feat_extract\.2/",
    "transposed": r"/feat_extract\.[34]/|ConvolutionBackpropData",
    "Encoder.0": r"/Encoder\.0/", "Encoder.1": r"/Encoder\.1/", "Encoder.2": r"/Encoder\.2/",
    "Decoder.0": r"/Decoder\.0/", "Decoder.1": r"/Decoder\.1/", "Decoder.2": r"/Decoder\.2/",
    "Convs.0": r"/Convs\.0/", "Convs.1": r"/Convs\.1/", "AFFs": r"/AFFs\.", "FAM1": r"/FAM1/", "FAM2": r"/FAM2/",
    "SCM1": r"/SCM1/", "SCM2": r"/SCM2/",
}


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


def interleaved_times(requests: dict, pixels: np.ndarray, rounds: int) -> dict[str, list[float]]:
    """Seconds per inference of each compiled request on ``pixels``, after one warm-up each, taken round by round
    (every request once per round) so that a change of load falls on all of them alike."""
    for request in requests.values():
        request.infer({0: pixels})
    times = {name: [] for name in requests}
    for _ in range(rounds):
        for name, request in requests.items():
            started = time.perf_counter()
            request.infer({0: pixels})
            times[name].append(time.perf_counter() - started)
    return times
