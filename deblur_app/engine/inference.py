"""The one place that pads, tiles, runs, ensembles, clamps and crops.

Arrays in, arrays out: this module reads no files and knows no GUI. Progress
is reported per tile and ensemble pass through a callback, and each of those
steps is a cancellation point. In a run of several tiles, the step that
finishes a tile also carries the pixels of the result that tile made final
(progress.FinishedTile), so a display can build the result up as it comes.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import reasons
from ..model import networks
from ..model.checkpoints import Checkpoint
from ..model.registry import Architecture
from . import devices
from .choices import fast_path
from .devices import DeviceError, PrecisionChoice, choose_precision, memory_budget_bytes, resolve_backend, resolve_device
from .heap import return_freed_memory
from .progress import CancelCheck, Progress, ProgressCallback, raise_if_cancelled
from .stitching import Stitcher
from .tiling import FROM_OPTIONS, Tile, TileGeometry, plan_tiles, plan_tiles_by_area, round_up

# Peak working memory per input pixel of one tile is the registry's (Architecture.bytes_per_pixel).
# MIMO-UNet's (lean fusion, channels_last) was measured by benchmarks/bench_cpu.py as the growth
# of peak RSS over the loaded model for a whole 1280x720 image on the CPU, rounded up: torch fp32
# 1430, torch bf16 910, OpenVINO fp32 825, OpenVINO bf16 520 (fp16: CUDA, as bf16).
# OpenVINO int8 (NNCF model cached): 552-564 in three fresh processes, fp32 814 and
# bf16 518 in the same session (2-core AMD EPYC, AVX-512 + avx512_bf16/vnni, 2026-12-01:
# bench_cpu.measure_in_child("ov_int8", weights/mimo-unet.safetensors, 720, 1280)).
# int8 still sizes its tiles as fp32 does: at 600 a 12 MP photo ran as 12 tiles of 1156
# pixels instead of 20 of 944 and peaked at 1.44-1.52 GB instead of 1.25-1.27 GB (the
# stitching buffers of the whole photo come on top of a tile), over the 1.5 GB a 12 MP
# photo may take on one of three CPU classes, for 2-4 % of speed (benchmarks/RESULTS.md).
_PRECISION_NAMES = {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}

_PATH_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}

_OutOfMemory = getattr(torch, "OutOfMemoryError", torch.cuda.OutOfMemoryError)


def _is_out_of_memory(error: RuntimeError) -> bool:
    text = str(error)
    return isinstance(error, _OutOfMemory) or "out of memory" in text or "can't allocate memory" in text


class EngineError(Exception):
    """The engine could not finish; str() is a one-line reason."""


@dataclass
class EngineOptions:
    device: str = "auto"
    precision: str = "auto"  # auto | fp32 | bf16 | fp16 | int8 (devices.choose_precision says what auto means)
    # defaults for run() when it is not given them (tiling.parse_tile's vocabulary)
    tile: int | None = None  # None: auto (sized from free memory); 0: whole image; N: N-pixel tiles
    ensemble: bool = False  # 8-way dihedral self-ensemble
    backend: str = "auto"  # auto (OpenVINO on the CPU when installed) | torch | openvino
    # what the caller holds per pixel of a photo while it runs, beyond the float32 image it passes and
    # the decoding and encoding devices.PHOTO_BYTES_PER_PIXEL counts (the window: its pictures of the
    # photo and of the result so far): tiles leave room for it within LARGE_PHOTO_PEAK_BYTES
    held_bytes_per_pixel: int = 0
    # and what it holds whatever the photo's size (the window: Qt's libraries and widgets), counted the same way
    held_bytes: int = 0


@dataclass
class DeblurResult:
    full: np.ndarray  # (H, W, 3) float32 in [0, 1]
    # the coarse outputs of networks that have them (registry Architecture.outputs), else None
    half: np.ndarray | None = None  # (ceil(H/2), ceil(W/2), 3)
    quarter: np.ndarray | None = None  # (ceil(H/4), ceil(W/4), 3)
    seconds: float = 0.0
    tiles: int = 1
    passes: int = 1
    device: str = "cpu"
    precision: str = "fp32"
    fp32_fallbacks: int = 0
    backend: str = "torch"
    notes: list[reasons.ReasonText] = field(default_factory=list)  # str() of each: the English
    torch_tiles: int = 0  # passes the OpenVINO backend left to torch (sizes none of its exports serve)


def dihedral_transforms(ensemble: bool) -> list[tuple[int, bool]]:
    """(quarter turns, flipped) pairs; the identity alone without ensemble."""
    if not ensemble:
        return [(0, False)]
    return [(k, flip) for flip in (False, True) for k in range(4)]


def _forward_transform(x: torch.Tensor, turns: int, flip: bool) -> torch.Tensor:
    if flip:
        x = torch.flip(x, dims=[-1])
    return torch.rot90(x, turns, dims=[-2, -1]) if turns else x


def _inverse_transform(x: torch.Tensor, turns: int, flip: bool) -> torch.Tensor:
    if turns:
        x = torch.rot90(x, -turns, dims=[-2, -1])
    return torch.flip(x, dims=[-1]) if flip else x


def _clamp(pixels: np.ndarray) -> np.ndarray:
    return np.clip(pixels, 0.0, 1.0, out=pixels)


def pad_to_multiple(image: np.ndarray, multiple: int = 4, mode: str = "reflect") -> np.ndarray:
    """Pad the bottom and right to a multiple, as the network's authors do: "reflect" (edge
    pixels repeated where the image is too small to reflect) or "constant" (zeros)."""
    height, width = image.shape[:2]
    pad_h, pad_w = round_up(height, multiple) - height, round_up(width, multiple) - width
    if not pad_h and not pad_w:
        return image
    return np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode=padding_mode(height, width, pad_h, pad_w, mode))


def padding_mode(height: int, width: int, pad_h: int, pad_w: int, mode: str) -> str:
    """numpy's pad mode: "reflect" needs more pixels than it adds (else edge pixels are repeated)."""
    if mode == "reflect":
        return "reflect" if height > pad_h and width > pad_w else "edge"
    return mode


