"""Saving results: Save, Save As (format, bit depth, quality, scales), Save All, the Replace
prompt, and Save All before the window closes.

``PhotoSaver`` is a controller over the session (session.py): it writes what the session holds
for a photo (its result at its strength, which is what the views show) and records the save
through the session's commands, which the filmstrip, views and actions follow. What it needs of
the window is declared in ``SavingWindow``; what it asks the user in prompts.Prompts. The files
are written in the file pool (tasks.py), whose outcomes the window hands to ``take_saved``. One
output-naming and overwrite policy decides for every save (jobs.plan_outputs): an original is
never written over, whatever the user confirms. Tested without a window (tests/test_controllers.py).
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QCoreApplication, QObject, Signal

from ..jobs import default_output, own_earlier_outputs, plan_outputs
from ..reasons import file_name
from .prompts import Prompts
from .session import PhotoRecord, PhotoSession
from .tasks import SaveChoice, SaveOutcome

# the texts belong to the window: translated in its context, whichever file builds them
translate = QCoreApplication.translate


class SavingWindow(Protocol):
    """What saving needs of the window."""

    def show_message(self, text: str, timeout_ms: int = 0) -> None: ...

    def close(self) -> bool: ...


class FileWriter(Protocol):
    """The file pool's part that writes (tasks.FileTasks)."""

    def save(self, key: str, image, result, choice: SaveChoice, strength: float = 1.0) -> None: ...


def default_choice(photo: PhotoRecord) -> SaveChoice:
    """What Save writes: the main file only, a JPEG source's quality kept (Save As choices stay with that save),
    beside the original or where Save As last put this photo."""
    return SaveChoice(photo.save_target or default_output(photo.path))


class PhotoSaver(QObject):
    """Writing results to files (see the module docstring)."""

    saved = Signal(object)  # list of paths

    def __init__(self, session: PhotoSession, window: SavingWindow, files: FileWriter, prompts: Prompts,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session, self.window, self.files, self.prompts = session, window, files, prompts
        self.writing_before_quit: set[str] = set()  # photo keys Save All is writing before the window closes
        self._writing: list[tuple[str, tuple]] = []  # (photo key, the paths its save writes) of each save under way

    def save(self) -> None:
        photo = self.session.current()
        if photo is not None and photo.result is not None:
            self.save_photo(photo, default_choice(photo), replace_own=True)

    def save_all(self) -> bool:
        """Save every unsaved result beside its original (or where Save As last put it); False if one was refused."""
        started = True
        for photo in self.session.unsaved():
            started = self.save_photo(photo, default_choice(photo), replace_own=True) and started
        return started

    def save_all_then_close(self) -> None:
        """Save All, and close the window once every file is written (it stays open if one fails)."""
        keys = {photo.key for photo in self.session.unsaved()}
        if self.save_all():
            self.writing_before_quit = keys

    def save_as(self) -> None:
        """Ask where to save; a declined "Replace Files?" (or a refused name) comes back to the dialog.

        It proposes the photo's own folder (or where Save As last put this photo), not the folder
        of the last save: results of photos from different folders went into one folder by mistake.
        """
        photo = self.session.current()
        if photo is None or photo.result is None:
            return
        default = photo.save_target or default_output(photo.path)
        while True:
            choice = self.prompts.save_choice(default, photo.image.bit_depth, photo.image.jpeg is not None,
                                              photo.result.has_scales)
            if choice is None:
                return
            if self.save_photo(photo, choice):
                self.session.choose_save_target(photo.key, choice.path)
                return
            default = choice.path  # back to Save As with the name the user typed

    def save_photo(self, photo: PhotoRecord, choice: SaveChoice, replace_own: bool = False) -> bool:
        """Start writing the photo's result at its strength; False if it is refused or the user declined to
        replace a file. ``replace_own`` (Save and Save All, whose name is the photo's own: beside it, or where
        Save As put it): a file there that the app marked as its output is the photo's earlier result, replaced
        without asking (jobs.own_earlier_outputs); Save As asks about every file."""
        (plan,) = plan_outputs([(photo.path, choice.path)], choice.save_scales, inputs=self.session.paths())
        if plan.refusal:  # an original is never replaced, whatever the user confirms
            self.prompts.error(translate("MainWindow", "Cannot Save"), plan.refusal)
            return False
        # a save of this photo still writing these files (Ctrl+S pressed twice): they are this photo's results, which
        # the later save replaces without a question (the second save failed as "already exists" once the first was done)
        own = {path for key, paths in self._writing if key == photo.key for path in paths}
        if replace_own:
            own.update(own_earlier_outputs(plan))
        existing = tuple(path for path in plan.existing if path not in own)
        if own.intersection(plan.paths):
            choice.overwrite = True
        if existing:
            names = ", ".join(file_name(t) for t in existing)
            # self.tr, not translate: PySide6 6.11's lupdate reads a plural form (%n) from self.tr only
            text = self.tr("%n file(s) already exist: {names}", "", len(existing)).format(names=names)
            if not self.prompts.confirm(translate("MainWindow", "Replace Files?"), text,
                                        translate("MainWindow", "Replace")):
                return False
            choice.overwrite = True
        self.window.show_message(translate("MainWindow", "Saving {name}…").format(name=file_name(choice.path)))
        self._writing.append((photo.key, plan.paths))
        self.files.save(photo.key, photo.image, photo.result, choice, photo.strength)
        return True

    def take_saved(self, outcome: SaveOutcome) -> None:
        done = next((index for index, (key, _paths) in enumerate(self._writing) if key == outcome.key), None)
        if done is not None:  # the pool writes one file at a time, in the order asked: this photo's oldest save
            del self._writing[done]
        quitting = outcome.key in self.writing_before_quit
        self.writing_before_quit.discard(outcome.key)
        if outcome.error:
            self.writing_before_quit.clear()  # stay open: the user must see what was not saved
            self.window.show_message(translate("MainWindow", "Saving failed"), 8000)
            self.prompts.error(translate("MainWindow", "Cannot Save"), outcome.error, outcome.details)
            return
        if outcome.paths:
            self.session.mark_saved(outcome.key, outcome.paths[0], outcome.strength, outcome.written)
        names = ", ".join(file_name(p) for p in outcome.paths)
        self.window.show_message(translate("MainWindow", "Saved {names}").format(names=names), 8000)
        self.saved.emit(outcome.paths)
        if quitting and not self.writing_before_quit:
            self.window.close()
