"""Fast-path verdicts (int8 here; bf16 in test_path_verdicts.py) for any weights, measured on the check set
that ships with the app: the worst photo counts."""

from __future__ import annotations

import importlib.util
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from deblur_app.engine import int8_check, openvino_backend, verdicts as path_verdicts
from deblur_app.engine.devices import Int8Verdict
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.progress import Cancelled
from deblur_app.model.checkpoints import load_checkpoint

from guikit import WAIT, open_photo, run  # noqa: E402
from isolated_verdicts import isolate_verdicts
from seeded_weights import save_seeded_weights

REPO = Path(__file__).resolve().parent.parent
SHIPPED_CALIBRATION = REPO / "resources" / "int8" / "calibration.npz"
needs_int8 = pytest.mark.skipif(not (openvino_backend.openvino_available() and importlib.util.find_spec("nncf")),
                                reason="needs OpenVINO and NNCF")


def test_the_worst_photo_decides_and_the_verdict_says_so():
    photos = {f"photo {i}": db for i, db in enumerate([52.0, 46.0, 60.0, 50.0, 55.0])}
    errors = dict.fromkeys(photos, 0.01)
    good = int8_check.verdict_from(photos, [0.01, -0.02, 0.0, 0.0, 0.0], errors)
    assert good.qualifies() and good.hd_agreement_db == 46.0 and good.photos == 5 and good.worst_photo == "photo 1"
    assert "worst of 5" in good.describe() and "(photo 1)" in good.describe()
    one_bad = int8_check.verdict_from({**photos, "photo 1": 44.9}, [0.0] * 5, errors)  # the mean would pass: 52.4 dB
    assert not one_bad.qualifies() and one_bad.hd_agreement_db == 44.9
    loses = int8_check.verdict_from(photos, [-0.04, -0.07, -0.05, -0.06, -0.055], errors)  # the stand-in: the mean change
    assert not loses.qualifies() and loses.validation_change_db == pytest.approx(-0.055)


def test_a_photo_whose_strongest_edges_are_off_fails_the_verdict_though_every_mean_passes():
    """Issue 21: int8 agreed at 45.9 dB on the README's coffee photo yet was 0.15 off along the cup's rim. A
    local error that the PSNR hides: 0.2 % of the values 0.08 off, everything else 0.002 off."""
    from deblur_app.engine.choices import MAX_PIXEL_ERROR, pixel_error

    reference = np.random.default_rng(0).random((100, 100, 3))
    rim = reference.copy()
    rim += 0.002
    rim.reshape(-1)[::500] -= 0.08  # 60 of 30,000 values (0.2 %): an edge's worth
    clean = reference + 0.002
    assert int8_check.psnr(rim, reference) > 45  # the mean measure passes
    assert pixel_error(rim, reference) > MAX_PIXEL_ERROR >= pixel_error(clean, reference)
    agreements = {"rim": int8_check.psnr(rim, reference), **{f"p{i}": 50.0 for i in range(5)}}
    errors = {"rim": pixel_error(rim, reference), **{f"p{i}": 0.005 for i in range(5)}}
    verdict = int8_check.verdict_from(agreements, [0.0] * 6, errors)
    assert verdict.hd_agreement_db > 45 and verdict.validation_change_db == 0.0
    assert not verdict.qualifies() and verdict.pixel_worst_photo == "rim"
    assert f"{verdict.pixel_error:.3f} off" in verdict.describe() and "(rim)" in verdict.describe()
    errors["rim"] = pixel_error(clean, reference)  # the same photo without the edge: qualifies
    assert int8_check.verdict_from(agreements, [0.0] * 6, errors).qualifies()
    assert not int8_check.verdict_from(agreements, [0.0] * 6).qualifies()  # no per-pixel measure: no verdict


def test_the_shipped_check_set_is_photos_anyone_may_ship_with_their_sharp_originals():
    check_set = int8_check.load_check_set()
    assert check_set.blurry.shape == check_set.sharp.shape and check_set.blurry.shape[0] >= 4
    assert check_set.blurry.shape[1:] == (192, 192, 3) and check_set.blurry.dtype == np.uint8
    assert all(("CC0" in source or "public domain" in source) for source in check_set.sources), check_set.sources
    assert len({source.split(":")[0] for source in check_set.sources}) >= 4  # several photos, not crops of one
    psnr = [int8_check.psnr(b / 255.0, s / 255.0) for b, s in zip(check_set.blurry, check_set.sharp)]
    assert max(psnr) < 40, "the blurry crops are blurred"


