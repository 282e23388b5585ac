"""The window's results: each photo's strength and saved state, saving, and what the status shows."""

from __future__ import annotations

import dataclasses
import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSettings  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from deblur_app.gui import dialogs  # noqa: E402
from deblur_app.gui.save_dialog import SaveDialog  # noqa: E402

from guikit import WAIT, batch_dialog, open_photo, run, run_batch  # noqa: E402


def select(qtbot, window, path):
    window.open_paths([path])  # already open: selects it
    qtbot.waitUntil(lambda: window.current_photo() is not None and window.current_photo().path == path
                    and window.current_photo().loaded, timeout=WAIT)
    return window.current_photo()


def unsaved_count(window) -> int:
    return sum(p.unsaved for p in window.photos.values())


def test_strength_belongs_to_each_photo_and_viewing_never_unsaves(qtbot, window, photo):
    a_path, b_path = photo("a.png", 64, 1), photo("b.png", 64, 2)
    a = open_photo(qtbot, window, a_path)
    run(qtbot, window)
    with qtbot.waitSignal(window.reblended, timeout=WAIT):
        window.panel.strength_spin.setValue(50)
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save.trigger()
    assert a.strength == 0.5 and not a.unsaved and unsaved_count(window) == 0

    b = open_photo(qtbot, window, b_path)
    assert window.panel.strength_spin.value() == 50, "a new result starts at the remembered strength"
    run(qtbot, window)
    assert b.strength == 0.5 and b.result.strength == 0.5
    with qtbot.waitSignal(window.reblended, timeout=WAIT):
        window.panel.strength_spin.setValue(80)
    assert b.strength == 0.8 and a.strength == 0.5, "moving the slider on one photo leaves the others"

    for _round in range(3):  # clicking back and forth changes nothing
        select(qtbot, window, a_path)
        qtbot.wait(300)  # longer than the re-blend delay
        assert window.panel.strength_spin.value() == 50 and a.result.strength == 0.5
        assert not a.unsaved and not window.act_save.isEnabled() and not window.isWindowModified()
        assert window.filmstrip.item_for(a.key).text().startswith("✓")
        select(qtbot, window, b_path)
        assert window.panel.strength_spin.value() == 80
        assert unsaved_count(window) == 1
    assert window.settings.strength == 80, "the remembered strength is the last one chosen"

    # the saved file is current again when the strength returns to the one it was saved at
    select(qtbot, window, a_path)
    with qtbot.waitSignal(window.reblended, timeout=WAIT):
        window.panel.strength_spin.setValue(60)
    assert a.unsaved and window.act_save.isEnabled() and "not saved at this strength" in window.panel.result_label.text()
    with qtbot.waitSignal(window.reblended, timeout=WAIT):
        window.panel.strength_spin.setValue(50)
    assert not a.unsaved and not window.act_save.isEnabled()


def test_strength_reblends_while_the_model_thread_is_busy(qtbot, window, photo):
    """The blend runs off the model thread: it does not wait for a long network run to end."""
    a_path = photo("quick.png", 64, 1)
    a = open_photo(qtbot, window, a_path)
    first = run(qtbot, window)
    open_photo(qtbot, window, photo("long.png", 128, 2))
    window.panel.ensemble_check.setChecked(True)
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    select(qtbot, window, a_path)
    with qtbot.waitSignal(window.reblended, timeout=WAIT) as blocker:
        window.panel.strength_spin.setValue(30)
    assert window.engine.busy, "the network run is still going"
    assert blocker.args[0].full is first.full and a.result.strength == 0.3
    window.cancel()


