"""Deblurring files: the glue the command line and the window share.

Reads a photo, runs the engine, writes the results atomically. Everything
that can go wrong for one file surfaces as ``JobError`` with a one-line
message naming the file, so callers never show a traceback.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import imagefiles
from .catalog import WeightsNotFound, find_weights
from .engine.devices import DeviceError
from .engine.inference import DeblurResult, Deblurrer, EngineError, EngineOptions
from .engine.progress import CancelCheck, ProgressCallback
from .engine.strength import apply_strength
from .model.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from .model.variants import DEFAULT_VARIANT, PRESETS, VARIANTS
from .naming import PlannedOutput, plan_outputs, scale_paths


class JobError(Exception):
    """A one-line, user-facing reason why a job could not be done."""


@dataclass
class SaveOptions:
    save_scales: bool = False
    bit_depth: int | None = None  # None: same as the input where the format allows
    quality: int | None = None  # None: a JPEG keeps a JPEG input's quality and subsampling, else 95
    overwrite: bool = False
    strength: float = 1.0  # how much of the correction the saved photo keeps (0..1)


@dataclass
class ModelChoice:
    variant: str  # a key of VARIANTS
    ensemble: bool


def parse_model(name: str | None, ensemble: bool = False) -> ModelChoice | None:
    """'mimo-unet++' is MIMO-UNet+ with the 8-way self-ensemble."""
    if name is None:
        return None
    preset = PRESETS.get(name.lower())
    if preset is None:
        raise JobError(f"unknown model {name!r}; choose one of {', '.join(PRESETS)}")
    return ModelChoice(preset.variant, ensemble or preset.ensemble)


def load_model(model: ModelChoice | None, weights: Path | None) -> Checkpoint:
    """The checkpoint to run: an explicit file (checked against --model) or the installed one."""
    try:
        if weights is not None:
            return load_checkpoint(weights, expected_variant=model.variant if model else None)
        found = find_weights(model.variant if model else DEFAULT_VARIANT)
        return load_checkpoint(found.path)
    except (CheckpointError, WeightsNotFound) as error:
        raise JobError(str(error)) from None


def make_engine(checkpoint: Checkpoint, options: EngineOptions) -> Deblurrer:
    try:
        return Deblurrer.from_checkpoint(checkpoint, options)
    except DeviceError as error:
        raise JobError(str(error)) from None


@dataclass
class FileResult:
    input: Path
    outputs: list[Path] = field(default_factory=list)
    result: DeblurResult | None = None


def deblur_file(
    input_path: Path,
    output_path: Path,
    engine: Deblurrer,
    save: SaveOptions,
    progress: ProgressCallback | None = None,
    cancel: CancelCheck | None = None,
    max_megapixels: float | None = None,
) -> FileResult:
    """Read, deblur and save one photo. Raises JobError, or Cancelled before anything is written."""
    input_path, output_path = Path(input_path), Path(output_path)
    check_outputs(input_path, output_path, save)  # before the slow run rather than after it
    try:
        loaded = imagefiles.load_image(
            input_path, max_pixels=int(max_megapixels * 1e6) if max_megapixels else None
        )
    except imagefiles.ImageFileError as error:
        raise JobError(str(error)) from None
    try:
        result = engine.run(loaded.pixels, progress=progress, cancel=cancel)
    except EngineError as error:
        raise JobError(f"{input_path}: {error}") from None
    return FileResult(input_path, save_result(result, loaded, output_path, save), result)


def save_result(result: DeblurResult, loaded: imagefiles.LoadedImage, output_path: Path, save: SaveOptions) -> list[Path]:
    """Write the result (and its ½ and ¼ outputs if asked for); never over the photo it came from."""
    check_outputs(loaded.path, output_path, save)
    written = []
    try:
        written.append(_save(output_path, apply_strength(loaded.pixels, result.full, save.strength), loaded, save))
        if save.save_scales:
            coarse_like = dataclasses.replace(loaded, alpha=None)
            for name, path in scale_paths(output_path).items():
                written.append(_save(path, getattr(result, name), coarse_like, save))
    except imagefiles.ImageFileError as error:
        raise JobError(str(error)) from None
    return written


def _save(path: Path, pixels: np.ndarray, like: imagefiles.LoadedImage, save: SaveOptions) -> Path:
    return imagefiles.save_image(
        path, pixels, like=like, bit_depth=save.bit_depth, quality=save.quality, overwrite=save.overwrite
    )


def input_problem(path: Path) -> str:
    """Why a photo cannot be read at all ('' when it can be opened): checked before the model loads."""
    path = Path(path)
    if path.is_dir():
        return f"{path}: is a folder, not an image file"
    try:
        with open(path, "rb") as handle:
            if not handle.read(1):
                return f"{path}: file is empty (0 bytes)"
    except FileNotFoundError:
        return f"{path}: file not found"
    except PermissionError:
        return f"{path}: permission denied (cannot read the file)"
    except OSError as error:
        return f"{path}: cannot read the file ({error.strerror or error})"
    return ""


def prepare_output_folder(folder: Path) -> None:
    """Create the output folder if needed and make sure files can be written in it; raises JobError."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise JobError(f"{folder}: is a file, not a folder for the outputs")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = "permission denied" if isinstance(error, PermissionError) else (error.strerror or str(error))
        raise JobError(f"{folder}: cannot create the output folder ({reason})") from None
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".deblur-write-test-"):
            pass
    except OSError as error:
        reason = "permission denied" if isinstance(error, PermissionError) else (error.strerror or str(error))
        raise JobError(f"{folder}: cannot write in the output folder ({reason})") from None


def output_problem(plan: PlannedOutput, overwrite: bool) -> str:
    """The policy's one-line answer for a planned output, saying how to replace an existing one."""
    problem = plan.problem(overwrite)
    return problem if not problem or plan.refusal else f"{problem} (use --overwrite to replace it)"


def check_outputs(input_path: Path, output_path: Path, save: SaveOptions) -> None:
    """Raise JobError if the save may not write there: the output policy (naming.plan_outputs), then the format."""
    (plan,) = plan_outputs([(Path(input_path), Path(output_path))], save_scales=save.save_scales)
    problem = output_problem(plan, save.overwrite)
    if problem:
        raise JobError(problem)
    if save.bit_depth == 16 and output_path.suffix.lower() not in (".png", ".tif", ".tiff"):
        raise JobError(f"{output_path}: 16-bit output needs PNG or TIFF, not {output_path.suffix or 'no extension'}")
