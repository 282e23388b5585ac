"""The window as a photographer uses it (session 20, driven under Xvfb with xdotool): what was found."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from deblur_app.engine.progress import CancelToken  # noqa: E402
from deblur_app.gui.messages import PREPARING_INT8, prepared_for  # noqa: E402
from guikit import WAIT, open_photo  # noqa: E402


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
    assert window.viewers.scales.outputs["half"].message == waiting
    assert window.elapsed_label.text() == "1 min 15 s elapsed"  # the preparation's time there too, not the press's
    with qtbot.waitSignal(window.run_finished, timeout=WAIT):
        engine._on_preparing("")  # the int8 model is ready: the worker takes the run
        engine._on_prepared(-1)
    deblurring = [(text, said) for text, said in seen if said.startswith("Deblurring: ")]
    assert deblurring, seen
    assert all("min" not in text and "min" not in said for text, said in deblurring), deblurring
    assert not runs.waiting_for_preparation and window.current_photo().result is not None
