"""deblur-app weights list|download|install|remove: the weights manager on the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..model.registry import VARIANTS
from ..weights.catalog import DOWNLOADABLE
from .options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error

DOWNLOAD_CHOICES = (*DOWNLOADABLE, "all")
NO_CHECK_HELP = ("do not measure the fast paths (bf16, int8) with the new weights now (`deblur-app weights check` "
                 "does it later, the window on first use; until then auto runs float32 with them)")


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
    download.add_argument("--no-check", "--no-int8-check", dest="no_check", action="store_true", help=NO_CHECK_HELP)
    install = actions.add_parser("install", help="install a .pkl/.pth/.pt/.safetensors file or a zip holding one")
    install.add_argument("file", type=Path, metavar="FILE")
    install.add_argument("--overwrite", action="store_true", help="replace installed weights of the same variant")
    install.add_argument("--no-check", "--no-int8-check", dest="no_check", action="store_true", help=NO_CHECK_HELP)
    remove = actions.add_parser("remove", help="remove an installed weights file (a name from `weights list`, or a variant)")
    remove.add_argument("name", metavar="NAME")
    check = actions.add_parser(
        "check", help="measure whether each fast path (bf16 and int8, with OpenVINO and torch) keeps the picture "
        "with the weights in use, and record the verdicts auto chooses by (once per weights file and path; "
        "install and download measure the paths auto would use, unless --no-check)")
    check_int8 = actions.add_parser(
        "check-int8", help="the same for int8 alone")
    for parser in (check, check_int8):
        parser.add_argument("variant", nargs="?", default="all", type=str.lower, choices=(*VARIANTS, "all"),
                            metavar="|".join((*VARIANTS, "all")))
    check.add_argument("--out", type=Path, metavar="FILE", help="record the verdicts in FILE instead of your user "
                       "data folder (how the starter weights' resources/int8/verdicts.json is made)")


def run_weights(args: argparse.Namespace) -> int:
    from ..weights import store as weightstore

    command = args.weights_command
    if command is None:
        error("weights: say list, download, install, remove, check or check-int8 (see deblur-app weights --help)")
        return EXIT_USAGE
    if command == "list":
        return _list()
    if command == "remove" and not args.name.strip():  # said ": no such installed weights", naming nothing
        error("weights remove: name a file from `deblur-app weights list`, or a variant (e.g. mimo-unet)")
        return EXIT_USAGE
    if command in ("check", "check-int8"):
        return _check_installed(args.variant, int8_only=command == "check-int8", out=getattr(args, "out", None))
    if command == "download":
        keys = list(DOWNLOADABLE) if args.variant == "all" else [args.variant]
        if args.source and len(keys) > 1:
            error("--source names one file: download one variant at a time")
            return EXIT_USAGE
        if args.source and not args.source.lower().startswith(("http://", "https://")):
            error(f"--source must be an http(s) URL, not {args.source!r}")
            return EXIT_USAGE
        return max(_download(key, args.source, args.overwrite, not args.no_check) for key in keys)
    try:
        if command == "install":
            weights = weightstore.install_file(args.file, overwrite=args.overwrite)
            if weights.already_installed:
                print(f"{weights.display_name}: already installed at {weights.path} (the same file)")
                return EXIT_OK
            used = "used from now on" if weights.in_use else "installed, but other weights of that variant are preferred"
            print(f"{weights.display_name} ({weights.provenance}): {weights.path} — {used}")
            for note in weightstore.install_notes(weights):
                print(f"{weights.display_name}: {note}")
            if weights.in_use and not args.no_check:
                return check_verdicts(weights.variant, weights.path)
        else:
            print(f"removed {weightstore.remove(args.name)}")
    except weightstore.WeightsError as problem:
        error(str(problem))
        return EXIT_FAILED
    return EXIT_OK


def _list() -> int:
    from .. import reasons
    from ..weights import store as weightstore
    from ..weights.catalog import unusable

    files = weightstore.installed()
    for key, variant in VARIANTS.items():
        mine = [w for w in files if w.variant == key]
        if not mine:
            print(f"{variant.display_name}: not installed — {_how_to_get(key)}")
            continue
        print(f"{variant.display_name}:")
        for weights in mine:
            # the file in use is judged as a run judges it (info says the same): a cut one is no "used" weights
            problem = unusable(weights.path) if weights.in_use else None
            marker = "* used" if weights.in_use and problem is None else "! used" if weights.in_use else "      "
            print(f"  {marker} {weights.path.name}  {weights.provenance}  {weights.size / 1e6:.1f} MB  "
                  f"sha256 {weights.sha256()}  in {weights.path.parent}")
            if problem is not None:
                mend = (f"`deblur-app weights remove {weights.path.name}` takes it away" if weights.removable
                        else "install the app again")
                print(f"         unreadable: {reasons.without_subject(problem, weights.path)}: runs of "
                      f"{variant.display_name} stop on it ({mend})")
    print(f"user weights folder: {weightstore.user_weights_dir()}")
    return EXIT_OK


def _how_to_get(key: str) -> str:
    """The download command where this command line can download the variant, else the authors' page."""
    if key in DOWNLOADABLE:
        return f"deblur-app weights download {key}"
    published = VARIANTS[key].published
    what = published.file_name or "the weights"
    return f"get {what} from {published.source_url}, then: deblur-app weights install FILE"


