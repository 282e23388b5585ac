"""The window's rough edges of issue 22: Open Recent, Save As, the weights dialog's status."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings  # noqa: E402

from deblur_app.gui import dialogs  # noqa: E402
from deblur_app.gui.save_dialog import SaveDialog  # noqa: E402
from deblur_app.gui.settings import AppSettings  # noqa: E402

from guikit import WAIT, bf16_as_run, open_photo, run  # noqa: E402


def test_open_recent_keeps_absolute_paths(tmp_path, monkeypatch, qapp):
    """'deblur-app lai/lai_face.jpg' then a restart elsewhere said 'lai/lai_face.jpg: file not found'."""
    settings = AppSettings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    monkeypatch.chdir(tmp_path)
    settings.add_recent("lai/lai_face.jpg")
    settings.add_recent(Path("lai") / ".." / "lai" / "boy.jpg")
    assert settings.recent_files() == [str(tmp_path / "lai" / "boy.jpg"), str(tmp_path / "lai" / "lai_face.jpg")]
    settings.remove_recent("lai/lai_face.jpg")  # as the menu's own entry, or as typed
    assert settings.recent_files() == [str(tmp_path / "lai" / "boy.jpg")]


def test_the_window_remembers_a_photo_opened_by_a_relative_path_absolutely(qtbot, window, photo, monkeypatch):
    path = photo("relative.png", 64)
    monkeypatch.chdir(path.parent)
    open_photo(qtbot, window, Path("relative.png"))
    assert window.settings.recent_files()[0] == str(path)


class ScriptedSaveDialog:
    """Stands in for SaveDialog.exec: records the proposed path, then types the next answer."""

    def __init__(self, answers: list[Path | None]) -> None:
        self.answers, self.proposed = list(answers), []

    def __call__(self, dialog) -> int:
        self.proposed.append(Path(dialog.path_edit.text()))
        answer = self.answers.pop(0)
        if answer is None:
            return SaveDialog.DialogCode.Rejected
        dialog.path_edit.setText(str(answer))
        return SaveDialog.DialogCode.Accepted


def test_save_as_proposes_the_photos_folder_and_declining_replace_returns_to_it(qtbot, window, photo, tmp_path,
                                                                                  monkeypatch):
    first = photo("first.png", 64, 1)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    second = photo("second.png", 64, 2).rename(elsewhere / "second.png")
    open_photo(qtbot, window, first)
    run(qtbot, window)
    taken = first.with_name("taken.png")
    taken.write_bytes(b"someone else's file")
    asked = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, title, *_a, **_k: asked.append(title) or False)
    script = ScriptedSaveDialog([taken, first.with_name("mine.png")])
    monkeypatch.setattr(SaveDialog, "exec", lambda dialog: script(dialog))
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save_as.trigger()
    assert asked == ["Replace Files?"]  # declined: back to Save As, with the name typed before
    assert script.proposed == [first.with_name("first_deblurred.png"), taken]
    assert taken.read_bytes() == b"someone else's file" and first.with_name("mine.png").is_file()

    open_photo(qtbot, window, second)  # another folder: proposed beside that photo, not in the last save's folder
    run(qtbot, window)
    script = ScriptedSaveDialog([None])
    monkeypatch.setattr(SaveDialog, "exec", lambda dialog: script(dialog))
    window.act_save_as.trigger()
    assert script.proposed == [elsewhere / "second_deblurred.png"]


def test_the_weights_dialog_reopens_without_the_last_operations_status(qtbot, window):
    dialog = window.show_weights()
    dialog.status_label.setText("Installed /somewhere/MIMO-UNet.pkl: you can choose it in the Model panel now")
    dialog.close()
    assert window.show_weights().status_label.text() == ""
    dialog.status_label.setText("Checking a.pkl…")
    assert window.show_weights().status_label.text() == "Checking a.pkl…"  # still open: nothing is cleared


def test_qts_own_file_dialog_speaks_chinese_in_a_chinese_window(qapp):
    """Qt's qtbase_zh_CN.qm lacks Qt 6's '&Look in:' and 'Files of &type:': the app's catalogue fills them in."""
    from PySide6.QtWidgets import QFileDialog, QLabel

    from deblur_app.gui import i18n

    try:
        assert i18n.install(qapp, "zh_CN") == "zh_CN"
        dialog = QFileDialog(None, "x")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        labels = [label.text() for label in dialog.findChildren(QLabel)]
        dialog.deleteLater()
    finally:
        i18n.uninstall(qapp)
    assert labels == ["查找范围(&L)：", "文件名称(&N)：", "文件类型(&T)："]


def test_the_device_label_stops_describing_a_model_once_other_settings_are_chosen(qtbot, window, photo):
    """It said "CPU (int8)" with the old model's reason after a switch to another network (issue 22)."""
    open_photo(qtbot, window, photo("cat.png", 64))
    combo = window.panel.precision_combo
    combo.setCurrentIndex(combo.findData("fp32"))
    run(qtbot, window)
    assert window.device_label.text().endswith("(fp32)") and "fp32 because" in window.device_label.toolTip()
    with qtbot.waitSignal(window.engine.model_loaded, timeout=WAIT, raising=False):
        combo.setCurrentIndex(combo.findData("bf16"))
        text = window.device_label.text()
        assert text.startswith("Device: ") and "(" not in text  # at once: nothing stale while the new model loads
        assert window.device_label.toolTip() == "Where the network runs, and at what precision"
    run(qtbot, window)
    assert window.device_label.text().endswith(f"({bf16_as_run()})")


