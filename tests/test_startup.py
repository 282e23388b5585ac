"""The start-up guard of the executables: logs, dialogs, exit codes, no Qt on the command-line path."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deblur_app.cli import startup
from deblur_app.cli import main as cli_main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def logs(tmp_path, monkeypatch):
    folder = tmp_path / "logs"
    monkeypatch.setattr(startup, "log_dir", lambda: folder)
    return folder


@pytest.fixture
def dialogs(monkeypatch):
    shown = []
    monkeypatch.setattr(startup, "show_error_dialog", lambda title, message, details: shown.append((title, message, details)) or True)
    return shown


def crash(argv=None):
    raise ValueError("weights folder is broken")


def test_windowed_crash_is_logged_and_shown(monkeypatch, logs, dialogs):
    monkeypatch.setattr(cli_main, "main", crash)
    assert startup.run(["info"], windowed=True) == 1
    (log,) = logs.glob("crash-*.log")
    text = log.read_text(encoding="utf-8")
    assert "Traceback" in text and "ValueError: weights folder is broken" in text and "deblur-app " in text
    ((title, message, details),) = dialogs
    assert "ValueError: weights folder is broken" in message and str(log) in message
    assert "Traceback" in details


def test_console_crash_prints_traceback_and_log_place(monkeypatch, logs, dialogs, capsys):
    monkeypatch.setattr(cli_main, "main", crash)
    assert startup.run(["info"], windowed=False) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and str(next(logs.glob("crash-*.log"))) in err
    assert dialogs == []


def test_missing_streams_are_replaced_and_failures_reported(monkeypatch, logs, dialogs):
    def fails_quietly(argv=None):
        print("deblur-app: the window is not available (no Qt)", file=sys.stderr)
        return 1

    monkeypatch.setattr(cli_main, "main", fails_quietly)
    monkeypatch.setattr(sys, "stderr", None)
    monkeypatch.setattr(sys, "stdout", None)
    assert startup.is_windowed()
    assert startup.run([]) == 1
    assert "the window is not available" in dialogs[0][1]
    assert len(list(logs.glob("crash-*.log"))) == 1


def test_exit_codes_pass_through(monkeypatch, logs, dialogs, capsys):
    assert startup.run(["--version"], windowed=False) == 0
    assert capsys.readouterr().out.startswith("deblur-app ")
    assert startup.run(["deblur"], windowed=False) == 2  # argparse usage error
    monkeypatch.setattr(cli_main, "main", lambda argv=None: (_ for _ in ()).throw(KeyboardInterrupt))
    assert startup.run([], windowed=True) == 130
    assert dialogs == [] and not logs.exists()


def test_a_reader_that_leaves_the_pipe_gets_no_traceback(tmp_path):
    """`deblur-app weights list | head -3`: head closes the pipe; the command ends quietly (exit 1), with no
    traceback and no crash log, as a shell tool does."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written: every write meets a closed pipe
    env = {**os.environ, "PYTHONPATH": str(REPO), "XDG_DATA_HOME": str(tmp_path / "data")}
    try:
        done = subprocess.run([sys.executable, "-m", "deblur_app", "weights", "list"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, timeout=300)
    finally:
        os.close(write_end)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    assert not (tmp_path / "data" / "deblur_app" / "logs").exists()


def test_log_falls_back_to_the_temp_folder(monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setattr(startup, "log_dir", lambda: blocked / "logs")
    monkeypatch.setattr(startup.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    path = startup.write_log("Traceback ...")
    assert path is not None and path.parent == tmp_path / "tmp" / "deblur_app" / "logs"


def test_old_logs_are_pruned(logs):
    for _ in range(startup.KEPT_LOGS + 5):
        startup.write_log("x")
        for index, old in enumerate(sorted(logs.glob("*.log"))):  # unique names despite the same second
            old.rename(logs / f"crash-{index:04d}.log")
    assert len(list(logs.glob("crash-*.log"))) == startup.KEPT_LOGS


def test_no_dialog_on_the_offscreen_platform(monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert startup.show_error_dialog("t", "m", "d") is False


def test_gui_self_test_reaches_run_app(monkeypatch):
    calls = []
    fake = type(sys)("deblur_app.gui.app")
    fake.run_app = lambda paths, self_test=False, one_window=False: calls.append((paths, self_test, one_window)) or 0
    monkeypatch.setitem(sys.modules, "deblur_app.gui.app", fake)
    assert cli_main.main(["gui", "--self-test", "a.png"]) == 0
    assert cli_main.main(["b.png"]) == 0  # no window runs (conftest's private XDG_RUNTIME_DIR): this one opens
    assert calls == [(["a.png"], True, False), (["b.png"], False, True)]
    assert cli_main.main(["gui", "--self-test"]) == 2


def test_command_line_path_does_not_load_qt():
    code = (
        "import sys\n"
        "from deblur_app.cli.startup import run\n"
        "assert run(['--version'], windowed=False) == 0\n"
        "assert run(['deblur', '--help'], windowed=False) == 0\n"
        "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'qtpy', 'qtawesome')))\n"
        "assert not qt, qt\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, capture_output=True, timeout=300)


def test_keep_newest_is_best_effort(tmp_path):
    import os

    from deblur_app.housekeeping import keep_newest

    files = []
    for age in range(4):
        path = tmp_path / f"f{age}.log"
        path.write_text("x")
        os.utime(path, (1000 - age, 1000 - age))  # f0 is the newest
        files.append(path)
    undeletable = tmp_path / "a-folder.log"  # unlink() fails on a folder
    undeletable.mkdir()
    os.utime(undeletable, (1, 1))
    keep_newest([*files, tmp_path / "vanished.log", undeletable], 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-folder.log", "f0.log", "f1.log"]


@pytest.mark.slow
def test_gui_self_test_runs_the_window_and_exits(tmp_path, photo_like):
    """The real self-test from source: open, deblur, close without waiting at the quit prompt."""
    from deblur_app import imagefiles

    photo = tmp_path / "photo.png"
    imagefiles.save_image(photo, photo_like(96, 128))
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO), "TMPDIR": str(temporary),
           **{name: str(tmp_path / name) for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")}}
    run = subprocess.run([sys.executable, "-m", "deblur_app", "gui", "--self-test", str(photo)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "self-test: ok" in run.stdout
    assert [p.name for p in temporary.iterdir() if p.name.startswith("deblur-selftest-")] == []  # issue 22


def test_help_imports_no_torch_nor_the_image_stack_and_info_imports_no_nncf_or_ray():
    """`--help` builds every parser without the network's stack nor the image stack (numpy, OpenCV and
    Pillow were 0.2 s of its 0.3 s on an idle machine: imagefiles and tiling load them on first use);
    `info` reads versions from metadata (importing NNCF only for its version took seconds).
    benchmarks/bench_startup.py measures the times."""
    code = (
        "import contextlib, io, sys\n"
        "from deblur_app.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(sys.argv[1:])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code, "--help"], cwd=REPO, check=True, capture_output=True,
                            text=True, timeout=300).stdout.split()
    assert not {"torch", "openvino", "nncf", "ray", "PySide6", "numpy", "cv2", "PIL"} & set(loaded), loaded
    loaded = subprocess.run([sys.executable, "-c", code, "info"], cwd=REPO, check=True, capture_output=True,
                            text=True, timeout=300).stdout.split()
    assert "torch" in loaded and not {"nncf", "ray"} & set(loaded), loaded


def test_a_self_test_keeps_its_settings_apart_and_a_stuck_model_thread_ends_the_process(monkeypatch, qapp):
    """run_app's steps around the window: a self-test never reads or writes the user's settings, and a model
    thread stuck in a long torch call is never destroyed by Python (the process ends with the code)."""
    from deblur_app.gui import app, client

    settings, folder = app._window_settings(self_test=True)
    try:
        assert Path(settings.store.fileName()) == Path(folder) / "settings.ini"
    finally:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
    assert app._window_settings(self_test=False)[1] is None

    ended = []
    monkeypatch.setattr(app.os, "_exit", ended.append)
    monkeypatch.setattr(client, "stuck_threads", lambda: [])
    assert app._exit_code(2) == 2 and ended == []
    monkeypatch.setattr(client, "stuck_threads", lambda: ["model thread"])
    app._exit_code(3)
    assert ended == [3]