@pytest.fixture
def small_int8(monkeypatch, tmp_path):
    """A small calibration (seconds of NNCF), a fresh cache and verdicts file, a 2-photo check set of 64 px."""
    with np.load(SHIPPED_CALIBRATION) as data:
        crops = np.ascontiguousarray(data["crops"][:4, :64, :64])
    calibration = tmp_path / "calibration.npz"
    np.savez_compressed(calibration, crops=crops)
    plan = openvino_backend.Int8Plan(calibration)
    monkeypatch.setattr(openvino_backend, "shipped_int8_plan", lambda: plan)
    return isolate_verdicts(monkeypatch, tmp_path, photos=2)


@pytest.mark.slow
@pytest.mark.real_int8_check
@needs_int8
def test_a_verdict_is_recorded_for_installed_weights_and_auto_then_uses_it(small_int8, tmp_path):
    weights = save_seeded_weights(tmp_path, trained_by="test") / "mimo-unet.safetensors"
    model = load_checkpoint(weights).build(lean_fusion=True)
    engine = Deblurrer(model, EngineOptions(device="cpu", backend="openvino"))
    assert engine.int8_unmeasured() and "not been measured" in engine.precision.reason
    steps = []
    check = path_verdicts.check_path(model, "openvino-int8", progress=lambda done, total: steps.append((done, total)))
    assert steps == [(1, 2), (2, 2)] and len(check.agreements_db) == 2
    assert check.verdict.hd_agreement_db == min(check.agreements_db)  # the worst photo is the verdict's
    path_verdicts.record(model, check)
    record = json.loads(small_int8.read_text())[openvino_backend.int8_key(model, openvino_backend.shipped_int8_plan())]
    assert record["check_photos"] == 2 and record["worst_photo"] == check.verdict.worst_photo
    assert record["worst_photo"] in (int8_check.photo_name(int8_check.load_check_set(), i) for i in (0, 1))
    assert record["agreements_db"] == [round(a, 2) for a in check.agreements_db]
    assert record["pixel_errors"] == [round(e, 4) for e in check.pixel_errors]
    assert record["pixel_error"] == round(max(check.pixel_errors), 4)  # the largest photo's is the verdict's
    found = openvino_backend.find_int8_verdict(model)
    assert found == Int8Verdict(round(check.verdict.hd_agreement_db, 2), round(check.verdict.validation_change_db, 4),
                                2, check.verdict.worst_photo, pixel_error=round(check.verdict.pixel_error, 4),
                                pixel_worst_photo=check.verdict.pixel_worst_photo)
    assert not found.qualifies()  # 2 photos prove too little (INT8_MIN_CHECK_PHOTOS); the shipped set has 6
    again = Deblurrer(model, EngineOptions(device="cpu", backend="openvino"))
    assert not again.int8_unmeasured() and found.describe() in again.precision.reason + found.describe()
    assert ("int8" in again.precision.measure) == found.qualifies()


@pytest.mark.slow
@pytest.mark.real_int8_check
@needs_int8
def test_a_cancelled_check_records_nothing(small_int8, small_model):
    stop = threading.Event()
    stop.set()
    with pytest.raises(Cancelled):
        path_verdicts.check_path(small_model, "openvino-int8", cancel=stop)
    assert not small_int8.exists() and openvino_backend.find_int8_verdict(small_model) is None


# ---------------------------------------------------------------- the window measures in the background


