"""What a user found driving the real window (session 13): each test fails without its fix."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QImage  # noqa: E402

from deblur_app import imagefiles  # noqa: E402

from guikit import WAIT, open_photo, run  # noqa: E402


def shown_u8(view) -> np.ndarray:
    """The pixels a viewer draws (its full-size level)."""
    rgb = view.item.primary.levels[0].toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(rgb.constBits(), np.uint8, count=rgb.sizeInBytes()).reshape(rgb.height(), -1)
    return rows[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()  # before rgb goes


def test_a_gray_photo_is_shown_as_save_writes_it(qtbot, window, tmp_path, photo_like, errors):
    """The window showed the network's colour output (Largest change 8.0 %) while Save wrote gray (8.5 %)."""
    path = tmp_path / "gray.png"
    imagefiles.save_image(path, photo_like(64, 64, 3)[:, :, 1])  # one channel: a gray file
    photo = open_photo(qtbot, window, path)
    assert photo.image.grayscale
    run(qtbot, window)
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save.trigger()
    written = imagefiles.load_image(saved.args[0][0])
    assert written.grayscale, "a gray photo comes back gray"
    on_disk = np.rint(np.clip(written.pixels, 0, 1) * 255).astype(np.uint8)
    assert np.array_equal(shown_u8(window.viewers.compare.right), on_disk)
    assert not errors


def test_a_panoramas_thumbnail_is_a_picture_and_nothing_paints_on_a_null_pixmap(qtbot, window, tmp_path, qtlog):
    """A 12000x40 photo got a blank 160x1 thumbnail and 'QPainter::begin: Paint device returned engine == 0'
    on every paint."""
    from deblur_app.gui import imaging

    pixels = np.zeros((40, 12000, 3), np.float32)
    pixels[:, ::2] = 1.0  # stripes: a blank thumbnail would be all one gray
    path = tmp_path / "panorama.png"
    imagefiles.save_image(path, pixels)
    thumbs = [imagefiles.load_thumbnail(path, 160),
              imaging.thumbnail(imaging.to_u8(pixels), 160)]
    for thumb in thumbs:
        assert min(thumb.shape[:2]) >= 20 and max(thumb.shape[:2]) <= 160, thumb.shape
    open_photo(qtbot, window, path)
    qtbot.waitUntil(lambda: not window.filmstrip.item(0).icon().isNull(), timeout=WAIT)
    window.filmstrip.grab()  # paints the item and its icon
    window.grab()
    painted_on_nothing = [m.message for m in qtlog.records if "engine == 0" in m.message]
    assert painted_on_nothing == []


def test_deblur_right_after_cancel_runs_once_the_cancel_is_done(qtbot, window, photo, errors):
    """Ctrl+R pressed right after Esc, before the model thread confirmed the cancel, did nothing."""
    current = open_photo(qtbot, window, photo("esc.png", 64))
    window.panel.ensemble_check.setChecked(True)  # eight passes: the run is still going when Esc comes
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    window.cancel()  # Esc: the cancel is asked for; the model thread has not answered (no events ran since)
    assert window.runs.running and window.runs.cancelling
    assert window.act_deblur.isEnabled(), "Ctrl+R must not look dead (or be) while the cancel completes"
    assert not window.act_cancel.isEnabled() and window.panel.run_button.text() == "Deblur"
    with qtbot.waitSignal(window.run_finished, timeout=WAIT) as finished:
        window.act_deblur.trigger()
    assert finished.args[0].photo_key == current.key and not finished.args[0].preview
    assert current.result is finished.args[0]
    assert not errors


def test_another_photos_hint_agrees_with_the_deblur_action(qtbot, window, photo, errors):
    """Photo B's view said "press Deblur (Ctrl+R)" while photo A's run kept Ctrl+R disabled."""
    a = open_photo(qtbot, window, photo("a.png", 64, 1))
    b = open_photo(qtbot, window, photo("b.png", 64, 2))
    window.session.select(a.key)
    window.panel.ensemble_check.setChecked(True)
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    window.session.select(b.key)
    hint = window.viewers.compare.right.message
    assert not window.act_deblur.isEnabled()
    assert "press Deblur" not in hint and "another photo is being deblurred" in hint
    with qtbot.waitSignal(window.engine.cancelled, timeout=WAIT):
        window.cancel()
    assert window.act_deblur.isEnabled()
    assert "press Deblur (Ctrl+R)" in window.viewers.compare.right.message


def test_the_int8_waiting_notes_fit_the_status_bar_of_a_1280_px_window(qtbot, window):
    """At 1280 px the status bar read "The run starts when the fast int8 model is ready (prepared once for th…"."""
    from PySide6.QtWidgets import QWidget

    window.resize(1280, 800)
    engine, bar = window.engine, window.statusBar()
    notes = []
    engine.preparation.connect(notes.append)
    held, engine._held = engine._held, [object()]  # a run waits for the preparation
    was, engine.preparing = engine.preparing, True
    try:
        engine._announce_preparation()  # the run is held
        engine._held = []
        engine._announce_preparation()  # nothing held: the preparation alone
    finally:
        engine._held, engine.preparing = held, was
    assert len(notes) == 2 and all(notes)
    # as while a run waits: its progress bar and time are in the status bar too
    from deblur_app.gui.timing import describe_progress

    window.progress_bar.setVisible(True)
    bar.show_elapsed(describe_progress(65, 190))
    qtbot.waitUntil(lambda: bar.width() >= 1200 and window.progress_bar.x() > 0, timeout=WAIT)
    widgets = [w for w in bar.findChildren(QWidget) if w.isVisible() and w.parent() is bar and w.x() > bar.width() // 3]
    room = min([w.x() for w in widgets] + [bar.width()]) - 16  # the message's margins
    for note in notes:
        assert bar.fontMetrics().horizontalAdvance(note) * 1.25 <= room, (note, room)  # a desktop's font is wider


def test_save_replaces_the_photos_own_earlier_output_without_asking_but_not_a_file_of_someone_else(
        qtbot, window, photo, photo_like, monkeypatch):
    """Saving again over the photo's own earlier result asked "Replace Files?"."""
    from deblur_app.gui import dialogs

    path = photo("again.png", 64)
    open_photo(qtbot, window, path)
    asked = []
    monkeypatch.setattr(dialogs, "confirm", lambda _p, title, *_a, **_k: asked.append(title) or False)
    run(qtbot, window)
    with qtbot.waitSignal(window.saved, timeout=WAIT) as saved:
        window.act_save.trigger()
    (target,) = saved.args[0]
    first = target.read_bytes()
    window.panel.ensemble_check.setChecked(True)  # another result: unsaved again
    run(qtbot, window)
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save.trigger()
    assert asked == [], "the app's own output of this photo is replaced as Save's"
    assert target.read_bytes() != first

    imagefiles.save_image(target, photo_like(64, 64, 9), overwrite=True)  # no marker: not known to be ours
    someone_elses = target.read_bytes()
    window.panel.ensemble_check.setChecked(False)
    run(qtbot, window)
    window.act_save.trigger()
    assert asked == ["Replace Files?"] and target.read_bytes() == someone_elses
    assert window.act_save.isEnabled(), "declined: still unsaved"
