"""Deterministic test weights, rebuilt from the published key names and shapes alone.

Every tensor comes from numpy's PCG64 generator seeded with the CRC-32 of its state-dict key,
drawn as float32 standard normals, then scaled; nothing random is stored, so the fixtures stay
a few hundred KB. Two scalings, those the reference outputs were made with:

* MIMO-UNet (tests/data/conformance): 0.5 / sqrt(fan_in) for 4-D (convolution) weights, 0.01
  for everything else (``deterministic_weights``).
* NAFNet and FFTformer (tests/data/conformance/networks): 0.5 / sqrt(prod(shape[1:])) for every
  tensor of 2 or more dimensions; 1-D tensors named ``*.weight`` (the scales of layer norms)
  1 + 0.1 x normal; other 1-D tensors (biases) 0.1 x normal (``network_weights``). The larger
  biases and scales than MIMO-UNet's make a wrong normalisation or gate show in the output.
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np


def _normals(key: str, shape: Sequence[int]) -> np.ndarray:
    generator = np.random.Generator(np.random.PCG64(zlib.crc32(key.encode("utf-8"))))
    return generator.standard_normal(tuple(shape), dtype=np.float32)


def deterministic_tensor(key: str, shape: Sequence[int]) -> np.ndarray:
    values = _normals(key, shape)
    if len(shape) == 4:
        fan_in = int(np.prod(shape[1:]))
        return values * np.float32(0.5 / np.sqrt(fan_in))
    return values * np.float32(0.01)


def deterministic_weights(shapes: Mapping[str, Sequence[int]]) -> dict[str, np.ndarray]:
    return {key: deterministic_tensor(key, shape) for key, shape in shapes.items()}


def network_tensor(key: str, shape: Sequence[int]) -> np.ndarray:
    values = _normals(key, shape)
    if len(shape) >= 2:
        return values * np.float32(0.5 / np.sqrt(int(np.prod(shape[1:]))))
    if key.endswith(".weight"):
        return np.float32(1.0) + values * np.float32(0.1)
    return values * np.float32(0.1)


def network_weights(shapes: Mapping[str, Sequence[int]]) -> dict[str, np.ndarray]:
    return {key: network_tensor(key, shape) for key, shape in shapes.items()}
