"""A mistyped command is a usage error, never the window; no display is one line, never a Qt abort (issue 22 item 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deblur_app.cli import main as cli_main

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def windows_opened(monkeypatch):
    opened = []
    monkeypatch.setattr(cli_main, "open_window", lambda photos, self_test=False, new_window=False: opened.append(photos) or 0)
    return opened


@pytest.mark.parametrize("word, hint", [("frobnicate", ""), ("debulr", " (did you mean 'deblur'?)"),
                                        ("bacth", " (did you mean 'batch'?)"), ("wieghts", " (did you mean 'weights'?)")])
def test_an_unknown_command_is_a_usage_error_with_a_suggestion(word, hint, windows_opened, capsys, tmp_path,
                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli_main.main([word, "photo.jpg"]) == 2
    err = capsys.readouterr().err
    assert f"deblur-app: unknown command '{word}'{hint}; the commands are deblur, batch" in err
    assert err.startswith("usage: deblur-app")
    assert windows_opened == []


def test_photos_alone_still_open_the_window_even_a_missing_one(windows_opened, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("frobnicate").write_bytes(b"")  # an existing file named like a word is a photo to open
    assert cli_main.main(["frobnicate"]) == 0
    assert cli_main.main(["holiday/lost.jpg", "missing.png"]) == 0  # the window names the missing files
    assert cli_main.main([]) == 0
    assert windows_opened == [[Path("frobnicate")], [Path("holiday/lost.jpg"), Path("missing.png")], []]


def headless_environment() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display variables are Linux's")
@pytest.mark.parametrize("argv", [[], ["gui"], ["photo.jpg"]])
def test_no_display_is_one_line_naming_what_is_missing_not_a_qt_abort(argv, tmp_path):
    env = {**headless_environment(), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "deblur_app", *argv], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, (done.returncode, done.stderr)  # Qt's abort would be -6 (134 from a shell)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISPLAY" in lines[0] and "WAYLAND_DISPLAY" in lines[0], done.stderr
    assert lines[0].startswith("deblur-app: cannot open the window: no display")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display variables are Linux's")
def test_a_display_or_a_chosen_qt_platform_is_left_to_qt(monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert "DISPLAY" in cli_main.missing_display()
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert cli_main.missing_display() == ""
    monkeypatch.delenv("QT_QPA_PLATFORM")
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert cli_main.missing_display() == ""
