"""One window: a photo opened while the app runs goes to the running window (gui/single_instance.py).

The end-to-end test runs two real `python -m deblur_app` processes on the offscreen platform and
looks inside the first one through its socket ({"photos": true}).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from deblur_app.cli import main as cli_main

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 180  # the first window on a busy 2-core machine
pytest.importorskip("PySide6.QtNetwork")
from deblur_app.gui import single_instance  # noqa: E402


@pytest.fixture
def runtime_dir():
    """A private $XDG_RUNTIME_DIR, short enough for a socket path (108 bytes at most)."""
    folder = tempfile.mkdtemp(prefix="dbl-")
    os.chmod(folder, 0o700)
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def app_environment(runtime_dir: Path, home: Path) -> dict:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_RUNTIME_DIR=str(runtime_dir), PYTHONPATH=str(REPO),
               XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_CACHE_HOME=str(home / "cache"))
    return env


def wait_for_photos(name: str, process: subprocess.Popen, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = single_instance.ask_running({"photos": True}, name)
        if reply is not None:
            return reply["photos"]
        assert process.poll() is None, process.communicate()[0][-3000:]
        time.sleep(0.2)
    raise AssertionError("the first window never answered on its socket")


@pytest.mark.slow
def test_a_photo_opened_while_the_app_runs_goes_to_the_running_window(runtime_dir, tmp_path):
    from PIL import Image

    env = app_environment(runtime_dir, tmp_path)
    name = str(runtime_dir / single_instance.SOCKET_FILE)
    (tmp_path / "photos").mkdir()
    photo = tmp_path / "photos" / "shaken.png"
    Image.fromarray(np.full((48, 64, 3), 120, np.uint8)).save(photo)

    first = subprocess.Popen([sys.executable, "-m", "deblur_app"], env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert wait_for_photos(name, first, START_TIMEOUT_S) == []
        started = time.monotonic()
        # a relative path from another folder: the running window must get it absolute
        second = subprocess.run([sys.executable, "-X", "importtime", "-m", "deblur_app", "photos/shaken.png"],
                                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
        second_seconds = time.monotonic() - started
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        assert "sent 1 photo(s) to the open window" in second.stdout
        imported = {line.rsplit("|", 1)[-1].strip() for line in second.stderr.splitlines() if line.startswith("import time:")}
        assert "deblur_app.cli.main" in imported
        # no second model: the second process never even imports torch (nor the window)
        assert not {"torch", "deblur_app.gui.main_window", "deblur_app.engine"} & imported
        photos = wait_for_photos(name, first, 5)
        assert photos == [str(photo.resolve())]
        print(f"second process: {second_seconds:.2f} s from start to exit, photo in the first window")
        # the goal is 1 s; this shared 2-core machine's load can stretch Python's start several-fold
        assert second_seconds < 10

        again = subprocess.run([sys.executable, "-m", "deblur_app", str(photo)], env=env, cwd=tmp_path,
                               capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and wait_for_photos(name, first, 5) == [str(photo.resolve())]  # no duplicate
        assert first.poll() is None  # the first window is still running
    finally:
        first.kill()
        first.communicate()


def test_new_window_and_the_self_test_never_ask_the_running_window(monkeypatch):
    import deblur_app.gui.app as gui_app

    asked, started = [], []
    monkeypatch.setattr(single_instance, "forward_to_running", lambda paths, name=None: asked.append(paths) or True)
    monkeypatch.setattr(gui_app, "run_app", lambda paths, self_test=False, one_window=False:
                        started.append((paths, self_test, one_window)) or 0)
    assert cli_main.main(["--new-window", "a.png"]) == 0
    assert cli_main.main(["gui", "--self-test", "a.png"]) == 0
    assert asked == [] and started == [(["a.png"], False, False), (["a.png"], True, False)]
    assert cli_main.main(["a.png"]) == 0  # by default the photo goes to the running window
    assert asked == [[str(Path("a.png"))]] and len(started) == 2


def test_the_photo_paths_sent_are_absolute(monkeypatch, tmp_path):
    sent = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(single_instance, "ask_running", lambda request, name=None: sent.append(request) or {"added": 1})
    assert single_instance.forward_to_running(["a.jpg", "../b.jpg"])
    assert sent[0]["open"] == [str(tmp_path / "a.jpg"), str(tmp_path / ".." / "b.jpg")]


def test_a_crashed_apps_socket_is_taken_over_and_a_live_one_is_not(qapp, runtime_dir):
    name = str(runtime_dir / "stale.socket")
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(name)  # a socket file nobody listens on: what a killed app leaves behind
    stale.close()
    assert Path(name).exists()
    server = single_instance.InstanceServer(lambda: [])
    assert server.listen(name)
    client = socket.socket(socket.AF_UNIX)
    client.connect(name)  # refused if the stale file were still there
    client.close()
    rival = single_instance.InstanceServer(lambda: [])
    assert not rival.listen(name)  # a second copy never steals a live window's socket
    server.close()
    assert single_instance.ask_running({"photos": True}, name) is None


def test_the_server_answers_only_well_formed_requests(qapp):
    server = single_instance.InstanceServer(lambda: ["/a.jpg"])
    opened = []
    server.open_requested.connect(lambda paths, token: opened.append((paths, token)))
    assert server._answer({"photos": True}) == {"photos": ["/a.jpg"]}
    assert "error" in server._answer({"open": ["relative.jpg"]})
    assert "error" in server._answer(["not", "a", "dict"])
    assert server._answer({"open": ["/b.jpg"], "activation_token": "t1"}) == {"added": 0}
    assert opened == [(["/b.jpg"], "t1")]


def test_the_socket_is_per_user_and_in_the_runtime_folder(monkeypatch, runtime_dir):
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime_dir))
    if sys.platform.startswith("linux"):
        assert single_instance.server_name() == str(runtime_dir / "deblur-app.socket")
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    monkeypatch.setattr(single_instance.getpass, "getuser", lambda: "alice")
    alice = single_instance.server_name()
    monkeypatch.setattr(single_instance.getpass, "getuser", lambda: "bob")
    assert alice != single_instance.server_name() and alice.startswith("deblur-app-")


def test_photos_sent_to_the_window_join_it_and_bring_it_back_from_minimised(window, photo, monkeypatch):
    from deblur_app.gui.app import bring_to_front

    monkeypatch.setenv("XDG_ACTIVATION_TOKEN", "")  # restored (unset) after the test
    earlier = photo("earlier.png")
    window.open_paths([str(earlier)])
    window.showMinimized()
    assert window.isMinimized()
    sent = photo("sent.png", seed=1)
    bring_to_front(window, [str(sent.resolve())], "launcher-token")
    assert not window.isMinimized() and window.isVisible()
    assert list(window.photos) == [str(earlier.resolve()), str(sent.resolve())]
    assert window.current_photo().key == str(sent.resolve())  # the photo sent is the one shown
    # handed to Qt's Wayland plugin, which activates the window with it
    assert os.environ["XDG_ACTIVATION_TOKEN"] == "launcher-token"
