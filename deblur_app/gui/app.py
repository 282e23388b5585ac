"""Starting the window: ``run_app(paths)`` is what ``deblur-app`` calls."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..engine.tiling import MIN_TILE

ORGANISATION = "deblur_app"
APPLICATION = "Deblur"
# The desktop entry's name without .desktop (resources/linux/): Wayland's app id, so the desktop
# matches the window to its menu entry and icon. The same id names the icon and the AppStream metainfo.
DESKTOP_ID = "io.github.deblur_app.Deblur"
SELF_TEST_TILE = MIN_TILE  # the smallest tile the engine runs: a tiled pass on any photo larger than it
SELF_TEST_TIMEOUT_MS = 10 * 60 * 1000


def apply_theme(app: QApplication) -> None:
    """A neutral dark theme: photos are judged against grey, not white."""
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: QColor(45, 45, 48),
        QPalette.ColorRole.WindowText: QColor(220, 220, 220),
        QPalette.ColorRole.Base: QColor(32, 32, 34),
        QPalette.ColorRole.AlternateBase: QColor(45, 45, 48),
        QPalette.ColorRole.ToolTipBase: QColor(250, 250, 240),
        QPalette.ColorRole.ToolTipText: QColor(20, 20, 20),
        QPalette.ColorRole.Text: QColor(220, 220, 220),
        QPalette.ColorRole.Button: QColor(58, 58, 62),
        QPalette.ColorRole.ButtonText: QColor(225, 225, 225),
        QPalette.ColorRole.BrightText: QColor(255, 80, 80),
        QPalette.ColorRole.Highlight: QColor(64, 128, 200),
        QPalette.ColorRole.HighlightedText: QColor(255, 255, 255),
        QPalette.ColorRole.Link: QColor(110, 170, 240),
        QPalette.ColorRole.PlaceholderText: QColor(140, 140, 140),
    }
    for role, colour in colours.items():
        palette.setColor(role, colour)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 120, 120))
    app.setPalette(palette)


def make_application(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if existing is not None:
        return existing
    # crisp at fractional scale factors (150 %): no rounding of the device pixel ratio
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication(argv or [sys.argv[0] if sys.argv else "deblur-app"])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_ID)
    from .icons import app_icon

    app.setWindowIcon(app_icon())
    apply_theme(app)
    return app


def binding_problem(void_call=None, calls: int = 200) -> str:
    """Why the installed Qt binding would crash the window, '' when it is sound.

    PySide6 6.12.0 on Python 3.11 drops a reference to None on every call of a method that
    returns nothing, and the window ends in "Fatal Python error: none_dealloc" within a
    session, unsaved results lost (tests/test_qt_binding.py; pyproject.toml keeps it out). A
    binding installed by other means is measured here once, before the window exists.
    """
    if sys.version_info >= (3, 12):  # None is immortal: nothing to lose
        return ""
    if void_call is None:
        from PySide6.QtCore import QObject

        probe = QObject()
        void_call = lambda: probe.setObjectName("probe")  # noqa: E731 (returns nothing, as most Qt setters)
    before = sys.getrefcount(None)
    for _ in range(calls):
        void_call()
    if before - sys.getrefcount(None) < calls // 2:
        return ""
    import PySide6

    return (f"PySide6 {PySide6.__version__} loses a reference to None on every Qt call on Python "
            f"{sys.version_info.major}.{sys.version_info.minor}, which crashes the window after a while; "
            "install PySide6-Essentials<6.12 (pip install 'PySide6-Essentials<6.12') or use Python 3.12 or later")


def run_app(paths: list[str], self_test: bool = False, one_window: bool = False) -> int:
    """Open the window with ``paths``; with ``self_test`` deblur the first photo (tile 128) and exit.

    With ``one_window`` this window takes the photos that later ``deblur-app`` calls open
    (gui/single_instance.py); the caller has already asked whether another window runs.
    The self-test exits 0 after a successful run, 1 on any failure, 2 on a timeout.
    """
    app = make_application()
    problem = binding_problem()
    if problem:  # refused now rather than crashed later with the user's results unsaved
        print(f"deblur-app: {problem}", file=sys.stderr)
        return 1
    from . import i18n
    from .main_window import MainWindow

    server = None
    if one_window:
        # listening before the window is built leaves no gap for a second copy to start in; requests
        # wait in the socket until app.exec() runs, when `window` below exists
        server, forwarded = _listen_or_forward(paths, lambda: list(window.photos))
        if forwarded:
            return 0
    settings, self_test_folder = _window_settings(self_test)
    i18n.install(app, settings.language)
    window = MainWindow(settings)
    window.show()
    if server is not None:
        server.open_requested.connect(lambda opened, token: bring_to_front(window, opened, token))
    if paths:
        window.open_paths(paths)
    if self_test:
        _arm_self_test(app, window, paths)
    code = app.exec()
    if server is not None:
        server.close()  # a new `deblur-app` from now on starts its own window
    if self_test_folder is not None:
        settings.store.sync()  # written now, so that nothing recreates the folder once it is gone
        shutil.rmtree(self_test_folder, ignore_errors=True)
    return _exit_code(code)


def _window_settings(self_test: bool):
    """(the window's settings, the folder to remove afterwards or None): a self-test has settings of its
    own in a temporary folder, never the user's."""
    from .settings import AppSettings

    if not self_test:
        return AppSettings(), None
    folder = tempfile.mkdtemp(prefix="deblur-selftest-")
    return AppSettings(QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)), folder