def test_the_device_label_describes_only_a_model_of_the_network_chosen(qtbot):
    """Compare Networks ran MIMO-UNet (int8), then MIMO-UNet+ (float32): the status bar said "MIMO-UNet | Device: CPU
    (fp32)" afterwards, though MIMO-UNet's next run is int8. A model loaded for another network (Compare's second
    one, a batch's) says nothing of the next run."""
    from deblur_app.gui.messages import LoadedModel, RunSettings
    from deblur_app.gui.status_bar import WindowStatusBar

    status = WindowStatusBar()
    qtbot.addWidget(status)
    chosen = RunSettings("mimo-unet")
    status.show_loaded_model(LoadedModel("mimo-unet", "MIMO-UNet", Path("/w/mimo-unet.safetensors"), "starter", {},
                                         "cpu", "int8", "int8 keeps the picture"), chosen)
    described = status.device_label.text(), status.device_label.toolTip()
    assert described[0] == "Device: CPU (int8)"
    status.show_loaded_model(LoadedModel("mimo-unet+", "MIMO-UNet+", Path("/w/mimo-unet-plus.pth"), "user", {},
                                         "cpu", "fp32", "no verdict yet"), chosen)
    assert (status.device_label.text(), status.device_label.toolTip()) == described


def test_weights_installed_outside_the_window_are_selectable_without_a_restart(qtbot, make_window, weights_dir,
                                                                               tmp_path, monkeypatch):
    """The side panel said "no weights installed" after `weights install` ran while the window was open."""
    from conftest import checkpoint_bytes

    extra = tmp_path / "more-weights"
    extra.mkdir()
    monkeypatch.setattr("deblur_app.weights.catalog.weights_search_dirs", lambda: [weights_dir, extra])
    window = make_window()
    qtbot.waitUntil(lambda: window.engine_info is not None, timeout=WAIT)
    assert window.engine_info.weights["mimo-unet+"].path is None
    (extra / ".incoming.pkl").write_bytes(checkpoint_bytes("mimo-unet+"))
    (extra / ".incoming.pkl").rename(extra / "MIMO-UNetPlus.pkl")  # as the weights manager puts a file in place
    qtbot.waitUntil(lambda: window.engine_info.weights["mimo-unet+"].path == extra / "MIMO-UNetPlus.pkl",
                    timeout=WAIT)
    combo = window.panel.model_combo
    assert combo.model().item(combo.findData("mimo-unet+")).isEnabled()


def test_falling_back_from_a_network_whose_weights_are_gone_runs_it_plain(qtbot, make_window, settings_file):
    """MIMO-UNet++ chosen, its weights removed: the window fell back to MIMO-UNet with the ensemble still ticked."""
    stored = AppSettings(QSettings(str(settings_file), QSettings.Format.IniFormat))
    stored.model, stored.ensemble = "mimo-unet+", True
    stored.store.sync()
    window = make_window()  # the test weights hold MIMO-UNet only
    qtbot.waitUntil(lambda: window.engine_info is not None, timeout=WAIT)
    run_settings = window.panel.run_settings()
    assert (run_settings.variant, run_settings.ensemble) == ("mimo-unet", False)
    assert (window.settings.model, window.settings.ensemble) == ("mimo-unet", False)  # the window knows it too


def test_a_long_saved_name_wraps_in_last_run_instead_of_being_clipped(qtbot, window, photo):
    path = photo("a_rather_long_photo_name_from_a_camera_2026-12-06_13-45-10_burst-0007.png", 64)
    open_photo(qtbot, window, path)
    run(qtbot, window)
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save.trigger()
    qtbot.waitUntil(lambda: "Saved to" in window.panel.result_label.text(), timeout=WAIT)
    label = window.panel.result_label
    assert label.minimumSizeHint().width() <= 240  # it can wrap within the side panel
    assert label.text().replace("\u200b", "").endswith(f"Saved to {path.stem}_deblurred.png")


def test_a_short_window_scrolls_the_side_panel_instead_of_clipping_its_texts(qtbot, window, photo):
    """At 900 x 600 with a result, the network's note was squeezed to half a line ("camera shake and motion blur;
    sharper than MIMO-UNet+ at MIMO-" cut through): every word-wrapped label of the side panel gets the height its
    text needs, and the panel scrolls."""
    from PySide6.QtWidgets import QLabel

    open_photo(qtbot, window, photo("shot.png", 64))
    run(qtbot, window)
    window.panel.network_note.setText("camera shake and motion blur; sharper than MIMO-UNet+ at MIMO-UNet's cost. "
                                      "Blur: camera shake (GoPro)\nLong run: about 3 min 10 s for this photo")
    window.resize(900, 480)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)
    labels = [label for label in window.panel.findChildren(QLabel) if label.wordWrap() and label.text()]
    assert window.panel.network_note in labels and window.panel.result_label in labels
    for size in ((900, 480), (1280, 800)):  # and made tall again: the note stayed cut at 1280 x 800
        window.resize(*size)
        qtbot.wait(50)
        for label in labels:
            needed = label.heightForWidth(label.width())
            assert label.height() >= needed, (size, label.text()[:40], label.height(), needed)
