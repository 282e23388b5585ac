"""Persistent preferences (QSettings) behind typed accessors.

Tests pass their own QSettings (an INI file in a temp folder) so they never
touch the user's settings.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

MAX_RECENT = 10


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

    @property
    def model(self) -> str:
        return self._get("run/model", "mimo-unet")

    @model.setter
    def model(self, value: str) -> None:
        self._set("run/model", value)

    @property
    def ensemble(self) -> bool:
        return self._get("run/ensemble", False, bool)

    @ensemble.setter
    def ensemble(self, value: bool) -> None:
        self._set("run/ensemble", bool(value))

    @property
    def device(self) -> str:
        return self._get("run/device", "auto")

    @device.setter
    def device(self, value: str) -> None:
        self._set("run/device", value)

    @property
    def precision(self) -> str:
        value = self._get("run/precision", "auto")
        return value if value in ("auto", "fp32", "bf16", "fp16") else "auto"

    @precision.setter
    def precision(self, value: str) -> None:
        self._set("run/precision", value)

    @property
    def tile(self) -> int:
        """0 means Auto."""
        return max(0, self._get("run/tile", 0, int))

    @tile.setter
    def tile(self, value: int) -> None:
        self._set("run/tile", int(value))

    # -- view

    @property
    def view_mode(self) -> str:
        return self._get("view/mode", "side")

    @view_mode.setter
    def view_mode(self, value: str) -> None:
        self._set("view/mode", value)

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

    # -- saving

    @property
    def quality(self) -> int:
        return min(100, max(1, self._get("save/quality", 95, int)))

    @quality.setter
    def quality(self, value: int) -> None:
        self._set("save/quality", int(value))

    @property
    def save_scales(self) -> bool:
        return self._get("save/scales", False, bool)

    @save_scales.setter
    def save_scales(self, value: bool) -> None:
        self._set("save/scales", bool(value))

    # -- batch

    @property
    def batch_template(self) -> str:
        return self._get("batch/template", "{stem}_deblurred{ext}")

    @batch_template.setter
    def batch_template(self, value: str) -> None:
        self._set("batch/template", value)

    @property
    def batch_recursive(self) -> bool:
        return self._get("batch/recursive", False, bool)

    @batch_recursive.setter
    def batch_recursive(self, value: bool) -> None:
        self._set("batch/recursive", bool(value))

    @property
    def batch_skip_existing(self) -> bool:
        return self._get("batch/skip_existing", True, bool)

    @batch_skip_existing.setter
    def batch_skip_existing(self, value: bool) -> None:
        self._set("batch/skip_existing", bool(value))

    # -- recent files

    def recent_files(self) -> list[str]:
        value = self.store.value("recent/files", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> None:
        path = str(path)
        files = [f for f in self.recent_files() if f != path]
        self._set("recent/files", [path, *files][:MAX_RECENT])

    def remove_recent(self, path: str | Path) -> None:
        self._set("recent/files", [f for f in self.recent_files() if f != str(path)])

    def clear_recent(self) -> None:
        self._set("recent/files", [])