def _exit_code(code: int) -> int:
    """``code``, for the caller to return; where the model thread is stuck inside a long torch call, the
    process ends here instead: Python must never destroy that thread mid-run."""
    from .client import stuck_threads

    if stuck_threads():
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _listen_or_forward(paths: list[str], photos) -> tuple[object | None, bool]:
    """(the listening server or None, whether the photos went to a window that started meanwhile)."""
    from .single_instance import InstanceServer, forward_to_running

    server = InstanceServer(photos)
    if server.listen():
        return server, False
    # another copy started at the same moment and listens: hand it the photos
    return None, forward_to_running(paths)


def bring_to_front(window, paths: list[str], activation_token: str) -> None:
    """Add photos sent by a later `deblur-app` call and raise the window above the others."""
    if paths:
        window.open_paths(paths)
    if activation_token:
        # Qt's Wayland plugin activates the window with this token (and then clears it); without
        # one, Wayland compositors only mark the window as wanting attention
        os.environ["XDG_ACTIVATION_TOKEN"] = activation_token
    window.setWindowState((window.windowState() & ~Qt.WindowState.WindowMinimized) | Qt.WindowState.WindowActive)
    window.show()
    window.raise_()
    window.activateWindow()


def _arm_self_test(app: QApplication, window, paths: list[str]) -> None:
    def finish(code: int, message: str) -> None:
        print(f"self-test: {message}", file=sys.stderr if code else sys.stdout, flush=True)
        window.close()
        app.exit(code)

    from . import dialogs

    # no modal dialogs in a self-test: report and carry on to the exit code
    dialogs.show_error = lambda _parent, title, reason, details="": print(f"self-test: {title}: {reason}", file=sys.stderr)
    dialogs.confirm = lambda *_args, **_kwargs: True
    # the quit prompt would wait for a click for ever: the self-test's result is never saved
    dialogs.choose = lambda *_args, **_kwargs: "quit"
    if not paths:
        QTimer.singleShot(0, lambda: finish(1, "no photo given"))
        return

    started = {"done": False}

    def maybe_start(*_args) -> None:
        photo = window.current_photo()
        if started["done"] or window.engine_info is None or photo is None or not photo.loaded:
            return
        started["done"] = True
        window.panel.tile_spin.set_tile(SELF_TEST_TILE)
        window.deblur()

    window.photo_loaded.connect(maybe_start)
    window.engine.info_ready.connect(maybe_start)
    window.run_finished.connect(lambda outcome: finish(
        0, f"ok: {outcome.full.shape[1]}x{outcome.full.shape[0]} in {outcome.facts.seconds:.1f} s, "
           f"{outcome.facts.tiles} tiles on {outcome.facts.device} ({outcome.facts.precision})"))
    window.engine.failed.connect(lambda _id, reason, _details: finish(1, f"failed: {reason}"))
    def load_failed(outcome) -> None:
        if outcome.error:
            finish(1, f"cannot open: {outcome.error}")

    window.tasks.loaded.connect(load_failed)
    QTimer.singleShot(SELF_TEST_TIMEOUT_MS, lambda: finish(2, "timed out"))
