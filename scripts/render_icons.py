#!/usr/bin/env python3
"""Render the app icon (resources/icons/deblur-app.svg) as the hicolor theme's PNG sizes.

    python scripts/render_icons.py      # writes resources/linux/icons/hicolor/<N>x<N>/apps/<id>.png

Run it after changing the SVG and commit the PNGs: the Debian package (scripts/build_deb.sh)
copies them as they are, so packaging needs neither Qt nor rsvg. The SVG itself goes into
hicolor/scalable/apps/. Qt's QSvgRenderer draws it (antialiased, transparent background),
the same renderer that draws the window's icon.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "resources" / "icons" / "deblur-app.svg"
APP_ID = "io.github.deblur_app.Deblur"
THEME = REPO / "resources" / "linux" / "icons" / "hicolor"
# the sizes desktops look up in the hicolor theme (menus, docks, file managers' "Open With", HiDPI)
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(size: int, target: Path) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {SOURCE} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target), "PNG"):
        raise SystemExit(f"render_icons: cannot write {target}")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # QImage text/fonts need one
    for size in SIZES:
        target = THEME / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        render(size, target)
        print(f"{target.relative_to(REPO)}")
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
