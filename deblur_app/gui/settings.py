"""Persistent preferences (QSettings) behind typed accessors.

Tests pass their own QSettings (an INI file in a temp folder) so they never
touch the user's settings.
"""

from __future__ import annotations

import os

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from ..engine.choices import PRECISION_CHOICES
from ..engine.tiling import parse_tile, tile_text
from ..model.registry import DEFAULT_VARIANT

MAX_RECENT = 10


def _tile_words(words: str) -> str:
    if words.strip() == "0":
        return "auto"  # written by versions whose window used 0 for Auto
    try:
        return tile_text(parse_tile(words))
    except ValueError:
        return "auto"


def _percent(value: int) -> int:
    return min(100, max(0, value))


class _Setting:
    """One typed preference stored under ``key``; ``clean`` keeps what is read back in range."""

    def __init__(self, key: str, default, kind=str, clean=None) -> None:
        self.key, self.default, self.kind, self.clean = key, default, kind, clean

    def __get__(self, settings: "AppSettings | None", owner=None):
        if settings is None:
            return self
        value = settings._get(self.key, self.default, self.kind)
        return self.clean(value) if self.clean else value

    def __set__(self, settings: "AppSettings", value) -> None:
        settings._set(self.key, self.kind(value))


class AppSettings:
    def __init__(self, store: QSettings | None = None) -> None:
        self.store = store if store is not None else QSettings()

    # -- generic

    def _get(self, key: str, default, kind=str):
        value = self.store.value(key, default)
        if value is None:
            return default
        try:
            if kind is bool:
                return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
            return kind(value)
        except (TypeError, ValueError):
            return default

    def _set(self, key: str, value) -> None:
        self.store.setValue(key, value)

    def sync(self) -> None:
        self.store.sync()

    # -- folders

    def folder(self, name: str) -> str:
        """Last folder used for 'open', 'save', 'batch_input' or 'batch_output' ('' if none)."""
        return self._get(f"folders/{name}", "")

    def set_folder(self, name: str, folder: str | Path) -> None:
        self._set(f"folders/{name}", str(folder))

    # -- model and run options

    model = _Setting("run/model", DEFAULT_VARIANT)
    ensemble = _Setting("run/ensemble", False, bool)
    device = _Setting("run/device", "auto")
    precision = _Setting("run/precision", "auto", clean=lambda value: value if value in PRECISION_CHOICES else "auto")
    # the tile vocabulary's words (tiling.tile_text): "auto", "whole" or a number of pixels
    tile = _Setting("run/tile", "auto", str, clean=_tile_words)
    strength = _Setting("run/strength", 100, int, clean=_percent)
    starter_note_shown = _Setting("weights/starter_note_shown", False, bool)  # said once, see StarterNote

    # -- view

    view_mode = _Setting("view/mode", "side")
    # 'system' (follow the system locale) or a language code such as 'en' or 'zh_CN' (see i18n.py)
    language = _Setting("view/language", "system", clean=lambda value: value.strip() or "system")

    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def set_geometry(self, data: QByteArray) -> None:
        self._set("window/geometry", data)

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def set_window_state(self, data: QByteArray) -> None:
        self._set("window/state", data)

    def splitter_state(self) -> QByteArray | None:
        return self._bytes("window/splitter")

    def set_splitter_state(self, data: QByteArray) -> None:
        self._set("window/splitter", data)

    def _bytes(self, key: str) -> QByteArray | None:
        value = self.store.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    # -- batch

    batch_template = _Setting("batch/template", "{stem}_deblurred{ext}")
    batch_recursive = _Setting("batch/recursive", False, bool)
    batch_skip_existing = _Setting("batch/skip_existing", True, bool)
    batch_strength = _Setting("batch/strength", 100, int, clean=_percent)

    # -- recent files

    def recent_files(self) -> list[str]:
        value = self.store.value("recent/files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> None:
        # absolute (symlinks kept as spelled): a path relative to the folder the app started in
        # means nothing after a restart elsewhere ("lai/lai_face.jpg: file not found")
        path = os.path.abspath(os.fspath(path))
        files = [f for f in self.recent_files() if f != path]
        self._set("recent/files", [path, *files][:MAX_RECENT])

    def remove_recent(self, path: str | Path) -> None:
        self._set("recent/files", [f for f in self.recent_files() if f not in (str(path), os.path.abspath(path))])

    def clear_recent(self) -> None:
        self._set("recent/files", [])
