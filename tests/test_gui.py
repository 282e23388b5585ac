"""The window, driven headless (QT_QPA_PLATFORM=offscreen) with tiny random-weight models."""

from __future__ import annotations

import gc
import os
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QEvent, QMimeData, QObject, QPoint, QPointF, QSettings, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from deblur_app.gui import client, dialogs  # noqa: E402
from deblur_app.gui.about import AboutDialog  # noqa: E402
from deblur_app.gui.imaging import to_u8  # noqa: E402
from deblur_app.gui.main_window import MainWindow  # noqa: E402
from deblur_app.gui.settings import AppSettings  # noqa: E402
from deblur_app.gui.tasks import SaveChoice  # noqa: E402

from guikit import WAIT, batch_dialog, bf16_as_run, open_photo, run, run_batch  # noqa: E402

# ---------------------------------------------------------------------------------------------


def test_open_deblur_show_and_save(qtbot, window, photo, errors):
    path = photo("street.png", 64)
    current = open_photo(qtbot, window, path)
    assert current.image.width == 64
    assert window.viewers.compare.left.has_image()
    assert not window.viewers.compare.right.has_image(), "no result before a run"
    assert not window.act_save.isEnabled()
    assert window.act_deblur.isEnabled() and window.panel.run_button.text() == "Deblur"
    # MIMO-UNet+ has no weights here: disabled, and the tooltip says where they go
    plus = window.panel.model_combo.model().item(window.panel.model_combo.findData("mimo-unet+"))
    assert not plus.isEnabled() and "MIMO-UNetPlus.pkl" in plus.toolTip()

    outcome = run(qtbot, window)
    assert outcome.full.shape == (64, 64, 3) and outcome.half.shape == (32, 32, 3) and outcome.quarter.shape == (16, 16, 3)
    views = window.viewers
    assert views.compare.right.item.primary.width == 64
    views.set_mode("split")
    assert views.currentWidget() is views.split and views.split.item.secondary is not None
    views.set_mode("scales")
    assert views.scales.headers["half"].text() == "½ — 32 × 32"
    assert views.scales.outputs["quarter"].item.primary.width == 16
    assert views.scales.inputs["quarter"].item.primary.width == 16
    views.set_mode("difference")
    assert views.difference.has_image() and views.difference.max_change == pytest.approx(outcome.max_change)
    views.set_mode("side")
    assert "tiles" in window.statusBar().currentMessage() or window.elapsed_label.text().endswith("s")

    # linked zoom: zooming the result zooms the original the same
    window.act_zoom_in.trigger()
    window.act_zoom_in.trigger()
    assert views.compare.right.zoom() == pytest.approx(views.compare.left.zoom())
    assert views.compare.left.zoom() != pytest.approx(1.0) or not views.compare.left.fit_mode

    # hold Space: the result view shows the original, release: the result again
    shown = views.compare.right.item.primary
    qtbot.keyPress(views.compare.right, Qt.Key.Key_Space)
    assert views.compare.right.item.primary is current.original
    qtbot.keyRelease(views.compare.right, Qt.Key.Key_Space)
    assert views.compare.right.item.primary is shown

    # Save writes {stem}_deblurred.png beside the original with the result's pixels
    assert window.act_save.isEnabled()
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save.trigger()
    target = path.with_name("street_deblurred.png")
    assert saved.args[0] == [target] and target.is_file()
    written = imagefiles.load_image(target)
    assert np.array_equal(to_u8(written.pixels), to_u8(outcome.full))
    assert not window.act_save.isEnabled(), "nothing left to save"
    assert not errors

    # the About box names the loaded weights and their provenance
    about = AboutDialog(window.engine.info, window.engine.loaded_model, window)
    assert "gui test (random weights)" in about.text.text() and window.engine.info.torch_version in about.text.text()