def test_save_as_scales_are_for_that_save_only(qtbot, window, photo, monkeypatch):
    a_path, b_path = photo("first.png", 64, 1), photo("second.png", 64, 2)
    open_photo(qtbot, window, a_path)
    run(qtbot, window)

    def accept_with_scales(dialog):
        assert not dialog.scales_check.isChecked(), "the dialog starts without the ½ and ¼ outputs"
        dialog.scales_check.setChecked(True)
        return SaveDialog.DialogCode.Accepted

    monkeypatch.setattr(SaveDialog, "exec", accept_with_scales)
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save_as.trigger()
    assert len(saved.args[0]) == 3 and a_path.with_name("first_deblurred_half.png").is_file()

    open_photo(qtbot, window, b_path)
    run(qtbot, window)
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save.trigger()
    assert saved.args[0] == [b_path.with_name("second_deblurred.png")]
    assert not b_path.with_name("second_deblurred_half.png").exists()
    window.settings.sync()
    stored = QSettings(window.settings.store.fileName(), QSettings.Format.IniFormat)
    assert "save/scales" not in stored.allKeys()

    monkeypatch.setattr(SaveDialog, "exec", accept_with_scales)  # asserts the box is unchecked again
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save_as.trigger()


def test_save_all_from_the_menu_and_from_the_quit_prompt(qtbot, window, photo, monkeypatch):
    paths = [photo(f"p{index}.png", 64, index) for index in range(3)]
    for path in paths[:2]:
        open_photo(qtbot, window, path)
        run(qtbot, window)
    file_menu = window.menuBar().actions()[0].menu()
    assert window.act_save_all in file_menu.actions() and window.act_save_all.isEnabled()
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save_all.trigger()
    qtbot.waitUntil(lambda: unsaved_count(window) == 0, timeout=WAIT)
    assert all(p.with_name(f"{p.stem}_deblurred.png").is_file() for p in paths[:2])
    assert not window.act_save_all.isEnabled()

    open_photo(qtbot, window, paths[2])
    run(qtbot, window)
    asked = []
    monkeypatch.setattr(dialogs, "choose", lambda _p, _title, text, choices, *_a: asked.append((text, choices)) or "save")
    window.close()
    assert "p2.png" in asked[0][0] and [key for key, _label in asked[0][1]] == ["save", "quit"]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    assert paths[2].with_name("p2_deblurred.png").is_file() and unsaved_count(window) == 0


def test_window_title_marks_only_the_selected_photos_unsaved_result(qtbot, window, photo):
    a_path, b_path = photo("t1.png", 64, 1), photo("t2.png", 64, 2)
    open_photo(qtbot, window, a_path)
    assert not window.isWindowModified(), "no result yet"
    run(qtbot, window)
    assert window.isWindowModified()
    open_photo(qtbot, window, b_path)
    assert not window.isWindowModified(), "this photo has no result"
    select(qtbot, window, a_path)
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save.trigger()
    assert not window.isWindowModified()


def test_zoom_label_says_fit_and_the_steps_land_on_round_percentages(qtbot, window, photo):
    window.resize(700, 450)
    qtbot.wait(50)
    open_photo(qtbot, window, photo("big.png", 1024))
    qtbot.wait(50)
    fitted = window.viewers.zoom() * 100 * window.devicePixelRatioF()
    assert fitted < 90
    assert window.zoom_label.text() == f"Fit ({fitted:.0f} %)"
    window.act_actual.trigger()
    assert window.zoom_label.text() == "Zoom 100 %"
    window.act_fit.trigger()
    assert window.zoom_label.text().startswith("Fit")
    seen = []
    while window.viewers.zoom() * window.devicePixelRatioF() < 4.5:
        window.act_zoom_in.trigger()
        seen.append(window.zoom_label.text())
    for wanted in (50, 100, 200, 400):
        assert f"Zoom {wanted} %" in seen, seen
    window.act_actual.trigger()
    window.act_zoom_out.trigger()
    assert window.zoom_label.text() == "Zoom 67 %"


