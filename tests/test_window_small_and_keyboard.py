"""The window as a demanding photographer uses it (session 19, driven under Xvfb with xdotool): a very small
window, the keyboard's focus, the mouse wheel over the side panel."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from deblur_app.gui.focus_ring import RING_COLOUR, Ring  # noqa: E402
from deblur_app.gui.main_window import MINIMUM_SIZE  # noqa: E402
from guikit import WAIT, open_photo  # noqa: E402


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


def _focus_by_tab(qtbot, window, presses: int) -> list:
    focused = []
    for _ in range(presses):
        QTest.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_Tab)
        qtbot.wait(10)
        focused.append(QApplication.focusWidget())
    return focused


def _ring_drawn_on(widget) -> bool:
    """The widget as the screen shows it has the ring's colour along its left and top edges."""
    image = widget.grab().toImage()
    middle_x, middle_y = image.width() // 2, image.height() // 2
    return all(image.pixelColor(x, y).rgb() == RING_COLOUR.rgb()
               for x, y in ((0, middle_y), (1, middle_y), (middle_x, 0), (middle_x, 1)))


def test_after_many_tabs_the_widget_with_the_keyboards_focus_is_framed(qtbot, window, photo):
    """Tabbing through the window, Fusion's dark-blue focus outline was all but invisible on the dark theme, and the
    photo views and the filmstrip showed none: every widget Tab reaches now has a bright frame, the views and the
    filmstrip included, and only that one."""
    window.show()
    qtbot.waitExposed(window)
    open_photo(qtbot, window, photo("keys.png", 64))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    window.filmstrip.setFocus(Qt.FocusReason.OtherFocusReason)
    focused = _focus_by_tab(qtbot, window, 16)
    left, right = window.viewers.compare.left, window.viewers.compare.right
    panel = window.panel
    for widget in (left, right, panel.model_combo, panel.ensemble_check, panel.run_button, panel.strength_slider):
        assert widget in focused
    assert window.panel_scroll not in focused  # no stop that frames the whole panel
    assert window.filmstrip in _focus_by_tab(qtbot, window, 16)  # round again to the filmstrip
    for widget in focused:
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        current = QApplication.focusWidget()
        rings = window.findChildren(Ring)
        assert [ring.parentWidget() for ring in rings if ring.isVisible()] == [current]
        assert window.focus_ring.ring.geometry() == current.rect()
        assert _ring_drawn_on(current), current
    assert not any(_ring_drawn_on(widget) for widget in (left, right) if widget is not QApplication.focusWidget())


def test_a_click_takes_the_frame_away_and_tab_brings_it_back(qtbot, window, photo):
    """Like a browser's focus-visible: a photographer clicking into the photo gets no frame around it."""
    window.show()
    qtbot.waitExposed(window)
    open_photo(qtbot, window, photo("click.png", 64))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    right = window.viewers.compare.right
    window.panel.model_combo.setFocus(Qt.FocusReason.TabFocusReason)
    assert window.focus_ring.target() is window.panel.model_combo
    QTest.mouseClick(right.viewport(), Qt.MouseButton.LeftButton, pos=right.viewport().rect().center())
    assert QApplication.focusWidget() is right
    assert window.focus_ring.target() is None and not _ring_drawn_on(right)
    right.setFocus(Qt.FocusReason.OtherFocusReason)  # the program moving focus keeps the mouse's choice
    assert window.focus_ring.target() is None
    QTest.keyClick(right, Qt.Key.Key_Tab)
    assert window.focus_ring.target() is QApplication.focusWidget() is not right


def test_a_click_on_the_framed_widget_itself_takes_the_frame_away(qtbot, window, photo):
    """Tab to the filmstrip, then photos chosen there with the mouse: the filmstrip kept its frame, focus never left
    it (no focus event), though the user had gone over to the mouse."""
    window.show()
    qtbot.waitExposed(window)
    first = open_photo(qtbot, window, photo("first.png", 64))
    open_photo(qtbot, window, photo("second.png", 64, seed=1))
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    strip = window.filmstrip
    window.panel.run_button.setFocus(Qt.FocusReason.MouseFocusReason)
    strip.setFocus(Qt.FocusReason.BacktabFocusReason)
    assert window.focus_ring.target() is strip and _ring_drawn_on(strip)
    item = strip.item_for(first.key)
    QTest.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=strip.visualItemRect(item).center())
    assert QApplication.focusWidget() is strip and window.session.current().key == first.key
    assert window.focus_ring.target() is None and not _ring_drawn_on(strip)


def _wheel(widget, notches: int = -1) -> None:
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent

    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(widget.rect().center())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_the_wheel_scrolls_a_short_side_panel_past_its_controls_without_changing_them(qtbot, window, photo):
    """In a short window the wheel scrolled the panel until the pointer came over Precision, which then turned to
    bf16 (Network to the next network, Strength down): a control takes the wheel only once it has focus."""
    window.show()
    qtbot.waitExposed(window)
    open_photo(qtbot, window, photo("wheel.png", 64))
    window.resize(MINIMUM_SIZE)
    qtbot.wait(50)
    panel, bar = window.panel, window.panel_scroll.verticalScrollBar()
    assert bar.maximum() > 0
    controls = {panel.model_combo: panel.model_combo.currentIndex, panel.precision_combo: panel.precision_combo.currentIndex,
                panel.device_combo: panel.device_combo.currentIndex, panel.tile_spin: panel.tile_spin.value,
                panel.strength_slider: panel.strength_slider.value, panel.strength_spin: panel.strength_spin.value}
    before = {control: value() for control, value in controls.items()}
    for control in controls:
        bar.setValue(0)
        _wheel(control, -1)
        assert bar.value() > 0, control  # the panel scrolled
        assert controls[control]() == before[control], control
        assert not control.hasFocus()
    panel.precision_combo.setFocus(Qt.FocusReason.MouseFocusReason)  # clicked: now the wheel is for it
    _wheel(panel.precision_combo, -1)
    assert panel.precision_combo.currentIndex() == before[panel.precision_combo] + 1