def tile_pixels(image: np.ndarray, tile: Tile, mode: str) -> np.ndarray:
    """The tile's pixels of the image padded at the bottom and right (pad_to_multiple), cutting only the
    tile. Equal to cutting it from the padded image: a tile reaching into the padding holds the last
    rows (columns) of the image, at least as many as the padding reflects (tiles >= MIN_TILE, padding
    < the size multiple), or is the whole image."""
    height, width = image.shape[:2]
    part = image[tile.top : min(tile.top + tile.height, height), tile.left : min(tile.left + tile.width, width)]
    pad_h, pad_w = tile.height - part.shape[0], tile.width - part.shape[1]
    if not pad_h and not pad_w:
        return part
    return np.pad(part, ((0, pad_h), (0, pad_w), (0, 0)), mode=mode)


@dataclass
class _PhotoRun:
    """One photo on its way through Deblurrer.run: its tiles still to run and what they made so far."""

    image: np.ndarray  # float32 (H, W, 3), unpadded
    pad_mode: str
    queue: deque[Tile]
    passes: list[tuple[int, bool]]  # dihedral_transforms
    stitcher: Stitcher
    result: DeblurResult
    max_tile: int  # the largest tile that fits (smaller after running out of memory)
    done: int = 0  # network passes done
    tiles_done: int = 0