def test_status_during_and_after_runs_belongs_to_the_photo(qtbot, window, photo):
    a_path, b_path = photo("s1.png", 96, 1), photo("s2.png", 64, 2)
    a = open_photo(qtbot, window, a_path)
    assert "Not deblurred yet" in window.viewers.compare.right.message
    window.panel.ensemble_check.setChecked(True)
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    qtbot.waitUntil(lambda: "Deblurring" in window.viewers.compare.right.message, timeout=WAIT)
    assert "elapsed" in window.viewers.compare.right.message and "elapsed" in window.elapsed_label.text()
    with qtbot.waitSignal(window.engine.cancelled, timeout=WAIT):
        window.cancel()
    assert window.statusBar().currentMessage() == "Cancelled; no result yet", "there was no previous result"
    assert window.elapsed_label.text().startswith("Cancelled after")
    assert "Not deblurred yet" in window.viewers.compare.right.message

    window.panel.ensemble_check.setChecked(False)
    open_photo(qtbot, window, b_path)
    assert window.elapsed_label.text() == "", "the other photo's cancelled run is not this one's"
    assert not window.elapsed_label.isVisible(), "no empty box in the status bar"
    run(qtbot, window)
    assert window.elapsed_label.text().startswith("Last run")
    select(qtbot, window, a_path)
    assert window.elapsed_label.text().startswith("Cancelled after") and a.result is None


def test_run_progress_gives_time_left_from_tiles_or_the_last_runs_speed(qtbot, window, monkeypatch):
    runs = window.runs
    now = [1000.0]
    monkeypatch.setattr("deblur_app.gui.run_tracking.time.monotonic", lambda: now[0])
    monkeypatch.setattr(window.engine, "submit", lambda request: 41)
    pixels = np.zeros((1000, 2000, 3), np.float32)  # 2 megapixels
    runs.start("photo", pixels, window.panel.run_settings())
    now[0] += 3
    assert runs.progress_text() == "3 s elapsed", "loading the model: nothing to estimate from"
    runs._on_progress(41, 0, 0, "")  # the model is ready
    now[0] += 10
    runs._on_progress(41, 2, 10, "tile 2 of 10")
    assert runs.progress_text() == "13 s elapsed · about 40 s left"
    now[0] += 15
    assert runs.progress_text() == "28 s elapsed · about 25 s left", "counts down between tiles"
    now[0] += 60
    assert runs.progress_text().endswith("almost done")

    settings = window.panel.run_settings()
    runs.speeds[(settings.variant, settings.device, settings.precision)] = 4.0  # the last run's: 8 s for this photo
    runs.start("photo", pixels, settings)
    runs._on_progress(41, 0, 0, "")
    now[0] += 3
    assert runs.progress_text() == "3 s elapsed · about 5 s left"
    runs.start("photo", pixels, dataclasses.replace(settings, ensemble=True))
    runs._on_progress(41, 0, 0, "")
    now[0] += 3
    assert runs.progress_text() == "3 s elapsed · about 1 min 01 s left", "8 ensemble passes take 8 times as long"
    runs.start("photo", pixels, dataclasses.replace(settings, precision="fp32"))
    runs._on_progress(41, 0, 0, "")
    now[0] += 3
    assert runs.progress_text() == "3 s elapsed", "no run at this precision yet: no guess"
    runs.run = None


def test_a_finished_run_teaches_the_speed_for_the_next_estimate_unless_too_small_to_tell(qtbot, window, photo,
                                                                                       monkeypatch):
    """An 8 × 8 photo took 9.7 s (what any run costs, not the network's speed per pixel): the next 0.5 MP photo
    said "Slow network: about 20 h for this photo" and counted down from 20 h."""
    open_photo(qtbot, window, photo("speed.png", 64))
    assert window.runs.speeds == {}
    outcome = run(qtbot, window)
    assert window.runs.speeds == {}, "64 × 64: too small to time the network by"
    runs, settings = window.runs, window.panel.run_settings()
    monkeypatch.setattr(window.engine, "submit", lambda request: 41)
    runs.start("photo", np.zeros((1000, 2000, 3), np.float32), settings)  # 2 megapixels
    whole = dataclasses.replace(outcome.facts, seconds=8.0, computed_pixels=2_000_000)  # in one piece
    runs._on_finished(41, dataclasses.replace(outcome, facts=whole))
    assert runs.speeds == {(settings.variant, settings.device, settings.precision): pytest.approx(4.0)}
    # in tiles that computed twice its pixels (their overlap): the network's speed is per pixel computed
    runs.start("photo", np.zeros((1000, 2000, 3), np.float32), settings)
    tiled = dataclasses.replace(whole, computed_pixels=4_000_000)
    runs._on_finished(41, dataclasses.replace(outcome, facts=tiled))
    assert runs.speeds == {(settings.variant, settings.device, settings.precision): pytest.approx(2.0)}


