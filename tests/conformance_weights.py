"""Deterministic MIMO-UNet test weights, rebuilt from the published key names and shapes alone.

The rule is the one the reference outputs in tests/data/conformance were made with: every
tensor comes from numpy's PCG64 generator seeded with the CRC-32 of its state-dict key, drawn as
float32 standard normals, then scaled by 0.5 / sqrt(fan_in) for 4-D (convolution) weights and by
0.01 for everything else. Nothing random is stored, so the fixture stays a few hundred KB.
"""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np


def deterministic_tensor(key: str, shape: Sequence[int]) -> np.ndarray:
    generator = np.random.Generator(np.random.PCG64(zlib.crc32(key.encode("utf-8"))))
    values = generator.standard_normal(tuple(shape), dtype=np.float32)
    if len(shape) == 4:
        fan_in = int(np.prod(shape[1:]))
        return values * np.float32(0.5 / np.sqrt(fan_in))
    return values * np.float32(0.01)


def deterministic_weights(shapes: Mapping[str, Sequence[int]]) -> dict[str, np.ndarray]:
    return {key: deterministic_tensor(key, shape) for key, shape in shapes.items()}
