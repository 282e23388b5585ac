"""The window as a photographer uses it (session 20, driven under Xvfb with xdotool): what was found."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QCoreApplication, Qt  # noqa: E402

from deblur_app.engine.progress import CancelToken  # noqa: E402
from deblur_app.gui import i18n  # noqa: E402
from deblur_app.gui.image_view import badge_width  # noqa: E402
from deblur_app.gui.main_window import MINIMUM_SIZE  # noqa: E402
from deblur_app.gui.messages import PREPARING_INT8, prepared_for  # noqa: E402
from guikit import WAIT, open_photo, run  # noqa: E402


@pytest.fixture(params=["en", "zh_CN"])
def language(request, qapp):
    i18n.install(qapp, request.param)
    yield request.param
    i18n.uninstall(qapp)


def test_a_run_waiting_for_the_first_int8_model_says_so_and_then_deblurs_on_its_own_time(qtbot, window, photo):
    """Deblur pressed while the int8 model was made for the first time (minutes): the view said "Deblurring: 2 min
    elapsed" all along, as if the network ran, and the run's time then went on from the press."""
    open_photo(qtbot, window, photo("first.png", 64))
    engine, runs = window.engine, window.runs
    qtbot.waitUntil(lambda: not engine.preparation_pending, timeout=WAIT)
    # the worker makes the int8 model for these settings, as at first use (begun 75 s ago): a run now waits for it
    engine._preparations[-1] = (prepared_for(window.panel.run_settings()), CancelToken())
    engine._on_preparing(PREPARING_INT8)
    engine.preparation_started -= 75
    window.panel.ensemble_check.setChecked(True)  # eight passes: ticks while the network runs
    window.act_deblur.trigger()
    assert runs.waiting_for_preparation
    runs.run.started -= 100  # pressed 100 s ago
    seen: list[tuple[str, str]] = []
    runs.ticked.connect(lambda text: seen.append((text, window.viewers.compare.right.message)))
    runs.ticked.emit(runs.progress_text())
    waiting = "Preparing the fast int8 model (only the first time): 1 min 15 s elapsed"
    assert window.viewers.compare.right.message == waiting
    assert window.viewers.scales.message == waiting
    assert window.elapsed_label.text() == "1 min 15 s elapsed"  # the preparation's time there too, not the press's
    # and no promised duration: "(made once, ~1 min)" while it took 6 min under load
    assert window.statusBar().currentMessage() == "Run waits for the int8 model (only the first time)…"
    with qtbot.waitSignal(window.run_finished, timeout=WAIT):
        engine._on_preparing("")  # the int8 model is ready: the worker takes the run
        engine._on_prepared(-1)
    deblurring = [(text, said) for text, said in seen if said.startswith("Deblurring: ")]
    assert deblurring, seen
    assert all("min" not in text and "min" not in said for text, said in deblurring), deblurring
    assert not runs.waiting_for_preparation and window.current_photo().result is not None


def test_a_comparison_waiting_for_the_first_int8_model_says_so_and_then_runs_on_its_own_time(qtbot, window):
    """As a run of the window: a comparison's side that waits for the int8 model said "Running MIMO-UNet: 2 min
    elapsed"."""
    from deblur_app.gui.compare import CompareRuns

    engine = window.engine
    runs = CompareRuns(engine, window.session, window)
    runs._job = (12345, "photo", 0)  # a side submitted 100 s ago, held by the client
    runs._started = time.monotonic() - 100
    engine._on_preparing(PREPARING_INT8)
    engine.preparation_started -= 75
    runs._emit_progress()
    assert runs.progress_text == "Preparing the fast int8 model (only the first time): 1 min 15 s elapsed"
    engine._on_preparing("")
    assert runs.progress_text == "0 s elapsed"  # the side's own time starts once the preparation ended


def test_a_batch_waiting_for_the_first_int8_model_says_so_and_then_counts_its_own_time(qtbot, window, photo, tmp_path):
    """Batch started while the int8 model was made for the first time: the dialog said "Looking for photos…" and
    "2 min elapsed" as if it searched the folder for minutes."""
    from guikit import batch_dialog

    source = photo("one.png", 64).parent
    engine = window.engine
    qtbot.waitUntil(lambda: not engine.preparation_pending, timeout=WAIT)
    engine._preparations[-1] = (prepared_for(window.panel.run_settings()), CancelToken())
    engine._on_preparing(PREPARING_INT8)
    engine.preparation_started -= 75
    dialog = batch_dialog(window, source, tmp_path / "out")
    dialog.start_button.click()
    assert dialog.running
    dialog._started -= 100  # started 100 s ago
    dialog._update_eta()
    assert dialog.file_label.text() == "Preparing the fast int8 model (only the first time): 1 min 15 s elapsed"
    assert dialog.eta_label.text() == ""
    with qtbot.waitSignal(engine.finished, timeout=WAIT):
        engine._on_preparing("")
        assert dialog.file_label.text() == "Looking for photos…" and "min" not in dialog.eta_label.text()
        engine._on_prepared(-1)
    assert dialog.summary is not None and dialog.summary.done == 1


