"""File > Scan Folder…: blur badges in the filmstrip, sorting, filtering, selecting, batching the blurred."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from deblur_app import imagefiles  # noqa: E402
from deblur_app.gui.blur_badges import BLUR_ROLE  # noqa: E402
from deblur_app.gui.filmstrip import KEY_ROLE  # noqa: E402
from deblur_app.training.blur_labels import disc_kernel  # noqa: E402
from guikit import WAIT  # noqa: E402
from test_blur_score import blurred, horizontal_shake, scene  # noqa: E402


def save(path: Path, rgb: np.ndarray) -> Path:
    imagefiles.save_image(path, rgb.astype(np.float32) / 255)
    return path


@pytest.fixture
def folder(tmp_path):
    sharp = scene(96, 128, seed=7, shapes=20)
    save(tmp_path / "a_sharp.png", sharp)
    save(tmp_path / "b_soft.png", blurred(sharp, disc_kernel(5)))
    save(tmp_path / "c_shaken.png", blurred(sharp, horizontal_shake(13)))
    (tmp_path / "d_bad.png").write_bytes(b"not a png")
    return tmp_path


def scan(qtbot, window, folder):
    window.scanning.processes = 1
    window.scanning.start(folder)
    qtbot.waitUntil(lambda: window.scanning.thread is None, timeout=WAIT)


def names(window, visible_only=False):
    strip = window.filmstrip
    return [Path(strip.item(row).data(KEY_ROLE)).name for row in range(strip.count())
            if not (visible_only and strip.isRowHidden(row))]


def test_a_scanned_folder_fills_the_filmstrip_with_badged_photos(qtbot, window, folder, errors):
    assert not window.act_sort_blur.isEnabled()  # nothing scanned yet
    scan(qtbot, window, folder)
    assert sorted(names(window)) == ["a_sharp.png", "b_soft.png", "c_shaken.png"]  # the bad file has no item
    blur = {name: window.filmstrip.item(row).data(BLUR_ROLE) for row, name in enumerate(names(window))}
    assert blur["a_sharp.png"][1] == "sharp" and blur["b_soft.png"][1] == "blurred"
    assert blur["c_shaken.png"][0] > blur["a_sharp.png"][0]
    message = window.statusBar().currentMessage()
    assert "Scanned 4 photos" in message and "1 unreadable" in message
    # the status bar counted "1 unreadable" and nothing named it: one dialog names each, with its reason
    ((title, said, _details),) = errors
    assert title == "Unreadable Photos" and said.splitlines()[1] == f"• {folder / 'd_bad.png'}: not an image file, or an unsupported format"
    assert window.act_sort_blur.isEnabled() and window.act_scan.isEnabled()
    item = window.filmstrip.item(0)
    assert "Blur score" in item.toolTip()
    assert not item.icon().isNull()


def test_sort_filter_and_select_by_blur(qtbot, window, folder):
    scan(qtbot, window, folder)
    window.act_sort_blur.trigger()
    scores = [window.filmstrip.item(row).data(BLUR_ROLE)[0] for row in range(window.filmstrip.count())]
    assert scores == sorted(scores, reverse=True) and names(window)[-1] == "a_sharp.png"
    window.act_only_blurred.trigger()
    assert "a_sharp.png" not in names(window, visible_only=True) and len(names(window, visible_only=True)) == 2
    window.act_only_blurred.trigger()
    assert len(names(window, visible_only=True)) == 3
    window.act_select_blurred.trigger()
    selected = sorted(Path(item.data(KEY_ROLE)).name for item in window.filmstrip.selectedItems())
    assert selected == ["b_soft.png", "c_shaken.png"]


def test_batch_the_blurred_deblurs_only_the_blurred(qtbot, window, folder, tmp_path_factory):
    scan(qtbot, window, folder)
    window.act_batch_blurred.trigger()
    dialog = window.batch_dialog
    assert Path(dialog.input_edit.text()) == folder and dialog.blurred_check.isChecked()
    output = tmp_path_factory.mktemp("out")
    dialog.output_edit.setText(str(output))
    with qtbot.waitSignal(window.engine.finished, timeout=WAIT * 3):
        dialog.start()
    made = sorted(p.name for p in output.iterdir() if p.suffix == ".png")
    assert made == ["b_soft_deblurred.png", "c_shaken_deblurred.png"]


def test_an_opened_photo_keeps_its_thumbnail_when_a_scan_badges_it(qtbot, window, folder):
    """Found under Xvfb (reliability session 18): a photo opened and shown, then its folder scanned, got its badge on
    a grey card and kept it: the scan's thumbnail is not taken for a photo already loaded."""
    from deblur_app.gui.blur_badges import badged_icon
    from deblur_app.gui.filmstrip import THUMB_ROLE
    from guikit import open_photo

    photo = open_photo(qtbot, window, folder / "c_shaken.png")
    scan(qtbot, window, folder)
    qtbot.wait(300)  # the thumbnails asked for by the scan, had they come
    item = window.filmstrip.item_for(photo.key)
    score, verdict = item.data(BLUR_ROLE)
    size = window.filmstrip.iconSize()
    shown = item.icon().pixmap(size).toImage()
    grey_card = badged_icon(None, score, verdict).pixmap(size).toImage()
    assert shown != grey_card
    assert item.data(THUMB_ROLE) is not None  # kept for the next badge (a scan again, a sort)