def test_save_as_formats_scales_and_original_protection(qtbot, window, photo, errors, monkeypatch):
    path = photo("portrait.png", 64)
    current = open_photo(qtbot, window, path)
    run(qtbot, window)
    original_bytes = path.read_bytes()

    jpeg = path.with_name("portrait_out.jpg")
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.saving.save_photo(current, SaveChoice(jpeg, None, 80, save_scales=True))
    half, quarter = path.with_name("portrait_out_half.jpg"), path.with_name("portrait_out_quarter.jpg")
    assert saved.args[0] == [jpeg, half, quarter]
    assert imagefiles.load_image(half).width == 32 and imagefiles.load_image(quarter).width == 16

    tiff = path.with_name("portrait_out.tif")
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.saving.save_photo(current, SaveChoice(tiff, 16, 95))
    assert imagefiles.load_image(tiff).bit_depth == 16

    assert not errors
    # the original is never replaced: a one-line error, no confirmation to click through
    asked = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, title, *_a, **_k: asked.append(title) or True)
    window.saving.save_photo(current, SaveChoice(path, None, 95))
    qtbot.wait(200)
    assert asked == [] and path.read_bytes() == original_bytes
    assert errors[-1][0] == "Cannot Save" and "is the input photo" in errors[-1][1]


def test_cancel_mid_run_keeps_previous_result(qtbot, window, photo):
    current = open_photo(qtbot, window, photo("cat.png", 96))
    first = run(qtbot, window)
    window.panel.ensemble_check.setChecked(True)
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    assert window.panel.run_button.text() == "Cancel" and window.act_cancel.isEnabled()
    assert not window.act_deblur.isEnabled()
    with qtbot.waitSignal(window.engine.cancelled, timeout=WAIT):
        qtbot.mouseClick(window.panel.run_button, Qt.MouseButton.LeftButton)
    assert current.result is first, "the previous result stays after a cancel"
    assert window.panel.run_button.text() == "Deblur" and not window.act_cancel.isEnabled()
    assert "Cancelled" in window.statusBar().currentMessage()
    assert window.elapsed_label.text().startswith("Cancelled after"), "the time shown is not a finished run's"


def test_changing_a_setting_restarts_the_run(qtbot, window, photo):
    open_photo(qtbot, window, photo("bird.png", 64))
    window.panel.ensemble_check.setChecked(True)
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    with qtbot.waitSignal(window.run_finished, timeout=WAIT) as finished:
        window.panel.ensemble_check.setChecked(False)  # cancels the ensemble run, starts a plain one
    assert finished.args[0].facts.passes == 1


def test_bad_photo_and_bad_weights_show_errors_and_the_app_keeps_working(qtbot, window, photo, errors, tmp_path, monkeypatch):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 this is not a jpeg")
    window.open_paths([broken])
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    title, reason, _details = errors[0]
    assert title == "Cannot Open Photo" and "broken.jpg" in reason and "\n" not in reason
    assert window.filmstrip.count() == 0 and not window.photos

    good = photo("fine.png", 64)
    open_photo(qtbot, window, good)
    assert window.act_deblur.isEnabled()

    # weights that cannot be read: a dialog with a one-line reason, then the window still works
    bad_dir = tmp_path / "bad-weights"
    bad_dir.mkdir()
    (bad_dir / "mimo-unet.safetensors").write_bytes(b"not weights")
    monkeypatch.setattr("deblur_app.weights.catalog.weights_search_dirs", lambda: [bad_dir])
    window.panel.tile_spin.setValue(256)  # a different engine key is not needed: force a reload
    window.engine._worker._engine = None
    with qtbot.waitSignal(window.engine.failed, timeout=WAIT):
        window.act_deblur.trigger()
    assert errors[-1][0] == "Deblurring Failed" and "mimo-unet.safetensors" in errors[-1][1]
    assert errors[-1][2], "details hold the traceback"
    assert window.act_deblur.isEnabled() and window.current_photo().result is None


def test_preview_deblurs_only_the_visible_area(qtbot, window, photo):
    window.resize(700, 450)
    qtbot.wait(50)
    current = open_photo(qtbot, window, photo("wide.png", 256))
    outcome = run(qtbot, window, window.act_preview)
    assert outcome.preview and current.result is None and current.preview is outcome
    left, top, width, height = outcome.region
    assert outcome.full.shape[:2] == (height, width) and width < 256
    assert left % 4 == 0 and top % 4 == 0
    assert not window.act_save.isEnabled(), "a preview is not a saveable result"
    assert window.viewers.compare.right.item.mark is not None
    assert window.viewers.compare.right.zoom() == pytest.approx(1.0 / window.devicePixelRatioF())
    assert window.viewers.compare.left.zoom() == pytest.approx(window.viewers.compare.right.zoom())