def test_the_scales_views_headers_and_captions_fit_its_columns_at_the_windows_least_size(
        qtbot, language, window, photo):
    """At 640 x 400 the headers of a result were cut at both ends ("½ — 150 × 15(", "ull — 300 × 30") and, before a
    run, the invitation to deblur was a column of word pieces in the ½ pane alone."""
    open_photo(qtbot, window, photo("scaled.png", 300))
    window.set_view_mode("scales")
    window.resize(MINIMUM_SIZE)
    qtbot.waitUntil(lambda: window.size() == MINIMUM_SIZE, timeout=WAIT)
    scales = window.viewers.scales
    qtbot.waitUntil(lambda: scales.note.isVisible(), timeout=WAIT)
    row = [scales.outputs[key].geometry() for key in ("quarter", "half", "full")]
    assert scales.note.geometry().left() <= row[0].left() and scales.note.geometry().right() >= row[2].right()
    flags = scales.note.alignment().value | Qt.TextFlag.TextWordWrap.value
    lines = scales.note.fontMetrics().boundingRect(scales.note.contentsRect(), flags, scales.message)
    assert lines.height() <= scales.note.contentsRect().height()
    run(qtbot, window)
    qtbot.wait(50)
    assert not scales.note.isVisible()
    for key, header in scales.headers.items():
        metrics = header.fontMetrics()
        assert "…" not in header.text()
        for line in header.text().split("\n"):
            assert metrics.horizontalAdvance(line) <= header.contentsRect().width(), (key, header.text())
        assert "150 × 150" in scales.headers["half"].text()
    for view in scales.views():  # "Output ½" whole, not "Outp…"
        assert badge_width(view.font(), view.caption) + 6 <= view.viewport().width(), view.caption


def test_the_status_bar_fits_the_windows_least_width_in_either_language(qtbot, language, window, photo):
    """At 640 px: the zoom's box was as wide as English "Fit (3200 %)", so in Chinese "适合窗口 (21 %)" lost its first
    character; and the photo's size, the run's time, the network and the device asked for more than the window
    (669 px in Chinese after a run), so the window could not be made as small as its least size."""
    bar = window.statusBar()
    label = window.zoom_label
    widest = QCoreApplication.translate("WindowStatusBar", "Fit ({percent:.0f} %)").format(percent=3200)
    assert label.minimumWidth() >= label.fontMetrics().horizontalAdvance(widest) + 16
    open_photo(qtbot, window, photo("zoomed.png", 300))
    run(qtbot, window)
    window.size_label.setText(window.size_label.text().replace("300 × 300", "12000 × 9000"))  # a large photo's
    window.resize(MINIMUM_SIZE)
    qtbot.waitUntil(lambda: window.size() == MINIMUM_SIZE, timeout=WAIT)
    qtbot.wait(50)
    assert window.minimumSizeHint().width() <= MINIMUM_SIZE.width()
    assert bar.width() <= window.width()
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width() - 16, label.text()
    for fitting in (window.size_label, window.model_label, window.device_label):
        assert fitting.text() and fitting.shown_text()
        assert fitting.fontMetrics().horizontalAdvance(fitting.shown_text()) <= fitting.width() - 16, fitting.text()
    elapsed = window.elapsed_label  # whole: "Last run …" said nothing
    assert elapsed.fontMetrics().horizontalAdvance(elapsed.text()) <= elapsed.width() - 16, elapsed.text()
    window.resize(1600, 700)  # room again: each says all of it
    qtbot.waitUntil(lambda: window.width() == 1600, timeout=WAIT)
    qtbot.wait(50)
    assert all(f.shown_text() == f.text() for f in (window.size_label, window.model_label, window.device_label))


def test_the_device_box_of_the_status_bar_shows_only_once_the_device_is_known(qtbot):
    """Until the engine said where it runs (seconds at start-up), an empty box ended the status bar."""
    from deblur_app.gui.status_bar import WindowStatusBar

    bar = WindowStatusBar()
    qtbot.addWidget(bar)
    bar.show()
    assert not bar.device_label.isVisible()
    bar.show_device("cpu")
    assert bar.device_label.isVisible() and bar.device_label.text() == "Device: CPU"


def test_the_self_ensembles_name_is_in_the_windows_language(qtbot, language, window, photo):
    """The Chinese window's status bar said "MIMO-UNet ×8 ensemble" (the registry's English name of the run)."""
    window.panel.ensemble_check.setChecked(True)
    expected = {"en": "MIMO-UNet ×8 ensemble", "zh_CN": "MIMO-UNet ×8 自集成"}[language]
    assert window.model_label.text() == expected
    open_photo(qtbot, window, photo("twice.png", 64))
    outcome = run(qtbot, window)
    assert outcome.facts.passes == 8
    assert expected in window.panel.result_label.text()