# --------------------------------------------------------------------------- the batch dialog


def test_batch_dialog_problem_goes_once_the_folder_is_fixed(qtbot, window, tmp_path):
    dialog = batch_dialog(window, tmp_path / "missing", tmp_path / "out")
    dialog.start_button.click()
    assert dialog.problem_label.text() == "Choose an input folder that exists." and not dialog.running
    (tmp_path / "missing").mkdir()
    dialog.input_edit.setText(str(tmp_path / "missing") + "/")  # typing the last character
    assert dialog.problem_label.text() == ""


def test_batch_dialog_time_moves_between_the_workers_reports(qtbot, window, tmp_path, monkeypatch):
    from deblur_app.jobs import BatchEvent

    (tmp_path / "in").mkdir()
    window.show_batch()
    dialog = window.batch_dialog
    dialog.input_edit.setText(str(tmp_path / "in"))
    dialog.output_edit.setText(str(tmp_path / "out"))
    now = [500.0]
    monkeypatch.setattr("deblur_app.gui.batch_dialog.time.monotonic", lambda: now[0])
    monkeypatch.setattr(window.engine, "submit", lambda request: 77)
    dialog.start()
    assert dialog._tick.isActive()
    dialog._on_event(77, BatchEvent("start", total=3))
    dialog._on_event(77, BatchEvent("file", 0, 3, tmp_path / "in" / "a.png"))
    now[0] += 4
    dialog._tick.timeout.emit()
    assert dialog.eta_label.text() == "4 s elapsed" and dialog.file_bar.format() == "This photo: %p% · 4 s"
    dialog._on_event(77, BatchEvent("done", 0, 3, tmp_path / "in" / "a.png", seconds=4.0))
    dialog._on_event(77, BatchEvent("file", 1, 3, tmp_path / "in" / "b.png"))
    assert dialog.eta_label.text() == "4 s elapsed · about 8 s left"
    now[0] += 6
    dialog._tick.timeout.emit()
    assert dialog.eta_label.text() == "10 s elapsed · about 5 s left", "a slow photo slows the pace: 5 s a photo"
    assert dialog.file_bar.format() == "This photo: %p% · 6 s"
    dialog._on_event(77, BatchEvent("failed", 1, 3, tmp_path / "in" / "b.png",
                                    reason=f"{tmp_path / 'in' / 'b.png'}: not an image file"))
    item = dialog.failures.topLevelItem(0)
    assert item.text(0) == "b.png" and item.text(1) == "not an image file", "the path is named once"
    dialog._on_event(77, BatchEvent("file", 2, 3, tmp_path / "in" / "c.png"))
    assert dialog.eta_label.text() == "10 s elapsed · about 4 s left", "a failed photo does not speed up the pace"
    dialog._stop()
    assert not dialog._tick.isActive()


def test_batch_dialog_columns_fit_at_the_default_size(qtbot, window, tmp_path):
    window.show_batch()
    dialog = window.batch_dialog
    qtbot.waitExposed(dialog)
    dialog.input_edit.setText(str(tmp_path / "a" / "long" / "folder" / "name" / "of" / "photos"))
    long_name = tmp_path / "a" / "long" / "folder" / "name" / "of" / "photos" / ("x" * 80 + ".jpg")
    dialog._add_failure(long_name, f"{long_name}: file is truncated or damaged (broken data stream)")
    tree = dialog.failures
    assert tree.columnWidth(0) <= tree.viewport().width() // 2
    assert tree.columnWidth(0) + tree.header().sectionSize(1) <= tree.viewport().width() + 1
    for label in dialog.findChildren(type(dialog.problem_label)):
        if label.isVisible() and label.text() and not label.wordWrap():
            assert label.width() >= label.sizeHint().width(), f"{label.text()!r} is cut off"