def test_responsive_while_running(qtbot, window, photo):
    """The GUI thread keeps ticking every 20 ms while the worker runs a long job."""
    open_photo(qtbot, window, photo("slow.png", 128))
    window.panel.ensemble_check.setChecked(True)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    # Objects left by earlier tests in this process are not the app's: move them out of
    # the collector's way so a full collection of them does not count as a GUI stall.
    gc.collect()
    gc.freeze()
    timer.start()
    started = time.perf_counter()
    try:
        for _attempt in range(10):  # fast machines: repeat until the GUI has waited >= 1 s on the worker
            run(qtbot, window)
            if time.perf_counter() - started >= 1.0:
                break
    finally:
        timer.stop()
        gc.unfreeze()
    duration = time.perf_counter() - started
    assert duration >= 1.0, f"the jobs took {duration:.2f} s; too short to measure responsiveness"
    gaps = np.diff(ticks)
    assert len(ticks) > 10, f"the GUI thread ticked {len(ticks)} times in {duration:.2f} s"
    # The job on the GUI thread would stop every tick for most of the run. On a machine run far past its cores
    # (six engineers on two: load 30), the scheduler alone delays a 20 ms timer by up to 0.3 s, so the longest
    # stall allowed there is what such a machine shows, not the 0.2 s of one with its cores free.
    blocked = np.clip(gaps - 0.02, 0, None).sum() / duration
    assert blocked < 0.5, f"the GUI thread was blocked for {blocked:.0%} of the run"
    longest = 1.0 if _overloaded() else 0.2
    assert gaps.max() < longest, f"GUI thread blocked for {gaps.max() * 1000:.0f} ms"


def _overloaded() -> bool:
    """More runnable work than twice the cores: the scheduler alone then delays a thread by tenths of a second."""
    return os.getloadavg()[0] > 2 * (os.cpu_count() or 1)


