"""A window deleted without being closed does not leave its model thread running (gui/client.py).

The app always closes its window, which stops the thread (EngineClient.shutdown); a window deleted without
closing took the client with it but not the thread, which Python owns, and Python then destroyed the running
thread: "QThread: Destroyed while thread 'deblur-engine' is still running", and the process aborted. Run in a
process of its own, so that the abort, were it back, fails this test and not the whole run.
"""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SCRIPT = r'''
import gc
import sys
import time

import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

app = QApplication([])
from deblur_app.gui.main_window import MainWindow
from deblur_app.gui.settings import AppSettings

window = MainWindow(AppSettings(QSettings(sys.argv[1], QSettings.Format.IniFormat)))
window.show()
started = time.monotonic()
while window.engine_info is None and time.monotonic() - started < 400:
    app.processEvents()
    time.sleep(0.01)
thread = window.engine._thread
print("running before:", thread.isRunning(), flush=True)
shiboken6.delete(window)  # deleted, never closed
print("running after:", thread.isRunning(), flush=True)
del window, thread
gc.collect()
print("collected", flush=True)
'''


def test_a_window_deleted_without_closing_stops_its_model_thread(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "config"),
               XDG_DATA_HOME=str(tmp_path / "data"))
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "settings.ini")], env=env,
                          capture_output=True, text=True, timeout=600)
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "running before: True" in said and "running after: False" in said and "collected" in said, said
    assert "Destroyed while thread" not in said, said
