"""Fixtures and helpers for driving the window headless with tiny random-weight models.

A Qt test's objects die on the GUI thread when it ends. pytest-qt closes the widgets a test registered
and calls deleteLater(), which nothing ran outside an event loop; and the controllers, fake engines and
widgets a test makes without a parent belong to Python and sit in reference cycles (the session's
observers), which only the cyclic garbage collector frees, on whatever thread happens to allocate at
the time: the model thread, a file-pool thread, a Ray thread. A QTimer still running in an object freed
there is never stopped (Qt cannot stop a timer from another thread) and fires into freed memory: with a
thread collecting every 2 ms, tests/test_controllers.py segfaulted in QTimerInfoList::activateTimers at
test_compare_runs_two_installed_networks... (the RunTracker of the test before had a run under way),
the test where CI died in session 15. So after each test that used Qt, the deferred deletions run and
the garbage is collected here, on the GUI thread.
"""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QSettings

from deblur_app import imagefiles
from deblur_app.gui import dialogs
from deblur_app.gui.main_window import MainWindow
from deblur_app.gui.settings import AppSettings
from seeded_weights import save_seeded_weights

WAIT = 60_000  # ms; generous for a loaded 2-core machine, tests end as soon as the signal comes


def pytest_collection_finish(session) -> None:
    # The modules, the collected tests and what they made stay for the whole run: the collections after each
    # test (below) leave them out, which keeps each to milliseconds instead of half a second.
    gc.freeze()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    yield
    # After the teardown, when pytest has let go of the test's fixture values too.
    qt = "qapp" in getattr(item, "fixturenames", ()) and QCoreApplication.instance() is not None
    last_of_its_module = nextitem is None or getattr(nextitem, "module", None) is not getattr(item, "module", None)
    release_garbage(qt=qt, everything=last_of_its_module)


def release_garbage(qt: bool, everything: bool) -> None:
    """Collect what the test left unreachable here, on the GUI thread, then freeze what survived.

    A Qt test's garbage (deleteLater() and unreachable Qt objects) must die here and not on whatever thread the
    collector next runs. What survives a test is frozen: a full collection, after the next test or when its
    allocations trigger one, then walks only what that test made, not everything before it (0.2-0.5 s each on
    a loaded 2-core machine once torch, OpenVINO and NNCF are in, and every one of them after test_gui's
    responsiveness test unfroze everything). A test that unfreezes costs one full collection. After a
    module's last test, when its module-scoped fixtures have gone, everything is unfrozen and collected once, so
    what survived a test and died later (a module's window, a cache's entries) is freed here too."""
    if everything:
        gc.unfreeze()
    if qt or (everything and QCoreApplication.instance() is not None):
        release_qt_garbage()
    else:
        gc.collect()
    gc.freeze()


def release_qt_garbage() -> None:
    """Delete what waits for deleteLater() and free unreachable Qt objects, here on the GUI thread."""
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def bf16_as_run() -> str:
    """The precision a run asked for in bf16 takes in the window on this CPU: float32 on OpenVINO without native
    bf16 (AVX2 only; OpenVINO would compute float32 under the name), bf16 elsewhere (devices._asked_for)."""
    import torch

    from deblur_app.engine import devices
    from deblur_app.engine.openvino_backend import openvino_available

    return devices.choose_precision("bf16", torch.device("cpu"), openvino=openvino_available()).name


@pytest.fixture(scope="session")
def weights_dir(tmp_path_factory) -> Path:
    return save_seeded_weights(tmp_path_factory.mktemp("gui-weights"), "gui test (random weights)")


@pytest.fixture
def photo(tmp_path, photo_like):
    def make(name: str = "photo.png", size: int = 64, seed: int = 0) -> Path:
        path = tmp_path / name
        imagefiles.save_image(path, photo_like(size, size, seed))
        return path

    return make


@pytest.fixture
def settings_file(tmp_path) -> Path:
    return tmp_path / "settings" / "deblur.ini"


@pytest.fixture
def errors(monkeypatch) -> list:
    """Error dialogs are recorded instead of shown; confirmations say yes unless a test says otherwise."""
    shown: list = []
    monkeypatch.setattr(dialogs, "show_error", lambda _parent, title, reason, details="": shown.append((title, reason, details)))
    monkeypatch.setattr(dialogs, "confirm", lambda *_args, **_kwargs: True)
    monkeypatch.setattr(dialogs, "choose", lambda *_args, **_kwargs: "quit")
    return shown


@pytest.fixture
def make_window(qtbot, weights_dir, settings_file, errors, monkeypatch):
    monkeypatch.setattr("deblur_app.weights.catalog.weights_search_dirs", lambda: [weights_dir])
    windows = []

    def make() -> MainWindow:
        settings = AppSettings(QSettings(str(settings_file), QSettings.Format.IniFormat))
        window = MainWindow(settings)
        qtbot.addWidget(window)
        window.resize(1000, 700)
        window.show()
        qtbot.waitUntil(lambda: window.engine_info is not None, timeout=WAIT)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
        assert not window.engine.thread_running


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()


def open_photo(qtbot, window: MainWindow, path: Path):
    with qtbot.waitSignal(window.photo_loaded, timeout=WAIT):
        window.open_paths([path])
    return window.current_photo()


def run(qtbot, window: MainWindow, action=None):
    with qtbot.waitSignal(window.run_finished, timeout=WAIT) as blocker:
        (action or window.act_deblur).trigger()
    return blocker.args[0]


def batch_dialog(window: MainWindow, source: Path, output: Path):
    """The window's batch dialog, shown, with its input and output folders typed in."""
    dialog = window.show_batch()
    dialog.input_edit.setText(str(source))
    dialog.output_edit.setText(str(output))
    return dialog


def run_batch(qtbot, window: MainWindow, dialog, signal: str = "finished"):
    """Start the dialog's batch and wait until the engine says it ``finished`` (or ``failed``); its summary."""
    with qtbot.waitSignal(getattr(window.engine, signal), timeout=WAIT):
        dialog.start_button.click()
    return dialog.summary
