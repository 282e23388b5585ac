"""Names and files meant to mislead the window: control and bidi characters, several bad files at once."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from guikit import (  # noqa: E402,F401  (fixtures are found by name)
    WAIT,
    errors,
    make_window,
    open_photo,
    photo,
    settings_file,
    weights_dir,
    window,
)

# an escape sequence that clears a terminal, a right-to-left override ("gpj.exe" shown reversed), a menu's '&'
HOSTILE = "x\u202egpj.exe\x1b[2J & co.png"
SHOWN = "x\\u202egpj.exe\\x1b[2J & co.png"


def test_the_window_writes_a_hostile_name_with_its_invisible_characters_escaped(qtbot, window, photo):
    photo_path = photo(HOSTILE)
    open_photo(qtbot, window, photo_path)
    texts = {
        "title": window.windowTitle(),
        "status": window.statusBar().currentMessage(),
        "filmstrip": window.filmstrip.item(0).text(),
        "tooltip": window.filmstrip.item(0).toolTip(),
    }
    window.recent_menu.aboutToShow.emit()
    recent = window.recent_menu.actions()[0]
    texts["recent"] = recent.text()
    for where, text in texts.items():
        assert "\u202e" not in text and "\x1b" not in text, (where, ascii(text))
    assert texts["title"].startswith(SHOWN) and texts["status"] == f"Opened {SHOWN}"
    assert texts["filmstrip"] == SHOWN and texts["tooltip"] == f"{photo_path.parent}/{SHOWN}"
    # the menu shows its '&' (written '&&'), not a shortcut on " co"
    assert recent.text() == "&1  " + SHOWN.replace("&", "&&"), ascii(recent.text())
