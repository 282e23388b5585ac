"""What the window and the model-runner thread say to each other: plain data (numpy arrays,
dataclasses), carried by queued signals. No Qt, no torch.

The requests (DeblurRequest, BatchRequest, PrepareRequest, each with its RunSettings) go to the
worker (worker.py) through the client (client.py); EngineInfo and LoadedModel come back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.progress import CancelToken
from ..jobs.naming import DEFAULT_NAME  # the torch-free module itself (the package loads jobs.run on use)
from ..model.registry import DEFAULT_VARIANT, run_name
from ..reasons import ReasonText


@dataclass(frozen=True)
class RunSettings:
    variant: str = DEFAULT_VARIANT
    ensemble: bool = False
    device: str = "auto"
    tile: int | None = None  # None: auto (sized from free memory), 0: whole image, N: N-pixel tiles
    precision: str = "auto"
    strength: float = 1.0  # how much of the correction to show and save (0..1)

    @property
    def model_name(self) -> str:
        return run_name(self.variant, self.ensemble)


@dataclass
class DeblurRequest:
    photo_key: str
    pixels: np.ndarray  # float32 (H, W, 3) of the whole photo
    settings: RunSettings
    region: tuple[int, int, int, int] | None = None  # (left, top, width, height): a preview
    kind: str = "deblur"
    grayscale: bool = False  # a gray photo: its result is shown as Save writes it (imagefiles.in_photo_colours)


@dataclass
class BatchRequest:
    input_dir: Path
    output_dir: Path
    settings: RunSettings
    recursive: bool = False
    template: str = DEFAULT_NAME
    skip_existing: bool = True
    quality: int | None = None  # None: a JPEG source's own tables and subsampling (imagefiles.save_image)
    kind: str = "batch"
    min_blur: float | None = None  # deblur only photos whose blur score is at least this (jobs.scan)


@dataclass
class PrepareRequest:
    """Load the model for these settings and do its slow first-use work now, before any run:
    the int8 quantisation (15-70 s, once per weights) when the settings choose int8."""

    settings: RunSettings
    kind: str = "prepare"


# What the worker says it prepares (EngineSignals.preparing; "" when it ended): the int8 model's OpenVINO export and
# NNCF quantisation (minutes, the first time for these weights), or `auto` timing its paths on this CPU
PREPARING_INT8 = "int8"
PREPARING_TIMING = "timing"


@dataclass
class CheckInt8Request:
    """Measure what each fast path (bf16, int8) does to weights that have no verdict for it yet
    (engine/verdicts.py), record the verdicts, and prepare the path `auto` then takes. Runs after the
    preparation; any run cancels it (never waits for it)."""

    settings: RunSettings
    kind: str = "check-int8"


def same_run(a: RunSettings | None, b: RunSettings | None) -> bool:
    """Whether runs with these settings compute the same picture: the strength is a blend of it, not part of it."""
    return a is not None and b is not None and dataclasses.replace(a, strength=1.0) == dataclasses.replace(b, strength=1.0)


def prepared_for(settings: RunSettings) -> tuple:
    """What a preparation depends on: the model the worker loads for a run (see EngineWorker._engine_for)."""
    return settings.variant, settings.device, settings.precision


@dataclass
class WeightsInfo:
    key: str
    display_name: str
    path: Path | None
    description: ReasonText  # where the weights came from (weights.catalog.describe), shown translated
    missing_message: ReasonText  # how to get them (weights.catalog.missing_weights_message)
    kind: str = ""  # "published", "user" or "starter" (catalog.PROVENANCES); "" when missing


@dataclass
class EngineInfo:
    app_version: str
    torch_version: str
    devices: list[str]  # present devices, e.g. ["cuda", "cpu"]
    auto_device: str
    weights: dict[str, WeightsInfo]
    accelerator_name: str = ""


@dataclass
class LoadedModel:
    variant: str
    display_name: str
    path: Path
    provenance: ReasonText
    metadata: dict[str, str]
    device: str
    precision: str
    precision_reason: ReasonText = ""  # why auto (or a fallback) runs this precision
    # the loaded engine's tile plan: the pixels one pass computes for a (height, width, tile) photo, its tiles with
    # their overlap (Deblurrer.planned_pixels); None once that engine is gone (the window's time estimate)
    planner: Callable[[int, int, int | None], int | None] | None = None


@dataclass
class Job:
    """A request on its way to the worker, with its id and cancel token."""

    job_id: int
    token: CancelToken
    request: object
