"""A seeded monkey over the real window: a few hundred random steps, without waiting in between.

tests/test_window_states.py waits until the window is idle after every step; a user does not.
Here the steps come as fast as a hurried user's: open photos (good ones and hostile ones: a
1x1, 16-bit, CMYK, gray, alpha, EXIF-rotated photo, a truncated JPEG, an empty file, text named
.jpg, a PNG whose header claims 60000x60000, a named pipe), run, preview, cancel, close the photo, switch
network, view mode, strength and language, compare two networks and keep one, save, all while a run or a read may be under way,
through the window's own QActions and widgets (a disabled action is not triggered: a user cannot).

In English and in Chinese. What must hold: no Python exception in a Qt callback (pytest-qt fails the test), no Qt warning,
the only error dialogs are "Cannot Open Photo(s)" for the hostile files, each naming its files and
none telling the user to set a command-line option,
the originals are byte for byte what they were, no temporary file is left, and closing the
window at the end (with a run perhaps under way) stops the model thread.
DEBLUR_MONKEY_SEED / DEBLUR_MONKEY_STEPS run other or longer sequences.
"""

from __future__ import annotations

import os
import random
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QCoreApplication, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QDialog

from deblur_app import imagefiles
from deblur_app.gui.reasons import translated
from deblur_app.gui.save_dialog import SaveDialog

SEED = int(os.environ.get("DEBLUR_MONKEY_SEED", 20261206))
STEPS = int(os.environ.get("DEBLUR_MONKEY_STEPS", 300))
WAIT = 60_000
PLATFORM_NOISE = ("This plugin does not support",)  # the offscreen plugin's, never a real display's
BAD = ("truncated.jpg", "empty.jpg", "text.jpg", "huge.png", "pipe.jpg")


def _png_header_only(path: Path, width: int, height: int) -> None:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


def make_photos(folder: Path, photo_like) -> list[Path]:
    """Good photos of every odd kind, and files that only look like photos."""
    folder.mkdir()
    imagefiles.save_image(folder / "plain.png", photo_like(40, 48, 1))
    imagefiles.save_image(folder / "named like a-photo ü.jpg", photo_like(36, 52, 2))
    Image.new("RGB", (1, 1), (200, 10, 10)).save(folder / "one.png")
    Image.fromarray((photo_like(30, 34, 3)[..., 0] * 65535).astype(np.uint16)).save(folder / "sixteen.png")
    Image.new("CMYK", (40, 30), (10, 20, 30, 40)).save(folder / "cmyk.jpg")
    Image.new("L", (33, 21), 90).save(folder / "gray.png")
    Image.new("RGBA", (30, 40), (10, 120, 30, 128)).save(folder / "alpha.png")
    rotated = Image.fromarray((photo_like(24, 40, 4) * 255).astype(np.uint8))
    exif = rotated.getexif()
    exif[0x0112] = 6
    rotated.save(folder / "rotated.jpg", exif=exif)
    whole = (folder / "named like a-photo ü.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.jpg").write_text("not a photo\n")
    _png_header_only(folder / "huge.png", 60000, 60000)
    os.mkfifo(folder / "pipe.jpg")  # a reader that opened it would wait for ever
    return sorted(folder.iterdir())