@pytest.mark.slow
@pytest.mark.real_int8_check
@needs_int8
def test_the_window_measures_installed_weights_in_the_background_and_a_run_never_waits(
        small_int8, qtbot, make_window, weights_dir, photo, errors, monkeypatch):
    import time

    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: weights_dir.parent / f"cache-{time.time_ns()}")
    quantisations_begun: list[float] = []
    quantize = openvino_backend.quantize_int8
    monkeypatch.setattr(openvino_backend, "quantize_int8",
                        lambda *args, **kwargs: quantisations_begun.append(time.monotonic()) or quantize(*args, **kwargs))
    window = make_window()
    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    qtbot.waitUntil(lambda: any("Measuring" in m for m in messages), timeout=3 * WAIT)  # after an ONNX export
    measuring = next(m for m in messages if "Measuring" in m)
    assert "int8 (OpenVINO)" in measuring and "openvino-int8" not in measuring  # in words, not the engine's name
    open_photo(qtbot, window, photo("shot.png", 64))
    started = time.monotonic()
    outcome = run(qtbot, window)  # the check is cancelled for it: no quantisation to wait for
    # no quantisation first: the run starts none and runs float (not a wall-time bound: CI's load made 45 s too few)
    assert outcome.facts.precision in ("fp32", "bf16") and not [t for t in quantisations_begun if t >= started]
    assert not small_int8.exists(), "the cancelled check recorded nothing"
    window.engine.prepare(window.panel.run_settings())  # as the window does when settings change: measured now
    # a CPU with native bf16 measures three paths (int8, OpenVINO and torch bf16): 3 min was too few at load 24
    qtbot.waitUntil(lambda: any(m.startswith("Measured the fast paths") for m in messages), timeout=10 * WAIT)
    model = load_checkpoint(weights_dir / "mimo-unet.safetensors").build(lean_fusion=True)
    verdict = openvino_backend.find_int8_verdict(model)
    assert verdict is not None and verdict.photos == 2 and "check set crop" in verdict.worst_photo
    assert verdict.describe() in window.engine.loaded_model.precision_reason or not verdict.qualifies()
    assert verdict.describe() in next(m for m in messages if m.startswith("Measured the fast paths"))
    assert not errors


# ---------------------------------------------------------------- the command line measures at install


@pytest.fixture
def installable(tmp_path, monkeypatch) -> Path:
    """Seeded MIMO-UNet weights to install, and a user folder in the temp folder (platformdirs follows XDG_DATA_HOME)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return save_seeded_weights(tmp_path / "to-install", trained_by="test") / "mimo-unet.safetensors"


@pytest.mark.slow
@pytest.mark.real_int8_check
@needs_int8
def test_weights_install_records_a_verdict_and_check_int8_then_has_nothing_to_do(small_int8, installable, capsys):
    from deblur_app.cli.main import main

    assert main(["weights", "install", str(installable)]) == 0
    out = capsys.readouterr().out
    assert "measuring whether openvino-int8 keeps the picture" in out
    model = load_checkpoint(installable).build(lean_fusion=True)
    verdict = openvino_backend.find_int8_verdict(model)
    assert verdict is not None and verdict.photos == 2 and "check set crop" in verdict.worst_photo
    assert f"openvino-int8: auto leaves it out: {verdict.describe()}" in out  # 2 photos never qualify
    record = json.loads(small_int8.read_text())[openvino_backend.int8_key(model, openvino_backend.shipped_int8_plan())]
    assert record["weights"] == "mimo-unet.user.safetensors"  # the installed file, named by the store
    assert main(["weights", "check-int8", "mimo-unet"]) == 0
    assert "MIMO-UNet: no fast path left to measure" in capsys.readouterr().out


@needs_int8
def test_no_int8_check_skips_it_info_says_how_and_ctrl_c_records_nothing(small_int8, installable, capsys,
                                                                          monkeypatch):
    from deblur_app.cli.main import main

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(path_verdicts, "check_path", interrupted)
    assert main(["weights", "install", str(installable), "--no-int8-check"]) == 0  # the old spelling of --no-check
    assert "measuring" not in capsys.readouterr().out
    assert main(["info"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("MIMO-UNet runs on cpu"))
    assert "openvino-int8" in line and "`deblur-app weights check mimo-unet` measures each once" in line
    assert main(["weights", "check-int8"]) == 130  # Ctrl+C during the measurement
    err = capsys.readouterr().err
    assert "openvino-int8 check stopped, nothing recorded" in err and "Traceback" not in err
    assert not small_int8.exists()
    assert main(["weights", "check-int8", "mimo-unet+"]) == 1  # nothing installed to measure
    assert "no MIMO-UNet+ weights installed" in capsys.readouterr().err


class _Engine:
    """A stand-in engine for cli/int8's measurement steps: its output is the photo plus ``offset``."""

    def __init__(self, offset: float) -> None:
        self.offset = offset

    def run(self, photo):
        from types import SimpleNamespace

        return SimpleNamespace(full=np.clip(photo + self.offset, 0, 1))