def _drag(window, paths: list[Path]) -> tuple[bool, QMimeData]:
    """Drag files over the window like a file manager does; True if the window accepts them."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    return enter.isAccepted(), mime


def test_drag_and_drop_opens_photos(qtbot, window, photo, tmp_path):
    paths = [photo("a.png", 64, 1), photo("b.png", 64, 2)]
    (tmp_path / "notes.txt").write_text("not a photo")
    accepted, _mime = _drag(window, [tmp_path / "notes.txt"])
    assert not accepted, "a text file is refused"
    accepted, mime = _drag(window, paths)
    assert accepted
    drop = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.photo_loaded, timeout=WAIT):
        QApplication.sendEvent(window, drop)
    assert drop.isAccepted()
    assert window.filmstrip.count() == 2 and window.current_photo().path == paths[0]
    window.act_next.trigger()
    assert window.current_photo().path == paths[1]


def test_precision_is_chosen_in_the_window(qtbot, window, photo):
    open_photo(qtbot, window, photo("cat.png", 64))
    combo = window.panel.precision_combo
    has_gpu = any(device in window.engine_info.devices for device in ("cuda", "mps"))
    assert combo.model().item(combo.findData("fp16")).isEnabled() == has_gpu  # fp16 is offered for GPUs only
    combo.setCurrentIndex(combo.findData("fp32"))
    assert run(qtbot, window).facts.precision == "fp32"
    assert window.device_label.text().endswith("(fp32)")
    combo.setCurrentIndex(combo.findData("bf16"))
    assert run(qtbot, window).facts.precision == bf16_as_run()


def test_strength_reblends_without_a_new_run_and_is_what_is_saved(qtbot, window, photo):
    path = photo("strength.png", 64)
    current = open_photo(qtbot, window, path)
    full = run(qtbot, window)
    assert full.strength == 1.0 and not full.reblended and full.max_change > 0.05
    with qtbot.waitSignal(window.reblended, timeout=WAIT) as blocker:
        window.panel.strength_slider.setValue(0)
    none = blocker.args[0]
    assert none.reblended and none.strength == 0.0 and none.full is full.full  # no second network run
    assert none.scales is full.scales  # the coarse outputs are the network's own at any strength
    assert none.max_change == 0.0 and window.panel.strength_spin.value() == 0
    assert "Showing 0 % of the correction" in window.panel.result_label.text()
    with qtbot.waitSignal(window.reblended, timeout=WAIT) as blocker:
        window.panel.strength_spin.setValue(40)
    part = blocker.args[0]
    assert part.max_change == pytest.approx(0.4 * full.max_change, abs=1e-4)
    assert window.panel.strength_slider.value() == 40 and window.settings.strength == 40

    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save.trigger()
    written = imagefiles.load_image(path.with_name("strength_deblurred.png")).pixels
    expected = 0.6 * current.image.pixels + 0.4 * full.full
    assert np.abs(written - expected).max() <= 1 / 255 + 1e-6
    assert not window.act_save.isEnabled()
    with qtbot.waitSignal(window.reblended, timeout=WAIT):
        window.panel.strength_spin.setValue(70)
    assert window.act_save.isEnabled(), "the saved file has the old strength"


def test_batch_uses_its_own_strength(qtbot, window, photo, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    imagefiles.save_image(source / "shot.png", imagefiles.load_image(photo("s.png", 64)).pixels)
    dialog = batch_dialog(window, source, tmp_path / "out")
    dialog.strength_spin.setValue(0)
    assert run_batch(qtbot, window, dialog).done == 1 and "strength 0 %" in dialog.summary.log_path.read_text()
    written = imagefiles.load_image(tmp_path / "out" / "shot_deblurred.png").pixels
    assert np.array_equal(to_u8(written), to_u8(imagefiles.load_image(source / "shot.png").pixels))
    assert window.settings.batch_strength == 0


def test_quitting_while_a_batch_runs_asks_first_and_a_no_keeps_both_running(qtbot, window, photo, tmp_path,
                                                                             monkeypatch):
    """Quit stopped a batch of hours without a word (its dialog may be hidden behind the window); it asks now,
    and Cancel leaves the window open and the batch running."""
    source = tmp_path / "in"
    source.mkdir()
    for index in range(3):
        imagefiles.save_image(source / f"shot{index}.png", imagefiles.load_image(photo(f"s{index}.png", 64)).pixels)
    dialog = batch_dialog(window, source, tmp_path / "out")
    asked = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, title, text, action="", *_a, **_k: asked.append(
        (title, text, action)) and False)
    dialog.start_button.click()
    window.close()
    assert window.isVisible() and dialog.running, "the answer was Cancel"
    title, text, action = asked[0]
    assert title == "Batch Running" and "Quitting stops it" in text and action == "Stop the Batch and Quit"
    with qtbot.waitSignal(window.engine.finished, timeout=WAIT):
        pass
    assert not dialog.running
    window.close()  # no batch: nothing to ask
    assert len(asked) == 1 and not window.isVisible()


def test_settings_round_trip(qtbot, make_window, photo):
    first = make_window()
    first.panel.ensemble_check.setChecked(True)
    first.panel.tile_spin.setValue(384)
    first.panel.device_combo.setCurrentIndex(first.panel.device_combo.findData("cpu"))
    first.panel.precision_combo.setCurrentIndex(first.panel.precision_combo.findData("fp32"))
    first.panel.strength_spin.setValue(65)
    first.set_view_mode("difference")
    first.splitter.setSizes([200, 600, 300])
    sizes = first.splitter.sizes()
    first.open_paths([photo("recent.png", 64)])
    qtbot.waitUntil(lambda: first.current_photo().loaded, timeout=WAIT)
    first.settings.set_folder("batch_output", "/some/folder")
    first.resize(700, 520)  # within the offscreen screen (800 x 600)
    first.close()

    second = make_window()
    assert second.panel.ensemble_check.isChecked()
    assert second.panel.tile_spin.value() == 384 and second.panel.run_settings().tile == 384
    assert second.panel.run_settings().device == "cpu" and second.panel.run_settings().precision == "fp32"
    assert second.panel.strength_slider.value() == 65 and second.panel.run_settings().strength == 0.65
    assert second.viewers.mode() == "difference" and second.mode_actions["difference"].isChecked()
    assert second.splitter.sizes() == sizes
    assert second.settings.geometry() is not None and second.restoreGeometry(second.settings.geometry())
    assert second.size() == first.size()
    assert second.settings.folder("batch_output") == "/some/folder"
    assert second.settings.folder("open") == str(second.settings.recent_files()[0]).rsplit("/", 1)[0]
    assert second.settings.recent_files()[0].endswith("recent.png")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_named_like_a_photo_is_refused_and_the_next_photo_still_opens(qtbot, window, photo, errors, tmp_path):
    """The window reads photos one at a time in its file pool: a named pipe called .jpg blocked it for ever,
    and no photo opened after it. Now it is refused at once, in one line, and the next photo opens."""
    pipe = tmp_path / "pipe.jpg"
    os.mkfifo(pipe)
    try:
        window.open_paths([pipe])
        qtbot.waitUntil(lambda: bool(errors), timeout=20_000)
        assert str(errors[0][1]) == f"{pipe}: is a device, pipe or socket, not an image file"
        assert open_photo(qtbot, window, photo("after.png")).image is not None
    finally:
        os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))


def test_batch_dialog_over_a_folder_with_a_bad_file(qtbot, window, photo, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    for index in range(2):
        imagefiles.save_image(source / f"shot{index}.png", imagefiles.load_image(photo(f"s{index}.png", 64, index)).pixels)
    (source / "damaged.jpg").write_bytes(b"\xff\xd8 broken")
    target = tmp_path / "out"
    dialog = batch_dialog(window, source, target)
    with qtbot.waitSignal(window.engine.finished, timeout=WAIT):
        dialog.start_button.click()
        assert not window.act_deblur.isEnabled() and dialog.cancel_button.isEnabled()
    summary = dialog.summary
    assert summary.done == 2 and summary.skipped == 0 and len(summary.failed) == 1
    assert summary.failed[0][0].name == "damaged.jpg" and "damaged.jpg" in summary.failed[0][1]
    assert dialog.failures.topLevelItemCount() == 1
    assert (target / "shot0_deblurred.png").is_file() and (target / "shot1_deblurred.png").is_file()
    log = summary.log_path.read_text()
    assert summary.log_path.parent == target and "FAILED" in log and "2 deblurred" in log
    assert "2 deblurred, 0 skipped, 1 failed" in dialog.summary_label.text()
    assert dialog.overall_bar.value() == 3 and dialog.start_button.isEnabled()

    again = run_batch(qtbot, window, dialog)  # again: the existing outputs are skipped
    assert again.skipped == 2 and again.done == 0


def test_batch_dialog_lists_the_files_it_leaves_out_with_the_reason(qtbot, window, photo, tmp_path):
    from PIL import Image

    source = tmp_path / "in"
    source.mkdir()
    pixels = imagefiles.load_image(photo("s.png", 64)).pixels
    imagefiles.save_image(source / "shot.png", pixels)
    imagefiles.save_image(source / "shot_deblurred.png", pixels)  # saved beside it: an output by its name
    imagefiles.save_image(source / "renamed.png", pixels, marker=imagefiles.app_marker())  # by its marker
    frames = [Image.new("RGB", (16, 16), (60 * i, 0, 0)) for i in range(2)]
    frames[0].save(source / "party.gif", save_all=True, append_images=frames[1:])
    dialog = batch_dialog(window, source, tmp_path / "out")
    summary = run_batch(qtbot, window, dialog)
    assert summary.done == 1 and [p.name for p, _ in summary.left_out] == ["party.gif", "renamed.png",
                                                                           "shot_deblurred.png"]
    listed = {dialog.failures.topLevelItem(i).text(0): dialog.failures.topLevelItem(i).text(1)
              for i in range(dialog.failures.topLevelItemCount())}
    assert listed["shot_deblurred.png"].startswith("an output of this app (the deblurred copy of shot.png)")
    assert listed["renamed.png"].startswith("an output of this app (made by deblur_app ")
    assert listed["party.gif"].startswith("an animated GIF (2 frames)")
    assert "Left out (not photos to deblur): 3" in dialog.summary_label.text()
    assert "LEFT OUT" in summary.log_path.read_text()
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["shot_deblurred.png"]


def test_closing_during_a_run_stops_the_worker(qtbot, window, photo):
    open_photo(qtbot, window, photo("close.png", 128))
    window.panel.ensemble_check.setChecked(True)
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    started = time.perf_counter()
    window.close()
    # the run stops at its next cancel point, not after its eight passes; a machine loaded past twice its cores
    # (load 30 on two) takes several seconds for that alone
    assert time.perf_counter() - started < (20.0 if _overloaded() else 5.0)
    assert window.worker_stopped and not window.engine.thread_running
    assert not window.isVisible()


def test_the_window_is_gone_from_the_screen_while_quitting_waits_for_the_model_thread(qtbot, window, photo, monkeypatch):
    """Quit during a run of a 3.8 MP photo: the window stayed on the screen, frozen ('Deblurring: 8 s elapsed',
    nothing answering) for the 14 s the model thread took to stop, as if the app had hung."""
    open_photo(qtbot, window, photo("quit.png", 64))
    shutdown = window.engine.shutdown
    visible_while_waiting = []

    def recorded_shutdown(timeout_ms):
        visible_while_waiting.append(window.isVisible())
        return shutdown(timeout_ms)

    monkeypatch.setattr(window.engine, "shutdown", recorded_shutdown)
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    window.close()
    assert visible_while_waiting == [False] and window.worker_stopped


def test_the_model_thread_starts_after_the_first_paint(qtbot, weights_dir, settings_file, errors, monkeypatch):
    """Its first job imports torch, which, started with the window, tripled the time to the first
    paint (benchmarks/bench_startup.py): the window paints first, then the thread starts."""
    monkeypatch.setattr("deblur_app.weights.catalog.weights_search_dirs", lambda: [weights_dir])
    running_at_paint = []

    class PaintWatch(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint and not running_at_paint:
                running_at_paint.append(window.engine.thread_running)
            return False

    window = MainWindow(AppSettings(QSettings(str(settings_file), QSettings.Format.IniFormat)))
    qtbot.addWidget(window)
    watch = PaintWatch()
    window.installEventFilter(watch)  # called before the client's own filter (the newest filter runs first)
    window.show()
    assert not window.engine.thread_running
    qtbot.waitUntil(lambda: window.engine_info is not None, timeout=WAIT)
    assert running_at_paint == [False]
    window.close()
    assert not window.engine.thread_running


def test_a_window_never_shown_gets_its_engine_and_one_closed_unpainted_never_starts_it(qtbot, weights_dir,
                                                                                       settings_file, errors, monkeypatch):
    monkeypatch.setattr("deblur_app.weights.catalog.weights_search_dirs", lambda: [weights_dir])
    hidden = MainWindow(AppSettings(QSettings(str(settings_file), QSettings.Format.IniFormat)))
    qtbot.addWidget(hidden)
    qtbot.waitUntil(lambda: hidden.engine_info is not None, timeout=WAIT)  # tests, About: no paint needed
    hidden.engine.shutdown()
    closed = MainWindow(AppSettings(QSettings(str(settings_file), QSettings.Format.IniFormat)))
    qtbot.addWidget(closed)
    closed.show()
    closed.engine.shutdown()  # before any event ran: no paint yet
    qtbot.wait(client.LATEST_START_MS + 500)
    assert not closed.engine.thread_running


def test_save_pressed_twice_writes_once_more_without_an_error(qtbot, window, photo, errors):
    """Ctrl+S twice in a row: the second save, queued behind the first in the file pool, found the file the first
    had just written and failed with "already exists (use --overwrite to replace it)", a command-line hint in
    the window. This photo's own save under way is replaced by the later one, without a question."""
    source = photo("twice.png", 64)
    open_photo(qtbot, window, source)
    run(qtbot, window)
    with qtbot.waitSignals([window.saved, window.saved], timeout=WAIT):
        window.act_save.trigger()
        window.act_save.trigger()
    assert errors == []
    assert imagefiles.load_image(source.with_name("twice_deblurred.png")).pixels.shape[:2] == (64, 64)
    assert not window.current_photo().unsaved


