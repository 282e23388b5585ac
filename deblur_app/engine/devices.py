"""Which device and precision to run on."""

from __future__ import annotations

import functools
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from .. import reasons

# The choice names and Int8Verdict are defined in the torch-free .choices (issue 23); they stay
# importable from here because this is where the decisions that use them are made.
from .choices import (  # noqa: F401
    BACKEND_CHOICES, DEVICE_CHOICES, INT8_MAX_VALIDATION_LOSS_DB, INT8_MIN_AGREEMENT_DB, INT8_MIN_CHECK_PHOTOS,
    PRECISION_CHOICES, Int8Verdict, PathVerdict,
)

from .fastest import describe_timings, fastest_faithful

# Working memory of one tile of a photo too large to run whole: a 12 MP photo with
# OpenVINO bf16 then runs as 4x3 tiles of 1120x1108 (benchmarks/RESULTS.md).
TILE_BUDGET_BYTES = 768 * 1024**2

# Working memory of a photo run whole (no tiles): a quarter of the machine's memory, at most this. Tiling an HD
# frame costs its overlap: FFTformer's 1280x720 (3.30 GB at 3505 B/pixel over its compiled OpenVINO model, measured
# at 736x1280) went into 12 tiles of 352x416 under the 3 GiB this was before, 1.86x the frame's pixels to compute,
# where 4 GiB runs it whole on a 16 GB machine (benchmarks/RESULTS.md, "FFTformer's default path at 1280x720").
# No 12 MP photo fits either (MIMO-UNet OpenVINO bf16, the leanest: 520 B/pixel, 6.2 GB), so their tiles and the
# 1.5 GB goal stay as they were; a smaller machine (8 GB: 2 GiB) still tiles the HD frame.
WHOLE_IMAGE_SHARE = 0.25
WHOLE_IMAGE_BUDGET_BYTES = 4 * 1024**3

# A tiled photo's whole process on the CPU stays within LARGE_PHOTO_PEAK_BYTES (issue 26: 12 MP
# through every network in <= 1.5 GB), modelled as the runtime, the network's weights (with the
# OpenVINO copies when it runs there), the photo's own buffers and one tile's working memory
# (Deblurrer.modelled_peak_bytes; tiles are sized so that it fits).
LARGE_PHOTO_PEAK_BYTES = 1500 * 1000**2
# Python, torch, OpenVINO's library and the app: the engine's RSS less its weights (MIMO-UNet torch
# 311 MiB loaded with 26 MiB of weights; benchmarks/bench_network_memory.py per-pixel)
RUNTIME_BYTES = 300 * 1024**2
# Photos so large that their own buffers leave little of LARGE_PHOTO_PEAK_BYTES (50 MP and more) still
# get tiles of this budget: smaller ones would only add overlap to recompute (MIMO-UNet: 560-pixel tiles)
MIN_TILE_BUDGET_BYTES = 192 * 1024**2
# the whole photo's buffers while it is tiled: the caller's float32 image (12 B) and decoding and encoding (the engine
# pads tile by tile), with some room (2 B): PHOTO_BYTES_PER_PIXEL; and the stitcher's float32 sums of each output
# scale (engine/stitching.py; it replays its weights from the tiles instead of keeping them: 4 B and its 1 B count
# of tiles due less since session 14): STITCHED_BYTES_PER_PIXEL per pixel of each scale, 12 for NAFNet and
# FFTformer, 15.75 for MIMO-UNet's full, 1/2 and 1/4 scales (Deblurrer.photo_bytes). Before, 36 B for every network
# (MIMO-UNet's 12 MP run peaked at 1.27 GB with 944-pixel int8 tiles; it counted the coarse scales for all).
PHOTO_BYTES_PER_PIXEL = 14
STITCHED_BYTES_PER_PIXEL = 12
# What OpenVINO's compiled model holds per byte of float32 weights while it runs: its packed weights. The read
# network maps its weights from the IR, the compiled model's originals are handed back (engine/filepages.py) and
# torch's copy goes while a tiled photo runs (Deblurrer.release_torch_weights). Before: 3.2 (the network read from
# ONNX, the compiled model's originals and its packed weights, fitted to NAFNet-64 with torch's copy beside them)
OPENVINO_WEIGHT_COPIES = 1.0
# and the rest of a compiled model, for a network whose registry entry has no measured figure (openvino_graph_bytes)
OPENVINO_GRAPH_BYTES = 256 * 1024**2
# and while a model compiles, before its tiles run: the IR's weights read in, and where compiled models are kept
# as blobs (openvino_backend.uses_blob_cache) the blob written or read (NAFNet-64 at 416-pixel tiles: the first
# tile's peak 1210 MiB against 931 while the tiles ran, with a blob written)
OPENVINO_COMPILE_WEIGHT_COPIES = 1.0
# and OpenVINO's own runtime once a model is compiled (CPU plugin, its threads and scratch memory), for a network no
# end-to-end run has measured (registry Architecture.openvino_runtime_bytes): fitted when OpenVINO held 3.2 copies
# of the weights (NAFNet-32 at 12 MP peaked at 1576 MB end to end where the model without this said 1481 MB). Since
# one working copy (session 10), 12 MP runs of MIMO-UNet and NAFNet came in 57-291 MB under the model without it
# (benchmarks/RESULTS.md, session 11): the graph figures, measured over a compiled runner, already hold the
# plugin's memory, so those networks count none (their registry entries say 0)
OPENVINO_RUNTIME_BYTES = 128 * 1024**2


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
            raise DeviceError(reasons.reason(reasons.NO_CUDA))
        return torch.device(name)
    if name == "mps":
        if not _mps_available():
            raise DeviceError(reasons.reason(reasons.NO_MPS))
        return torch.device("mps")
    raise DeviceError(reasons.reason(reasons.UNKNOWN_DEVICE, name=repr(name), choices=", ".join(DEVICE_CHOICES)))