def _camera_jpeg(path, photo_like):
    from PIL import Image

    Image.fromarray((photo_like(96, 128) * 255).round().astype(np.uint8)).save(path, quality=75, subsampling=2)
    return path


def _encoding(path):
    from PIL import Image, JpegImagePlugin

    with Image.open(path) as image:
        return JpegImagePlugin.get_sampling(image), image.quantization


def test_save_keeps_a_jpeg_sources_quality_and_save_as_quality_is_for_that_save_only(
        qtbot, window, photo_like, tmp_path, monkeypatch):
    """Save writes a JPEG from a JPEG with the source's tables and 4:2:0 (issue 11), not quality 95 4:4:4;
    a quality picked in Save As applies to that save only."""
    source = _camera_jpeg(tmp_path / "camera.jpg", photo_like)
    open_photo(qtbot, window, source)
    run(qtbot, window)
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save.trigger()
    assert _encoding(saved.args[0][0]) == _encoding(source)

    def accept_at_90(dialog):
        assert dialog.choice().quality is None, "Save As starts at the original's quality for a JPEG"
        assert dialog.quality_spin.text() == dialog.quality_spin.specialValueText() != ""
        dialog.quality_spin.setValue(90)
        dialog.path_edit.setText(str(tmp_path / "chosen.jpg"))
        return SaveDialog.DialogCode.Accepted

    monkeypatch.setattr(SaveDialog, "exec", accept_at_90)
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save_as.trigger()
    sampling, tables = _encoding(saved.args[0][0])
    assert sampling == 0 and tables != _encoding(source)[1], "the quality picked in Save As is used"

    with qtbot.waitSignal(window.reblended, timeout=WAIT):
        window.panel.strength_spin.setValue(60)  # unsaved again
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save.trigger()
    assert _encoding(saved.args[0][0]) == _encoding(source), "Save does not remember Save As's quality"
    offered = []
    monkeypatch.setattr(SaveDialog, "exec", lambda dialog: offered.append(dialog.choice().quality) or 0)
    window.act_save_as.trigger()
    assert offered == [None], "Save As starts at the original's quality again"


def test_batch_dialog_keeps_a_jpeg_sources_quality(qtbot, window, photo_like, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    source = _camera_jpeg(folder / "camera.jpg", photo_like)
    dialog = batch_dialog(window, folder, tmp_path / "out")
    assert run_batch(qtbot, window, dialog).done == 1
    assert _encoding(tmp_path / "out" / "camera_deblurred.jpg") == _encoding(source)


def test_a_save_that_ends_after_a_new_result_arrived_leaves_the_new_result_unsaved(qtbot, window, photo, monkeypatch):
    """Ctrl+S on a large photo, and a run (or Keep in Compare) ended while the file was written: the window said
    "Saved to photo_deblurred.png" of the new result, Save was off and Quit did not ask, but the file held the
    result before it."""
    import threading

    from deblur_app import jobs

    path = photo("raced.png", 64)
    current = open_photo(qtbot, window, path)
    first = run(qtbot, window)
    writing, release = threading.Event(), threading.Event()
    real_save = jobs.save_result

    def held_save(*args, **kwargs):  # the file pool's write, held until the next result has arrived
        writing.set()
        release.wait(WAIT / 1000)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(jobs, "save_result", held_save)
    window.act_save.trigger()
    qtbot.waitUntil(writing.is_set, timeout=WAIT)
    second = run(qtbot, window)
    assert second.full is not first.full and current.result.full is second.full
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        release.set()
    written = imagefiles.load_image(path.with_name("raced_deblurred.png")).pixels
    assert np.abs(written - first.full).max() <= 1 / 255 + 1e-6, "the file holds the first result"
    assert current.unsaved and window.act_save.isEnabled(), "the result on screen is not the one in the file"
    assert "Not saved yet" in window.panel.result_label.text()