def test_a_file_that_appears_before_the_write_is_refused_in_the_window_s_words(qtbot, window, photo, errors,
                                                                              monkeypatch):
    """Save found no file, then one appeared before the background write: the write refuses it (jobs.check_outputs),
    and nothing the error dialog carries, its details included, speaks of the command line's --overwrite."""
    from deblur_app.gui import tasks

    source = photo("racing.png", 64)
    open_photo(qtbot, window, source)
    run(qtbot, window)
    target = source.with_name("racing_deblurred.png")
    real_save = tasks.FileTasks._save

    def appears_first(self, key, image, result, choice, strength):
        target.write_bytes(b"someone else's file")
        real_save(self, key, image, result, choice, strength)

    monkeypatch.setattr(tasks.FileTasks, "_save", appears_first)
    window.act_save.trigger()
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    (_title, reason, details), = errors
    shown = dialogs.translated(reason)
    assert "racing_deblurred.png" in shown and "already exists" in shown
    assert "--" not in shown + details and "overwrite" not in (shown + details).lower()
    assert target.read_bytes() == b"someone else's file"
    assert window.current_photo().unsaved


def test_a_photo_over_the_pixel_limit_is_refused_without_the_command_line_s_option(qtbot, window, photo, errors,
                                                                                    monkeypatch):
    """Opening a photo over the decompression-bomb limit: the window says so in its own words, and the dialog's
    details no longer repeat the command line's "(set --max-megapixels to raise it)"."""
    from deblur_app.imagefiles import reading

    monkeypatch.setattr(reading, "MAX_PIXELS", 1000)
    window.open_paths([photo("huge.png", 64)])
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    (_title, reason, details), = errors
    shown = dialogs.translated(reason)
    assert "huge.png" in shown and "megapixels" in shown
    assert "--" not in shown + details


