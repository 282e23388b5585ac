"""A frame in a bright highlight colour around the widget that has the keyboard's focus.

Fusion marks focus with a dark-blue outline that the dark theme all but hides, and the photo views and the
filmstrip mark it not at all: after a few Tabs the user could not tell where the keys would go. Like a browser's
:focus-visible, the frame follows focus moved by the keyboard (Tab, Shift+Tab, a mnemonic) and goes away when the
mouse moves focus, so a click into a photo does not frame the photo.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import isValid

RING_COLOUR = QColor(110, 180, 255)  # brighter than the theme's highlight (64, 128, 200): seen on dark grey and blue
RING_WIDTH = 2
KEYBOARD_REASONS = (Qt.FocusReason.TabFocusReason, Qt.FocusReason.BacktabFocusReason,
                    Qt.FocusReason.ShortcutFocusReason)


class Ring(QWidget):
    """Drawn inside the focused widget, over its children: a photo view or the filmstrip fills its parent, where a
    frame around the outside would be cut away."""

    def __init__(self, target: QWidget) -> None:
        super().__init__(target)
        self.setObjectName("focus-ring")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setGeometry(target.rect())
        self.raise_()
        self.show()

    def paintEvent(self, _event) -> None:  # noqa: N802 (Qt's name)
        painter = QPainter(self)
        painter.setPen(QPen(RING_COLOUR, RING_WIDTH))
        inset = RING_WIDTH / 2
        painter.drawRect(self.rect().toRectF().adjusted(inset, inset, -inset, -inset))


class FocusRing(QObject):
    """Puts a Ring on the widget of ``window`` (or of a window it owns: Compare, a dialog) that the keyboard
    focused, and takes it away when focus leaves it or the mouse takes focus."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.keyboard = False  # focus last moved by the keyboard: a widget focused by the program keeps the frame
        self.ring: Ring | None = None
        QApplication.instance().installEventFilter(self)

    def target(self) -> QWidget | None:
        ring = self.ring
        return ring.parentWidget() if ring is not None and isValid(ring) else None

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind == QEvent.Type.FocusIn and isinstance(watched, QWidget) and not isinstance(watched, Ring):
            reason = event.reason()
            if reason in KEYBOARD_REASONS:
                self.keyboard = True
            elif reason == Qt.FocusReason.MouseFocusReason:
                self.keyboard = False
            if self.keyboard and self._owns(watched):
                self._surround(watched)
            else:
                self._remove()
        elif kind == QEvent.Type.MouseButtonPress and self.ring is not None and isinstance(watched, QWidget):
            target = self.target()
            if target is not None and (watched is target or target.isAncestorOf(watched)):
                self.keyboard = False  # clicked where focus already was (a photo of the filmstrip): no FocusIn
                self._remove()
        elif kind == QEvent.Type.FocusOut and watched is self.target() \
                and event.reason() != Qt.FocusReason.PopupFocusReason:  # a combo box's list open: it still has it
            self._remove()
        elif kind == QEvent.Type.Resize and watched is self.target():
            self.ring.setGeometry(watched.rect())
        elif kind == QEvent.Type.ChildAdded and watched is self.target():
            self.ring.raise_()  # over a child added later (a view's overlay)
        return False

    def _owns(self, widget: QWidget) -> bool:
        """The widget is in the window or in one of the windows it owns, and is not a popup (a menu, a list)."""
        if widget.window().windowType() in (Qt.WindowType.Popup, Qt.WindowType.ToolTip):
            return False
        while widget is not None:
            if widget is self._window:
                return True
            widget = widget.parentWidget()
        return False

    def _surround(self, widget: QWidget) -> None:
        if self.target() is widget:
            return
        self._remove()
        self.ring = Ring(widget)

    def _remove(self) -> None:
        ring, self.ring = self.ring, None
        if ring is not None and isValid(ring):
            ring.hide()
            ring.deleteLater()
