"""Names and files meant to mislead the window: control and bidi characters, several bad files at once."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from guikit import WAIT, open_photo  # noqa: E402

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


def test_several_broken_files_opened_at_once_give_one_dialog_and_the_good_photo_opens(qtbot, window, photo, errors,
                                                                                       tmp_path):
    """Each broken file had its own modal dialog, stacked over the others (seen under Xvfb): one lists them all."""
    good = photo("good.png")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    cut = tmp_path / "cut.png"
    cut.write_bytes(good.read_bytes()[:200])
    with qtbot.waitSignal(window.photo_loaded, timeout=WAIT):
        window.open_paths([empty, text, good, cut])
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    qtbot.wait(200)  # a second dialog would come now
    assert len(errors) == 1, errors
    title, said, details = errors[0]
    assert title == "Cannot Open Photos"
    lines = said.splitlines()
    assert lines[0].startswith("3 photo") and len(lines) == 4, lines
    assert [line.split(": ")[0] for line in lines[1:]] == [f"• {empty}", f"• {text}", f"• {cut}"], lines
    assert "file is empty" in lines[1] and "file is truncated" in lines[3], lines
    assert details.split("\n\n") == [line.removeprefix("• ") for line in lines[1:]], "each file once in the details"
    assert [p.path for p in window.session] == [good] and window.current_photo().loaded
    assert window.filmstrip.count() == 1


MARKUP = "<h1 style='color:red'>PAY NOW<br><img src='x'>.png"  # a legal file name (no '/') on Linux and macOS


def test_a_name_that_looks_like_html_is_shown_as_text_in_the_error_box(qapp, tmp_path):
    """Qt guesses rich text from a "<tag>" in a message box's or a label's text: a broken file named like HTML
    showed a red headline, not its name. The boxes and the labels that name files show plain text."""
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from deblur_app import imagefiles, reasons
    from deblur_app.gui import dialogs

    broken = tmp_path / MARKUP
    broken.write_bytes(b"")
    reason = reasons.of(pytest.raises(imagefiles.ImageFileError, imagefiles.load_image, broken).value)
    seen = {}

    def look() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen["format"], seen["text"] = box.textFormat(), box.text().replace("\u200b", "")
        box.accept()

    QTimer.singleShot(0, look)
    dialogs.show_error(None, "Cannot Open Photo", reason)
    assert seen == {"format": Qt.TextFormat.PlainText, "text": f"{broken}: file is empty (0 bytes)"}


def test_the_labels_that_name_files_show_plain_text(window):
    from PySide6.QtCore import Qt

    from deblur_app.gui.batch_dialog import BatchDialog
    from deblur_app.gui.weights_dialog import WeightsDialog

    batch = BatchDialog(window.engine, window.settings, window.panel.run_settings(), window)
    weights = WeightsDialog(window)
    labels = {"result": window.panel.result_label, "batch file": batch.file_label,
              "batch summary": batch.summary_label, "batch problem": batch.problem_label,
              "weights status": weights.status_label}
    for name, label in labels.items():
        label.setText(f"Saved to {MARKUP}")
        assert label.textFormat() == Qt.TextFormat.PlainText, name
    batch.close()
    weights.close()


def test_a_raw_file_libraw_cannot_read_is_refused_on_opening_even_one_with_a_preview(
        qtbot, window, photo, errors, tmp_path, monkeypatch):
    """A RAW file no preview was made of is unpacked (not developed) by the thumbnail's check and refused at once;
    a cut one whose embedded preview is whole shows it, and is unpacked too, after every thumbnail and after the
    selected photo's reading (the one-thread file pool's priorities), so that checking each RAW file's sensor data
    delays neither the first photo nor the filmstrip. Both are named in the one dialog of that open."""
    from rawfiles import dng_bytes, write_dng

    first = write_dng(tmp_path / "first.dng")
    good = photo("good.png")
    cut, fake = tmp_path / "cut.nef", tmp_path / "fake.cr2"
    cut.write_bytes(dng_bytes()[:15000])
    fake.write_bytes(b"this is not a photo\n" * 40)
    order = _record_file_work(monkeypatch)
    with qtbot.waitSignal(window.photo_loaded, timeout=WAIT):
        window.open_paths([first, good, cut, fake])
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT)
    qtbot.wait(200)
    assert len(errors) == 1 and errors[0][0] == "Cannot Open Photos", errors
    assert f"{fake}: not a camera RAW file, or a camera LibRaw does not support" in errors[0][1]
    assert f"{cut}: RAW file is truncated or damaged" in errors[0][1]
    assert [p.path for p in window.session] == [first, good]
    checks = [index for index, (kind, name) in enumerate(order) if kind == "check" and name != "fake.cr2"]
    assert order.index(("read", "first.dng")) < min(checks), order
    assert max(index for index, (kind, _) in enumerate(order) if kind == "thumbnail") < min(checks), order


def _record_file_work(monkeypatch) -> list[tuple[str, str]]:
    """(kind, file name) of each read, RAW check and thumbnail the file pool does, in its order."""
    from deblur_app import imagefiles

    order = []
    for name, kind in (("load_image", "read"), ("raw_problem", "check"), ("load_thumbnail", "thumbnail")):
        real = getattr(imagefiles, name)
        monkeypatch.setattr(imagefiles, name, lambda path, *a, _real=real, _kind=kind, **k: (
            order.append((_kind, Path(path).name)), _real(path, *a, **k))[1])
    return order


def test_raw_checks_come_after_every_thumbnail_and_the_read_even_when_the_window_is_slow_to_queue_them(
        qtbot, window, tmp_path, monkeypatch):
    """The flaky failure of the test above under load: the window thread queued one thumbnail at a time and the
    selected photo's read last; the idle pool thread ran the first thumbnail at once, which queued its RAW check,
    and ran that check (and the rest) before the window thread, descheduled, queued what should go first. A
    window thread that pauses after each file it queues stands for that machine."""
    import threading
    import time

    from rawfiles import write_dng

    raws = [write_dng(tmp_path / f"raw{number}.dng", seed=number) for number in range(3)]
    order = _record_file_work(monkeypatch)
    pool, start = window.tasks._pool, window.tasks._pool.start

    def queue_slowly(*args) -> None:
        start(*args)
        if threading.current_thread() is threading.main_thread():  # the pool thread queues a RAW check at once
            time.sleep(0.3)

    monkeypatch.setattr(pool, "start", queue_slowly, raising=False)
    with qtbot.waitSignal(window.photo_loaded, timeout=WAIT):
        window.open_paths(raws)
    qtbot.waitUntil(lambda: sum(kind == "check" for kind, _ in order) == len(raws), timeout=WAIT)
    checks = [index for index, (kind, _) in enumerate(order) if kind == "check"]
    assert order.index(("read", "raw0.dng")) < min(checks), order
    assert max(index for index, (kind, _) in enumerate(order) if kind == "thumbnail") < min(checks), order


def test_a_long_file_name_wraps_in_the_error_box_instead_of_running_off_its_edge(qapp, tmp_path):
    """Seen under Xvfb: a 240-character name had no place to wrap and the box cut it off, ".jpg" out of sight."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from deblur_app.gui import dialogs

    broken = tmp_path / ("b" * 240 + ".jpg")
    seen = {}

    def look() -> None:
        box = QApplication.activeModalWidget()
        seen["text"], seen["width"] = box.text(), box.sizeHint().width()
        box.accept()

    QTimer.singleShot(0, look)
    dialogs.show_error(None, "Cannot Open Photo", f"{broken}: file is empty (0 bytes)", f"ImageFileError: {broken}")
    assert seen["text"].replace("\u200b", "") == f"{broken}: file is empty (0 bytes)"
    assert max(map(len, seen["text"].split("\u200b"))) <= dialogs.UNBROKEN + 30  # a run, then " file is..."
    assert seen["width"] < 900, seen["width"]