# The instruction-set extensions that decide the fast CPU path, as /proc/cpuinfo names them.
CPU_FEATURES = ("avx2", "avx512f", "avx512_bf16", "avx512_vnni", "avx_vnni", "amx_bf16", "amx_int8")


# What oneDNN (in torch and OpenVINO) may use when ONEDNN_MAX_CPU_ISA caps it, so that
# the choice follows the cap (benchmarks/ use it to measure AVX2 behaviour on newer CPUs).
ISA_CAPS = {
    "AVX2": {"avx2"},
    "AVX2_VNNI": {"avx2", "avx_vnni"},
    "AVX512_CORE": {"avx2", "avx512f"},
    "AVX512_CORE_VNNI": {"avx2", "avx512f", "avx512_vnni"},
    "AVX512_CORE_BF16": {"avx2", "avx512f", "avx512_vnni", "avx512_bf16"},
}


@functools.lru_cache(maxsize=1)
def cpu_features() -> frozenset[str]:
    """Which of CPU_FEATURES this CPU has (Linux; elsewhere none are claimed, which only costs speed),
    within the cap of ONEDNN_MAX_CPU_ISA when that is set."""
    found: frozenset[str] = frozenset()
    if platform.system() == "Linux":
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
                for line in handle:
                    if line.startswith("flags"):
                        found = frozenset(CPU_FEATURES) & frozenset(line.split(":", 1)[1].split())
                        break
        except OSError:
            pass
    cap = ISA_CAPS.get(os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper())
    return found & frozenset(cap) if cap is not None else found


NATIVE_BF16_FEATURES = frozenset({"avx512_bf16", "amx_bf16"})


def cpu_has_native_bf16() -> bool:
    """True on CPUs with bf16 arithmetic (AVX512_BF16 or AMX); emulated bf16 is slow.
    (Apple silicon CPUs run bf16 slower than fp32 in torch, and report nothing here.)"""
    return bool(NATIVE_BF16_FEATURES & cpu_features())


@dataclass(frozen=True)
class PrecisionChoice:
    name: str  # int8 | fp32 | bf16 | fp16
    dtype: torch.dtype  # what torch computes in, and OpenVINO runs the layers int8 leaves in float
    reason: reasons.ReasonText  # one line for the window and `deblur-app info`
    # auto on OpenVINO: the paths that keep the picture here, to be timed (fastest.py) when no timings
    # were given; () when there is nothing to choose between or the choice came from timings
    measure: tuple[str, ...] = ()


