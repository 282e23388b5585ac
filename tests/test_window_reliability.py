"""The window as a demanding photographer uses it: what it shows of a photo it will refuse, and when."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from deblur_app.imagefiles import jpegend  # noqa: E402
from deblur_app.gui import dialogs  # noqa: E402
from guikit import WAIT, open_photo  # noqa: E402


def _photo(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return (128 + 100 * np.sin(x / 5)[..., None] * np.cos(y / 7)[..., None] * np.array([1, .6, .3])).astype(np.uint8)


def _cut_and_closed(data: bytes, share: float) -> bytes:
    """``data`` (a JPEG) cut inside its last scan's data at ``share`` of the file, FF D9 appended."""
    end = jpegend.scans_end(data)[0]
    last_scan = data.rfind(b"\xff\xda", 0, end)
    keep = max(last_scan + 40, int(end * share))
    keep -= data[keep - 1] == 0xFF  # not between a stuffed FF and its 00
    return data[:keep] + b"\xff\xd9"


def test_a_jpeg_cut_short_and_closed_with_an_end_marker_is_refused_when_added_with_no_thumbnail(
        qtbot, window, tmp_path, errors):
    """A JPEG cut short with FF D9 appended showed its thumbnail (a grey bottom; a progressive one's without its
    last scan) in the filmstrip, and was refused only once selected, in a dialog of its own: the thumbnail's
    draft decode did not ask what the full load asks. Opened with a good photo, the cut ones are named in the one
    dialog of that open, get no thumbnail, and only the good photo stays."""
    good = tmp_path / "good.png"
    imagefiles.save_image(good, np.full((48, 64, 3), 0.5, np.float32))
    pixels = _photo(200, 264)
    files = [good]
    for name, options in (("sequential", {"quality": 90}), ("progressive", {"quality": 90, "progressive": True})):
        whole = io.BytesIO()
        Image.fromarray(pixels).save(whole, "JPEG", **options)
        files.append(tmp_path / f"cut_{name}.jpg")
        files[-1].write_bytes(_cut_and_closed(whole.getvalue(), 0.9))
        assert imagefiles.cut_short_reason(files[-1]) == "", "only the decode tells: the last scan is there"
    thumbnails = []
    window.tasks.thumbnail.connect(lambda key, _image: thumbnails.append(key))
    window.open_paths(files)
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    qtbot.wait(300)  # nothing else comes
    assert len(errors) == 1, errors
    title, text, _details = errors[0]
    assert title == "Cannot Open Photos", errors
    assert "cut_sequential.jpg" in text and "cut_progressive.jpg" in text and "an end-of-image marker follows" in text
    assert window.filmstrip.count() == 1 and window.current_photo().path == good
    assert [Path(key).name for key in thumbnails] == ["good.png"], thumbnails


def test_the_filmstrip_never_shows_a_horizontal_scroll_bar(qtbot, window, tmp_path):
    """Nine photos in the filmstrip at the window's first width: the vertical scroll bar came, and with it a
    horizontal one under the photos (the 150-pixel grid wider than the strip less that bar), scrolling the
    thumbnails sideways by a few pixels. The grid follows the strip's width; names are elided, never cut."""
    paths = []
    for index in range(9):
        paths.append(tmp_path / f"a photo with a rather long name {index}.png")
        imagefiles.save_image(paths[-1], np.full((30, 40, 3), index / 10, np.float32))
    window.open_paths(paths)
    qtbot.waitUntil(lambda: window.filmstrip.count() == 9 and window.current_photo().loaded, timeout=WAIT)
    strip = window.filmstrip
    qtbot.waitUntil(lambda: strip.verticalScrollBar().isVisible(), timeout=WAIT)
    assert not strip.horizontalScrollBar().isVisible()
    assert strip.gridSize().width() <= strip.viewport().width()
    for row in range(strip.count()):
        shown = strip.visualItemRect(strip.item(row))
        assert shown.right() <= strip.viewport().width() and shown.width() >= strip.gridSize().width() - 4, row


def test_the_batch_dialogs_list_of_files_not_deblurred_shows_its_headers_whole(qtbot, window):
    """Before a batch, the list's first header read "File not deblurre" (cut by the column's default width)."""
    window.show_batch()
    header = window.batch_dialog.failures.header()
    qtbot.waitUntil(window.batch_dialog.isVisible, timeout=WAIT)
    assert header.sectionSize(0) >= header.sectionSizeHint(0), (header.sectionSize(0), header.sectionSizeHint(0))


def test_quitting_during_a_run_asks_first_and_a_no_keeps_it_running(qtbot, window, tmp_path, monkeypatch):
    """Quit during a run (a 24 MP photo: '1 h 28 min left' on this CPU) ended it without a word, while a batch
    asks. It asks now; Cancel leaves the window open and the run going, and Quit without a run asks nothing."""
    path = tmp_path / "long run.png"
    imagefiles.save_image(path, np.full((128, 128, 3), 0.4, np.float32))
    open_photo(qtbot, window, path)
    window.panel.ensemble_check.setChecked(True)
    asked = []
    answer = [False]
    monkeypatch.setattr(dialogs, "confirm", lambda _p, title, text, action="", *_a, **_k: asked.append(
        (title, text, action)) or answer[0])
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    window.close()
    assert window.isVisible() and window.runs.running, "the answer was Cancel"
    assert asked == [("Run Under Way", "long run.png is being deblurred. Quitting cancels the run, and what it has "
                                       "done is lost.", "Cancel the Run and Quit")]
    with qtbot.waitSignal(window.run_finished, timeout=WAIT):
        pass
    window.close()  # no run: nothing to ask (its unsaved result is the other question, answered "quit")
    assert len(asked) == 1 and not window.isVisible()