def test_check_int8_measures_agreement_per_photo_and_psnr_on_the_validation_set(capsys):
    from types import SimpleNamespace

    from deblur_app.cli.int8 import _agreements_on_photos, _validation_psnr

    engines = {"fp32": _Engine(0.0), "int8": _Engine(0.01)}
    photos = {"a.jpg": np.full((8, 8, 3), 0.5, np.float32), "b.jpg": np.full((8, 8, 3), 0.25, np.float32)}
    agreements, largest, pixel_errors = _agreements_on_photos(engines, photos)
    sharp = np.full((2, 8, 8, 3), 128, np.uint8)
    means = _validation_psnr(engines, SimpleNamespace(blurry=sharp, sharp=sharp))

    assert agreements == pytest.approx({"a.jpg": 40.0, "b.jpg": 40.0}, abs=0.01) and largest == pytest.approx(0.01)
    assert pixel_errors == pytest.approx({"a.jpg": 0.01, "b.jpg": 0.01})  # each photo's, for the per-pixel bound
    assert means["int8"] == pytest.approx(40.0, abs=0.01) and means["fp32"] > 100
    assert capsys.readouterr().out.count("agreement 40.00 dB") == 2


def test_check_int8_says_in_one_line_why_it_cannot_start(tmp_path, capsys, monkeypatch):
    from types import SimpleNamespace

    from deblur_app.cli import int8 as int8_cli
    from deblur_app.cli.int8 import int8_main
    from deblur_app.training import data

    (tmp_path / "notes.pth").write_text("not weights")
    options = ["check-int8", "--photos", str(tmp_path), "--valset", str(tmp_path / "v.npz")]

    # the photos and the validation set are checked first (a wrong one is said before the int8 model is made):
    # with none in the folder, that is the one line
    assert int8_main([*options, "--weights", str(tmp_path / "notes.pth")]) == 1
    err = capsys.readouterr().err
    assert err == f"deblur-app: {tmp_path}: no photos\n"
    # with good ones, the weights that are no weights are the one line
    monkeypatch.setattr(int8_cli, "check_set", lambda *_args: {"a.jpg": np.zeros((8, 8, 3), np.float32)})
    monkeypatch.setattr(data.ValidationSet, "load", lambda *_args: SimpleNamespace(subset=lambda _limit: None))
    assert int8_main([*options, "--weights", str(tmp_path / "notes.pth")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"deblur-app: {tmp_path / 'notes.pth'}: ") and err.count("\n") == 1 and "Traceback" not in err
    monkeypatch.setattr(openvino_backend, "openvino_available", lambda: False)
    assert int8_main(options) == 1
    assert capsys.readouterr().err == "deblur-app: check-int8 needs OpenVINO (pip install deblur-app)\n"


def test_the_check_set_holds_crops_on_each_photo_s_strongest_edge_and_is_made_by_its_command(tmp_path):
    """Issue 21: the random crops had no edge as strong as the coffee cup's rim, where int8 was 0.15 off while
    the photo agreed at 45.9 dB. `train make-check-set` (which failed on a missing --photos before) adds one crop
    on each photo's strongest edge after the random ones, and makes the shipped file."""
    from deblur_app.cli.main import main
    from deblur_app.training.calibration import CHECK_COUNT, CHECK_EDGE_COUNT, strongest_edges

    disc = np.zeros((300, 300, 3), np.uint8)
    yy, xx = np.mgrid[:300, :300]
    disc[(yy - 150) ** 2 + (xx - 150) ** 2 < 60 ** 2] = 255  # a white disc: its strongest edges are its rim
    found = strongest_edges(disc, 3, spacing=40)
    assert len(found) == 3 and all(abs(np.hypot(y - 150, x - 150) - 60) < 5 for y, x in found)
    assert min(np.hypot(a[0] - b[0], a[1] - b[1]) for i, a in enumerate(found) for b in found[i + 1:]) >= 40

    out = tmp_path / "check_set.npz"
    assert main(["train", "make-check-set", "--out", str(out)]) == 0
    made, shipped = int8_check.load_check_set(out), int8_check.load_check_set()
    assert len(made.blurry) == CHECK_COUNT + CHECK_EDGE_COUNT == len(shipped.blurry)
    assert np.array_equal(made.sharp, shipped.sharp) and made.sources == shipped.sources
    edges = made.sources[CHECK_COUNT:]
    assert all(source.endswith("its strongest edge") for source in edges)
    assert {source.split(":")[0] for source in edges} == {"astronaut", "chelsea", "coffee", "rocket"}