def choose_precision(
    precision: str, device: torch.device, openvino: bool = False, int8_verdict: Int8Verdict | None = None,
    features: frozenset[str] | None = None, consider_int8: bool = True, int8_missing: str = "",
    timings: Mapping[str, float] | None = None, bf16_verdict: PathVerdict | None = None,
) -> PrecisionChoice:
    """The precision to run in, and why: the one place that decides what `auto` means.

    ``openvino``: the OpenVINO backend will run the network (int8 needs it);
    ``int8_verdict``: the measured effect of int8 on these weights, if any;
    ``features``: the CPU's (default: this machine's); ``consider_int8``: False once int8 has failed;
    ``int8_missing``: why no int8 model can be made here (e.g. NNCF is not installed), if so;
    ``timings``: seconds per path measured on this CPU (fastest.py): with OpenVINO, `auto` runs the
    fastest of the paths that keep the picture (fp32; bf16 where native and its verdict qualifies;
    int8 where its verdict qualifies). Without them it prefers int8, then bf16, then fp32, and names
    in ``measure`` the paths to time.
    ``bf16_verdict``: the measured effect of bf16 on these weights with the backend that runs
    (engine/verdicts.py): agreement depends on the weights, not only the network (issue 26), so
    without a qualifying one `auto` runs float32 and says why. Where the CPU computes bf16 natively and
    bf16 is left out (no verdict, or a failing one), an int8 or timed choice says that too: there bf16
    may be the fastest path (AMX: 1.7x int8's speed, issue 21), and a reason naming only int8 hid what
    a check could change.
    """
    precision = (precision or "auto").lower()
    if precision not in PRECISION_CHOICES:
        raise DeviceError(reasons.reason(reasons.UNKNOWN_PRECISION, name=repr(precision),
                                         choices=", ".join(PRECISION_CHOICES)))
    if precision != "auto":
        return _asked_for(precision, device, openvino, cpu_features() if features is None else features)
    if device.type == "cuda":
        return PrecisionChoice("fp16", torch.float16, reasons.reason(reasons.FP16_ON_CUDA))
    if device.type != "cpu":
        return PrecisionChoice("fp32", torch.float32, reasons.reason(reasons.FP32_ON, device=device.type))
    return _auto_on_the_cpu(openvino, int8_verdict, cpu_features() if features is None else features, consider_int8,
                            int8_missing, timings, bf16_verdict)


def _asked_for(precision: str, device: torch.device, openvino: bool, features: frozenset[str]) -> PrecisionChoice:
    """The precision asked for by name, or DeviceError where it cannot run on ``device``.

    bf16 on OpenVINO on a CPU without native bf16 runs float32 and says so: OpenVINO's CPU plugin compiles a
    bf16 request as float32 there (its capabilities on an AVX2-only CPU: FP32, INT8), so naming it bf16 would
    label float32 as bf16 (RESULTS.md, AVX2 only, real hardware). torch emulates bf16 on such CPUs: asked for,
    it runs (slowly) as asked."""
    if precision == "fp16" and device.type == "cpu":
        raise DeviceError(reasons.reason(reasons.NO_FP16_ON_CPU))
    if precision == "bf16" and device.type == "cpu" and openvino and not NATIVE_BF16_FEATURES & features:
        return PrecisionChoice("fp32", torch.float32, reasons.joined(reasons.reason(reasons.BF16_ASKED),
                                                                     reasons.reason(reasons.NO_NATIVE_BF16)))
    if precision == "int8" and not int8_runs_on(device):
        raise DeviceError(reasons.reason(reasons.INT8_CPU_ONLY))
    dtype, asked = {"fp32": (torch.float32, reasons.FP32_ASKED), "bf16": (torch.bfloat16, reasons.BF16_ASKED),
                    "fp16": (torch.float16, reasons.FP16_ASKED), "int8": (torch.float32, reasons.INT8_ASKED)}[precision]
    return PrecisionChoice(precision, dtype, reasons.reason(asked))


