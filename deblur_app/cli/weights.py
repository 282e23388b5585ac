"""deblur-app weights list|download|install|remove: the weights manager on the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..weights.catalog import DOWNLOADABLE
from .options import EXIT_FAILED, EXIT_OK, EXIT_USAGE, error

DOWNLOAD_CHOICES = (*DOWNLOADABLE, "all")


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
    install = actions.add_parser("install", help="install a .pkl/.pth/.pt/.safetensors file or a zip holding one")
    install.add_argument("file", type=Path, metavar="FILE")
    install.add_argument("--overwrite", action="store_true", help="replace installed weights of the same variant")
    remove = actions.add_parser("remove", help="remove an installed weights file (a name from `weights list`, or a variant)")
    remove.add_argument("name", metavar="NAME")


def run_weights(args: argparse.Namespace) -> int:
    from ..weights import store as weightstore

    command = args.weights_command
    if command is None:
        error("weights: say list, download, install or remove (see deblur-app weights --help)")
        return EXIT_USAGE
    if command == "list":
        return _list()
    if command == "download":
        keys = list(DOWNLOADABLE) if args.variant == "all" else [args.variant]
        if args.source and len(keys) > 1:
            error("--source names one file: download one variant at a time")
            return EXIT_USAGE
        if args.source and not args.source.lower().startswith(("http://", "https://")):
            error(f"--source must be an http(s) URL, not {args.source!r}")
            return EXIT_USAGE
        return max(_download(key, args.source, args.overwrite) for key in keys)
    try:
        if command == "install":
            weights = weightstore.install_file(args.file, overwrite=args.overwrite)
            if weights.already_installed:
                print(f"{weights.display_name}: already installed at {weights.path} (the same file)")
                return EXIT_OK
            used = "used from now on" if weights.in_use else "installed, but other weights of that variant are preferred"
            print(f"{weights.display_name} ({weights.provenance}): {weights.path} — {used}")
        else:
            print(f"removed {weightstore.remove(args.name)}")
    except weightstore.WeightsError as problem:
        error(str(problem))
        return EXIT_FAILED
    return EXIT_OK


def _list() -> int:
    from ..weights import store as weightstore
    from ..model.registry import VARIANTS

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
    from ..model.registry import VARIANTS

    if key in DOWNLOADABLE:
        return f"deblur-app weights download {key}"
    published = VARIANTS[key].published
    what = published.file_name or "the weights"
    return f"get {what} from {published.source_url}, then: deblur-app weights install FILE"


def _download(key: str, source: str | None, overwrite: bool) -> int:
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
    return EXIT_OK
