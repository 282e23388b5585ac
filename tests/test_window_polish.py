"""The window as a demanding photographer uses it (session 16, driven under Xvfb with xdotool): what was found."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSize  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from deblur_app.gui.filmstrip import legible  # noqa: E402
from guikit import WAIT, open_photo  # noqa: E402


def test_a_tiny_photos_thumbnail_is_enlarged_with_sharp_pixels_a_large_ones_is_kept():
    box = QSize(128, 96)
    tiny = QImage(8, 8, QImage.Format.Format_RGB888)
    tiny.fill(0x204060)
    tiny.setPixel(0, 0, 0xFF0000)
    big = legible(tiny, box)
    assert (big.width(), big.height()) == (96, 96)  # 12 times: the icon's height
    assert big.pixel(11, 11) == big.pixel(0, 0) != big.pixel(12, 12)  # one photo pixel, 12 x 12 screen pixels
    strip = legible(QImage(40, 10, QImage.Format.Format_RGB888), box)
    assert (strip.width(), strip.height()) == (120, 30)
    for width, height in ((100, 80), (128, 96), (70, 60)):  # not twice within the box: as it was
        image = QImage(width, height, QImage.Format.Format_RGB888)
        assert legible(image, box).size() == image.size()


def test_an_8x8_photo_shows_a_thumbnail_not_a_dot_in_the_filmstrip(qtbot, window, tmp_path):
    """An 8 x 8 photo's thumbnail was an 8 x 8 icon: a dot under its name."""
    path = tmp_path / "eight.png"
    pixels = np.zeros((8, 8, 3), np.float32)
    pixels[:4] = (1.0, 0.0, 0.0)  # red over blue
    pixels[4:] = (0.0, 0.0, 1.0)
    imagefiles.save_image(path, pixels)
    photo = open_photo(qtbot, window, path)
    item = window.filmstrip.item_for(photo.key)
    box = window.filmstrip.iconSize()

    def shown() -> QImage:
        return item.icon().pixmap(box).toImage()

    qtbot.waitUntil(lambda: shown().size() == QSize(96, 96), timeout=WAIT)
    image = shown()
    assert image.pixelColor(5, 5).red() > 200 and image.pixelColor(5, 90).blue() > 200
    assert image.pixelColor(40, 47).red() > 200 and image.pixelColor(40, 48).blue() > 200  # a sharp edge, not blurred


def test_the_scales_view_of_a_photo_not_deblurred_yet_shows_the_photo(qtbot, window, photo):
    """Browsing photos in the Scales view showed six empty panes until a run: the original is the full input."""
    opened = open_photo(qtbot, window, photo("browsed.png", 64))
    window.set_view_mode("scales")
    scales = window.viewers.scales
    assert scales.inputs["full"].has_image() and not scales.outputs["full"].has_image()
    assert "Not deblurred yet" in scales.message
    assert scales.headers["full"].text() == "Full — 64 × 64" and scales.headers["half"].text() == "½"
    window.session.remove(opened.key)  # no photo: the hint to open one, nothing left in the inputs
    assert not scales.inputs["full"].has_image() and scales.headers["full"].text() == "Full"


def test_a_run_being_cancelled_says_so_in_the_view(qtbot, window, photo):
    """Esc on a Restormer run: for the seconds the cancel took, the view went on saying "Deblurring: 10 s elapsed"
    while the status bar said "Cancelling…"."""
    open_photo(qtbot, window, photo("cancelled.png", 64))
    window.panel.ensemble_check.setChecked(True)  # eight passes: the run is still going when Esc comes
    with qtbot.waitSignal(window.engine.progress, timeout=WAIT):
        window.act_deblur.trigger()
    assert window.viewers.compare.right.message.startswith("Deblurring: ")
    window.cancel()
    assert window.runs.cancelling
    assert window.viewers.compare.right.message == "Cancelling…"
    window.runs.ticked.emit("10 s elapsed")  # the run's next tick, before the model thread answered
    assert window.viewers.compare.right.message == "Cancelling…"
    with qtbot.waitSignal(window.engine.cancelled, timeout=WAIT):
        pass


def test_fit_enlarges_a_tiny_photo_a_whole_number_of_times_and_keeps_a_small_one_at_100(qtbot, window, tmp_path):
    """An 8 x 8 photo was an 8-pixel dot in the middle of the window ("Fit (100 %)")."""
    from deblur_app.gui.image_view import MAX_ZOOM, tiny_photo_zoom

    assert tiny_photo_zoom(0.25) == 0.25 and tiny_photo_zoom(3.0) == 1.0 and tiny_photo_zoom(7.9) == 1.0
    assert tiny_photo_zoom(8.0) == 4.0 and tiny_photo_zoom(59.3) == 29.0 and tiny_photo_zoom(500.0) == MAX_ZOOM
    path = tmp_path / "eight.png"
    imagefiles.save_image(path, np.full((8, 8, 3), 0.5, np.float32))
    open_photo(qtbot, window, path)
    left = window.viewers.compare.left
    viewport = left.viewport().rect()
    fitting = min((viewport.width() - 4) / 8, (viewport.height() - 4) / 8)
    assert left.fit_mode and left.zoom() == pytest.approx(tiny_photo_zoom(fitting)) and left.zoom() >= 16
    assert left.zoom() == int(left.zoom())  # whole photo pixels on screen
    assert window.zoom_label.text() == f"Fit ({left.zoom() * 100:.0f} %)"