class Deblurrer:
    """A loaded model on a device, ready to deblur arrays."""

    def __init__(self, model: torch.nn.Module, options: EngineOptions | None = None,
                 architecture: Architecture | None = None, weights_file: Path | None = None) -> None:
        """``architecture``: the registry's entry for ``model`` (default: recognised from its keys);
        ``weights_file``: the file the model's weights are mapped from, if any (Checkpoint.build shares the
        checkpoint's tensors, mapped from a safetensors file): while OpenVINO runs, their pages are handed back."""
        self.options = options or EngineOptions()
        self.weights_file = Path(weights_file) if weights_file is not None else None
        self.architecture = architecture or networks.recognise(model.state_dict())
        if self.architecture is None:
            raise EngineError("the model is no network of the registry")
        self.device = resolve_device(self.options.device)
        memory_format = torch.channels_last if self.device.type in ("cpu", "cuda") else torch.contiguous_format
        self._memory_format = memory_format
        self._model = _with_memory_format(model.eval().to(self.device), memory_format)
        if hasattr(self._model, "lean_fusion"):
            self._model.lean_fusion = True
        self._released_digest = ""  # the weights' digest while they are let go (release_torch_weights), else ""
        # NAFNet's depends on its number of levels: padding more than its own forward would
        # changes its global averages, so the model's own multiple wins over the registry's
        self.size_multiple = int(getattr(self._model, "size_multiple", self.architecture.size_multiple))
        self._pending_notes: list[reasons.ReasonText] = []  # for the first result: what changed since the choice
        self.backend = self._choose_backend()
        self._timing_pending: tuple[str, ...] = ()  # the paths `auto` still has to time (fastest.py)
        self._int8_verdict, self._int8_missing = None, "not considered"
        self._bf16_verdicts: dict[str, object] = {}  # "torch-bf16" -> these weights' verdict or None (verdicts.py)
        self.precision = self._choose_precision()
        self.dtype = self.precision.dtype
        self._openvino = None  # built on first use: the ONNX export takes seconds the first time
        self._torch_for_photo = False  # this run's photo is too large for OpenVINO's memory (run())
        if self.weights_file is not None:
            return_freed_memory()  # reading and digesting the weights left NAFNet-64's engine 247 MiB of freed heap

    @property
    def model(self) -> torch.nn.Module:
        """The torch network with its weights (read again from ``weights_file`` if they were let go)."""
        if self._released_digest:
            self._reload_torch_weights()
        return self._model

    @model.setter
    def model(self, network: torch.nn.Module) -> None:
        """Another network to run (the tests' stand-ins): its weights are its own, nothing to read back."""
        self._model, self._released_digest = network, ""

    def _weights_source(self) -> dict:
        """What a runner needs to export after torch's weights went: where they come back from (``model``)."""
        # NNCF's first-use quantisation runs after torch's weights went (release_torch_weights: where they can be read
        # back), not beside them: in a run and in the window's preparation alike (prepare, on the window's one model
        # thread: nothing else uses the engine meanwhile, and what needs torch later reads them back, ``model``)
        if self.weights_file is None:
            return {}
        return {"model_source": lambda: self.model, "release_weights": self.release_torch_weights}

    def release_torch_weights(self) -> bool:
        """Let torch's copy of the weights go while OpenVINO runs (NAFNet-64: 259 MiB of a 12 MP photo's 1.5 GB); the
        next use of ``model`` reads them again from ``weights_file``. Only where they came from that file and
        nothing else holds them. True when they went."""
        if self._released_digest or self.backend != "openvino" or not self._weights_can_go():
            return False
        from .openvino_backend import weights_digest

        self._released_digest = weights_digest(self._model, self.architecture)
        for module in self._model.modules():
            for name, parameter in module.named_parameters(recurse=False):
                module._parameters[name] = torch.nn.Parameter(torch.empty_like(parameter, device="meta"),
                                                              requires_grad=False)
        return_freed_memory()
        return True

    def _weights_can_go(self) -> bool:
        """Torch's weights can be read back: they came from a file that is here (a cluster worker on another host
        gets the driver's path)."""
        return self.weights_file is not None and self.weights_file.is_file()

    def _reload_torch_weights(self) -> None:
        """The weights let go, read again from their file (weights_only, as any checkpoint) and checked to be
        the same as the ones let go, so torch computes what it would have: EngineError where the file changed."""
        from ..model.checkpoints import CheckpointError, read_state_dict
        from .openvino_backend import weights_digest

        try:
            state_dict, _metadata = read_state_dict(self.weights_file)
            self._model.load_state_dict(state_dict, strict=True, assign=True)
        except (CheckpointError, RuntimeError) as error:
            raise EngineError(reasons.about(self.weights_file, reasons.reason(
                reasons.WEIGHTS_FILE_CHANGED, cause=reasons.first_line(error)))) from None
        _with_memory_format(self._model.to(self.device), self._memory_format)
        if weights_digest(self._model, self.architecture) != self._released_digest:
            raise EngineError(reasons.about(self.weights_file, reasons.reason(
                reasons.WEIGHTS_FILE_CHANGED, cause=reasons.reason(reasons.OTHER_WEIGHTS_NOW))))
        self._released_digest = ""

    @property
    def geometry(self) -> TileGeometry:
        arch = self.architecture
        return TileGeometry(self.size_multiple, arch.tile_overlap, arch.tile_discard)

    def _choose_backend(self) -> str:
        """OpenVINO only for networks it reproduces (registry: ``openvino``); asked for by name
        for another network, DeviceError (one line); under auto, torch (the precision's reason says why)."""
        backend = resolve_backend(self.options.backend, self.device)
        if backend != "openvino" or self.architecture.openvino:
            return backend
        if (self.options.backend or "auto").lower() == "openvino":
            raise DeviceError(reasons.reason(reasons.OPENVINO_DOES_NOT_RUN, network=self.architecture.display_name,
                                                                   note=self.architecture.fp32_note))
        return "torch"

    def _choose_precision(self) -> PrecisionChoice:
        choice = self._choose_registered_precision()
        asked = (self.options.precision or "auto").lower()
        if asked != "auto" or choice.name in self.architecture.precisions:
            return choice
        if choice.name == "fp32" and (self.device.type != "cpu" or self.architecture.precisions):
            return choice  # its reason is the CPU's or the verdicts' (bf16 not measured yet, or failed)
        # auto takes a faster precision (also a GPU's fp16) only where it was measured for this network; a
        # network with no fast path on the CPU says why, not what the CPU could do for another network; on a CPU
        # without native bf16 (AVX2 only) it says that first: there bf16 is not on offer for any weights
        why = reasons.reason(reasons.FP32_FOR_NETWORK, note=self.architecture.fp32_note)
        if self.device.type == "cpu" and not devices.cpu_has_native_bf16():
            why = reasons.joined(reasons.reason(reasons.NO_NATIVE_BF16), why)
        return PrecisionChoice("fp32", torch.float32, why)

    def _choose_registered_precision(self) -> PrecisionChoice:
        if (self.options.precision or "auto").lower() == "int8" and not self.architecture.int8_float_layers:
            raise DeviceError(reasons.reason(reasons.INT8_DOES_NOT_RUN, network=self.architecture.display_name,
                                                               note=self.architecture.fp32_note))
        openvino = self.backend == "openvino"
        auto = (self.options.precision or "auto").lower() == "auto"
        verdict, missing = None, ""
        if openvino and auto and "int8" in self.architecture.precisions:
            from .openvino_backend import find_int8_verdict, int8_missing

            missing = int8_missing(self.model)
            verdict = None if missing else find_int8_verdict(self.model)
        choice = choose_precision(self.options.precision, self.device, openvino=openvino, int8_verdict=verdict,
                                  int8_missing=missing, bf16_verdict=self._bf16_verdict,
                                  consider_int8="int8" in self.architecture.precisions)
        if choice.name == "int8" and not openvino:
            fallback = choose_precision("auto", self.device, consider_int8=False, bf16_verdict=self._bf16_verdict)
            return PrecisionChoice(fallback.name, fallback.dtype,
                                   reasons.joined(reasons.reason(reasons.INT8_NEEDS_BACKEND), fallback.reason))
        # the paths this network may take (registry: ``precisions``), fp32 always
        measure = tuple(p for p in choice.measure if p == "fp32" or p in self.architecture.precisions)
        if len(measure) > 1:
            from .devices import cpu_features  # looked up now: tests stand in for the CPU
            from .openvino_backend import measured_paths

            timings = measured_paths(self.model, measure, cpu_features())
            if timings is None:
                self._timing_pending = measure  # timed on first use (prepare or the first run)
            else:
                choice = choose_precision("auto", self.device, openvino=True, int8_verdict=verdict, timings=timings,
                                          bf16_verdict=self._bf16_verdict)
        self._int8_verdict, self._int8_missing = verdict, missing
        return choice

    @property
    def _bf16_verdict(self):
        """The measured effect of bf16 on these weights with the backend in use, where `auto` may take bf16."""
        if ((self.options.precision or "auto").lower() != "auto" or self.device.type != "cpu"
                or "bf16" not in self.architecture.precisions):
            return None
        path = fast_path(self.backend, "bf16")
        if path not in self._bf16_verdicts:
            from .openvino_backend import find_verdict

            self._bf16_verdicts[path] = find_verdict(self.model, path)
        return self._bf16_verdicts[path]

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, options: EngineOptions | None = None) -> "Deblurrer":
        return cls(checkpoint.build(lean_fusion=True), options, checkpoint.architecture, checkpoint.path)

    @property
    def precision_name(self) -> str:
        return self.precision.name

    @property
    def pending_notes(self) -> tuple[reasons.ReasonText, ...]:
        """What changed since the choice (e.g. int8 fell back to float): the next result carries it."""
        return tuple(self._pending_notes)

    def int8_preparation_needed(self) -> bool:
        """True when the first run would quantise the int8 model (15-70 s): none is cached for these weights."""
        if self.precision.name != "int8" or self.backend != "openvino" or self._openvino is not None:
            return False
        from .openvino_backend import int8_cached

        return not int8_cached(self.model)

    def prepare(self, cancel: CancelCheck | None = None) -> None:
        """Do the slow first-use work now rather than in the first run: the OpenVINO export and,
        for int8, the quantisation (cached for later sessions).

        A failed int8 quantisation falls back to float as a run would, with a note in
        ``pending_notes``; Cancelled leaves the engine as it was, so the next run starts afresh.
        """
        if self.backend == "openvino":
            self._openvino_runner(cancel)

    def preparation_needed(self) -> bool:
        """True when the first run would do slow first-use work: quantise int8 or time the paths `auto` may take."""
        return bool(self._timing_pending and self._openvino is None) or self.int8_preparation_needed()

    def int8_unmeasured(self) -> bool:
        """`auto` on OpenVINO could run int8, but nobody measured what it does to these weights (verdicts.py)."""
        return "openvino-int8" in self.unmeasured_paths()

    def unmeasured_paths(self) -> tuple[str, ...]:
        """The fast paths (choices.FAST_PATHS) `auto` could take here with these weights but may not until their
        verdict is measured (engine/verdicts.py): int8 on OpenVINO (NNCF or a cached model at hand), bf16 with
        this engine's backend on a CPU that computes bf16 natively."""
        if (self.options.precision or "auto").lower() != "auto" or self.device.type != "cpu":
            return ()
        paths = []
        if (self.backend == "openvino" and "int8" in self.architecture.precisions and self._int8_verdict is None
                and not self._int8_missing):
            paths.append("openvino-int8")
        if "bf16" in self.architecture.precisions and self._bf16_verdict is None and devices.cpu_has_native_bf16():
            paths.append(fast_path(self.backend, "bf16"))
        return tuple(paths)

    @property
    def timing_pending(self) -> bool:
        """`auto` has yet to time the paths that keep the picture on this CPU (a few seconds, once)."""
        return bool(self._timing_pending and self._openvino is None)

    def auto_tile_size(self, height: int, width: int, backend: str | None = None) -> int:
        """0 (whole image) when it fits the memory budget, else the largest tile that does: within the
        tile budget and, on the CPU, keeping the modelled peak of the whole run within LARGE_PHOTO_PEAK_BYTES
        (never below the network's smallest tile)."""
        backend = backend or self.backend
        per_pixel = self._memory_per_pixel(backend)
        if height * width * per_pixel <= memory_budget_bytes(self.device):
            return 0
        budget = memory_budget_bytes(self.device, tiled=True)
        if self.device.type == "cpu":
            room = devices.LARGE_PHOTO_PEAK_BYTES - self.resident_bytes(backend) - self.photo_bytes(height, width)
            budget = min(budget, max(room, devices.MIN_TILE_BUDGET_BYTES))
        side = math.isqrt(max(budget, 0) // per_pixel)
        geometry = self.geometry
        return max(geometry.min_tile, side - side % geometry.align)

    def _memory_per_pixel(self, backend: str) -> int:
        int8 = self.precision.name == "int8" and backend == "openvino"
        return self.architecture.memory_per_pixel(backend, "int8" if int8 else _PRECISION_NAMES[self.dtype])

    def resident_bytes(self, backend: str | None = None) -> int:
        """The modelled memory of the loaded engine: the runtime, the weights, OpenVINO's copies of them."""
        weights = sum(p.numel() * p.element_size() for p in self._model.parameters())
        if (backend or self.backend) != "openvino":
            return devices.RUNTIME_BYTES + weights
        # torch's copy goes while OpenVINO runs a tiled photo where it can be read again (release_torch_weights)
        torch_copy = 0 if self._weights_can_go() else weights
        graph = self.architecture.openvino_graph_bytes or devices.OPENVINO_GRAPH_BYTES
        openvino_runtime = self.architecture.openvino_runtime_bytes
        openvino_runtime = devices.OPENVINO_RUNTIME_BYTES if openvino_runtime is None else openvino_runtime
        return int(devices.RUNTIME_BYTES + openvino_runtime + torch_copy
                   + weights * devices.OPENVINO_WEIGHT_COPIES + graph)

    def modelled_peak_bytes(self, height: int, width: int, tile: int | None = None,
                            backend: str | None = None) -> int:
        """The whole process's modelled peak for a photo of this size (``tile`` None: as auto plans it)."""
        backend = backend or self.backend
        height, width = round_up(height, self.size_multiple), round_up(width, self.size_multiple)
        auto = tile is None
        tile = self.auto_tile_size(height, width, backend) if auto else tile
        largest = max(t.height * t.width for t in self.photo_tiles(height, width, tile, auto))
        working = max(self._memory_per_pixel(backend) * largest, self.compile_bytes(backend))
        return self.resident_bytes(backend) + self.photo_bytes(height, width) + working

    def compile_bytes(self, backend: str | None = None) -> int:
        """What compiling a tile's shape holds for a while on top of the compiled model, before the tile's working
        memory is touched (devices.OPENVINO_COMPILE_WEIGHT_COPIES); 0 in torch."""
        if (backend or self.backend) != "openvino":
            return 0
        from .openvino_backend import uses_blob_cache

        weights = sum(p.numel() * 4 for p in self._model.parameters())
        return int(weights * (devices.OPENVINO_COMPILE_WEIGHT_COPIES + uses_blob_cache(weights)))

    def photo_bytes(self, height: int, width: int) -> int:
        """The modelled memory of a tiled photo's own buffers, the engine's and its caller's, and of what else the
        caller holds beside the engine (EngineOptions.held_bytes)."""
        stitched = devices.STITCHED_BYTES_PER_PIXEL * sum(1 / scale**2 for scale in self.architecture.outputs)
        return (int((devices.PHOTO_BYTES_PER_PIXEL + stitched + self.options.held_bytes_per_pixel) * height * width)
                + self.options.held_bytes)

    def run(
        self,
        image: np.ndarray,
        progress: ProgressCallback | None = None,
        cancel: CancelCheck | None = None,
        tile: int | None | object = FROM_OPTIONS,
        ensemble: bool | None = None,
    ) -> DeblurResult:
        """Deblur an (H, W, 3) float RGB array in [0, 1].

        ``tile`` (None: auto, 0: whole image, N: N-pixel tiles, at least MIN_TILE) and
        ``ensemble`` belong to the run; left out, they come from the engine's options.
        """
        tile = self.options.tile if tile is FROM_OPTIONS else tile
        ensemble = self.options.ensemble if ensemble is None else ensemble
        if image.ndim != 3 or image.shape[2] != 3:
            raise EngineError(f"expected an (H, W, 3) RGB array, got shape {image.shape}")
        started = time.perf_counter()
        photo = self._plan_photo_run(np.ascontiguousarray(image, dtype=np.float32), tile, ensemble, progress)
        if not self._torch_for_photo:
            self._torch_weights_go_for_tiles(list(photo.queue), photo.passes, cancel)
        if len(photo.queue) > 1:
            return_freed_memory()  # what decoding the photo freed (the window: in its file thread) before the tiles
        self._run_tiles(photo, progress, cancel)
        raise_if_cancelled(cancel)
        return self._finish_photo_run(photo, time.perf_counter() - started)

    def _plan_photo_run(self, image: np.ndarray, tile: int | None, ensemble: bool,
                        progress: ProgressCallback | None) -> _PhotoRun:
        """The photo's backend, tiles, passes and stitcher, and its result to fill."""
        height, width = image.shape[:2]
        arch, geometry = self.architecture, self.geometry
        # each tile is padded as it is cut (tile_pixels): no padded copy of the whole photo (12 B/pixel)
        pad_h, pad_w = round_up(height, self.size_multiple), round_up(width, self.size_multiple)
        pad_mode = padding_mode(height, width, pad_h - height, pad_w - width, arch.pad_mode)
        backend, tile_size = self.plan_photo(pad_h, pad_w, tile)
        self._torch_for_photo = backend != self.backend
        if self._torch_for_photo and self._openvino is not None:
            self._openvino = None  # let its compiled models go: their memory is what this photo needs
            return_freed_memory()  # and hand it back: the window's first use timed OpenVINO before its 12 MP photo
        queue = deque(self.photo_tiles(pad_h, pad_w, tile_size, auto=tile is None))
        passes = dihedral_transforms(ensemble)
        stitcher = Stitcher(pad_h, pad_w, scales=arch.outputs, geometry=geometry)
        if progress is not None and len(queue) > 1:
            stitcher.expect(list(queue))  # to report what each tile makes final
        unset = np.empty((0, 0, 3), np.float32)  # filled from the stitcher at the end
        result = DeblurResult(
            full=unset, passes=len(passes),
            device=str(self.device), precision=self.precision_name, backend=self.backend,
        )
        if self._torch_for_photo:
            result.notes.append(reasons.reason(reasons.TORCH_FOR_THIS_PHOTO, network=arch.display_name,
                                               gigabytes=f"{devices.LARGE_PHOTO_PEAK_BYTES / 1e9:g}"))
        return _PhotoRun(image, pad_mode, queue, passes, stitcher, result, max_tile=max(pad_h, pad_w))

    def prepare_photo(self, height: int, width: int, tile: int | None | object = FROM_OPTIONS,
                      ensemble: bool | None = None, cancel: CancelCheck | None = None) -> None:
        """Before a photo of this size is decoded: what its tiles on OpenVINO need first (auto's timing, the exports
        of their shapes; then torch's weights go), as run() would do it once the photo is in memory. A first use's
        export holds the serialised weights for a while (NAFNet-64: +1.2 GB over the loaded network): done here, its
        peak does not stack on the decoded photo's buffers. Nothing for a photo that runs whole or in torch."""
        tile = self.options.tile if tile is FROM_OPTIONS else tile
        ensemble = self.options.ensemble if ensemble is None else ensemble
        pad_h, pad_w = round_up(height, self.size_multiple), round_up(width, self.size_multiple)
        backend, tile_size = self.plan_photo(pad_h, pad_w, tile)
        if backend == self.backend == "openvino" and tile_size:
            tiles = self.photo_tiles(pad_h, pad_w, tile_size, auto=tile is None)
            self._torch_weights_go_for_tiles(tiles, dihedral_transforms(ensemble), cancel)

    def _torch_weights_go_for_tiles(self, tiles: list[Tile], passes: list[tuple[int, bool]],
                                    cancel: CancelCheck | None) -> None:
        """Before the tiles of a photo on OpenVINO are compiled: export what their shapes need, then let torch's
        weights go (release_torch_weights). A 12 MP photo's tiles are what the memory model sizes with torch's copy
        left out (resident_bytes); a single tile (a photo run whole) keeps them."""
        if self.backend != "openvino" or len(tiles) < 2 or self._released_digest or not self._weights_can_go():
            return
        turned = any(turns % 2 for turns, _flip in passes)
        shapes = {(t.height, t.width) for t in tiles}
        shapes |= {(w, h) for h, w in shapes} if turned else set()
        first_class = self._export_before_reading(shapes, cancel) if self._openvino is None else None
        runner = self._openvino_runner(cancel, first_class)
        if runner is None or self.backend != "openvino":
            return
        runner.read_networks_for(shapes, cancel)
        self.release_torch_weights()

    def _export_before_reading(self, shapes: set[tuple[int, int]], cancel: CancelCheck | None) -> str:
        """A first use: only the shape classes these tiles need, each exported before any is read; the first of
        them returned, the class the runner is built on (_openvino_runner's ``first_class``). An export peaks at
        about 3.4 copies of the weights over the process (NAFNet-64: +925 MB) and leaves some behind, and a read network adds its own: NAFNet-64's 12 MP
        command line exported its first class ("local", which its tiles do not use), read it, then exported its
        tiles' class ("wide") over both: 1507 and 1544 MB, over the 1.5 GB goal; now one export, 1470 MB (RESULTS.md,
        session 16, measure-12mp). The runner finds the IRs cached (the same files, the same weights digest); where an
        export fails here the runner meets it and says so."""
        from .openvino_backend import OpenVinoUnavailable, default_cache_dir, exported_ir, ir_cached, weights_digest

        order = networks.export_classes(self.architecture)
        classes = {networks.export_shape_class(self.architecture, self._model, h, w) for h, w in shapes} - {None}
        classes = sorted(classes, key=order.index) or [order[0]]
        digest = weights_digest(self._model, self.architecture)
        folder = default_cache_dir()
        # the export's process reads the weights from their file: torch's copy here goes meanwhile (NAFNet-64: 259 MiB
        # beside the child's), and comes back when the runner is built (``model``)
        apart = (not all(ir_cached(folder, self.architecture, c, digest) for c in classes)
                 and self.release_torch_weights())
        for shape_class in classes:
            raise_if_cancelled(cancel)
            try:
                exported_ir(self._model, folder, self.architecture, shape_class, digest, in_child=True,
                            cancel=cancel, weights_file=self.weights_file if apart else None)
            except (OpenVinoUnavailable, OSError, ImportError):
                break
        return classes[0]

    def _run_tiles(self, photo: _PhotoRun, progress: ProgressCallback | None, cancel: CancelCheck | None) -> None:
        """Each tile through the network into the stitcher; out of memory, the tile is split and tried again."""
        queue, stitcher, passes = photo.queue, photo.stitcher, photo.passes
        height, width = photo.image.shape[:2]
        while queue:
            raise_if_cancelled(cancel)
            tile = queue.popleft()
            if max(tile.height, tile.width) > photo.max_tile:
                parts = tile.split(photo.max_tile, self.geometry)
                queue.extendleft(reversed(parts))
                if progress is not None:
                    stitcher.withdraw(tile)
                    stitcher.expect(parts)
                continue
            pixels = tile_pixels(photo.image, tile, photo.pad_mode)
            outputs = None
            try:
                outputs = self._run_tile(pixels, passes, photo.result, cancel, progress, photo.done, len(queue) + 1)
            except RuntimeError as error:
                if not _is_out_of_memory(error):
                    raise
            if outputs is None:
                # handled outside the except block so the failed tile's tensors are already freed
                photo.max_tile = self._shrink_after_oom(tile, photo.result)
                queue.appendleft(tile)
                continue
            stitcher.add(tile, outputs)
            photo.done += len(passes)
            photo.tiles_done += 1
            if queue or photo.tiles_done > 1:
                # the tile's working memory (torch: hundreds of MB at the window's 256-pixel tiles) was freed into the
                # heap, where glibc keeps it in holes the next tile's tensors, the stitched result and the caller's
                # pictures of it do not all fit: handed back, each tile starts from what the photo holds (heap.py)
                return_freed_memory()
            if progress is not None:  # the tile's last pass: reported once its pixels are in the blend
                finished = stitcher.finished(tile, photo.tiles_done, height, width) if stitcher.counting else None
                progress(Progress(photo.done, photo.done + len(queue) * len(passes), finished))

    def _finish_photo_run(self, photo: _PhotoRun, seconds: float) -> DeblurResult:
        """The result: the stitched outputs cropped to the photo, with what the run had to say."""
        result, stitcher, outputs = photo.result, photo.stitcher, self.architecture.outputs
        height, width = photo.image.shape[:2]
        # the first run may have left int8 or OpenVINO behind (see _openvino_runner)
        result.backend, result.precision = self._photo_backend, self.precision_name
        self._torch_for_photo = False
        result.notes[:0] = self._pending_notes
        self._pending_notes.clear()
        if photo.tiles_done > 1 and self._openvino is not None:
            # tiles are sized to fill the memory the photo leaves: their compiled model's working memory would stay
            # beside the result while the caller composes and saves it (the window: 12 MP at 1.7 GB, issue 21), and
            # beside the stitcher's division of its sums below, whose bands of replayed weights grew the heap at the
            # end of every tiled run (NAFNet-32's 12 MP command line, cached: 1062 MB with the tiles, 1104 there, its
            # peak; RESULTS.md, session 15, measure-12mp): the compiled models go first
            self._openvino.release_compiled()
        # the stitched results reuse the stitcher's buffers: no extra full-size copies
        result.full = _clamp(stitcher.result(1)[:height, :width])
        if 2 in outputs:
            result.half = _clamp(stitcher.result(2)[: -(-height // 2), : -(-width // 2)])
        if 4 in outputs:
            result.quarter = _clamp(stitcher.result(4)[: -(-height // 4), : -(-width // 4)])
        result.tiles = photo.tiles_done
        result.seconds = seconds
        return result

    @property
    def _photo_backend(self) -> str:
        return "torch" if self._torch_for_photo else self.backend

    def plan_photo(self, height: int, width: int, tile: int | None = None) -> tuple[str, int]:
        """The backend and tile size (0: whole) a run of a padded photo of this size uses (``tile`` None: auto).

        On the CPU, OpenVINO's copies of a large network's weights (NAFNet-64: 3.2 x 259 MiB) can leave
        no room for a tile of a large photo within LARGE_PHOTO_PEAK_BYTES where torch's single copy
        does: under auto tiles such a photo runs in torch.
        """
        if tile is not None:
            return self.backend, tile
        tile = self.auto_tile_size(height, width)
        if self.backend != "openvino" or self.device.type != "cpu" or tile == 0:
            return self.backend, tile
        limit = devices.LARGE_PHOTO_PEAK_BYTES
        openvino = self.modelled_peak_bytes(height, width, backend="openvino")  # auto's tiles, as `tile` sizes them
        if openvino <= limit or self.modelled_peak_bytes(height, width, backend="torch") >= openvino:
            return self.backend, tile
        return "torch", self.auto_tile_size(height, width, "torch")

    def planned_pixels(self, height: int, width: int, tile: int | None = None) -> int:
        """The pixels one pass of the network computes for a photo of this size as run() plans it (``tile`` None:
        auto): its padded tiles with their overlap. A 24 MP photo in 551 small tiles computes several times its own
        pixels; the window's time estimate counts these (issue 26)."""
        pad_h, pad_w = round_up(height, self.size_multiple), round_up(width, self.size_multiple)
        _backend, tile_size = self.plan_photo(pad_h, pad_w, tile)
        return sum(t.height * t.width for t in self.photo_tiles(pad_h, pad_w, tile_size, auto=tile is None))

    def photo_tiles(self, height: int, width: int, tile_size: int, auto: bool) -> list[Tile]:
        """The tiles of a padded photo: a size the user chose is a side (plan_tiles); auto's ``tile_size`` is what
        the memory allows a tile, so its tiles may take any shape within that many pixels squared, on the grid
        that computes the fewest pixels (plan_tiles_by_area: FFTformer's HD frame on an 8 GB machine 1.83x its
        pixels instead of 2.15x)."""
        plan = plan_tiles_by_area if auto else plan_tiles
        return plan(height, width, tile_size, self.geometry)

    def _shrink_after_oom(self, tile: Tile, result: DeblurResult) -> int:
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
        largest = max(tile.height, tile.width)
        geometry = self.geometry
        if largest <= geometry.min_tile:
            raise EngineError(reasons.reason(reasons.OUT_OF_MEMORY_EVEN_SMALL_TILES, device=self.device, tile=geometry.min_tile))
        smaller = max(geometry.min_tile, (largest // 2) - (largest // 2) % geometry.align)
        result.notes.append(reasons.reason(reasons.SMALLER_TILES, tile=largest, smaller=smaller))
        return smaller

    def _run_tile(self, pixels, passes, result, cancel, progress, done_before, tiles_left) -> dict[int, np.ndarray]:
        x = torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))[None]
        x = x.to(self.device).contiguous(memory_format=self._memory_format)
        sums: dict[int, torch.Tensor] = {}
        total = done_before + tiles_left * len(passes)
        for index, (turns, flip) in enumerate(passes):
            raise_if_cancelled(cancel)
            outputs = self._forward(_forward_transform(x, turns, flip), result, cancel)
            for scale, output in zip(self.architecture.outputs, outputs):
                restored = _inverse_transform(output, turns, flip)
                sums[scale] = restored if scale not in sums else sums[scale] + restored
            if progress is not None and index < len(passes) - 1:  # run() reports the last pass
                progress(Progress(done_before + index + 1, total))
        return {
            scale: (value / len(passes))[0].permute(1, 2, 0).float().cpu().numpy()
            for scale, value in sums.items()
        }

    def _openvino_runner(self, cancel: CancelCheck | None = None, first_class: str | None = None):
        """The OpenVINO runner, built on first use; None once OpenVINO turned out unusable under auto.
        ``first_class``: the shape class a float runner built now reads first (default: the network's first).

        What it had to give up (int8, OpenVINO) goes to ``_pending_notes`` for the next result.
        """
        if self._openvino is None and self.backend == "openvino":
            from .openvino_backend import (Int8Unavailable, OpenVinoRunner, OpenVinoUnavailable, shipped_int8_plan,
                                           uncached_note)

            try:
                if self._timing_pending:
                    self._openvino = self._time_paths(cancel, first_class)
                elif self.precision.name == "int8":
                    try:
                        self._openvino = OpenVinoRunner(self.model, torch.float32, int8=shipped_int8_plan(),
                                                        cancel=cancel, architecture=self.architecture,
                                                   **self._weights_source())
                    except Int8Unavailable as error:  # never an error: the float path runs instead
                        self._leave_int8(reasons.reason(reasons.INT8_UNAVAILABLE, cause=reasons.of(error)), openvino=True)
                if self._openvino is None:
                    self._openvino = OpenVinoRunner(self.model, self.dtype, architecture=self.architecture,
                                                   first_class=first_class, cancel=cancel, **self._weights_source())
                uncached = uncached_note()
                if uncached is not None:
                    self._pending_notes.append(uncached)
            except OpenVinoUnavailable as error:
                if self.options.backend == "openvino":
                    raise EngineError(reasons.of(error)) from None
                self.backend = "torch"  # auto: carry on with torch
                self._pending_notes.append(reasons.reason(reasons.OPENVINO_UNAVAILABLE, cause=reasons.of(error)))
                if self.precision.name == "int8":
                    self._leave_int8(reasons.reason(reasons.INT8_NEEDS_OPENVINO), openvino=False)
                elif self.precision.name == "bf16" and (self.options.precision or "auto").lower() == "auto":
                    self.precision = self._choose_precision()  # torch's bf16 has a verdict of its own
                    self.dtype = self.precision.dtype
        return self._openvino

    def _time_paths(self, cancel: CancelCheck | None, first_class: str | None = None):
        """Time the paths `auto` may take (fastest.py), remember the timings, run the fastest: its runner.

        A path that cannot be built here (int8 without a usable calibration) is left out with a note;
        Cancelled leaves the engine as it was, so the next run times afresh.
        """
        from . import fastest
        from .devices import cpu_features
        from .openvino_backend import Int8Unavailable, OpenVinoRunner, remember_paths, shipped_int8_plan

        runners, int8_problem = {}, ""
        for path in self._timing_pending:
            if path == "int8":
                try:
                    runners[path] = OpenVinoRunner(self.model, torch.float32, int8=shipped_int8_plan(), cancel=cancel,
                                                   architecture=self.architecture,
                                                   **self._weights_source())
                except Int8Unavailable as error:
                    int8_problem = reasons.reason(reasons.INT8_UNAVAILABLE, cause=reasons.of(error))
            else:
                runners[path] = OpenVinoRunner(self.model, _PATH_DTYPES[path], architecture=self.architecture,
                                               first_class=first_class, cancel=cancel, **self._weights_source())
        timings = fastest.measure_paths(
            {path: (lambda pixels, check, run=run: run(torch.from_numpy(pixels), check)) for path, run in runners.items()},
            cancel)
        self._timing_pending = ()
        if not int8_problem:  # a measurement without int8 is not kept: int8 may work next time
            remember_paths(self.model, tuple(runners), timings, cpu_features())
        choice = choose_precision("auto", self.device, openvino=True, int8_verdict=self._int8_verdict,
                                  consider_int8=not int8_problem, timings=timings, bf16_verdict=self._bf16_verdict)
        if int8_problem:
            choice = PrecisionChoice(choice.name, choice.dtype, reasons.joined(int8_problem, choice.reason))
            self._pending_notes.append(
                reasons.joined(int8_problem, reasons.reason(reasons.RUNNING_INSTEAD, precision=choice.name)))
        self.precision, self.dtype = choice, choice.dtype
        return runners[choice.name]

    def _leave_int8(self, why: reasons.Reason, openvino: bool) -> None:
        """Run the float precision `auto` would pick without int8, and say so."""
        fallback = choose_precision("auto", self.device, openvino=openvino, consider_int8=False,
                                    bf16_verdict=self._bf16_verdict)
        self.precision = PrecisionChoice(fallback.name, fallback.dtype, reasons.joined(why, fallback.reason))
        self.dtype = fallback.dtype
        self._pending_notes.append(reasons.joined(why, reasons.reason(reasons.RUNNING_INSTEAD, precision=fallback.name)))

    def _forward(self, x: torch.Tensor, result: DeblurResult, cancel: CancelCheck | None = None) -> list[torch.Tensor]:
        if self.backend == "openvino" and not self._torch_for_photo:
            runner = self._openvino_runner(cancel)
            if runner is not None and runner.serves(*x.shape[-2:]):
                return runner(x, cancel)
            if runner is not None and not result.torch_tiles:  # a size no export serves
                result.notes.append(reasons.reason(reasons.NO_EXPORT_SERVES,
                    width=x.shape[-1], height=x.shape[-2], network=self.architecture.display_name))
            result.torch_tiles += runner is not None
        with torch.inference_mode(), _cancellable(self.model, networks.cancel_points(self.architecture), cancel):
            if self.dtype == torch.float32:
                return [o.float() for o in self.model(x)]
            with torch.autocast(device_type=self.device.type, dtype=self.dtype):
                outputs = [o.float() for o in self.model(x)]
            if all(bool(torch.isfinite(o).all()) for o in outputs):
                return outputs
            # fp16 can overflow on extreme inputs: redo this tile exactly
            result.fp32_fallbacks += 1
            return [o.float() for o in self.model(x)]


def _with_memory_format(model: torch.nn.Module, memory_format: torch.memory_format) -> torch.nn.Module:
    """Convolution weights in ``memory_format``; Module.to(memory_format=) would refuse the 5-D
    spectral filters of FFTformer, so only 4-D parameters are converted."""
    for parameter in model.parameters():
        if parameter.dim() == 4:
            parameter.data = parameter.data.contiguous(memory_format=memory_format)
    return model


@contextlib.contextmanager
def _cancellable(model: torch.nn.Module, blocks: tuple[type, ...], cancel: CancelCheck | None):
    """Make every block of the network (registry: its CANCEL_POINTS) a cancellation point while it runs.

    One pass over a whole photo can take half a minute on a CPU (FFTformer: minutes); checking
    before each of the network's blocks (MIMO-UNet: 48 residual blocks, NAFNet-64: 36, FFTformer:
    64 transformer blocks) lets a cancel or a changed setting take effect within a fraction of a
    second. The hooks exist only during the call, so exported or copied models carry none.
    """
    if cancel is None:
        yield
        return

    def check(_module, _inputs) -> None:
        raise_if_cancelled(cancel)

    handles = [m.register_forward_pre_hook(check) for m in model.modules() if isinstance(m, blocks)]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
