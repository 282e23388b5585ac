"""Which device and precision to run on."""

from __future__ import annotations

import functools
import os
import platform

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
PRECISION_CHOICES = ("auto", "fp32", "bf16", "fp16")
BACKEND_CHOICES = ("auto", "torch", "openvino")
# Working memory of one tile of a photo too large to run whole: a 12 MP photo with
# OpenVINO bf16 then runs as 4x3 tiles of 1120x1108 (benchmarks/RESULTS.md).
TILE_BUDGET_BYTES = 768 * 1024**2


class DeviceError(Exception):
    """An unavailable device or precision was asked for."""


def available_devices() -> list[str]:
    found = ["cpu"]
    if torch.cuda.is_available():
        found.insert(0, "cuda")
    if _mps_available():
        found.insert(0, "mps")
    return found


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def resolve_device(name: str = "auto") -> torch.device:
    name = (name or "auto").lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError("CUDA was asked for but no CUDA GPU is available to this PyTorch build")
        return torch.device(name)
    if name == "mps":
        if not _mps_available():
            raise DeviceError("Apple MPS was asked for but is not available on this machine")
        return torch.device("mps")
    raise DeviceError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_CHOICES)}")


@functools.lru_cache(maxsize=1)
def cpu_has_native_bf16() -> bool:
    """True on CPUs with bf16 arithmetic (AVX512_BF16 or AMX); emulated bf16 is slow."""
    if platform.system() == "Linux":
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
                for line in handle:
                    if line.startswith("flags"):
                        flags = set(line.split(":", 1)[1].split())
                        return bool({"avx512_bf16", "amx_bf16"} & flags)
        except OSError:
            return False
    if platform.system() == "Darwin" and platform.machine() == "arm64":
        return False  # Apple silicon CPUs run bf16 slower than fp32 in torch
    return False


def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """The compute dtype for a device; 'auto' picks the fastest that is safe there."""
    precision = (precision or "auto").lower()
    if precision not in PRECISION_CHOICES:
        raise DeviceError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISION_CHOICES)}")
    if precision == "fp32":
        return torch.float32
    if precision == "bf16":
        return torch.bfloat16
    if precision == "fp16":
        if device.type == "cpu":
            raise DeviceError("fp16 is not supported on the CPU; use bf16 or fp32")
        return torch.float16
    if device.type == "cuda":
        return torch.float16
    if device.type == "cpu" and cpu_has_native_bf16():
        return torch.bfloat16
    return torch.float32


def resolve_backend(name: str, device: torch.device) -> str:
    """'torch' or 'openvino'; 'auto' takes OpenVINO on the CPU when it is installed."""
    from .openvino_backend import openvino_available

    name = (name or "auto").lower()
    if name not in BACKEND_CHOICES:
        raise DeviceError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_CHOICES)}")
    if name == "openvino":
        if device.type != "cpu":
            raise DeviceError("the OpenVINO backend runs on the CPU only; use --device cpu or --backend torch")
        if not openvino_available():
            raise DeviceError("OpenVINO was asked for but is not installed (pip install deblur-app[openvino])")
        return "openvino"
    if name == "auto" and device.type == "cpu" and openvino_available():
        return "openvino"
    return "torch"


def memory_budget_bytes(device: torch.device, tiled: bool = False) -> int:
    """Working memory for one network pass: a whole photo, or one tile of a larger one.

    Photos that fit the whole-image budget run in one piece (no overlap to
    recompute). Larger ones are tiled with a smaller budget, which keeps a
    12 MP photo, with its whole-image buffers and the loaded runtime, at about
    1.4 GB in all on the default CPU path (benchmarks/RESULTS.md).
    """
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free * 0.6)
    total = _physical_memory_bytes() or 8 * 1024**3
    whole = int(min(total * 0.25, 3 * 1024**3))
    return min(whole, TILE_BUDGET_BYTES) if tiled else whole


def _physical_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