def test_unsaved_results_are_mentioned_on_close(qtbot, window, photo, monkeypatch):
    open_photo(qtbot, window, photo("keep.png", 64))
    run(qtbot, window)
    asked = []
    monkeypatch.setattr(dialogs, "choose", lambda _p, title, text, *_a, **_k: asked.append(text))  # Cancel
    window.close()
    assert window.isVisible(), "closing was cancelled"
    assert "keep.png" in asked[0] and window.isWindowModified()
    monkeypatch.setattr(dialogs, "choose", lambda *_a, **_k: "quit")
    window.close()
    assert not window.isVisible()


def test_every_action_has_a_menu_entry_and_a_tooltip(window):
    in_menus = set()
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            in_menus.add(action)
            if action.menu():
                in_menus.update(action.menu().actions())
    window.recent_menu.aboutToShow.emit()
    in_menus.update(window.recent_menu.actions())
    for action in window.actions():
        assert action in in_menus, f"{action.text()} is not in a menu"
        assert action.toolTip(), f"{action.text()} has no tooltip"
    for widget in (window.panel.model_combo, window.panel.ensemble_check, window.panel.device_combo,
                   window.panel.tile_spin, window.panel.run_button, window.panel.preview_button, window.filmstrip):
        assert widget.toolTip(), f"{widget} has no tooltip"


