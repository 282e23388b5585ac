"""deblur-app weights list|download|install|remove: the weights manager on the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..model.registry import VARIANTS
from ..weights.catalog import DOWNLOADABLE
from .options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error

DOWNLOAD_CHOICES = (*DOWNLOADABLE, "all")
NO_INT8_CHECK_HELP = ("do not measure int8 with the new weights now (`deblur-app weights check-int8` does it later, "
                      "the window on first use; until then auto runs float with them)")


def add_weights_parser(commands) -> None:
    weights = commands.add_parser(
        "weights", help="list, download, install or remove model weights",
        description="Manage the model weights in your user weights folder.",
    )
    actions = weights.add_subparsers(dest="weights_command", metavar="ACTION")
    actions.add_parser("list", help="every weights file found: variant, provenance, size, SHA-256, which is used")
    download = actions.add_parser(
        "download", help="download a network's published weights (the authors' release; their terms are printed first)")
    choices = DOWNLOAD_CHOICES
    download.add_argument("variant", choices=choices, type=str.lower, metavar="|".join(choices))
    download.add_argument("--source", metavar="URL",
                          help="a direct http(s) URL of the checkpoint, or of a zip holding it (a mirror)")
    download.add_argument("--overwrite", action="store_true", help="download again over an installed copy")
    download.add_argument("--no-int8-check", action="store_true", help=NO_INT8_CHECK_HELP)
    install = actions.add_parser("install", help="install a .pkl/.pth/.pt/.safetensors file or a zip holding one")
    install.add_argument("file", type=Path, metavar="FILE")
    install.add_argument("--overwrite", action="store_true", help="replace installed weights of the same variant")
    install.add_argument("--no-int8-check", action="store_true", help=NO_INT8_CHECK_HELP)
    remove = actions.add_parser("remove", help="remove an installed weights file (a name from `weights list`, or a variant)")
    remove.add_argument("name", metavar="NAME")
    check = actions.add_parser(
        "check-int8", help="measure whether int8 keeps the picture with the weights in use (once per weights file; "
        "install and download do it unless --no-int8-check)")
    check.add_argument("variant", nargs="?", default="all", type=str.lower, choices=(*VARIANTS, "all"),
                       metavar="|".join((*VARIANTS, "all")))


def run_weights(args: argparse.Namespace) -> int:
    from ..weights import store as weightstore

    command = args.weights_command
    if command is None:
        error("weights: say list, download, install, remove or check-int8 (see deblur-app weights --help)")
        return EXIT_USAGE
    if command == "list":
        return _list()
    if command == "check-int8":
        return _check_installed(args.variant)
    if command == "download":
        keys = list(DOWNLOADABLE) if args.variant == "all" else [args.variant]
        if args.source and len(keys) > 1:
            error("--source names one file: download one variant at a time")
            return EXIT_USAGE
        if args.source and not args.source.lower().startswith(("http://", "https://")):
            error(f"--source must be an http(s) URL, not {args.source!r}")
            return EXIT_USAGE
        return max(_download(key, args.source, args.overwrite, not args.no_int8_check) for key in keys)
    try:
        if command == "install":
            weights = weightstore.install_file(args.file, overwrite=args.overwrite)
            if weights.already_installed:
                print(f"{weights.display_name}: already installed at {weights.path} (the same file)")
                return EXIT_OK
            used = "used from now on" if weights.in_use else "installed, but other weights of that variant are preferred"
            print(f"{weights.display_name} ({weights.provenance}): {weights.path} — {used}")
            if weights.in_use and not args.no_int8_check:
                return check_int8_verdict(weights.variant, weights.path)
        else:
            print(f"removed {weightstore.remove(args.name)}")
    except weightstore.WeightsError as problem:
        error(str(problem))
        return EXIT_FAILED
    return EXIT_OK


def _list() -> int:
    from ..weights import store as weightstore

    files = weightstore.installed()
    for key, variant in VARIANTS.items():
        mine = [w for w in files if w.variant == key]
        if not mine:
            print(f"{variant.display_name}: not installed — {_how_to_get(key)}")
            continue
        print(f"{variant.display_name}:")
        for weights in mine:
            marker = "* used" if weights.in_use else "      "
            print(f"  {marker} {weights.path.name}  {weights.provenance}  {weights.size / 1e6:.1f} MB  "
                  f"sha256 {weights.sha256()}  in {weights.path.parent}")
    print(f"user weights folder: {weightstore.user_weights_dir()}")
    return EXIT_OK


def _how_to_get(key: str) -> str:
    """The download command where this command line can download the variant, else the authors' page."""
    if key in DOWNLOADABLE:
        return f"deblur-app weights download {key}"
    published = VARIANTS[key].published
    what = published.file_name or "the weights"
    return f"get {what} from {published.source_url}, then: deblur-app weights install FILE"


