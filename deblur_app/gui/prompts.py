"""What the opening, saving and scanning controllers ask the user, as one narrow interface.

``Prompts`` is all they need of dialogs; ``DialogPrompts`` answers it with the window's
message boxes (dialogs.py), file dialogs and Save As (save_dialog.py), and a test answers
it with a script, so the controllers run without a window (tests/test_controllers.py).
The message boxes are looked up in dialogs.py at each call, so tests that replace them
there (monkeypatch) still see every question.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from PySide6.QtWidgets import QFileDialog, QWidget

from ..reasons import ReasonText
from . import dialogs
from .save_dialog import SaveDialog
from .tasks import SaveChoice


LISTED_REASONS = 10  # the reasons named in a dialog's text; all of them are in its details


def reasons_listed(intro: str, said: list[str], more: str = "", details: list[str] | None = None) -> tuple[str, str]:
    """One dialog's text and details for several files' reasons (translated): ``intro`` then a bullet each
    (a long reason wraps), at most LISTED_REASONS of them, then ``more`` (translated, "… and 4 more") when
    there are others; the details hold every reason, each followed by its own details where they add
    something (a traceback: several lines)."""
    listed = [f"• {text}" for text in said[:LISTED_REASONS]]
    if len(said) > LISTED_REASONS:
        listed.append(more)
    extra = details or [""] * len(said)
    full = [f"{text}\n{added}" if "\n" in added.strip() else text for text, added in zip(said, extra)]
    return "\n".join([intro, *listed]), "\n\n".join(full)


class Prompts(Protocol):
    def error(self, title: str, reason: ReasonText, details: str = "") -> None: ...

    def confirm(self, title: str, text: str, action: str) -> bool: ...

    def photos_to_open(self, title: str, folder: str, filters: str) -> list[str]: ...

    def save_choice(self, default: Path, bit_depth: int, source_is_jpeg: bool,
                    scales: bool = True) -> SaveChoice | None: ...  # scales: the result has ½ and ¼ outputs

    def folder_to_scan(self, title: str, folder: str) -> str: ...


class DialogPrompts:
    """Prompts as dialogs over ``parent`` (the window)."""

    def __init__(self, parent: QWidget) -> None:
        self.parent = parent

    def error(self, title: str, reason: ReasonText, details: str = "") -> None:
        dialogs.show_error(self.parent, title, reason, details)

    def confirm(self, title: str, text: str, action: str) -> bool:
        return dialogs.confirm(self.parent, title, text, action)

    def photos_to_open(self, title: str, folder: str, filters: str) -> list[str]:
        paths, _ = QFileDialog.getOpenFileNames(self.parent, title, folder, filters)
        return paths

    def save_choice(self, default: Path, bit_depth: int, source_is_jpeg: bool,
                    scales: bool = True) -> SaveChoice | None:
        dialog = SaveDialog(default, bit_depth, source_is_jpeg, self.parent, scales=scales)
        if dialog.exec() != SaveDialog.DialogCode.Accepted:
            return None
        return dialog.choice()

    def folder_to_scan(self, title: str, folder: str) -> str:
        return QFileDialog.getExistingDirectory(self.parent, title, folder)