def test_split_divider_drags(qtbot, window, photo):
    open_photo(qtbot, window, photo("split.png", 64))
    run(qtbot, window)
    window.set_view_mode("split")
    view = window.viewers.split
    qtbot.wait(20)
    x = round(view._divider_x())
    y = view.viewport().height() // 2
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.mouseMove(view.viewport(), QPoint(x - 10, y))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x - 10, y))
    assert view.split < 0.5


def test_out_of_memory_is_reported_and_the_window_recovers(qtbot, window, photo, errors, monkeypatch):
    from deblur_app.engine.inference import Deblurrer, EngineError

    open_photo(qtbot, window, photo("huge.png", 64))
    real_run = Deblurrer.run

    def exhausted(self, *args, **kwargs):
        raise EngineError("out of memory on cpu even with 128-pixel tiles")

    monkeypatch.setattr(Deblurrer, "run", exhausted)
    with qtbot.waitSignal(window.engine.failed, timeout=WAIT):
        window.act_deblur.trigger()
    title, reason, _details = errors[-1]
    assert title == "Deblurring Failed" and reason.startswith("Out of memory") and "tile" in reason
    monkeypatch.setattr(Deblurrer, "run", real_run)
    assert run(qtbot, window).full.shape == (64, 64, 3), "the next run works"


def test_ensemble_switch_is_labelled_mimo_unet_plus_plus_with_mimo_unet_plus(window):
    panel = window.panel
    assert panel.ensemble_check.text() == "Self-ensemble (≈8× slower)"
    panel.model_combo.setCurrentIndex(panel.model_combo.findData("mimo-unet+"))
    panel.ensemble_check.setChecked(True)
    assert panel.ensemble_check.text() == "MIMO-UNet++ (≈8× slower)"
    assert panel.run_settings().model_name == "MIMO-UNet++"
    assert not window.act_deblur.isEnabled() and "weights" in panel.run_button.toolTip()


