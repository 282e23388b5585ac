"""The window as a demanding photographer uses it (session 19, driven under Xvfb with xdotool): a very small
window, the keyboard's focus, the mouse wheel over the side panel."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint  # noqa: E402

from deblur_app.gui.main_window import MINIMUM_SIZE  # noqa: E402
from guikit import open_photo  # noqa: E402


@pytest.mark.parametrize("view", ["side", "scales", "split", "difference"])
def test_a_window_made_360_by_260_stays_usable_with_the_whole_side_panel(qtbot, window, photo, view):
    """Made 360 x 260 (xdotool), the window clipped its side panel: the panel's right edge and its scroll bar were
    past the window's edge, and at the least width the scroll bar covered the panel's last 14 px."""
    window.show()
    qtbot.waitExposed(window)
    open_photo(qtbot, window, photo("small.png", 64))
    window.set_view_mode(view)
    window.resize(360, 260)
    qtbot.wait(50)
    assert (window.width(), window.height()) == (MINIMUM_SIZE.width(), MINIMUM_SIZE.height())
    # its layout does not ask for more than the window is: nothing is laid out past the window's edge
    assert window.minimumSizeHint().width() <= window.width()
    scroll, panel = window.panel_scroll, window.panel
    right_edge = scroll.mapTo(window, QPoint(scroll.width(), 0)).x()
    assert right_edge <= window.width()
    assert scroll.verticalScrollBar().isVisible()  # the panel is taller than the window: it scrolls
    assert scroll.viewport().width() >= panel.minimumSizeHint().width()  # beside the bar, not under it
    assert panel.width() <= scroll.viewport().width()
    # the Deblur button without scrolling
    button = panel.run_button
    assert button.mapTo(scroll.viewport(), QPoint(0, button.height())).y() <= scroll.viewport().height()
