"""What every subcommand shares: exit codes, the model and output options, their validation.

Kept free of torch at import time: building the parser must stay fast (``--help``),
and the start-up guard reads the exit codes before anything heavy is loaded.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from .. import reasons

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def error(message: str) -> None:
    """A one-line problem, on stderr, prefixed like every message of the command; a name in it that did not
    come through a reason (an argument, a path put in an f-string) has its control characters escaped here."""
    print(f"deblur-app: {reasons.one_line_name(message)}", file=sys.stderr)


def add_model_options(parser: argparse.ArgumentParser) -> None:
    from ..engine.choices import BACKEND_CHOICES, DEVICE_CHOICES, PRECISION_CHOICES
    from ..engine.tiling import MIN_TILE
    from ..model.registry import DEFAULT_VARIANT, PRESETS

    group = parser.add_argument_group("model")
    group.add_argument("--model", choices=tuple(PRESETS), type=str.lower,
                       help=f"network (default: {DEFAULT_VARIANT}, or whatever --weights holds); "
                       + "; ".join(f"{p.key} is {p.variant} with --ensemble" for p in PRESETS.values() if p.ensemble))
    group.add_argument("--ensemble", action="store_true", help="8-way flip/rotate self-ensemble (about 8x slower, slightly better)")
    group.add_argument("--weights", type=Path, metavar="PATH", help="weights file to use instead of the installed ones")
    group.add_argument("--device", default="auto", choices=DEVICE_CHOICES, help="where to run (default: auto = CUDA, then MPS, then CPU)")
    group.add_argument("--precision", default="auto", choices=PRECISION_CHOICES,
                       help="auto: int8 where it was measured to keep the picture, else bf16 on CPUs with native "
                       "bf16, fp16 on CUDA, else fp32 (deblur-app info says which and why); "
                       "int8: fastest, CPU with OpenVINO only")
    group.add_argument("--backend", default="auto", choices=BACKEND_CHOICES,
                       help="auto: OpenVINO on the CPU where installed (it is part of the default install), else torch")
    group.add_argument("--tile", type=_tile, default=None, metavar="auto|whole|N",
                       help=f"tiles for large photos: auto (the default: sized from free memory), whole (one piece; "
                       f"also 0) or N pixels, at least {MIN_TILE}")
    group.add_argument("--max-megapixels", type=megapixels, default=None, metavar="MP",
                       help="refuse larger photos (decompression-bomb guard; default 200; 0: no limit)")
    out = parser.add_argument_group("output")
    out.add_argument("--save-scales", action="store_true", help="also write the network's 1/2 and 1/4 scale outputs")
    out.add_argument("--bit-depth", type=int, choices=(8, 16), help="output bit depth (default: as the input; 16 needs PNG/TIFF)")
    out.add_argument("--quality", type=int, default=None, metavar="Q",
                     help="JPEG/WebP quality 1-100 (default: a JPEG photo's own quality and chroma subsampling, else 95)")
    out.add_argument("--strength", type=float, default=100.0, metavar="PERCENT",
                     help="how much of the correction to keep, 0-100 (default 100; lower blends towards the original)")
    out.add_argument("--overwrite", action="store_true", help="replace existing output files")


def validate_options(args) -> str | None:
    """The one-line problem with the model and output options that deblur, batch and eval share, if any."""
    if args.quality is not None and not 1 <= args.quality <= 100:
        return f"--quality must be from 1 to 100, not {args.quality}"
    if not 0 <= args.strength <= 100:
        return f"--strength must be from 0 to 100 (percent), not {args.strength:g}"
    return _scales_problem(args)


def _scales_problem(args) -> str | None:
    """--save-scales with a network that has no ½ and ¼ outputs, said before the model loads: from --model, or
    from the tensor names in the header of --weights FILE (a millisecond; reading the file and building the
    engine took 3 s for NAFNet-64). A .pth file is known only once read: engine_from_args says it then."""
    if not getattr(args, "save_scales", False):
        return None
    from ..model.registry import ARCHITECTURES, PRESETS, VARIANTS

    if args.model:
        variant = VARIANTS[PRESETS[args.model].variant]
        architecture, name = ARCHITECTURES[variant.architecture], variant.display_name
    elif getattr(args, "weights", None) is not None:
        from ..model.checkpoints import architecture_in_header

        architecture = architecture_in_header(args.weights)
        name = architecture.display_name if architecture is not None else ""
    else:
        return None
    if architecture is None or architecture.has_coarse_outputs:
        return None
    return _no_scales_to_save(name)


def _no_scales_to_save(network: str) -> str:
    return f"--save-scales: {network} returns only the full-size image (no 1/2 and 1/4 scale outputs)"


def _tile(text: str) -> int | None:
    from ..engine.tiling import parse_tile

    try:
        return parse_tile(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def megapixels(text: str) -> float:
    """--max-megapixels: a number of megapixels, 0 for no limit. A negative one had silently meant no limit, and
    nan or inf failed at the first photo, blaming it ("photo.jpg: cannot convert float NaN to integer")."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be a number of megapixels, 0 for no limit, not {text!r}")
    return value


