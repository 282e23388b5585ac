"""Message boxes the window uses, in one place so tests can replace them."""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from ..reasons import ReasonText
from .reasons import translated

UNBROKEN = 40  # characters a message box's line may hold without a place to wrap (a long file name)
_LONG_RUN = re.compile(rf"\S{{{UNBROKEN + 1},}}")


def wrappable(text: str) -> str:
    """``text`` with a zero-width space every UNBROKEN characters of a run without spaces: a 240-character
    file name was cut off at the message box's edge, its end (".jpg") out of sight. Show Details keeps the exact
    text (where there are details: a reason's), and the names in the text stay as they are everywhere else."""
    return _LONG_RUN.sub(lambda run: "\u200b".join(run[0][i:i + UNBROKEN] for i in range(0, len(run[0]), UNBROKEN)),
                         text)


def show_error(parent: QWidget | None, title: str, reason: ReasonText, details: str = "") -> None:
    """A one-line reason (the core's in the window's language), with the technical details folded away."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, wrappable(translated(reason)), QMessageBox.StandardButton.Ok,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # a reason names files: "<h1>.jpg" is a name, not markup
    if details:
        box.setDetailedText(details)
    box.exec()


def confirm(parent: QWidget | None, title: str, text: str, action: str = "", detail: str = "") -> bool:
    """Ask before something destructive; the safe answer (Cancel) is the default.

    Callers pass translated texts; ``action`` labels the button that goes ahead.
    """
    box = QMessageBox(QMessageBox.Icon.Question, title, wrappable(text), QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # the question may name files
    if detail:
        box.setInformativeText(detail)
    proceed = box.addButton(action or QCoreApplication.translate("dialogs", "OK"), QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is proceed


def choose(parent: QWidget | None, title: str, text: str, choices: list[tuple[str, str]], detail: str = "") -> str | None:
    """Ask for one of several answers (key, button label); None for Cancel, which is the default."""
    box = QMessageBox(QMessageBox.Icon.Question, title, wrappable(text), QMessageBox.StandardButton.NoButton, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)  # the question may name files
    if detail:
        box.setInformativeText(detail)
    buttons = {box.addButton(label, QMessageBox.ButtonRole.AcceptRole): key for key, label in choices}
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return buttons.get(box.clickedButton())