def _download(key: str, source: str | None, overwrite: bool, check: bool = True) -> int:
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
    return check_verdicts(key, path) if check else EXIT_OK


def _check_installed(variant: str, int8_only: bool = False, out: Path | None = None) -> int:
    """`weights check[-int8] [VARIANT|all]`: the verdicts for the weights each variant runs with now."""
    from ..weights.catalog import available_weights

    found = {key: weights for key, weights in available_weights().items() if weights is not None}
    if variant != "all" and variant not in found:
        error(f"no {VARIANTS[variant].display_name} weights installed: {_how_to_get(variant)}")
        return EXIT_FAILED
    keys = list(found) if variant == "all" else [variant]
    return max((check_verdicts(key, found[key].path, every_path=True, int8_only=int8_only, out=out) for key in keys),
               default=EXIT_OK)


def check_verdicts(key: str, path: Path, every_path: bool = False, int8_only: bool = False,
                   out: Path | None = None) -> int:
    """Measure what each fast path without a verdict does to these weights on the shipped check set and
    record the verdicts, as the window does in the background (engine/verdicts.py; the worst photo counts):
    the paths `auto` could take here, or with ``every_path`` those of both backends (`weights check`).
    Progress on stderr; Ctrl+C stops it and records nothing for the path being measured (a verdicts file
    is written once per path, atomically, at its end; the weights stay installed)."""
    from ..engine.verdicts import runnable_paths
    from ..jobs import EngineChoices, JobError, open_engine
    from ..model.registry import architecture_of

    name = VARIANTS[key].display_name
    try:
        engine = open_engine(EngineChoices(weights=path, device="cpu")).engine
    except JobError as problem:
        error(f"{name}: cannot measure the fast paths ({problem})")
        return EXIT_FAILED
    paths = engine.unmeasured_paths()
    if every_path:
        from ..engine.openvino_backend import find_verdict

        paths = tuple(p for p in runnable_paths(architecture_of(key), ("openvino", "torch"))
                      if _unmeasured(find_verdict, engine.model, p))
    if int8_only:
        paths = tuple(p for p in paths if p.endswith("-int8"))
    if not paths:  # measured before, no OpenVINO, NNCF or native bf16 here, or no fast path for the network
        print(f"{name}: no fast path left to measure: auto runs {engine.precision_name} ({engine.precision.reason})")
        return EXIT_OK
    for fast in paths:
        if _check_one(key, name, path, engine.model, fast, out) == EXIT_INTERRUPTED:
            return EXIT_INTERRUPTED
    engine = open_engine(EngineChoices(weights=path, device="cpu")).engine  # chooses again, with the verdicts
    print(f"{name}: auto runs {engine.precision_name} with these weights ({engine.precision.reason})")
    return EXIT_OK


def _unmeasured(find_verdict, model, path: str) -> bool:
    try:
        return find_verdict(model, path) is None
    except Exception:  # noqa: BLE001 (no int8 rules, no calibration: nothing to measure)
        return False


def _check_one(key: str, name: str, weights: Path, model, path: str, out: Path | None = None) -> int:
    print(f"{name}: measuring whether {path} keeps the picture with these weights, once (Ctrl+C stops it, "
          "--no-check skips it)", flush=True)
    try:
        check = _measure_with_progress(model, name, path)
    except KeyboardInterrupt:
        error(f"{name}: {path} check stopped, nothing recorded; auto runs float32 instead of {path} with these "
              f"weights until `deblur-app weights check {key}` or the window measures it")
        return EXIT_INTERRUPTED
    except Exception as problem:  # noqa: BLE001 (the path cannot run here: float runs, as without a verdict)
        print(f"{name}: no {path} verdict ({problem}); auto leaves {path} out with these weights")
        return EXIT_OK
    from ..engine.verdicts import record

    record(model, check, out, details={"weights": weights.name})
    outcome = "auto may take it where it is the fastest" if check.verdict.qualifies() else "auto leaves it out"
    print(f"{name}: {path}: {outcome}: {check.verdict.describe()}")
    return EXIT_OK


def _measure_with_progress(model, name: str, path: str):
    from tqdm import tqdm

    from ..engine.verdicts import check_path

    bar = tqdm(unit="photo", desc=f"{name}: {path} check", file=sys.stderr, disable=None, leave=False)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        return check_path(model, path, progress=progress)
    finally:
        bar.close()
