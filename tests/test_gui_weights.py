"""The window's weights handling: the Weights dialog, dropping a weights file, the starter note, About."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

import torch  # noqa: E402
from conftest import Route, checkpoint_bytes, conformance_state_dict  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from deblur_app.weights import catalog  # noqa: E402
from deblur_app.weights import store as weightstore  # noqa: E402
from deblur_app.gui import dialogs  # noqa: E402
from deblur_app.gui.about import about_html  # noqa: E402
from deblur_app.gui.main_window import MainWindow  # noqa: E402
from deblur_app.gui.reasons import translated  # noqa: E402
from deblur_app.gui.settings import AppSettings  # noqa: E402
from seeded_weights import save_seeded_weights  # noqa: E402

WAIT = 60_000


@pytest.fixture(scope="module")
def starter_dir(tmp_path_factory) -> Path:
    """Stands in for the app's own weights/ folder, holding starter weights for MIMO-UNet only."""
    return save_seeded_weights(tmp_path_factory.mktemp("starter"), "starter (test)")


@pytest.fixture
def user_folder(tmp_path, monkeypatch, starter_dir) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(catalog, "bundled_weights_dir", lambda: starter_dir)
    monkeypatch.setattr(catalog, "weights_search_dirs", lambda: [starter_dir, weightstore.user_weights_dir()])
    return weightstore.user_weights_dir()


@pytest.fixture
def errors(monkeypatch) -> list:
    shown: list = []
    monkeypatch.setattr(dialogs, "show_error", lambda _parent, title, reason, details="": shown.append((title, reason)))
    monkeypatch.setattr(dialogs, "confirm", lambda *_args, **_kwargs: True)
    return shown


@pytest.fixture
def window(qtbot, user_folder, errors, tmp_path):
    settings = AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.engine_info is not None, timeout=WAIT)
    yield window
    window.close()


def model_selectable(window: MainWindow, key: str) -> bool:
    combo = window.panel.model_combo
    return combo.model().item(combo.findData(key)).isEnabled()


def drop(window, paths: list[Path]) -> bool:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    if not enter.isAccepted():
        return False
    event = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, event)
    return event.isAccepted()


def test_starter_note_once_dialog_lists_and_a_drop_installs(qtbot, window, user_folder, starter_dir, tmp_path, errors,
                                                             monkeypatch):
    # only starter weights: the window says so once, without blocking, and offers the download
    note = window.starter_note
    assert note is not None and note.isVisible() and not note.isModal()
    assert "weak on real photos" in note.text() and window.settings.starter_note_shown
    assert "MIMO-UNet+" in window.panel.weights_label.text() and "no weights installed" in window.panel.weights_label.text()
    assert "Get the paper" in window.panel.weights_label.text()
    assert not model_selectable(window, "mimo-unet+")
    note.get_button.click()
    dialog = window.weights_dialog
    assert dialog is not None and dialog.isVisible()
    assert "research use" in dialog.findChildren(type(window.panel.weights_label))[0].text()
    rows = dialog.installed_rows()
    assert [(r.path, r.provenance, r.in_use) for r in rows] == [(starter_dir / "mimo-unet.safetensors", "starter", True)]
    assert not dialog.remove_button.isEnabled() or not rows[0].removable

    # a weights file dropped on the window is checked, installed and selectable at once
    plus = tmp_path / "MIMO-UNetPlus.pkl"
    plus.write_bytes(checkpoint_bytes("mimo-unet+"))
    with qtbot.waitSignal(dialog.operation_finished, timeout=WAIT) as finished:
        assert drop(window, [plus])
    assert finished.args == [True] and not errors
    assert (user_folder / "MIMO-UNetPlus.pkl").read_bytes() == plus.read_bytes()
    # nothing else left behind but the record of how it arrived (weights/origin.py)
    assert sorted(p.name for p in user_folder.iterdir()) == ["MIMO-UNetPlus.pkl", "MIMO-UNetPlus.pkl.origin.json"]
    listed = {r.path.name: r for r in dialog.installed_rows()}
    # installed from a file: "yours", whatever its name says
    assert listed["MIMO-UNetPlus.pkl"].provenance == "user" and listed["MIMO-UNetPlus.pkl"].in_use
    qtbot.waitUntil(lambda: model_selectable(window, "mimo-unet+"), timeout=WAIT)
    assert window.engine.info.weights["mimo-unet+"].kind == "user"

    # the same file again is already installed: nothing to ask, nothing changed
    asked = []
    monkeypatch.setattr(dialogs, "confirm", lambda _parent, title, *_args, **_kwargs: asked.append(title) or False)
    with qtbot.waitSignal(dialog.operation_finished, timeout=WAIT) as finished:
        dialog.install([plus])
    assert finished.args == [True] and asked == [] and "Already installed" in dialog.status_label.text()
    # other weights under that name ask before replacing: "no" keeps the installed file untouched
    other = tmp_path / "other" / "MIMO-UNetPlus.pkl"
    other.parent.mkdir()
    state = {k: v * 0.5 for k, v in conformance_state_dict("mimo-unet+").items()}
    torch.save({"model": state}, other)
    with qtbot.waitSignal(dialog.operation_finished, timeout=WAIT) as finished:
        dialog.install([other])
    assert finished.args == [False] and asked == ["Replace Weights"] and "Nothing was changed" in dialog.status_label.text()
    assert (user_folder / "MIMO-UNetPlus.pkl").read_bytes() == plus.read_bytes()
    monkeypatch.setattr(dialogs, "confirm", lambda *_args, **_kwargs: True)

    # a bad file is refused with one line and nothing is installed
    bogus = tmp_path / "bogus.pth"
    bogus.write_text("<html>quota exceeded</html>")
    with qtbot.waitSignal(dialog.operation_finished, timeout=WAIT) as finished:
        dialog.install([bogus])
    assert finished.args == [False] and len(errors) == 1 and "web page" in errors[0][1]
    assert sorted(p.name for p in user_folder.iterdir()) == ["MIMO-UNetPlus.pkl", "MIMO-UNetPlus.pkl.origin.json"]

    # removal updates the list and the window
    dialog.table.setCurrentItem(next(dialog.table.topLevelItem(i) for i in range(dialog.table.topLevelItemCount())
                                     if dialog.table.topLevelItem(i).text(1) == "MIMO-UNetPlus.pkl"))
    dialog.remove_selected()
    assert not (user_folder / "MIMO-UNetPlus.pkl").exists()
    qtbot.waitUntil(lambda: not model_selectable(window, "mimo-unet+"), timeout=WAIT)


