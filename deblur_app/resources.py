"""Where bundled files live, in the source tree and inside a frozen build."""

from __future__ import annotations

import sys
from pathlib import Path

APP_NAME = "deblur_app"


def bundle_root() -> Path:
    """The folder holding resources/ and weights/: PyInstaller's unpack dir or the source checkout."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and frozen_root:
        return Path(frozen_root)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    return bundle_root().joinpath("resources", *parts)


def bundled_weights_dir() -> Path:
    return bundle_root() / "weights"


def user_data_dir() -> Path:
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def user_weights_dir() -> Path:
    return user_data_dir() / "weights"


def weights_search_dirs() -> list[Path]:
    return [bundled_weights_dir(), user_weights_dir()]
