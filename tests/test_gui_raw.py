"""Camera RAW photos in the window: the Open dialog offers them, a drop opens them, the filmstrip
shows their embedded preview, and Save writes a 16-bit TIFF with rawpy's pixels and the camera's EXIF."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from deblur_app.gui import opening  # noqa: E402
from guikit import WAIT, open_photo, run  # noqa: E402
from rawfiles import assert_camera_exif, dng_bytes, rawpy_development, write_dng  # noqa: E402


def test_the_open_dialog_offers_raw_files_in_either_case():
    patterns = opening.PHOTO_PATTERNS.split()
    for pattern in ("*.dng", "*.DNG", "*.nef", "*.NEF", "*.cr2", "*.CR3", "*.arw", "*.raf", "*.kdc", "*.jpg"):
        assert pattern in patterns


def test_a_dng_opens_shows_its_preview_and_saves_as_a_16_bit_tiff(qtbot, window, tmp_path, errors):
    source = write_dng(tmp_path / "IMG_0007.DNG", height=96, width=128, orientation=8)
    before = hashlib.sha256(source.read_bytes()).hexdigest()
    with qtbot.waitSignal(window.tasks.thumbnail, timeout=WAIT):
        current = open_photo(qtbot, window, source)
    assert current.image.format == "RAW" and current.image.bit_depth == 16
    assert (current.image.height, current.image.width) == (128, 96)
    item = window.filmstrip.item_for(current.key)
    qtbot.waitUntil(lambda: not item.icon().isNull(), timeout=WAIT)

    run(qtbot, window)
    with qtbot.waitSignal(window.reblended, timeout=WAIT):
        window.panel.strength_slider.setValue(0)
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save.trigger()
    target = tmp_path / "IMG_0007_deblurred.tif"
    assert saved.args[0] == [target]
    written = imagefiles.load_image(target)
    assert written.format == "TIFF" and written.bit_depth == 16
    assert np.abs(written.pixels - rawpy_development(source) / 65535).max() <= 1 / 255
    assert_camera_exif(target)
    assert hashlib.sha256(source.read_bytes()).hexdigest() == before
    assert not errors


def test_a_dropped_raw_file_opens_and_a_truncated_one_is_a_one_line_error(qtbot, window, tmp_path, errors):
    good = write_dng(tmp_path / "DSC_0001.NEF", height=64, width=64)
    cut = tmp_path / "DSC_0002.NEF"
    cut.write_bytes(dng_bytes()[:15000])
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(good))])
    enter = QDragEnterEvent(QPoint(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(window.photo_loaded, timeout=WAIT):
        QApplication.sendEvent(window, drop)
    assert window.current_photo().path == good and window.current_photo().image.format == "RAW"

    window.open_paths([cut])
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    title, reason, _details = errors[0]
    assert title == "Cannot Open Photo" and "DSC_0002.NEF" in reason and "truncated or damaged" in reason
    assert "\n" not in reason
    assert window.filmstrip.count() == 1  # the bad one is not kept


def test_a_raw_file_cut_short_with_its_preview_intact_is_refused_when_opened_with_the_other_bad_files(
        qtbot, window, tmp_path, errors):
    """A RAW file whose sensor data is cut short but whose embedded preview (written before it) is intact showed
    its preview in the filmstrip and was refused only once selected, in a dialog of its own; the CLI's checks
    (raw_problem) named it at once. Opened with a good photo and another broken file, all the broken ones are
    named in the one dialog of that open, and only the good photo stays."""
    good = tmp_path / "good.png"
    imagefiles.save_image(good, np.full((32, 48, 3), 0.5, np.float32))
    cut = tmp_path / "DSC_0003.NEF"
    cut.write_bytes(dng_bytes()[:-2000])  # the sensor data is last: the preview before it survives
    assert imagefiles.load_thumbnail(cut, 64) is not None, "the preview must be intact for this test"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a JPEG")
    window.open_paths([good, cut, broken])
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    qtbot.wait(300)  # nothing else comes
    assert len(errors) == 1, errors
    title, text, _details = errors[0]
    assert title == "Cannot Open Photos" and "DSC_0003.NEF" in text and "truncated or damaged" in text
    assert "broken.jpg" in text
    assert window.filmstrip.count() == 1 and window.current_photo().path == good


def test_closing_drops_the_queued_raw_checks_instead_of_waiting_for_them(qtbot, window, tmp_path, monkeypatch):
    """Each opened RAW file is unpacked after its thumbnail (a fraction of a second at 24 MP): closing the window
    right after opening a folder of them waited for every check still queued before it could go."""
    import time

    files = [write_dng(tmp_path / f"DSC_{index:04d}.DNG", height=32, width=32) for index in range(6)]
    checked = []
    monkeypatch.setattr(imagefiles, "raw_problem", lambda path: (checked.append(path), time.sleep(0.3), "")[2])
    window.open_paths(files)
    qtbot.waitUntil(lambda: bool(checked), timeout=WAIT)
    started = time.monotonic()
    assert window.tasks.shutdown()
    assert len(checked) <= 2 and time.monotonic() - started < 1.0, checked