def test_batch_dialog_models_come_from_the_variant_table(window):
    from deblur_app.model.registry import PRESETS

    window.show_batch()
    combo = window.batch_dialog.model_combo
    assert [combo.itemData(i) for i in range(combo.count())] == [(p.variant, p.ensemble) for p in PRESETS.values()]
    assert combo.itemText(combo.count() - 1) == "MIMO-UNet++ (MIMO-UNet+ with ×8 ensemble, ≈8× slower)"


@pytest.mark.parametrize("how", ["same", "dotdot", "relative", "symlink", "hardlink", "case"])
def test_save_never_replaces_the_original_however_it_is_spelled(qtbot, window, photo, errors, monkeypatch, how):
    from test_output_policy import case_insensitive, spelled

    path = photo("original.png", 64)
    current = open_photo(qtbot, window, path)
    run(qtbot, window)
    before = path.read_bytes()
    target = spelled(path, how, monkeypatch)
    if how == "case" and not case_insensitive(path.parent):
        (path.parent / "sub").mkdir()
        target = path.parent / "sub" / ".." / path.name  # a case-sensitive disk: another spelling instead
    window.saving.save_photo(current, SaveChoice(target, None, 95, overwrite=True))
    qtbot.wait(200)
    assert path.read_bytes() == before
    assert [e[0] for e in errors] == ["Cannot Save"] and "is the input photo" in errors[0][1]
    assert "\n" not in errors[0][1]
    # the file tasks refuse it too, whatever the choice says (the one write path of the window)
    with qtbot.waitSignal(window.tasks.saved, timeout=WAIT) as saved:
        window.tasks.save(current.key, current.image, current.result, SaveChoice(target, None, 95, overwrite=True))
    assert "is the input photo" in saved.args[0].error and path.read_bytes() == before


def test_batch_dialog_explains_an_output_folder_it_cannot_create(qtbot, window, photo, tmp_path, monkeypatch):
    from test_batch import locked

    source = tmp_path / "in"
    source.mkdir()
    for index in range(3):
        imagefiles.save_image(source / f"shot{index}.png", imagefiles.load_image(photo(f"s{index}.png", 64, index)).pixels)
    parent = tmp_path / "read-only"
    parent.mkdir()
    locked(monkeypatch, parent)
    dialog = batch_dialog(window, source, parent / "out")
    run_batch(qtbot, window, dialog, "failed")
    text = dialog.summary_label.text()
    assert f"{parent / 'out'}: cannot create the output folder (permission denied)" in text
    assert "Errno" not in text and "\n" not in text
    assert dialog.overall_bar.maximum() == 3 and dialog.overall_bar.text() == "0 of 3 photos"
    assert window.engine.loaded_model is None, "nothing loaded for a batch that cannot run"


def test_batch_dialog_refuses_a_name_template_that_leaves_the_output_folder(window, tmp_path):
    """The dialog and the command line follow one rule for the file names (jobs/naming.py): a path in the
    template, or a name that is none, is refused before the batch starts; an unknown placeholder says so."""
    source = tmp_path / "in"
    source.mkdir()
    dialog = batch_dialog(window, source, tmp_path / "out")
    for template in ("../{name}", "/tmp/{name}", "..", ""):
        dialog.template_edit.setText(template)
        assert dialog.validate() == "File names: the template must give a plain file name.", template
    dialog.template_edit.setText("{nope}")
    assert dialog.validate().startswith("File names: unknown placeholder")
    dialog.template_edit.setText("{stem}-sharp{ext}")
    assert dialog.validate() == ""


def test_batch_dialog_never_writes_over_an_original(qtbot, window, photo, tmp_path):
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    out.mkdir()
    shot = source / "shot.png"
    imagefiles.save_image(shot, imagefiles.load_image(photo("s.png", 64)).pixels)
    os.link(shot, out / "shot_deblurred.png")  # the output name reaches the original (a hard link)
    before = shot.read_bytes()
    dialog = batch_dialog(window, source, out)
    dialog.skip_check.setChecked(False)  # replace existing outputs: still never an original
    summary = run_batch(qtbot, window, dialog)
    assert summary.done == 0 and len(summary.failed) == 1
    assert "is the input photo" in dialog.summary.failed[0][1] and shot.read_bytes() == before