def _download(key: str, source: str | None, overwrite: bool, check_int8: bool = True) -> int:
    from tqdm import tqdm

    from ..weights import store as weightstore

    name = weightstore.variant_display_name(key)
    bar = None
    print(weightstore.download_terms(key))  # the terms come before the file does

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:  # tqdm hides itself when stderr is not a terminal (disable=None)
            bar = tqdm(total=total, unit="B", unit_scale=True, desc=name, file=sys.stderr, disable=None, leave=False)
        bar.update(done - bar.n)

    try:
        path = weightstore.download(key, source=source, progress=progress, overwrite=overwrite)
    except weightstore.AlreadyInstalled as done:
        print(f"{done} (--overwrite downloads it again)")
        return EXIT_OK
    except weightstore.WeightsError as problem:
        error(str(problem))
        return EXIT_FAILED
    finally:
        if bar is not None:
            bar.close()
    if source:
        print(f"{name}: installed {path} (downloaded from {source}: installed by you, not the authors' release)")
    else:
        trained_on = weightstore.downloads()[key].training_data
        print(f"{name}: installed {path} (the authors' release, trained on {trained_on})")
    return check_int8_verdict(key, path) if check_int8 else EXIT_OK


def _check_installed(variant: str) -> int:
    """`weights check-int8 [VARIANT|all]`: the verdict for the weights each variant runs with now."""
    from ..weights.catalog import available_weights

    found = {key: weights for key, weights in available_weights().items() if weights is not None}
    if variant != "all" and variant not in found:
        error(f"no {VARIANTS[variant].display_name} weights installed: {_how_to_get(variant)}")
        return EXIT_FAILED
    keys = list(found) if variant == "all" else [variant]
    return max((check_int8_verdict(key, found[key].path) for key in keys), default=EXIT_OK)


def check_int8_verdict(key: str, path: Path) -> int:
    """Measure what int8 does to these weights on the shipped check set and record the verdict, as the
    window does in the background (engine/int8_check.py; the worst photo counts), where `auto` could
    run int8 and nobody measured it. Progress on stderr; Ctrl+C stops it and records nothing (the
    verdict file is written once, atomically, at the end; the weights stay installed)."""
    from ..jobs import EngineChoices, JobError, open_engine

    name = VARIANTS[key].display_name
    try:
        engine = open_engine(EngineChoices(weights=path, device="cpu")).engine
    except JobError as problem:
        error(f"{name}: cannot measure int8 ({problem})")
        return EXIT_FAILED
    if not engine.int8_unmeasured():  # measured before, no OpenVINO or NNCF here, or no int8 path for the network
        print(f"{name}: no int8 check to make: auto runs {engine.precision_name} ({engine.precision.reason})")
        return EXIT_OK
    print(f"{name}: measuring whether int8 keeps the picture with these weights, once (the int8 model is made "
          "first, then the check photos run; Ctrl+C stops it, --no-int8-check skips it)", flush=True)
    try:
        check = _measure_with_progress(engine.model, name)
    except KeyboardInterrupt:
        error(f"{name}: int8 check stopped, nothing recorded; auto runs float with these weights until "
              f"`deblur-app weights check-int8 {key}` or the window measures it")
        return EXIT_INTERRUPTED
    except Exception as problem:  # noqa: BLE001 (no int8 model here: float runs, as without a verdict)
        print(f"{name}: no int8 verdict ({problem}); auto runs float with these weights")
        return EXIT_OK
    from ..engine.int8_check import record_verdict

    record_verdict(engine.model, check, details={"weights": path.name})
    outcome = "auto may run int8 where it is the fastest" if check.verdict.qualifies() else "auto keeps float"
    print(f"{name}: {outcome}: {check.verdict.describe()}")
    return EXIT_OK


def _measure_with_progress(model, name: str):
    from tqdm import tqdm

    from ..engine.int8_check import check_int8

    bar = tqdm(unit="photo", desc=f"{name}: int8 check", file=sys.stderr, disable=None, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        return check_int8(model, progress=progress)
    finally:
        bar.close()
