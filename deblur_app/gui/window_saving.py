"""Saving the window's results: Save, Save As, Save All, and what the window does when a save ends.

A mixin of :class:`~deblur_app.gui.main_window.MainWindow` (like window_opening.py): the
files are written in the file pool (tasks.py) and the outcome arrives in ``_on_saved``.
One output-naming and overwrite policy decides for every save (naming.plan_outputs).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from ..jobs import default_output, plan_outputs
from . import dialogs
from .photo_state import Photo
from .save_dialog import SaveDialog
from .tasks import SaveChoice, SaveOutcome

# the texts belong to the window: translated in its context, whichever file builds them
translate = QCoreApplication.translate


class WindowSaving:
    """Writing results to files (see the module docstring)."""

    def save(self) -> None:
        photo = self.current_photo()
        if photo is not None and photo.result is not None:
            self._save(photo, self._default_choice(photo))

    def _default_choice(self, photo: Photo) -> SaveChoice:
        """What Save writes: the main file only, a JPEG source's quality kept (Save As choices stay with that save)."""
        return SaveChoice(photo.save_target or default_output(photo.path))

    def save_all(self) -> bool:
        """Save every unsaved result beside its original (or where Save As last put it); False if one was refused."""
        started = True
        for photo in [p for p in self.photos.values() if p.unsaved]:
            started = self._save(photo, self._default_choice(photo)) and started
        return started

    def save_as(self) -> None:
        """Ask where to save; a declined "Replace Files?" (or a refused name) comes back to the dialog.

        It proposes the photo's own folder (or where Save As last put this photo), not the folder
        of the last save: results of photos from different folders went into one folder by mistake.
        """
        photo = self.current_photo()
        if photo is None or photo.result is None:
            return
        default = photo.save_target or default_output(photo.path)
        while True:
            dialog = SaveDialog(default, photo.image.bit_depth, photo.image.jpeg is not None, self)
            if dialog.exec() != SaveDialog.DialogCode.Accepted:
                return
            choice = dialog.choice()
            if self._save(photo, choice):
                self.session.choose_save_target(photo.key, choice.path)
                return
            default = choice.path  # back to Save As with the name the user typed

    def _save(self, photo: Photo, choice: SaveChoice) -> bool:
        """Start writing the photo's result; False if it is refused or the user declined to replace a file."""
        (plan,) = plan_outputs([(photo.path, choice.path)], choice.save_scales,
                               inputs=[p.path for p in self.photos.values()])
        if plan.refusal:  # an original is never replaced, whatever the user confirms
            dialogs.show_error(self, translate("MainWindow", "Cannot Save"), plan.refusal)
            return False
        existing = plan.existing
        if existing:
            names = ", ".join(t.name for t in existing)
            text = translate("MainWindow", "%n file(s) already exist: {names}", "", len(existing)).format(names=names)
            if not dialogs.confirm(self, translate("MainWindow", "Replace Files?"), text,
                                   translate("MainWindow", "Replace")):
                return False
            choice.overwrite = True
        self.statusBar().showMessage(translate("MainWindow", "Saving {name}…").format(name=choice.path.name))
        self.tasks.save(photo.key, photo.image, photo.result, choice, photo.strength)
        return True

    def _on_saved(self, outcome: SaveOutcome) -> None:
        photo = self.photos.get(outcome.key)
        quitting = outcome.key in self._saves_before_quit
        self._saves_before_quit.discard(outcome.key)
        if outcome.error:
            self._saves_before_quit.clear()  # stay open: the user must see what was not saved
            self.statusBar().showMessage(translate("MainWindow", "Saving failed"), 8000)
            dialogs.show_error(self, translate("MainWindow", "Cannot Save"), outcome.error, outcome.details)
            return
        if photo is not None and outcome.paths:
            self.session.mark_saved(photo.key, outcome.paths[0], outcome.strength)
            if photo is self.current_photo():
                self._refresh_views()
        names = ", ".join(p.name for p in outcome.paths)
        self.statusBar().showMessage(translate("MainWindow", "Saved {names}").format(names=names), 8000)
        self._update_actions()
        self.saved.emit(outcome.paths)
        if quitting and not self._saves_before_quit:
            self.close()
