"""The first int8 run surprises no one: the model is quantised before it, cancellably, and said so.

The quantisation here is NNCF's real one, on a few small calibration crops (seconds, not a minute).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("nncf")

from deblur_app.engine import openvino_backend  # noqa: E402
from deblur_app.engine.devices import Int8Verdict  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.engine.progress import Cancelled  # noqa: E402
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402

from guikit import WAIT, open_photo, run  # noqa: E402

pytestmark = [
    pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed"),
    pytest.mark.slow,
]

SHIPPED_CALIBRATION = Path(__file__).resolve().parent.parent / "resources" / "int8" / "calibration.npz"
GOOD = Int8Verdict(hd_agreement_db=50.0, validation_change_db=0.0, photos=8, pixel_error=0.01)
PREPARING = "Making the int8 model"
WAITING = "Run waits for the int8 model"
CLI_LINE = "preparing the int8 model for these weights (once)"


def cache_files(folder: Path) -> list[Path]:
    """Anything a quantisation wrote, finished or not."""
    return sorted(folder.glob("mimo-unet-int8-*")) + sorted(folder.glob(".int8.*")) if folder.is_dir() else []


class CancelWhen:
    """A cancel flag that turns on once ``condition`` holds."""

    def __init__(self, condition) -> None:
        self.is_set = condition


class Int8Setup:
    """These weights qualify for int8 (a recorded verdict), with a small calibration and a fresh cache."""

    def __init__(self, monkeypatch, tmp_path: Path, crops: int, size: int) -> None:
        with np.load(SHIPPED_CALIBRATION) as data:
            shipped = data["crops"]
        self.calibration = tmp_path / "calibration.npz"
        picked = np.concatenate([shipped, shipped[:, ::-1]])[:crops, :size, :size]  # more crops than shipped: mirrored
        np.savez_compressed(self.calibration, crops=np.ascontiguousarray(picked))
        self.plan = openvino_backend.Int8Plan(self.calibration)
        self.cache = tmp_path / "cache"
        self.verdicts = tmp_path / "verdicts.json"
        self.quantisations = 0
        self.cancel_checks = 0
        self.checks_after_cancel = 0  # the preparation stops at the first: it runs no crop more
        monkeypatch.setattr(openvino_backend, "shipped_int8_plan", lambda: self.plan)
        monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: self.cache)
        monkeypatch.setattr(openvino_backend, "verdict_files", lambda: [self.verdicts])
        # NNCF's statistics in one pass, as NNCF collects them: these tests are about the preparation, not its memory
        # (the passes, tests/test_openvino_memory.py, would run the network over the crops three times)
        monkeypatch.setattr(openvino_backend, "WHOLE_ACTIVATIONS_PER_PASS", 10**6)
        real_quantize, real_check = openvino_backend.quantize_int8, openvino_backend.raise_if_cancelled

        def counted_quantize(*args, **kwargs):
            self.quantisations += 1
            return real_quantize(*args, **kwargs)

        def counted_check(cancel):  # once before the quantisation, then once per calibration crop NNCF feeds the network
            self.cancel_checks += 1
            if cancel is not None and cancel.is_set():
                self.checks_after_cancel += 1
            real_check(cancel)

        monkeypatch.setattr(openvino_backend, "quantize_int8", counted_quantize)
        monkeypatch.setattr(openvino_backend, "raise_if_cancelled", counted_check)

    def qualify(self, model) -> None:
        openvino_backend.record_int8_verdict(self.verdicts, openvino_backend.int8_key(model, self.plan), GOOD, {})

    def qualify_weights(self, folder: Path) -> None:
        self.qualify(load_checkpoint(folder / "mimo-unet.safetensors").build(lean_fusion=True))


# ---------------------------------------------------------------- the engine


@pytest.fixture
def engine_setup(monkeypatch, tmp_path, small_model):
    setup = Int8Setup(monkeypatch, tmp_path, crops=4, size=64)
    setup.qualify(small_model)
    return setup


def test_prepare_quantises_before_the_first_run_which_then_uses_it(engine_setup, small_model, photo_like):
    engine = Deblurrer(small_model, EngineOptions(device="cpu", backend="openvino", tile=0))
    assert engine.precision_name == "int8" and engine.int8_preparation_needed()
    assert not cache_files(engine_setup.cache)
    engine.prepare()
    assert engine_setup.quantisations == 1 and not engine.int8_preparation_needed()
    assert [p.suffix for p in cache_files(engine_setup.cache)] == [".bin", ".xml"]
    result = engine.run(photo_like(64, 96))
    assert result.precision == "int8" and not result.notes
    assert engine_setup.quantisations == 1, "the run used the prepared model"
    assert not Deblurrer(small_model, EngineOptions(device="cpu", backend="openvino")).int8_preparation_needed()
    assert not Deblurrer(small_model, EngineOptions(device="cpu", backend="openvino", precision="fp32")) \
        .int8_preparation_needed()


def test_a_cancelled_preparation_writes_nothing_and_the_next_run_quantises(engine_setup, small_model, photo_like):
    engine = Deblurrer(small_model, EngineOptions(device="cpu", backend="openvino", tile=0))
    # set while NNCF feeds the calibration crops: at its third check, the quantisation under way (the float export
    # before it polls the cancel too, in its own process: engine/export_process.py)
    cancel = CancelWhen(lambda: engine_setup.quantisations == 1 and engine_setup.cancel_checks >= 3)
    with pytest.raises(Cancelled):
        engine.prepare(cancel)
    assert engine_setup.cancel_checks >= 3, "cancelled inside the calibration, not before it"
    assert engine_setup.quantisations == 1 and not cache_files(engine_setup.cache)
    assert engine.precision_name == "int8" and engine.int8_preparation_needed()
    result = engine.run(photo_like(64, 96))
    assert result.precision == "int8" and not result.notes
    assert engine_setup.quantisations == 2 and len(cache_files(engine_setup.cache)) == 2


def test_a_failed_preparation_falls_back_to_float_with_a_note(engine_setup, small_model, photo_like, monkeypatch):
    def broken(*_args, **_kwargs):
        raise openvino_backend.Int8Unavailable("the int8 quantisation failed (simulated)")

    monkeypatch.setattr(openvino_backend, "quantize_int8", broken)
    engine = Deblurrer(small_model, EngineOptions(device="cpu", backend="openvino", tile=0))
    engine.prepare()
    assert engine.precision_name in ("fp32", "bf16") and not engine.int8_preparation_needed()
    notes = engine.pending_notes
    assert [n for n in notes if n.startswith("int8 unavailable") and "simulated" in n], notes
    first, second = engine.run(photo_like(64, 96)), engine.run(photo_like(64, 96))
    assert first.precision == engine.precision_name and list(first.notes) == list(notes)
    assert not second.notes and not engine.pending_notes  # said once


# ---------------------------------------------------------------- the window


def test_the_window_prepares_int8_at_start_and_a_deblur_meanwhile_waits_for_it_or_is_cancelled_at_once(
        qtbot, make_window, weights_dir, photo, errors, monkeypatch, tmp_path):
    setup = Int8Setup(monkeypatch, tmp_path, crops=64, size=96)
    setup.qualify_weights(weights_dir)
    window = make_window()
    assert window.engine.preparation_pending
    qtbot.waitUntil(lambda: window.engine.preparing, timeout=WAIT)  # no Deblur was asked for
    assert PREPARING in window.statusBar().currentMessage()
    assert window.engine.loaded_model.precision == "int8"
    open_photo(qtbot, window, photo("shot.png", 64))
    assert window.engine.preparing, "the calibration should outlast opening a small photo"
    with qtbot.waitSignal(window.runs.cancelled, timeout=2000):  # a waiting run is cancelled at once
        window.act_deblur.trigger()
        window.cancel()
    assert window.engine.preparing and not window.running, "the preparation goes on for the next run"
    # the rest of the calibration first: MIMO-UNet's quantile ranges (session 14) made NNCF's pass over the 64 crops
    # outlast a minute on the loaded 2-core machine; at a load of 19 (session 15) its statistics pass alone took
    # 3.3 min (51 of 64 crops in 2:38 when 3 minutes ran out), with torch's weights kept as without them
    with qtbot.waitSignal(window.run_finished, timeout=8 * WAIT) as finished:
        window.act_deblur.trigger()
        assert WAITING in window.statusBar().currentMessage()
        assert window.running and window.act_cancel.isEnabled()
    outcome = finished.args[0]
    assert outcome.facts.precision == "int8" and not outcome.facts.notes
    assert setup.quantisations == 1 and len(cache_files(setup.cache)) == 2
    assert not errors
    # cached now: another window has nothing to prepare
    other = make_window()
    qtbot.waitUntil(lambda: not other.engine.preparation_pending, timeout=WAIT)
    assert setup.quantisations == 1 and other.engine.loaded_model is None  # nothing slow ahead: not even loaded


def test_the_windows_preparation_lets_torchs_weights_go_before_nncf_and_the_run_after_it_needs_none(
        qtbot, make_window, weights_dir, photo, errors, monkeypatch, tmp_path):
    """As a command-line run does (release_torch_weights before NNCF's statistics pass: its peak does not stack on
    torch's copy); what needs them after it reads them back from their file (Deblurrer.model)."""
    setup = Int8Setup(monkeypatch, tmp_path, crops=4, size=64)
    setup.qualify_weights(weights_dir)
    went = []
    release = Deblurrer.release_torch_weights

    def recorded(engine):
        went.append((release(engine), setup.quantisations))
        return went[-1][0]

    monkeypatch.setattr(Deblurrer, "release_torch_weights", recorded)
    window = make_window()
    qtbot.waitUntil(lambda: window.engine.preparing, timeout=WAIT)
    qtbot.waitUntil(lambda: not window.engine.preparation_pending, timeout=3 * WAIT)
    assert went == [(True, 0)], "torch's weights went once, before NNCF quantised"
    open_photo(qtbot, window, photo("shot.png", 64))
    outcome = run(qtbot, window)
    assert outcome.facts.precision == "int8" and not outcome.facts.notes and setup.quantisations == 1
    assert not errors


def test_closing_the_window_cancels_the_preparation_at_once_and_leaves_no_file(
        qtbot, make_window, weights_dir, monkeypatch, tmp_path):
    setup = Int8Setup(monkeypatch, tmp_path, crops=64, size=160)  # well over 10 s of calibration
    setup.qualify_weights(weights_dir)
    window = make_window()
    qtbot.waitUntil(lambda: setup.cancel_checks >= 3, timeout=WAIT)
    window.close()
    # what close() waited for, counted rather than timed (a wall-clock bound failed at load 10-20): the preparation
    # stopped at its first check after the cancel, with most of the calibration's 64 crops not run
    assert not window.engine.thread_running and setup.checks_after_cancel == 1
    assert setup.cancel_checks < 64 and not cache_files(setup.cache)


def test_other_settings_cancel_the_preparation_and_a_deblur_runs_at_once(
        qtbot, make_window, weights_dir, photo, errors, monkeypatch, tmp_path):
    setup = Int8Setup(monkeypatch, tmp_path, crops=64, size=160)
    setup.qualify_weights(weights_dir)
    window = make_window()
    open_photo(qtbot, window, photo("shot.png", 64))
    qtbot.waitUntil(lambda: setup.cancel_checks >= 3, timeout=WAIT)
    window.panel.precision_combo.setCurrentIndex(window.panel.precision_combo.findData("fp32"))
    outcome = run(qtbot, window)
    # the run did not wait for the calibration: it stopped at its first check after the cancel, counted, not timed
    assert outcome.facts.precision == "fp32" and setup.checks_after_cancel == 1 and setup.cancel_checks < 64
    assert not window.engine.preparing and not cache_files(setup.cache) and not errors


def test_a_failed_preparation_falls_back_with_a_note_never_an_error(
        qtbot, make_window, weights_dir, photo, errors, monkeypatch, tmp_path):
    setup = Int8Setup(monkeypatch, tmp_path, crops=4, size=64)
    setup.qualify_weights(weights_dir)

    def broken(*_args, **_kwargs):
        raise openvino_backend.Int8Unavailable("the int8 quantisation failed (simulated)")

    monkeypatch.setattr(openvino_backend, "quantize_int8", broken)
    window = make_window()
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    qtbot.waitUntil(lambda: any("No fast int8 model" in m for m in messages), timeout=WAIT)
    note = next(m for m in messages if "No fast int8 model" in m)
    assert "simulated" in note
    float_precision = window.engine.loaded_model.precision
    assert float_precision in ("fp32", "bf16") and float_precision in window.device_label.text()
    assert "int8 unavailable" in window.engine.loaded_model.precision_reason
    open_photo(qtbot, window, photo("shot.png", 64))
    outcome = run(qtbot, window)
    assert outcome.facts.precision == float_precision
    assert any("simulated" in n for n in outcome.facts.notes)
    assert not errors and not cache_files(setup.cache)


def test_nothing_is_loaded_to_prepare_where_int8_cannot_run(qtbot, monkeypatch):
    import torch

    from deblur_app.jobs import run as jobs
    from deblur_app.engine import devices
    from deblur_app.engine.progress import CancelToken
    from deblur_app.gui.messages import Job as _Job, PrepareRequest, RunSettings
    from deblur_app.gui.worker import EngineWorker

    loads: list = []
    monkeypatch.setattr(jobs, "load_model", lambda *args: loads.append(args))  # then make_engine fails: fine
    monkeypatch.setattr(devices, "resolve_device", lambda name: torch.device("cuda" if name == "cuda" else "cpu"))
    worker, ended = EngineWorker(), []
    worker.prepared.connect(ended.append)
    worker.handle(_Job(1, CancelToken(), PrepareRequest(RunSettings(device="cuda"))))
    assert ended == [1] and not loads, "a GPU gets no model before a run asks for one"
    worker.handle(_Job(2, CancelToken(), PrepareRequest(RunSettings(device="cpu"))))
    assert ended == [1, 2] and len(loads) == 1  # on the CPU the weights decide whether int8 runs


# ---------------------------------------------------------------- the command line


def test_the_command_line_says_once_that_it_prepares_the_int8_model(
        weights_dir, photo, monkeypatch, tmp_path, capsys):
    from deblur_app.weights import catalog
    from deblur_app.cli.main import main

    monkeypatch.setattr(catalog, "weights_search_dirs", lambda: [weights_dir])
    setup = Int8Setup(monkeypatch, tmp_path, crops=4, size=64)
    setup.qualify_weights(weights_dir)
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        photo(name, 48).rename(folder / name)

    assert main(["batch", str(folder), str(tmp_path / "out"), "--device", "cpu"]) == 0
    err = capsys.readouterr().err
    assert err.count(CLI_LINE) == 1 and str(setup.cache) in err and setup.quantisations == 1
    assert err.index("using ") < err.index(CLI_LINE), err

    for path in cache_files(setup.cache):  # the first quantisation again, for `deblur`
        path.unlink()
    assert main(["deblur", str(folder / "a.png"), str(folder / "b.png"), "-o", str(tmp_path / "one"), "--device", "cpu"]) == 0
    captured = capsys.readouterr()
    assert captured.err.count(CLI_LINE) == 1 and CLI_LINE not in captured.out and setup.quantisations == 2
    assert "int8 with OpenVINO" in captured.err

    assert main(["deblur", str(folder / "a.png"), "-o", str(tmp_path / "two.png"), "--device", "cpu"]) == 0
    assert CLI_LINE not in capsys.readouterr().err and setup.quantisations == 2  # cached: nothing to say