def choices_from_args(args):
    """The jobs.EngineChoices the model options ask for (--model's preset read). Raises JobError."""
    from ..jobs import EngineChoices, parse_model

    choice = parse_model(args.model, args.ensemble)  # a preset may imply the self-ensemble
    return EngineChoices(variant=choice.variant if choice else None, weights=args.weights,
                         ensemble=choice.ensemble if choice else args.ensemble,
                         device=args.device, precision=args.precision, backend=args.backend, tile=args.tile)


def engine_from_args(args):
    """The engine the model options ask for, and a one-line description of it. Raises JobError."""
    from ..jobs import JobError, open_engine

    opened = open_engine(choices_from_args(args))
    if getattr(args, "save_scales", False) and not opened.engine.architecture.has_coarse_outputs:
        raise JobError(_no_scales_to_save(opened.checkpoint.display_name))
    return opened.engine, opened.describe()


def check_weights_from_args(args) -> None:
    """Raises JobError where engine_from_args would find no weights (jobs.check_weights): a batch's first check."""
    from ..jobs import check_weights

    check_weights(choices_from_args(args))


def written_file_problem(option: str, target: Path | None, inputs: list[Path | None],
                         into_streams: bool = False) -> str | None:
    """Why a command may not write its one result file (a validation set, calibration crops, a verdicts file,
    an evaluation's CSV) at ``target``: the output policy of deblur and batch (jobs.naming.output_refusal: no
    folder, device or pipe, no input, a name its folder can hold), asked before the slow work, not after it.
    ``inputs``: the files and folders the command reads (every file below a folder is protected);
    ``into_streams``: a report written into a pipe or device (/dev/stdout) is no refusal (output_refusal)."""
    if target is None:
        return None
    from ..jobs import output_refusal

    # the inputs' files are walked only for a file already there: a new name can be no input (scan's folder may
    # hold thousands of photos)
    refusal = output_refusal(Path(target), _files_of(inputs) if os.path.exists(target) else [], into_streams)
    return f"{option} {reasons.one_line_name(target)}: {reasons.without_subject(refusal, target)}" if refusal else None


def _files_of(inputs: list[Path | None]) -> list[Path]:
    files = []
    for given in inputs:
        if given is None:
            continue
        given = Path(given)
        if given.is_dir():
            files.extend(path for path in given.rglob("*") if path.is_file())
        else:
            files.append(given)
    return files


# what Linux and macOS file systems hold: a name of 255 bytes, a path of 4096
NAME_MAX, PATH_MAX = 255, 4096


def path_argument_problem(args) -> str | None:
    """The first path argument no file system can hold, said in one line: a name in it longer than NAME_MAX
    bytes, or the whole longer than PATH_MAX. Python's exists()/is_dir() raise on such a path (ENAMETOOLONG)
    where they say False for a missing one, and each command met it somewhere else, as a traceback."""
    for value in vars(args).values():
        for path in value if isinstance(value, list) else [value]:
            if not isinstance(path, Path):
                continue
            longest = max((len(os.fsencode(part)) for part in path.parts), default=0)
            if longest > NAME_MAX:
                return f"{path}: a name in this path is {longest} bytes long; file systems hold at most {NAME_MAX}"
            if len(os.fsencode(path)) > PATH_MAX:
                return f"{path}: the path is {len(os.fsencode(path))} bytes long; at most {PATH_MAX} can be opened"
    return None