def _auto_on_the_cpu(openvino: bool, int8_verdict: Int8Verdict | None, features: frozenset[str], consider_int8: bool,
                     int8_missing: reasons.ReasonText, timings: Mapping[str, float] | None,
                     bf16_verdict: PathVerdict | None) -> PrecisionChoice:
    """What `auto` runs on the CPU (see choose_precision): the fastest path measured to keep the picture
    where there are timings, else int8, then bf16, then float32, as far as each qualifies."""
    int8_ok, int8_note = _int8_qualifies(openvino, int8_verdict, consider_int8, int8_missing)
    native = sorted(NATIVE_BF16_FEATURES & features)
    bf16_ok, bf16_note = _bf16_qualifies(bool(native), bf16_verdict)
    qualifying = (("fp32",) + (("bf16",) if bf16_ok else ()) + (("int8",) if int8_ok else ())) if openvino else ()
    bf16_left_out = (bf16_note,) if bf16_note else ()  # native bf16, not taken: why (none where not native)
    timed = tuple(p for p in qualifying if timings is not None and p in timings)  # the network's own paths
    if len(timed) > 1:
        winner = _fastest(timed, timings, {"int8": int8_verdict, "bf16": bf16_verdict})
        return PrecisionChoice(winner.name, winner.dtype, reasons.joined(winner.reason, *bf16_left_out))
    measure = qualifying if len(qualifying) > 1 else ()
    if int8_ok:
        return PrecisionChoice("int8", torch.float32, reasons.joined(int8_verdict.describe(), *bf16_left_out), measure)
    if bf16_ok:
        why = reasons.joined(reasons.reason(reasons.NATIVE_BF16, features=", ".join(native)), bf16_verdict.describe(),
                             *int8_note)
        return PrecisionChoice("bf16", torch.bfloat16, why, measure)
    return PrecisionChoice("fp32", torch.float32, reasons.joined(bf16_note or reasons.reason(reasons.NO_NATIVE_BF16),
                                                                 *int8_note), measure)


def _int8_qualifies(openvino: bool, verdict: Int8Verdict | None, consider: bool,
                    missing: str) -> tuple[bool, tuple[reasons.ReasonText, ...]]:
    """(int8 may run under auto, why not: a note to join to the float choice's reason, or none)."""
    if not consider:
        return False, ()
    if not openvino:
        return False, (reasons.reason(reasons.INT8_NEEDS_OPENVINO),)
    if missing:
        return False, (missing,)
    if verdict is None:
        return False, (reasons.reason(reasons.INT8_NOT_MEASURED),)
    if verdict.qualifies():
        return True, ()
    return False, (verdict.describe(),)


def _bf16_qualifies(native: bool, verdict: PathVerdict | None) -> tuple[bool, str]:
    """(bf16 may run under auto, why not: the reason of the float32 choice; "" where the CPU has no native bf16)."""
    if not native:
        return False, ""
    if verdict is None:
        return False, reasons.reason(reasons.BF16_NOT_MEASURED)
    if verdict.qualifies():
        return True, ""
    return False, verdict.describe()


def _fastest(qualifying: tuple[str, ...], timings: Mapping[str, float],
             verdicts: Mapping[str, PathVerdict | None]) -> PrecisionChoice:
    """The measured fastest of the paths that keep the picture (fastest.fastest_faithful), and why: the
    timings, and for a fast path the verdict that let it in."""
    name = fastest_faithful(timings, qualifying)
    why = reasons.reason(reasons.FASTEST_PATH, timings=describe_timings({p: timings[p] for p in qualifying}))
    if verdicts.get(name) is not None:
        why = reasons.joined(why, verdicts[name].describe())
    dtype = {"fp32": torch.float32, "bf16": torch.bfloat16, "int8": torch.float32}[name]
    return PrecisionChoice(name, dtype, why)


def int8_runs_on(device: torch.device) -> bool:
    """int8 is OpenVINO's, on the CPU: elsewhere there is never an int8 model to make."""
    return device.type == "cpu"


def resolve_precision(precision: str, device: torch.device, bf16_verdict: PathVerdict | None = None) -> torch.dtype:
    """The compute dtype for a device; 'auto' picks the fastest float type that is safe there (bf16: for
    weights whose ``bf16_verdict`` qualifies)."""
    return choose_precision(precision, device, bf16_verdict=bf16_verdict).dtype


def resolve_backend(name: str, device: torch.device) -> str:
    """'torch' or 'openvino'; 'auto' takes OpenVINO on the CPU when it is installed."""
    from .openvino_backend import openvino_available

    name = (name or "auto").lower()
    if name not in BACKEND_CHOICES:
        raise DeviceError(reasons.reason(reasons.UNKNOWN_BACKEND, name=repr(name), choices=", ".join(BACKEND_CHOICES)))
    if name == "openvino":
        if device.type != "cpu":
            raise DeviceError(reasons.reason(reasons.OPENVINO_CPU_ONLY))
        if not openvino_available():
            raise DeviceError(reasons.reason(reasons.OPENVINO_NOT_INSTALLED))
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
    whole = int(min(total * WHOLE_IMAGE_SHARE, WHOLE_IMAGE_BUDGET_BYTES))
    return min(whole, TILE_BUDGET_BYTES) if tiled else whole


def _physical_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0
