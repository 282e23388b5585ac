"""Icons: qtawesome glyphs for actions, the bundled SVG for the app."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from ..resources import resource_path

NAMES = {
    "open": "mdi6.folder-open-outline",
    "recent": "mdi6.history",
    "save": "mdi6.content-save-outline",
    "save_as": "mdi6.content-save-edit-outline",
    "batch": "mdi6.folder-multiple-image",
    "close": "mdi6.close",
    "quit": "mdi6.exit-to-app",
    "deblur": "mdi6.auto-fix",
    "cancel": "mdi6.stop-circle-outline",
    "preview": "mdi6.image-filter-center-focus-weak",
    "zoom_in": "mdi6.magnify-plus-outline",
    "zoom_out": "mdi6.magnify-minus-outline",
    "fit": "mdi6.fit-to-screen-outline",
    "actual": "mdi6.numeric-1-box-outline",
    "side": "mdi6.compare",
    "split": "mdi6.compare-horizontal",
    "scales": "mdi6.layers-triple-outline",
    "difference": "mdi6.fire",
    "compare": "mdi6.select-compare",
    "original": "mdi6.eye-outline",
    "about": "mdi6.information-outline",
    "weights": "mdi6.download-box-outline",
    "error": "mdi6.alert-circle-outline",
    "photo": "mdi6.image-outline",
    "folder": "mdi6.folder-outline",
    "clear": "mdi6.delete-sweep-outline",
    "overflow": "mdi6.chevron-double-right",  # the toolbar's extension button (Fusion's own arrow: dark on dark)
}

_cache: dict[str, QIcon] = {}


def icon(name: str) -> QIcon:
    """A themed icon by role name; an empty icon if qtawesome is unusable."""
    if name not in _cache:
        try:
            import qtawesome

            _cache[name] = qtawesome.icon(NAMES[name], color="#d8d8d8", color_disabled="#6a6a6a")
        except Exception:
            _cache[name] = QIcon()
    return _cache[name]


def app_icon() -> QIcon:
    path = resource_path("icons", "deblur-app.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()
