"""The deblur-app command: the window, or one of the subcommands."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import signal
import sys
from pathlib import Path

from .. import __version__
from .cluster import add_cluster_options
from .options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, add_model_options, error, path_argument_problem

SUBCOMMANDS = ("deblur", "batch", "scan", "info", "weights", "train", "eval", "gui")
WINDOW_OPTIONS = ("--new-window",)  # `deblur-app --new-window photo.jpg` means the gui command
# letters, digits and dashes, starting with a letter: a command, not a photo's name or path
COMMAND_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
def build_parser() -> argparse.ArgumentParser:
    from ..model.registry import ARCHITECTURES

    networks = [architecture.display_name for architecture in ARCHITECTURES.values()]
    parser = argparse.ArgumentParser(
        prog="deblur-app",
        description=f"Remove camera shake and motion blur from photos ({', '.join(networks[:-1])} or "
        f"{networks[-1]}: --model). With no command, or with photos only, opens the window.",
    )
    parser.add_argument("--version", action="version", version=f"deblur-app {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from ..jobs import DEFAULT_NAME

    deblur = commands.add_parser("deblur", help="deblur photos")
    deblur.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    deblur.add_argument("-o", "--output", action=OutputAction,
                        help="output file (one input) or folder (several, or a name ending in /)")
    deblur.set_defaults(output_names_a_folder=False)  # OutputAction sets it only where -o is given
    add_model_options(deblur)

    batch = commands.add_parser("batch", help="deblur every photo in a folder")
    batch.add_argument("input_dir", type=Path, metavar="INPUT_DIR")
    batch.add_argument("output_dir", type=Path, metavar="OUTPUT_DIR")
    batch.add_argument("--recursive", action="store_true", help="include sub-folders, mirroring the tree")
    batch.add_argument("--name", default=DEFAULT_NAME, help=f'output name template (default "{DEFAULT_NAME}")')
    batch.add_argument("--skip-existing", action="store_true",
                       help="skip photos whose output exists (the default; with --overwrite, still skip them)")
    batch.add_argument("--log", action="store_true",
                       help="also write the batch's log in the output folder, as the window's batch does")
    add_model_options(batch)
    add_cluster_options(batch)
    add_blur_filter_options(batch)

    from .scan import add_scan_parser

    add_scan_parser(commands)

    commands.add_parser("info", help="devices, installed weights and versions")

    from .weights import add_weights_parser

    add_weights_parser(commands)

    add_gui_arguments(commands.add_parser("gui", help="open the window"))

    from .train import add_eval_parser, add_train_parser

    add_train_parser(commands)
    add_eval_parser(commands)
    return parser


def add_blur_filter_options(batch: argparse.ArgumentParser) -> None:
    group = batch.add_argument_group("blur filter", "deblur only the photos a blur scan calls blurred (see scan)")
    choice = group.add_mutually_exclusive_group()
    choice.add_argument("--only-blurred", action="store_true",
                        help="skip photos whose blur score is below the 'blurred' verdict's threshold")
    choice.add_argument("--min-blur", type=float, metavar="SCORE",
                        help="skip photos whose blur score (0-100, as scan prints it) is below SCORE")


def add_gui_arguments(gui: argparse.ArgumentParser) -> None:
    gui.add_argument("photos", nargs="*", type=Path)
    gui.add_argument("--new-window", action="store_true",
                     help="open a window of its own even when one is open (by default, photos go to the open window)")
    gui.add_argument("--self-test", action="store_true",
                     help="open the photos, deblur them on a tiny tile and exit (0 = the window works); for packaging checks")


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    """The window's arguments parse on their own: the other commands' options import torch and
    PIL (3.5 s on a busy 2-core machine), which photos handed to an open window never need."""
    if argv[:1] != ["gui"]:
        return build_parser().parse_args(argv)
    gui = argparse.ArgumentParser(prog="deblur-app gui", description="Open the window.")
    add_gui_arguments(gui)
    return gui.parse_args(argv[1:], namespace=argparse.Namespace(command="gui"))


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["train"] and argv[1:2] and argv[1] in ("prepare-photos", "make-valset"):
        from .train import prepare_main

        return prepare_main(argv[1:])
    if argv[:1] == ["train"] and argv[1:2] and argv[1] in ("make-calibration", "make-check-set", "check-int8"):
        from .int8 import int8_main

        return int8_main(argv[1:])
    if argv and looks_like_a_command(argv[0]):
        return unknown_command(argv[0])
    if not argv or (argv[0] not in SUBCOMMANDS and not argv[0].startswith("-")) or argv[0] in WINDOW_OPTIONS:
        argv = ["gui", *argv]
    args = parse_arguments(argv)
    problem = path_argument_problem(args)
    if problem:
        error(problem)
        return EXIT_USAGE
    if args.command != "gui":
        stop_as_ctrl_c_does()
    try:
        if args.command == "gui":
            if args.self_test and not args.photos:
                error("gui --self-test needs a photo")
                return EXIT_USAGE
            return open_window(args.photos, self_test=args.self_test, new_window=args.new_window)
        if args.command == "scan":
            from .scan import run_scan

            return run_scan(args)
        if args.command == "info":
            from .info import run_info

            return run_info()
        if args.command == "weights":
            from .weights import run_weights

            return run_weights(args)
        if args.command in ("deblur", "batch"):
            from .deblur import run_batch, run_deblur

            return run_deblur(args) if args.command == "deblur" else run_batch(args)
        if args.command == "train":
            from .train import run_train

            return run_train(args)
        if args.command == "eval":
            from .train import run_eval

            return run_eval(args)
    except KeyboardInterrupt:
        error("stopped")
        return EXIT_INTERRUPTED
    build_parser().print_help()
    return EXIT_USAGE


class OutputAction(argparse.Action):
    """-o as a Path, and whether it was written as a folder: Path drops the trailing slash of `-o results/`,
    which for one input was then taken as a file name without an extension."""

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, Path(values))
        namespace.output_names_a_folder = values.endswith(("/", os.sep))


def stop_as_ctrl_c_does() -> None:
    """SIGTERM (`timeout`, `kill`, a service manager) and SIGHUP (a closed terminal) stop a command as Ctrl+C does.

    Python's default for them ends the process at once: an output being encoded left its hidden temporary file
    behind, and nothing said how far a batch had got. As KeyboardInterrupt they take Ctrl+C's path: the file
    being written is removed, the "stopped" line says what is done, and the exit status is Ctrl+C's.
    """
    def interrupt(_signum, _frame):
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), interrupt)


def looks_like_a_command(word: str) -> bool:
    """A first word that is no subcommand, no option and no existing file, and reads as a word, not a path.

    Photos alone open the window (``deblur-app a.jpg``); a mistyped command must not, and
    a missing photo still does (the window says which file it could not find).
    """
    if word in SUBCOMMANDS or COMMAND_WORD.fullmatch(word) is None:
        return False
    try:
        return not Path(word).exists()
    except OSError:  # a name too long for any file system: no photo either
        return True


def unknown_command(word: str) -> int:
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    build_parser().print_usage(sys.stderr)
    error(f"unknown command '{word}'{hint}; the commands are {', '.join(SUBCOMMANDS)}")
    return EXIT_USAGE


def missing_display() -> str:
    """What stops the window from opening on this machine's screen ("" if nothing known does).

    Without any display Qt's platform plugin aborts the process (exit 134) before Python can
    say anything, so on Linux the environment is checked first. QT_QPA_PLATFORM set by the
    user (offscreen for headless checks, xcb, wayland) is left to Qt.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return ("cannot open the window: no display (neither DISPLAY nor WAYLAND_DISPLAY is set, e.g. over SSH); "
            "use a subcommand such as deblur or batch (see --help)")