def test_thumbnails_load_lazily_and_a_scan_can_be_cancelled(qtbot, window, tmp_path, monkeypatch):
    for index in range(60):
        save(tmp_path / f"p{index:02}.png", scene(48, 64, seed=index, shapes=6))
    asked, batches = [], []
    monkeypatch.setattr(window.tasks, "thumbnails_for",
                        lambda photos: (batches.append(len(photos)), asked.extend(key for key, _path in photos)))
    scan(qtbot, window, tmp_path)
    qtbot.wait(300)
    assert window.filmstrip.count() == 60
    assert 0 < len(asked) < 30  # only what is in view (and a screenful beyond)
    # those in view queued as one batch (no RAW check of the first can run before the rest is queued)
    assert max(batches) > 1 and sum(batches) == len(asked)
    window.filmstrip.scrollToBottom()
    qtbot.waitUntil(lambda: window.filmstrip.item(59).data(KEY_ROLE) in asked, timeout=WAIT)
    assert len(set(asked)) == len(asked)  # each asked once

    window.photos.clear()
    window.filmstrip.clear()
    window.scanning.blur_scores.clear()
    thread = window.scanning.start(tmp_path)
    thread.cancel()
    qtbot.waitUntil(lambda: window.scanning.thread is None, timeout=WAIT)
    assert window.scanning.last_summary.cancelled and window.filmstrip.count() < 60
    assert "Scan cancelled" in window.statusBar().currentMessage()


def test_a_thumbnail_finished_after_its_window_closed_is_dropped_without_an_error(qapp, tmp_path):
    """A thumbnail still decoding when the window (and its FileTasks) went away used to raise 'Signal source
    has been deleted' in the pool thread (seen in CI as the next test's setup error)."""
    import shiboken6
    from PIL import Image

    from deblur_app.gui import tasks

    photo = tmp_path / "p.jpg"
    Image.new("RGB", (64, 48), (120, 80, 40)).save(photo)
    file_tasks = tasks.FileTasks()
    shiboken6.delete(file_tasks)
    file_tasks._thumbnail("k", photo)  # what the queued job runs: no exception
    assert not shiboken6.isValid(file_tasks)


def test_a_finished_scan_leaves_neither_its_thread_nor_its_progress_dialog(qtbot, window, folder):
    """Each scan makes its own thread and progress dialog; once it is done both are deleted, so a session of many
    scans does not keep them all (found in session 16: every finished ScanThread stayed a child of the scanner)."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QProgressDialog

    from deblur_app.gui.scanning import ScanThread

    for _ in range(2):
        scan(qtbot, window, folder)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert window.scanning.findChildren(ScanThread) == []
    assert window.findChildren(QProgressDialog) == []
    assert "Scanned 4 photos" in window.statusBar().currentMessage()