class Monkey:
    def __init__(self, window, qtbot, photos: list[Path], rng: random.Random) -> None:
        self.window, self.qtbot, self.photos, self.rng = window, qtbot, photos, rng
        self.steps: dict[str, int] = {}

    def moves(self):
        w = self.window
        return [
            ("open", 6, lambda: w.open_paths([self.rng.choice(self.photos)])),
            ("open several", 1, lambda: w.open_paths(self.rng.sample(self.photos, 3))),
            ("deblur", 5, lambda: self._trigger(w.act_deblur)),
            ("preview", 2, lambda: self._trigger(w.act_preview)),
            ("cancel", 2, lambda: self._trigger(w.act_cancel)),
            ("run button", 2, lambda: w.panel.run_button.click() if w.panel.run_button.isEnabled() else None),
            ("close photo", 3, lambda: self._trigger(w.act_close_photo)),
            ("next/previous", 3, lambda: self._trigger(self.rng.choice([w.act_next, w.act_previous]))),
            ("view mode", 3, lambda: self._trigger(self.rng.choice(list(w.mode_actions.values())))),
            ("zoom", 2, lambda: self._trigger(self.rng.choice([w.act_zoom_in, w.act_zoom_out, w.act_fit, w.act_actual]))),
            ("show original", 1, lambda: self._trigger(w.act_original)),
            ("strength", 2, lambda: w.panel.strength_spin.setValue(self.rng.randint(0, 100))),
            ("network", 2, self._switch_network),
            ("ensemble", 1, lambda: w.panel.ensemble_check.click() if w.panel.ensemble_check.isEnabled() else None),
            ("save", 2, lambda: self._trigger(self.rng.choice([w.act_save, w.act_save_as, w.act_save_all]))),
            ("language", 1, self._choose_language),
            ("compare networks", 2, self._compare),
            ("compare: keep/cancel/close", 2, self._answer_compare),
            ("wait", 6, lambda: self.qtbot.wait(self.rng.choice([0, 5, 30, 120, 400]))),
        ]

    def _trigger(self, action) -> None:
        if action.isEnabled():
            action.trigger()

    def _switch_network(self) -> None:
        combo = self.window.panel.model_combo
        enabled = [i for i in range(combo.count()) if combo.model().item(i).isEnabled()]
        if enabled:
            combo.setCurrentIndex(self.rng.choice(enabled))

    def _compare(self) -> None:
        """Compare Networks…, and its Compare button when it is offered."""
        self._trigger(self.window.act_compare)
        dialog = self.window.comparer.dialog
        if dialog is not None and dialog.isVisible() and dialog.compare_button.isEnabled():
            self.steps["compare started"] = self.steps.get("compare started", 0) + 1
            dialog.compare_button.click()

    def _answer_compare(self) -> None:
        dialog = self.window.comparer.dialog
        if dialog is None or not dialog.isVisible():
            return
        buttons = [pane.keep_button for pane in dialog.panes] + [dialog.cancel_button, dialog.close_button]
        button = self.rng.choice(buttons)
        if button.isEnabled():
            button.click()

    def _choose_language(self) -> None:
        menu = self.window.language_menu
        menu.choose(self.rng.choice([action.data() for action in menu.group.actions()]))

    def run(self, steps: int) -> None:
        moves = self.moves()
        weights = [weight for _name, weight, _move in moves]
        for _ in range(steps):
            name, _weight, move = self.rng.choices(moves, weights)[0]
            self.steps[name] = self.steps.get(name, 0) + 1
            move()
            self.qtbot.wait(1)  # the events a real user's next key press would come after


@pytest.fixture(params=["en", "zh_CN"])
def language(request, qapp):
    """The window in English and in Chinese (its translators are in use on every text it builds)."""
    from deblur_app.gui import i18n

    assert i18n.install(qapp, request.param) == request.param
    yield request.param
    i18n.uninstall(qapp)


def test_the_window_survives_a_seeded_monkey(qtbot, language, make_window, errors, weights_dir, tmp_path,  # noqa: F811
                                              photo_like, monkeypatch):
    from seeded_weights import save_seeded_plus

    weights = tmp_path / "weights"  # two networks: to switch between and to compare
    weights.mkdir()
    (weights / "mimo-unet.safetensors").write_bytes((weights_dir / "mimo-unet.safetensors").read_bytes())
    save_seeded_plus(weights)
    monkeypatch.setattr("deblur_app.weights.catalog.weights_search_dirs", lambda: [weights])
    photos = make_photos(tmp_path / "photos", photo_like)
    originals = {p: p.read_bytes() for p in photos if p.is_file()}  # the pipe has no bytes to keep
    out = tmp_path / "out"
    out.mkdir()
    saved_as = iter(range(10**6))

    def accept_save_as(dialog: SaveDialog) -> int:
        dialog.path_edit.setText(str(out / f"as-{next(saved_as)}.png"))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SaveDialog, "exec", accept_save_as)
    qt_messages: list[str] = []

    def on_qt_message(kind, _context, message: str) -> None:
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) \
                and not message.startswith(PLATFORM_NOISE):
            qt_messages.append(message)

    previous = qInstallMessageHandler(on_qt_message)
    try:
        window = make_window()
        monkey = Monkey(window, qtbot, photos, random.Random(SEED))
        monkey.run(STEPS)
        print("steps:", monkey.steps)
        window.close()  # perhaps mid-run: the model thread must stop all the same
        qtbot.waitUntil(lambda: not window.engine.thread_running, timeout=WAIT)
    finally:
        qInstallMessageHandler(previous)

    assert not qt_messages, qt_messages
    cannot_open = (QCoreApplication.translate("MainWindow", "Cannot Open Photo"),
                   QCoreApplication.translate("PhotoOpener", "Cannot Open Photos"))  # one dialog for several
    unexpected = [e for e in errors if e[0] not in cannot_open or not any(bad in str(e[1]) for bad in BAD)]
    assert not unexpected, unexpected
    assert errors, "no hostile file was opened"
    shown = [translated(reason) for _title, reason, _details in errors]
    assert not [text for text in shown if " --" in text], "the window names a command-line option"
    assert {p: p.read_bytes() for p in originals} == originals
    leftovers = [p for p in tmp_path.rglob(".*") if ".tmp-" in p.name]
    assert not leftovers, leftovers
    assert monkey.steps.get("deblur", 0) > 10 and monkey.steps.get("open", 0) > 10
