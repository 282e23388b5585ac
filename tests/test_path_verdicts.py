"""A verdict per (weights, fast path): `auto` takes bf16 (and int8) only for weights measured to keep the picture
with it, on every photo of the check set (engine/verdicts.py, devices.choose_precision; issue 26)."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
import torch

from deblur_app import reasons
from deblur_app.engine import devices, int8_check, openvino_backend, verdicts as path_verdicts
from deblur_app.engine.choices import INT8_MIN_CHECK_PHOTOS, MAX_PIXEL_ERROR, PathVerdict
from deblur_app.engine.devices import choose_precision
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.progress import Cancelled
from deblur_app.model import networks
from deblur_app.model.registry import ARCHITECTURES
from isolated_verdicts import isolate_verdicts
from test_network_checkpoints import NAFNET_16, small_state

CPU = torch.device("cpu")
BF16_CPU = frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"})
AVX2 = frozenset({"avx2"})
KEEPS = PathVerdict(61.2, 0.0, photos=6, worst_photo="coffee (check set crop 3)", precision="bf16", pixel_error=0.002)
BLURS = PathVerdict(44.2, 0.0, photos=6, worst_photo="coffee (check set crop 3)", precision="bf16", pixel_error=0.002)
INT8_KEEPS = PathVerdict(47.0, 0.0, photos=6, pixel_error=0.01)
needs_openvino = pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")


# ---------------------------------------------------------------- auto's choice from verdicts and timings


def auto(features=BF16_CPU, bf16=KEEPS, int8=INT8_KEEPS, timings=None, openvino=True):
    return choose_precision("auto", CPU, openvino=openvino, int8_verdict=int8, features=features, timings=timings,
                            bf16_verdict=bf16)


def test_bf16_qualifies_only_with_a_qualifying_verdict_for_the_weights():
    assert auto().measure == ("fp32", "bf16", "int8")
    assert auto(bf16=None).measure == ("fp32", "int8")  # not measured: not timed, not taken
    assert auto(bf16=BLURS).measure == ("fp32", "int8")
    assert auto(bf16=None, int8=None).name == "fp32"
    assert auto(bf16=None, int8=None).reason.startswith(reasons.BF16_NOT_MEASURED)
    assert BLURS.describe() in auto(bf16=BLURS, int8=None).reason  # fp32, and why: the failing verdict
    assert auto(AVX2, bf16=KEEPS, int8=None).reason.startswith(reasons.NO_NATIVE_BF16)  # emulated bf16: never
    torch_bf16 = auto(bf16=KEEPS, int8=None, openvino=False)
    assert torch_bf16.name == "bf16" and KEEPS.describe() in torch_bf16.reason
    assert auto(bf16=BLURS, int8=None, openvino=False).name == "fp32"


@pytest.mark.parametrize("timings, expected", [
    ({"fp32": 1.0, "bf16": 0.4, "int8": 0.5}, "bf16"),
    ({"fp32": 1.0, "bf16": 0.5, "int8": 0.3}, "int8"),
    ({"fp32": 1.0, "bf16": 0.98, "int8": 0.99}, "fp32"),  # within the noise: the faithful path
])
def test_auto_runs_the_fastest_path_with_a_verdict_and_says_which_and_why(timings, expected):
    choice = auto(timings=timings)
    assert choice.name == expected and "fastest path that keeps the picture" in choice.reason
    verdict = {"bf16": KEEPS, "int8": INT8_KEEPS}.get(expected)
    assert (verdict is not None and verdict.describe() in choice.reason) or expected == "fp32"
    # bf16 timed fastest but without a verdict is never taken
    assert auto(bf16=None, timings={"fp32": 1.0, "int8": 0.9}).name == "int8"
    assert auto(bf16=BLURS, int8=None, timings={"fp32": 1.0, "bf16": 0.1}).name == "fp32"


def test_the_rule_is_the_worst_photo_and_enough_photos():
    def errors(count, error=0.002):
        return {f"p{i}": error for i in range(count)}

    assert PathVerdict.over_photos({f"p{i}": 50.0 for i in range(INT8_MIN_CHECK_PHOTOS)}, 0.0, "bf16",
                                   errors(INT8_MIN_CHECK_PHOTOS)).qualifies()
    assert not PathVerdict.over_photos({"p0": 44.9, **{f"p{i}": 70.0 for i in range(1, 6)}}, 0.0, "bf16",
                                       errors(6)).qualifies()
    assert not PathVerdict.over_photos({f"p{i}": 70.0 for i in range(INT8_MIN_CHECK_PHOTOS - 1)}, 0.0, "bf16",
                                       errors(INT8_MIN_CHECK_PHOTOS - 1)).qualifies()
    # bf16 as int8: every photo's per-pixel error within the bound too, the largest counts
    edge = PathVerdict.over_photos({f"p{i}": 60.0 for i in range(6)}, 0.0, "bf16",
                                   {**errors(6), "p4": MAX_PIXEL_ERROR * 1.5})
    assert not edge.qualifies() and edge.pixel_worst_photo == "p4" and edge.hd_agreement_db == 60.0
    assert BLURS.describe().startswith("bf16 agrees with float32 at 44.2 dB on the worst of 6")


# ---------------------------------------------------------------- the engine, with NAFNet weights


@pytest.fixture
def nafnet(monkeypatch, tmp_path):
    """A small NAFNet, a CPU with native bf16, a fresh cache, empty verdict files and a 5-photo check set of 64 px."""
    model = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)
    model.load_state_dict(small_state("nafnet", **NAFNET_16))
    monkeypatch.setattr(devices, "cpu_features", lambda: BF16_CPU)
    model.verdicts_file = isolate_verdicts(monkeypatch, tmp_path, photos=5)
    return model


def record(model, path: str, verdict: PathVerdict) -> None:
    openvino_backend.record_path_verdict(model.verdicts_file, openvino_backend.verdict_key(model, path), verdict, {})


def test_nafnet_runs_float32_until_its_weights_have_a_bf16_verdict(nafnet):
    engine = Deblurrer(nafnet, EngineOptions(device="cpu", backend="torch"))
    assert engine.precision_name == "fp32" and engine.precision.reason.startswith(reasons.BF16_NOT_MEASURED)
    assert engine.unmeasured_paths() == ("torch-bf16",)  # int8 runs on OpenVINO only (the reason says so too)
    record(nafnet, "torch-bf16", BLURS)
    failing = Deblurrer(nafnet, EngineOptions(device="cpu", backend="torch"))
    assert failing.precision_name == "fp32" and failing.precision.reason.startswith(BLURS.describe())  # says why
    assert failing.unmeasured_paths() == ()  # measured: not measured again
    record(nafnet, "torch-bf16", KEEPS)
    keeps = Deblurrer(nafnet, EngineOptions(device="cpu", backend="torch"))
    assert keeps.precision_name == "bf16" and KEEPS.describe() in keeps.precision.reason
    # the verdict is the weights': other weights of the same network are not covered by it
    other = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)
    other.load_state_dict({k: v + 0.001 for k, v in nafnet.state_dict().items()})
    assert Deblurrer(other, EngineOptions(device="cpu", backend="torch")).precision_name == "fp32"


@needs_openvino
def test_nafnet_on_openvino_takes_bf16_with_a_verdict_for_that_backend(nafnet, photo_like):
    record(nafnet, "torch-bf16", KEEPS)  # torch's verdict says nothing of OpenVINO's bf16
    engine = Deblurrer(nafnet, EngineOptions(device="cpu", tile=0))
    assert (engine.backend, engine.precision_name) == ("openvino", "fp32")
    assert set(engine.unmeasured_paths()) <= {"openvino-bf16", "openvino-int8"} and not engine.timing_pending
    assert "openvino-bf16" in engine.unmeasured_paths()
    record(nafnet, "openvino-bf16", KEEPS)
    timed = Deblurrer(nafnet, EngineOptions(device="cpu", tile=0))
    assert timed.timing_pending and timed.precision.measure == ("fp32", "bf16")
    result = timed.run(photo_like(64, 64))  # the stand-in timings (tests/conftest.py) rank bf16 before fp32
    assert result.precision == "bf16" and "fastest path" in timed.precision.reason
    assert KEEPS.describe() in timed.precision.reason


@pytest.mark.real_int8_check  # the real check (tests/conftest.py stands one in elsewhere)
def test_a_verdict_is_measured_and_recorded_for_installed_nafnet_weights(nafnet):
    steps = []
    check = path_verdicts.check_path(nafnet, "torch-bf16", progress=lambda done, total: steps.append(done))
    assert steps == [1, 2, 3, 4, 5] and check.verdict.photos == 5 and check.verdict.precision == "bf16"
    assert check.verdict.hd_agreement_db == min(check.agreements_db) > 30  # bf16, not something else
    assert max(check.agreements_db) < 100  # it did compute in bf16: not float32 against itself
    path_verdicts.record(nafnet, check, details={"weights": "nafnet-16.pth"})
    record_ = json.loads(nafnet.verdicts_file.read_text())[openvino_backend.verdict_key(nafnet, "torch-bf16")]
    assert record_["path"] == "torch-bf16" and record_["precision"] == "bf16" and record_["weights"] == "nafnet-16.pth"
    found = openvino_backend.find_verdict(nafnet, "torch-bf16")
    assert found.precision == "bf16" and found.hd_agreement_db == round(check.verdict.hd_agreement_db, 2)
    engine = Deblurrer(nafnet, EngineOptions(device="cpu", backend="torch"))
    assert engine.precision_name == ("bf16" if found.qualifies() else "fp32") and not engine.unmeasured_paths()
    assert found.describe() in engine.precision.reason


@pytest.mark.real_int8_check  # the real check (tests/conftest.py stands one in elsewhere)
def test_a_cancelled_check_records_nothing(nafnet):
    stop = threading.Event()
    calls = []

    def progress(done, total):
        calls.append(done)
        stop.set()  # cancelled after the first photo

    with pytest.raises(Cancelled):
        path_verdicts.check_path(nafnet, "torch-bf16", cancel=stop, progress=progress)
    assert calls == [1] and not nafnet.verdicts_file.exists()
    assert openvino_backend.find_verdict(nafnet, "torch-bf16") is None


@needs_openvino
@pytest.mark.real_int8_check  # the real check (tests/conftest.py stands one in elsewhere)
def test_a_nafnet_int8_verdict_is_measured_in_int8_on_the_check_set(nafnet, monkeypatch):
    """NAFNet's int8 (registry: mixed precision) gets its verdict as MIMO-UNet's does: the check set's small crops
    (within TLC's window: NAFNet's "global" export) go through an int8 model of that export, not through torch
    float32, which would have measured float32 against itself and qualified any weights."""
    pytest.importorskip("nncf")
    monkeypatch.setattr(devices, "cpu_features", lambda: AVX2)  # no native bf16: int8 is the only fast path
    assert path_verdicts.runnable_paths(ARCHITECTURES["nafnet"], ("openvino",)) == ("openvino-int8",)
    engine = Deblurrer(nafnet, EngineOptions(device="cpu", tile=0))
    assert (engine.backend, engine.precision_name) == ("openvino", "fp32") and engine.int8_unmeasured()
    check = path_verdicts.check_path(nafnet, "openvino-int8")
    assert check.verdict.precision == "int8" and check.verdict.photos == 5
    assert 30 < check.verdict.hd_agreement_db == min(check.agreements_db) and max(check.agreements_db) < 100
    path_verdicts.record(nafnet, check, details={"weights": "nafnet-16.pth"})
    found = openvino_backend.find_verdict(nafnet, "openvino-int8")
    assert found is not None and found.hd_agreement_db == round(check.verdict.hd_agreement_db, 2)
    measured = Deblurrer(nafnet, EngineOptions(device="cpu", tile=0))
    assert not measured.unmeasured_paths() and found.describe() in measured.precision.reason


@needs_openvino
def test_auto_takes_nafnet_int8_only_with_a_qualifying_verdict(nafnet, photo_like, monkeypatch, tmp_path):
    pytest.importorskip("nncf")
    monkeypatch.setattr(devices, "cpu_features", lambda: AVX2)
    calibration = tmp_path / "calibration.npz"  # two small crops: a quick quantisation
    np.savez_compressed(calibration, crops=(np.stack([photo_like(32, 32, seed=s) for s in (1, 2)]) * 255).astype(np.uint8))
    monkeypatch.setattr(openvino_backend, "shipped_int8_plan", lambda: openvino_backend.Int8Plan(calibration))
    engine = Deblurrer(nafnet, EngineOptions(device="cpu", tile=0))
    assert (engine.backend, engine.precision_name) == ("openvino", "fp32")
    assert engine.unmeasured_paths() == ("openvino-int8",)
    blurs = PathVerdict(43.0, 0.0, photos=6, worst_photo="coffee (check set crop 3)", pixel_error=0.01)
    record(nafnet, "openvino-int8", blurs)
    failing = Deblurrer(nafnet, EngineOptions(device="cpu", tile=0))
    assert failing.precision_name == "fp32" and blurs.describe() in failing.precision.reason
    assert not failing.unmeasured_paths()
    record(nafnet, "openvino-int8", INT8_KEEPS)
    keeps = Deblurrer(nafnet, EngineOptions(device="cpu", tile=0))
    assert keeps.timing_pending and keeps.precision.measure == ("fp32", "int8")
    result = keeps.run(photo_like(64, 64))  # the stand-in timings (tests/conftest.py) rank int8 first
    assert (result.backend, result.precision, result.torch_tiles) == ("openvino", "int8", 0)
    assert INT8_KEEPS.describe() in keeps.precision.reason
    # the verdict is these weights': other NAFNet weights run float32 until theirs is measured
    other = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)
    other.load_state_dict({k: v + 0.001 for k, v in nafnet.state_dict().items()})
    assert Deblurrer(other, EngineOptions(device="cpu", tile=0)).precision_name == "fp32"


@pytest.mark.real_int8_check  # the real check (tests/conftest.py stands one in elsewhere)
def test_a_path_the_network_does_not_have_is_not_measured():
    from test_network_checkpoints import FFTFORMER_16

    fftformer = networks.build(ARCHITECTURES["fftformer"], FFTFORMER_16)
    with pytest.raises(path_verdicts.PathUnavailable, match="int8 does not run FFTformer"):
        path_verdicts.check_path(fftformer, "openvino-int8")
    assert path_verdicts.runnable_paths(ARCHITECTURES["fftformer"], ("openvino", "torch")) == ()


# ---------------------------------------------------------------- the command line


@needs_openvino
def test_auto_runs_a_large_photo_in_nafnet_int8_with_the_other_classes_carried_over_not_calibrated(
        nafnet, photo_like, monkeypatch, tmp_path):
    """With a qualifying verdict `auto` takes NAFNet's int8, and a photo beyond TLC's window (the "local" and "wide"
    shape classes) runs in int8 without NNCF calibrating those exports: NNCF quantises the "global" export once and
    the other classes' int8 models are carried over from it (openvino_backend.transfer_int8). Calibrating "local"
    on 416-pixel images had peaked at 6.2 GB with NAFNet-64 in the middle of a photo's first run."""
    pytest.importorskip("nncf")
    monkeypatch.setattr(devices, "cpu_features", lambda: AVX2)
    calibration = tmp_path / "calibration.npz"  # two small crops: a quick quantisation
    np.savez_compressed(calibration, crops=(np.stack([photo_like(32, 32, seed=s) for s in (1, 2)]) * 255).astype(np.uint8))
    monkeypatch.setattr(openvino_backend, "shipped_int8_plan", lambda: openvino_backend.Int8Plan(calibration))
    assert path_verdicts.runnable_paths(ARCHITECTURES["nafnet"], ("openvino",)) == ("openvino-int8",)
    record(nafnet, "openvino-int8", INT8_KEEPS)
    calibrated = []
    quantize = openvino_backend.quantize_int8
    monkeypatch.setattr(openvino_backend, "quantize_int8",
                        lambda network, crops, *rest, **named: calibrated.append(crops.shape) or quantize(
                            network, crops, *rest, **named))
    engine = Deblurrer(nafnet, EngineOptions(device="cpu", tile=0))
    assert engine.timing_pending and engine.precision.measure == ("fp32", "int8")
    for height, width in ((400, 416), (200, 416)):  # "local", "wide"
        result = engine.run(photo_like(height, width, seed=height))
        assert (result.backend, result.precision, result.torch_tiles) == ("openvino", "int8", 0)
    assert calibrated == [(2, 3, 32, 32)]  # NNCF ran once, on the crops as they are: the "global" export
    classes = sorted(p.name.split("-")[2] for p in (tmp_path / "cache").glob("nafnet-int8-*.xml"))
    assert {"local", "wide"} <= set(classes) and len(classes) == 3, classes  # and the first (global), unnamed

