"""Start-up guard of `python -m deblur_app` and of the frozen executables.

It runs the command line (deblur_app.cli.main) and makes failures visible where no console
is attached (the windowed build on Windows and macOS, pythonw): the traceback is written
to a log file in the user's data folder and shown in a dialog. Qt is imported only to
show that dialog, so the command-line path never loads it.
"""

from __future__ import annotations

import io
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from .options import EXIT_FAILED, EXIT_INTERRUPTED
from ..housekeeping import keep_newest

LOG_FOLDER = "logs"
KEPT_LOGS = 20
_CAPTURE_LIMIT = 64_000


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def is_windowed() -> bool:
    """True when nobody can read stderr: no streams at all, or the frozen *-gui executable."""
    if sys.stdout is None or sys.stderr is None:
        return True  # Windows console=False builds and pythonw
    return is_frozen() and Path(sys.executable).stem.lower().endswith("-gui")  # the macOS .app


class _Capture(io.TextIOBase):
    """Stands in for a missing stdout/stderr: keeps the last characters written, for the log."""

    def __init__(self) -> None:
        self._text = ""

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        self._text = (self._text + text)[-_CAPTURE_LIMIT:]
        return len(text)

    def getvalue(self) -> str:
        return self._text


def log_dir() -> Path:
    from ..resources import user_data_dir

    return user_data_dir() / LOG_FOLDER


def write_log(report: str) -> Path | None:
    """Write one failure report to logs/ in the user's data folder (else the temp folder); None if both fail."""
    from .. import __version__

    name = time.strftime("crash-%Y%m%d-%H%M%S") + f"-{os.getpid()}.log"
    header = (
        f"deblur-app {__version__} on Python {platform.python_version()} ({platform.platform()})\n"
        f"frozen: {is_frozen()}, executable: {sys.executable}\n"
        f"arguments: {sys.argv[1:]!r}\n\n"
    )
    for folder in _log_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(header + report, encoding="utf-8")
        except OSError:
            continue
        _prune(folder)
        return path
    return None


def _log_folders() -> list[Path]:
    folders = []
    try:
        folders.append(log_dir())
    except Exception:  # platformdirs missing or no home folder: fall back to the temp folder
        pass
    folders.append(Path(tempfile.gettempdir()) / "deblur_app" / LOG_FOLDER)
    return folders


def _prune(folder: Path) -> None:
    keep_newest(folder.glob("crash-*.log"), KEPT_LOGS)


def show_error_dialog(title: str, message: str, details: str) -> bool:
    """A modal error box; False where none can be shown (no Qt, no display, headless test platform)."""
    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal"):
        return False  # nobody could click it away: it would hang
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "deblur-app"])
        if not isinstance(app, QApplication):
            raise RuntimeError("a QCoreApplication is running")
        box = QMessageBox(QMessageBox.Icon.Critical, title, message)
        box.setDetailedText(details)
        box.exec()
        return True
    except Exception:
        pass
    if sys.platform == "win32":  # Qt itself failed to start: the bare Windows message box
        try:
            import ctypes

            ctypes.windll.user32.MessageBoxW(None, message, title, 0x10)
            return True
        except Exception:
            pass
    return False


def report_failure(summary: str, details: str, windowed: bool) -> Path | None:
    """Log a start-up/run failure; on a console print where the log is, without a console show a dialog."""
    log = write_log(details)
    where = f"details are in {log}" if log else "no log could be written"
    if windowed:
        show_error_dialog("deblur-app could not run", f"{summary}\n\n({where})", details)
    else:
        print(details, end="" if details.endswith("\n") else "\n", file=sys.stderr)
        print(f"deblur-app: {summary} ({where})", file=sys.stderr)
    return log


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_FAILED


def run(argv: list[str] | None = None, windowed: bool | None = None) -> int:
    """Run the command line; never lets an exception escape unlogged. Returns the exit status."""
    windowed = is_windowed() if windowed is None else windowed
    captured = None
    if windowed:
        # missing streams would break every print(file=sys.stderr) and progress bar
        captured = _Capture()
        sys.stdout = sys.stdout if sys.stdout is not None else captured
        sys.stderr = sys.stderr if sys.stderr is not None else captured
    try:
        from .main import main

        code = main(argv)
        if sys.stdout is not None:
            sys.stdout.flush()  # here, not at exit, where a closed pipe is an "Exception ignored" message
    except SystemExit as stop:  # argparse errors, --help, --version
        code = _exit_code(stop.code)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `deblur-app weights list | head -3`: the reader left; no traceback, no crash log
        _stdout_to_devnull()
        return EXIT_FAILED
    except Exception as error:  # a bug or a broken installation: the frozen app's main failure mode
        summary = f"{type(error).__name__}: {error}"
        report_failure(summary, traceback.format_exc(), windowed)
        return EXIT_FAILED
    if windowed and code and captured is not None and captured.getvalue().strip():
        # e.g. "the window is not available": printed to a stderr nobody sees
        text = captured.getvalue().strip()
        report_failure(text.splitlines()[-1], text + "\n", windowed=True)
    return code if isinstance(code, int) else _exit_code(code)


def _stdout_to_devnull() -> None:
    """Point standard output at /dev/null, so that the interpreter's last flush of what is buffered for a closed
    pipe does not fail again at exit (Python's documented way out of a BrokenPipeError)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass
