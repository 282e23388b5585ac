"""View > Language: System, English, 简体中文, ...; remembered in the settings, used from the next start.

The window builds its texts once, so a new language takes effect when the app starts again
(Qt's translators are installed before the window exists, in app.run_app).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from .i18n import SYSTEM, available_languages
from .settings import AppSettings


class LanguageMenu(QMenu):
    language_chosen = Signal(str)  # 'system' or a language code, already stored in the settings

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("&Language"), parent)
        self.settings = settings
        self.setToolTipsVisible(True)
        self.group = QActionGroup(self)
        choices = {SYSTEM: self.tr("System"), **available_languages()}
        current = settings.language if settings.language in choices else SYSTEM
        for code, name in choices.items():
            action = self.addAction(name)
            action.setCheckable(True)
            action.setData(code)
            action.setChecked(code == current)
            action.setToolTip(self.tr("Follow the language of the system") if code == SYSTEM else name)
            action.triggered.connect(lambda _checked=False, code=code: self.choose(code))
            self.group.addAction(action)

    def choose(self, code: str) -> None:
        for action in self.group.actions():
            action.setChecked(action.data() == code)
        if code != self.settings.language:
            self.settings.language = code
            self.settings.sync()
            self.language_chosen.emit(code)

    def chosen(self) -> str:
        action = self.group.checkedAction()
        return action.data() if action is not None else SYSTEM
