"""A Hypothesis state machine over the real window (MainWindow, offscreen), issue 22.

Random sequences of open, deblur, preview, a run cancelled as it starts, strength, network
switch, Save, Save As, removing a network's weights, a batch started (and cancelled or let
finish) and closing a photo drive the window as a user would, through its actions and
widgets; every step waits until the window is idle again. After every step:

- no exception and no Qt warning escaped (a qInstallMessageHandler records Qt's messages;
  pytest-qt fails the test on an exception raised in a Qt callback),
- no error dialog came up (none of these steps should fail),
- the originals are byte for byte what they were,
- no temporary file of an atomic write is left in any folder;

after every save, what the window shows of the photo is what the file holds (8-bit pixels,
within one level of rounding); at the end, closing the window leaves the model thread
stopped. tests/test_window_states.py runs it bounded in CI; benchmarks/window_long_run.py
runs it for as long as one asks. The Qt-free session model has its own machine
(tests/session_machine.py).
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog

from deblur_app import imagefiles
from deblur_app.gui.save_dialog import SaveDialog

WAIT = 60_000  # ms: a run of these photos takes a second or two; steps end as soon as the window is idle
NAMES = ("a.png", "b.jpg")
LOSSY = (".jpg", ".jpeg", ".webp")
# Qt's offscreen platform plugin (the test display) says this of any window it shows; it is
# about the plugin, not the window, and never appears on a real display.
PLATFORM_NOISE = ("This plugin does not support",)
PLUS = "mimo-unet+"
PLUS_FILE = "mimo-unet-plus.safetensors"


class Harness:
    """What a machine needs from pytest: qtbot, a fresh window over given weights, a folder."""

    def __init__(self, qtbot, make_window, root: Path, weights_source: Path, monkeypatch, errors: list) -> None:
        self.qtbot, self.make_window, self.root = qtbot, make_window, root
        self.weights_source, self.monkeypatch, self.errors = weights_source, monkeypatch, errors
        self.examples = 0
        self.steps: Counter[str] = Counter()  # rule name -> how many times it ran (what a run covered)


def _as_array(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    data = np.frombuffer(rgb.constBits(), np.uint8, count=stride * height).reshape(height, stride)
    return data[:, : width * 3].reshape(height, width, 3).copy()


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob(".*") if ".tmp-" in p.name]


class WindowMachine(RuleBasedStateMachine):
    harness: Harness  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        h = self.harness
        h.examples += 1
        self.qtbot = h.qtbot
        self.folder = h.root / f"example-{h.examples}"
        self.photos, self.out = self.folder / "photos", self.folder / "out"
        self.weights = self.folder / "weights"
        shutil.copytree(h.weights_source, self.weights)
        h.monkeypatch.setattr("deblur_app.weights.catalog.weights_search_dirs", lambda: [self.weights])
        self.photos.mkdir(parents=True)
        self.out.mkdir()
        rng = np.random.default_rng(h.examples)
        y, x = np.mgrid[0:40, 0:48].astype(np.float32)
        for name in NAMES:  # smooth, photo-like (a JPEG of pure noise would differ by its compression alone)
            base = 0.5 + 0.3 * np.sin(x / rng.uniform(3, 8))[..., None] * np.cos(y / 5)[..., None] * np.array([1, .7, .4])
            imagefiles.save_image(self.photos / name, np.clip(base + rng.normal(0, 0.02, base.shape), 0, 1).astype(np.float32))
        self.originals = {p: p.read_bytes() for p in self.photos.iterdir()}
        self.qt_messages: list[str] = []
        self._previous_handler = qInstallMessageHandler(self._on_qt_message)
        h.monkeypatch.setattr(SaveDialog, "exec", lambda dialog: self._accept_save_as(dialog))
        h.errors.clear()  # the error dialogs this example brings up (guikit's errors fixture records them)
        self.errors = h.errors
        self.window = h.make_window()

    # -- helpers

    def _on_qt_message(self, kind, _context, message: str) -> None:
        if kind in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg) \
                and not message.startswith(PLATFORM_NOISE):
            self.qt_messages.append(message)

    def _accept_save_as(self, dialog: SaveDialog) -> int:
        dialog.path_edit.setText(str(self.out / f"{Path(dialog.path_edit.text()).stem}_as.png"))
        return QDialog.DialogCode.Accepted

    def _idle(self) -> bool:
        batch = self.window.batch_dialog
        return not self.window.running and not self.window.engine.busy and not (batch is not None and batch.running)

    def _wait_idle(self) -> None:
        self.qtbot.waitUntil(self._idle, timeout=WAIT)
        self.window.tasks.shutdown(WAIT)  # file reads and writes done
        self.qtbot.wait(20)  # their outcomes delivered

    def _photo(self):
        return self.window.current_photo()

    def _offered_networks(self) -> list[str]:
        """The networks the list lets one choose: those with weights (the others are disabled and hidden)."""
        combo = self.window.panel.model_combo
        return [combo.itemData(i) for i in range(combo.count())
                if combo.itemData(i) in ("mimo-unet", PLUS) and combo.model().item(i).isEnabled()]

    # -- rules

    @initialize()
    def a_photo_with_a_result(self) -> None:
        """Every sequence starts from a saved result (checked against the screen), so that most have
        something to save again, reblend and switch away from."""
        self.open_photo(NAMES[0])
        self.deblur(preview=False)
        self.save(save_as=False)

    @rule(name=st.sampled_from(NAMES))
    def open_photo(self, name: str) -> None:
        self.harness.steps["open_photo"] += 1
        self.window.open_paths([self.photos / name])
        self._wait_idle()
        self.qtbot.waitUntil(lambda: self._photo() is not None and self._photo().image is not None, timeout=WAIT)

    @precondition(lambda self: self._photo() is not None)
    @rule(preview=st.booleans())
    def deblur(self, preview: bool) -> None:
        self.harness.steps["deblur"] += 1
        action = self.window.act_preview if preview else self.window.act_deblur
        if action.isEnabled():
            with self.qtbot.waitSignal(self.window.run_finished, timeout=WAIT):
                action.trigger()
        self._wait_idle()

    @precondition(lambda self: self._photo() is not None)
    @rule()
    def deblur_then_cancel(self) -> None:
        self.harness.steps["deblur_then_cancel"] += 1
        if self.window.act_deblur.isEnabled():
            self.window.act_deblur.trigger()
            self.window.act_cancel.trigger()
        self._wait_idle()

    @rule(percent=st.integers(0, 100))
    def strength(self, percent: int) -> None:
        self.harness.steps["strength"] += 1
        self.window.panel.strength_spin.setValue(percent)
        self._wait_idle()
        photo = self._photo()
        if photo is not None and photo.result is not None:
            self.qtbot.waitUntil(lambda: abs(photo.shown_outcome.strength - photo.strength) < 1e-6, timeout=WAIT)

    @rule(data=st.data())
    def switch_network(self, data) -> None:
        self.harness.steps["switch_network"] += 1
        offered = self._offered_networks()
        if not offered:
            return
        combo = self.window.panel.model_combo
        combo.setCurrentIndex(combo.findData(data.draw(st.sampled_from(offered))))
        self._wait_idle()

    @precondition(lambda self: self._photo() is not None)
    @rule(save_as=st.booleans())
    def save(self, save_as: bool) -> None:
        self.harness.steps["save"] += 1
        action = self.window.act_save_as if save_as else self.window.act_save
        photo = self._photo()
        if not action.isEnabled() or photo.result is None or photo.result.preview:
            return
        with self.qtbot.waitSignal(self.window.saved, timeout=WAIT) as saved:
            action.trigger()
        self._wait_idle()
        written = Path(saved.args[0][0])
        assert photo.saved_strength == photo.strength and photo.saved_path == written
        if photo.shown_outcome is not photo.result:  # a preview is on screen: Save writes the whole photo's result
            return
        shown = _as_array(photo.shown_outcome.display_levels[0]).astype(np.float64)
        difference = np.abs(np.round(imagefiles.load_image(written).pixels * 255) - shown)
        assert photo.shown_outcome.strength == photo.strength
        if written.suffix.lower() in LOSSY:  # Save keeps a JPEG source's format and quality
            assert difference.mean() <= 2.5, (written, difference.mean())
        else:
            assert difference.max() <= 1, written
        self.harness.steps["save (compared with the screen)"] += 1

    @precondition(lambda self: (self.weights / PLUS_FILE).exists())
    @rule()
    def remove_network_weights(self) -> None:
        self.harness.steps["remove_network_weights"] += 1
        (self.weights / PLUS_FILE).unlink()  # as `deblur-app weights remove` does while the window is open
        # the folder watcher refreshes the list once the folder settles (weights_watch.SETTLE_MS)
        self.qtbot.waitUntil(lambda: PLUS not in self._offered_networks(), timeout=20_000)
        assert self.window.panel.run_settings().variant != PLUS, "the window still runs the removed network"
        self._wait_idle()

    @rule(cancel=st.booleans())
    def batch(self, cancel: bool) -> None:
        self.harness.steps["batch"] += 1
        self.window.show_batch()
        dialog = self.window.batch_dialog
        dialog.input_edit.setText(str(self.photos))
        dialog.output_edit.setText(str(self.out / "batch"))
        if dialog.start_button.isEnabled():
            dialog.start()
            if cancel:
                dialog.cancel_button.click()
        self._wait_idle()
        dialog.hide()

    @precondition(lambda self: self._photo() is not None)
    @rule()
    def close_photo(self) -> None:
        self.harness.steps["close_photo"] += 1
        self.window.act_close_photo.trigger()
        self._wait_idle()

    # -- invariants

    @invariant()
    def nothing_escaped(self) -> None:
        assert not self.qt_messages, self.qt_messages
        assert not self.errors, self.errors

    @invariant()
    def originals_unchanged(self) -> None:
        # Save writes beside the photo: only the originals themselves must not change
        assert {p: p.read_bytes() for p in self.originals} == self.originals

    @invariant()
    def no_temporary_files(self) -> None:
        assert not _temporaries(self.folder), _temporaries(self.folder)

    def teardown(self) -> None:
        try:
            self._wait_idle()
            self.window.close()
            self.qtbot.waitUntil(lambda: not self.window.engine.thread_running, timeout=WAIT)
            assert not _temporaries(self.folder)
            assert not self.qt_messages, self.qt_messages
        finally:
            qInstallMessageHandler(self._previous_handler)