def open_window(photos: list[Path], self_test: bool = False, new_window: bool = False) -> int:
    """The window; photos go to the one already open unless ``new_window`` (a self-test always runs alone).

    Handing photos over needs no display (a terminal over SSH reaches the user's window); a window of
    its own does."""
    one_window = not (self_test or new_window)
    if one_window and forwarded_to_running_window(photos):
        return 0
    problem = missing_display()
    if problem:
        error(problem)
        return EXIT_FAILED
    try:
        from ..gui.app import run_app
    except ImportError as problem:
        error(f"the window is not available ({problem}); use a subcommand, see --help")
        return EXIT_FAILED
    return run_app([str(p) for p in photos], self_test=self_test, one_window=one_window)


def forwarded_to_running_window(photos: list[Path]) -> bool:
    """True when a running window took the photos (and came to the front). Imports only Qt's
    core and network modules, before the window's: no torch, no second model, well under a second."""
    try:
        from ..gui.single_instance import forward_to_running
    except ImportError:
        return False  # no Qt: open_window reports it
    if not forward_to_running([str(p) for p in photos]):
        return False
    sent = f"sent {len(photos)} photo(s) to" if photos else "raised"
    print(f"deblur-app: {sent} the open window (--new-window opens another)")
    return True


if __name__ == "__main__":
    sys.exit(main())