@pytest.fixture
def installable_nafnet(nafnet, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = tmp_path / "to-install" / "NAFNet-small.pth"
    path.parent.mkdir()
    torch.save({"params": nafnet.state_dict()}, path)
    return path


@pytest.mark.real_int8_check
def test_weights_install_measures_nafnets_fast_paths_and_info_says_what_auto_runs(installable_nafnet, nafnet, capsys):
    from deblur_app.cli.main import main

    def measured() -> set[str]:
        return {record["path"] for record in json.loads(nafnet.verdicts_file.read_text()).values()}

    assert main(["weights", "install", str(installable_nafnet)]) == 0
    out = capsys.readouterr().out
    backend = "openvino" if openvino_backend.openvino_available() else "torch"  # the backend auto would take
    used = set(path_verdicts.runnable_paths(ARCHITECTURES["nafnet"], (backend,)))  # its bf16 and (NNCF) int8
    assert all(f"measuring whether {p} keeps the picture" in out for p in used) and "auto runs " in out.splitlines()[-1]
    assert measured() == used
    assert main(["weights", "check", "nafnet-64"]) == 0  # every fast path: the other backend's too
    assert measured() == set(path_verdicts.runnable_paths(ARCHITECTURES["nafnet"], ("openvino", "torch")))
    assert main(["weights", "check", "nafnet-64"]) == 0  # nothing left to measure
    assert "no fast path left to measure" in capsys.readouterr().out.splitlines()[-1]
    assert main(["info"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("NAFNet-64 runs on cpu"))
    assert "agrees with float32 at" in line and "not measured" not in line  # int8's verdict or bf16's


def test_ctrl_c_during_a_check_records_nothing_and_says_how_to_measure_later(installable_nafnet, nafnet, capsys,
                                                                             monkeypatch):
    from deblur_app.cli.main import main

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(path_verdicts, "check_path", interrupted)
    assert main(["weights", "install", str(installable_nafnet), "--no-check"]) == 0
    assert "measuring" not in capsys.readouterr().out
    assert main(["info"]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("NAFNet-64 runs on cpu"))
    assert "with torch fp32" in line or "fp32:" in line or " fp32" in line
    assert "bf16 not measured with these weights yet" in line and "`deblur-app weights check nafnet-64`" in line
    assert main(["weights", "check", "nafnet-64"]) == 130
    err = capsys.readouterr().err
    assert "check stopped, nothing recorded" in err and "Traceback" not in err
    assert not nafnet.verdicts_file.exists()
