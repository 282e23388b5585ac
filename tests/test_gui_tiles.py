"""A tiled run draws its finished tiles in the result view while it goes; only the finished run is saved."""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QImage  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from deblur_app.engine.progress import FinishedTile  # noqa: E402
from deblur_app.gui.imaging import to_u8  # noqa: E402
from deblur_app.gui import partial_frames  # noqa: E402
from deblur_app.gui.partial_frames import PartialFrames  # noqa: E402

from guikit import WAIT, open_photo, run  # noqa: E402

# 4 tiles of 320 pixels at most: 3 frames before the result, and quick on a loaded 2-core machine
HEIGHT, WIDTH = 330, 480


def pixels_of(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def shown_in(view) -> np.ndarray:
    return pixels_of(view.item.primary.levels[0].toImage())


@pytest.fixture
def wide_photo(tmp_path, photo_like):
    def make(name: str = "wide.png", seed: int = 7):
        path = tmp_path / name
        imagefiles.save_image(path, photo_like(HEIGHT, WIDTH, seed))
        return path

    return make


@pytest.fixture
def held_runs(monkeypatch):
    """A frame for every tile, and the worker waits after handing one out until ``let_go()``.

    So a test checks the window while the run is surely still going, however fast the machine.
    """
    monkeypatch.setattr(partial_frames, "FRAME_INTERVAL", 0.0)
    monkeypatch.setattr(partial_frames, "FRAME_TIME_SHARE", 1e9)
    go_on = threading.Semaphore(0)
    real_add = PartialFrames.add

    def add(self, tile, last):
        if getattr(self, "handed_out", False):
            go_on.acquire(timeout=WAIT / 1000)
        frame = real_add(self, tile, last)
        self.handed_out = frame is not None
        return frame

    monkeypatch.setattr(PartialFrames, "add", add)
    yield go_on.release
    for _ in range(8):  # never leave the worker waiting: the window's close waits for it
        go_on.release()


def tile(index: int, left: int, value: float) -> FinishedTile:
    """A finished 4 x 8 tile whose right column waits for the next tile."""
    final = np.ones((8, 4), bool)
    final[:, -1] = False
    return FinishedTile(index, (left, 0, 4, 8), final, np.full((8, 4, 3), value, np.float32))


def test_frames_fold_in_every_tile_but_come_at_most_every_interval():
    photo = np.full((8, 16, 3), 0.25, np.float32)
    now = [100.0]
    region = (4, 0, 12, 8)  # a preview of the right 12 columns: tiles are placed in the crop's coordinates
    frames = PartialFrames("key", photo, region, strength=0.5, interval=0.5, clock=lambda: now[0])

    def at_half_strength(value: float) -> int:
        blended = np.float32(0.25) + np.float32(0.5) * (np.float32(value) - np.float32(0.25))
        return int(to_u8(np.full((1, 1, 3), blended, np.float32))[0, 0, 0])

    first = frames.add(tile(1, 0, 1.0), last=False)
    assert first is not None and first.photo_key == "key" and first.tiles_done == 1
    shown = pixels_of(first.display_levels[0])
    assert (shown[:, 4:7] == at_half_strength(1.0)).all(), "the tile's final pixels, at the run's strength"
    assert (shown[:, :4] == 64).all() and (shown[:, 7:] == 64).all(), "the photo itself everywhere else"
    now[0] += 0.3
    assert frames.add(tile(2, 4, 0.0), last=False) is None, "too soon after the last frame"
    now[0] += 0.3
    third = pixels_of(frames.add(tile(3, 8, 0.5), last=False).display_levels[0])
    assert (third[:, 4:7] == at_half_strength(1.0)).all() and (third[:, 8:11] == at_half_strength(0.0)).all(), \
        "a tile that came between frames is in the next one"
    assert (third[:, 12:15] == at_half_strength(0.5)).all() and (third[:, 15] == 64).all()
    now[0] += 5
    assert frames.add(tile(4, 12, 1.0), last=True) is None, "the run's result follows its last tile at once"
    held = [value for value in vars(frames).values() if isinstance(value, np.ndarray) and value is not photo]
    assert not held, "after the last tile the worker keeps no picture of its own beside the result (issue 21)"


def test_a_tiled_run_draws_its_finished_tiles_then_exactly_its_result(qtbot, window, wide_photo):
    current = open_photo(qtbot, window, wide_photo())
    window.panel.tile_spin.set_tile(320)
    views = window.viewers
    seen = []

    def on_partial(frame) -> None:  # connected after the window: it has drawn the frame by now
        seen.append((frame, shown_in(views.compare.right), views.split.result_layer() is views.compare.right.item.primary,
                     window.act_save.isEnabled(), window.act_save_as.isEnabled(), current.result))

    window.runs.partial.connect(on_partial)
    outcome = run(qtbot, window)
    assert outcome.facts.tiles == 4
    assert seen, "no finished tile reached the result view before the run ended"
    original = to_u8(current.image.pixels)
    final = pixels_of(outcome.display_levels[0])
    for frame, shown, split_too, save, save_as, result in seen:
        assert np.array_equal(shown, pixels_of(frame.display_levels[0])), "the view draws the newest frame"
        assert split_too, "the split view's result side draws it too"
        assert not save and not save_as and result is None, "a frame is for display: nothing to save yet"
        from_result = (shown == final).all(axis=2)
        assert (from_result | (shown == original).all(axis=2)).all(), "each pixel is the photo's or the result's"
        assert not np.array_equal(shown, original), "the frame shows some of the result"
    assert not np.array_equal(seen[0][1], final), "the first frame is not the whole result"
    assert np.array_equal(shown_in(views.compare.right), final), "after the run: exactly the result"
    assert views.split.result_layer() is views.compare.right.item.primary
    assert window.act_save.isEnabled() and current.result is outcome


def test_cancel_returns_the_view_to_the_last_result_and_save_to_it(qtbot, window, wide_photo, held_runs):
    current = open_photo(qtbot, window, wide_photo())
    window.panel.tile_spin.set_tile(0)  # whole image: one tile, nothing to show before the result
    frames = []
    window.runs.partial.connect(frames.append)
    first = run(qtbot, window)
    assert frames == [] and first.facts.tiles == 1
    before = window.viewers.compare.right.item.primary
    assert window.act_save.isEnabled() and current.unsaved

    window.panel.tile_spin.set_tile(320)
    with qtbot.waitSignal(window.runs.partial, timeout=WAIT):
        window.act_deblur.trigger()
    assert window.viewers.compare.right.item.primary is not before, "the new run's tiles are drawn"
    assert window.viewers.split.result_layer() is window.viewers.compare.right.item.primary
    assert not window.act_save.isEnabled() and not window.act_save_as.isEnabled(), \
        "Save would write the last result, not the picture on screen"
    assert current.result is first and current.unsaved
    with qtbot.waitSignal(window.engine.cancelled, timeout=WAIT):
        window.cancel()
        assert window.viewers.compare.right.item.primary is before, "back at once, not when the worker stops"
        held_runs()
    assert window.viewers.compare.right.item.primary is before and window.viewers.split.result_layer() is before
    assert current.result is first and window.act_save.isEnabled() and window.act_save_as.isEnabled()
    assert window.runs.partial_for(current.key) is None


def test_another_photo_never_shows_the_running_photos_tiles(qtbot, window, wide_photo, held_runs):
    a_path, b_path = wide_photo("a.png", 1), wide_photo("b.png", 2)
    a = open_photo(qtbot, window, a_path)
    window.panel.tile_spin.set_tile(320)
    with qtbot.waitSignal(window.runs.partial, timeout=WAIT):
        window.act_deblur.trigger()
    b = open_photo(qtbot, window, b_path)
    assert window.runs.running_for(a.key) and window.current_photo() is b
    right = window.viewers.compare.right
    assert not right.has_image() and window.viewers.split.result_layer() is None
    with qtbot.waitSignal(window.runs.partial, timeout=WAIT):  # a's next frame arrives while b is shown
        held_runs()
    assert not right.has_image() and "Not deblurred yet" in right.message, "b shows its own state"
    assert not window.viewers.partial_shown

    window.open_paths([a_path])  # back to a: its result so far
    qtbot.waitUntil(lambda: window.current_photo() is a, timeout=WAIT)
    frame = window.runs.partial_for(a.key)
    assert frame is not None and np.array_equal(shown_in(right), pixels_of(frame.display_levels[0]))
    with qtbot.waitSignal(window.engine.cancelled, timeout=WAIT):
        window.cancel()
        held_runs()
    assert a.result is None and not right.has_image()


def test_frames_that_take_long_to_make_come_less_often():
    ticks = itertools.count()
    # every reading of this clock is 0.2 s after the last: a frame takes 0.2 s to make, 10 % of 2 s
    frames = PartialFrames("key", np.zeros((8, 16, 3), np.float32), None, strength=1.0, interval=0.5,
                           clock=lambda: next(ticks) * 0.2)
    given = [frames.add(tile(index, 0, 1.0), last=False) is not None for index in range(1, 12)]
    assert given == [True] + [False] * 8 + [True, False], "the next frame 2 s after the last, not 0.5 s"


def test_a_large_photos_frame_holds_no_full_size_picture_and_draws_at_the_photos_size(qtbot, monkeypatch):
    """Issue 21: while a 12 MP photo runs, the window held the frame shown and the frame being made, each with
    its full-size level (48 MB); a large photo's frame keeps its half-size level and smaller only, and the view's
    layer of it still spans the photo (drawn from half size), with each pixel the photo's or the tiles' own."""
    from deblur_app.gui.image_view import ImageView, Layer
    from deblur_app.gui.qtimage import pixmaps

    monkeypatch.setattr(partial_frames, "FULL_LEVEL_PIXELS", 100)  # the 8 x 1100 photo counts as large here
    photo = np.full((8, 1100, 3), 0.25, np.float32)  # wider than the pyramid's floor: it has a half level
    frames = PartialFrames("key", photo, None, strength=1.0, interval=0.0, clock=lambda: 0.0)
    frames.add(tile(1, 0, 1.0), last=False)
    frame = frames.add(tile(2, 4, 1.0), last=False)
    assert frame.size == (1100, 8) and [(i.width(), i.height()) for i in frame.display_levels] == [(550, 4)]
    half = pixels_of(frame.display_levels[0])  # columns 0-2 and 4-6 final: 2x2 averages of them
    assert (half[:, [0, 2]] == 255).all() and (half[:, 4:] == 64).all(), "the tiles' pixels, elsewhere the photo"
    layer = Layer(pixmaps(frame.display_levels), frame.size)
    assert (layer.width, layer.height) == (1100, 8)
    view = ImageView()
    qtbot.addWidget(view)
    view.set_image(layer)
    assert view.item.boundingRect().size().toSize().width() == 1100, "the view spans the photo, not the half level"
