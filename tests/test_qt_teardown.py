"""A Qt test's objects die on the GUI thread when it ends (tests/guikit.py), not later on whatever thread the
garbage collector happens to run: there a running QTimer is never stopped and fires into freed memory."""

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

SESSION = '''
import gc
import weakref

import shiboken6
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QWidget

left = {}


class Controller(QObject):
    """Made without a parent, a timer running, held in a cycle as a session's observers hold a controller."""

    def __init__(self):
        super().__init__()
        self.tick = QTimer(self)
        self.tick.start(250)
        self.observers = [self.tick_once]

    def tick_once(self):
        pass


def test_a_test_makes_a_widget_and_a_controller(qtbot):
    widget = QWidget()
    qtbot.addWidget(widget)  # closed and deleteLater()-ed by pytest-qt when the test ends
    controller = Controller()
    left["widget"], left["controller"] = widget, weakref.ref(controller)
    gc.collect()  # the controller is old now: only a full collection would free it


def test_both_were_deleted_when_it_ended():
    assert not shiboken6.isValid(left["widget"]), "deleteLater() ran"
    assert left["controller"]() is None, "the controller's cycle was collected"
'''


def test_a_qt_tests_widgets_and_unreachable_controllers_are_deleted_when_it_ends(tmp_path):
    (tmp_path / "conftest.py").write_text('pytest_plugins = ["guikit"]\n')
    (tmp_path / "test_session.py").write_text(SESSION)
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    env.update(PYTHONPATH=os.pathsep.join([str(TESTS), str(TESTS.parent)]), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_session.py"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout, done.stdout