def test_dialog_downloads_with_progress_cancel_and_the_new_weights_are_used(qtbot, window, user_folder, server):
    url, routes = server
    data = checkpoint_bytes("mimo-unet")
    routes["/gui-slow.pkl"] = Route(data, piece=256 << 10, pause=0.05)
    routes["/gui.pkl"] = Route(data, piece=1 << 20)
    window.panel.weights_label.linkActivated.emit("weights")  # the model panel's link opens the dialog
    dialog = window.weights_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.download("mimo-unet", source=f"{url}/gui-slow.pkl")
    assert dialog.cancel_button.isVisible() and not dialog.download_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=WAIT)
    with qtbot.waitSignal(dialog.operation_finished, timeout=WAIT) as finished:
        dialog.cancel_button.click()
    assert finished.args == [False] and "Cancelled" in dialog.status_label.text()
    assert not user_folder.exists() or list(user_folder.iterdir()) == []

    with qtbot.waitSignal(dialog.operation_finished, timeout=WAIT) as finished:
        dialog.download("mimo-unet", source=f"{url}/gui.pkl")
    assert finished.args == [True]
    assert (user_folder / "MIMO-UNet.pkl").read_bytes() == data
    # a mirror's copy: not the authors' release, so not "the paper's weights"
    qtbot.waitUntil(lambda: window.engine.info.weights["mimo-unet"].path == user_folder / "MIMO-UNet.pkl",
                    timeout=WAIT)
    info = window.engine.info
    assert info.weights["mimo-unet"].kind == "user"
    assert (f"user: installed by you; downloaded from {url}/gui.pkl, not from the authors&#x27; release"
            in about_html(info, None))
    assert "the paper&#x27;s weights" not in about_html(info, None)
    assert "Get the paper's weights" not in window.panel.weights_label.text()


def test_install_from_file_says_what_the_command_line_says_of_an_unpublished_or_unnamed_file(qtbot, window,
                                                                                          user_folder, tmp_path):
    """A width-16 NAFNet named restormer_defocus.pth installs as NAFNet-64's user weights: the dialog says the file
    holds a width-16 NAFNet, as `weights install` does; a file taken for the first of two same-shaped variants
    (Restormer's defocus and motion weights) says so and how to install it as the other."""
    from test_network_checkpoints import NAFNET_16, small_state

    source = tmp_path / "restormer_defocus.pth"
    torch.save({"params": small_state("nafnet", **NAFNET_16)}, source)
    dialog = window.show_weights()
    with qtbot.waitSignal(dialog.operation_finished, timeout=WAIT) as finished:
        dialog.install([source])
    assert finished.args == [True]
    lines = dialog.status_label.text().splitlines()
    assert lines[0].startswith("Installed ") and "nafnet-64.user.pth" in lines[0] and len(lines) == 2
    assert lines[1].startswith("The file holds NAFNet (width 16, ") and lines[1].endswith("NAFNet-64 runs that network")

    taken = weightstore.InstalledWeights("restormer-defocus", "Restormer (defocus)", user_folder / "restormer.pth",
                                         "user", 1, True, unnamed_among=("restormer-defocus", "restormer-motion"))
    # the command line's notes (weights.store.install_notes), in the window's words: no command to run
    notes = weightstore.install_notes(taken)
    assert [translated(note) for note in notes] == [
        "taken for Restormer (defocus)'s weights by default: Restormer (motion)'s have the same shapes and its name is "
        "neither's; if it holds those, remove it and install it again named motion_deblurring.pth"]
    assert str(notes[0]).endswith("install it as motion_deblurring.pth and remove this one "
                                  "(deblur-app weights remove restormer.pth)")
    assert weightstore.install_notes(weightstore.InstalledWeights(
        "nafnet-32", "NAFNet-32", user_folder / "NAFNet-GoPro-width32.pth", "user", 1, True)) == []

