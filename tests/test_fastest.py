"""`auto` runs the fastest of the paths that keep the picture on this CPU: timed once, remembered, re-timed
when the CPU, the runtime or the weights change (engine/fastest.py, devices.choose_precision)."""

from __future__ import annotations

import copy
import threading
import time

import numpy as np
import pytest
import torch

from deblur_app.engine import devices, fastest, openvino_backend
from deblur_app.engine.devices import Int8Verdict, choose_precision
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.progress import Cancelled

CPU = torch.device("cpu")
AVX2 = frozenset({"avx2"})
AVX512_BF16 = frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"})
AMX = frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8"})
GOOD = Int8Verdict(hd_agreement_db=47.0, validation_change_db=0.0, photos=6, pixel_error=0.01)
BF16_GOOD = Int8Verdict(hd_agreement_db=60.0, validation_change_db=0.0, photos=6, precision="bf16", pixel_error=0.002)
# seconds per 384x256 frame, in the ratios measured at 1280x720 (issue 21, benchmarks/RESULTS.md)
AMX_LIKE = {"fp32": 0.51, "bf16": 0.10, "int8": 0.17}  # 6.75 / 1.33 / 2.28 s
AVX512_BF16_LIKE = {"fp32": 0.39, "bf16": 0.19, "int8": 0.16}
AVX2_LIKE = {"fp32": 0.72, "int8": 0.44}
needs_openvino = pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")


def auto(features, timings=None, verdict=GOOD, bf16=BF16_GOOD):
    return choose_precision("auto", CPU, openvino=True, int8_verdict=verdict, features=features, timings=timings,
                            bf16_verdict=bf16)


@pytest.mark.parametrize("features, timings, expected", [
    (AMX, AMX_LIKE, "bf16"),  # AMX: bf16 beats int8
    (AVX512_BF16, AVX512_BF16_LIKE, "int8"),
    (AVX2, AVX2_LIKE, "int8"),  # no native bf16: int8 against exact float32
])
def test_auto_runs_the_measured_fastest_path_and_says_so(features, timings, expected):
    assert auto(features).measure == tuple(p for p in ("fp32", "bf16", "int8") if p in timings)
    choice = auto(features, timings)
    assert choice.name == expected and choice.measure == ()
    assert choice.dtype == (torch.bfloat16 if expected == "bf16" else torch.float32)
    assert "fastest path that keeps the picture" in choice.reason
    assert f"{expected} {timings[expected]:.2f} s" in choice.reason.split("frame: ")[1].split(",")[0]  # named first


def test_only_paths_that_keep_the_picture_are_timed_and_taken():
    blurs = Int8Verdict(hd_agreement_db=44.0, validation_change_db=0.0, pixel_error=0.01)
    assert auto(AMX, verdict=blurs).measure == ("fp32", "bf16")  # int8 does not qualify: not timed
    assert auto(AMX, {"fp32": 1.0, "bf16": 0.5, "int8": 0.1}, verdict=blurs).name == "bf16"
    assert auto(AVX2, verdict=None).measure == ()  # exact float32 alone: nothing to choose between
    assert choose_precision("auto", CPU, openvino=False, int8_verdict=GOOD, features=AMX).measure == ()  # torch
    assert choose_precision("int8", CPU, openvino=True, features=AMX, timings=AMX_LIKE).name == "int8"  # asked for


def test_a_less_faithful_path_must_be_clearly_faster():
    close = {"fp32": 1.0, "bf16": 0.50, "int8": 0.48}  # int8 4 % faster than bf16: within the noise
    assert auto(AMX, close).name == "bf16"
    assert auto(AMX, {"fp32": 1.0, "bf16": 0.50, "int8": 0.47}).name == "int8"  # 6 % faster
    assert auto(AVX2, {"fp32": 1.0, "int8": 0.97}).name == "fp32"


@pytest.mark.real_path_timing
def test_the_timing_finds_the_faster_runner_and_is_cancellable():
    def sleeper(seconds):
        return lambda pixels, cancel: time.sleep(seconds) or pixels.shape

    timings = fastest.measure_paths({"fp32": sleeper(0.06), "int8": sleeper(0.01)}, rounds=3)
    assert timings["int8"] < timings["fp32"] and timings["fp32"] >= 0.06
    stop = threading.Event()
    calls = []

    def stops_after_one(pixels, cancel):
        calls.append(pixels.shape)
        stop.set()

    with pytest.raises(Cancelled):
        fastest.measure_paths({"fp32": stops_after_one, "int8": stops_after_one}, cancel=stop)
    assert calls == [(1, 3, *fastest.TIMING_FRAME)]


# ---------------------------------------------------------------- the cache and the engine


class FakeRunner:
    """Stands in for OpenVinoRunner: records which paths were built, returns the input at three scales."""

    built: list[str] = []

    def __init__(self, model, dtype, cache_dir=None, int8=None, cancel=None, architecture=None,
                 first_class=None) -> None:
        self.path = "int8" if int8 is not None else {torch.float32: "fp32", torch.bfloat16: "bf16"}[dtype]
        FakeRunner.built.append(self.path)

    def serves(self, height, width):
        return True

    def __call__(self, x, cancel=None):
        return [x[..., ::4, ::4], x[..., ::2, ::2], x]


@pytest.fixture
def timed_engine(monkeypatch, tmp_path, small_model):
    """Engines on OpenVINO whose int8 and bf16 verdicts qualify, with fake runners, a fresh cache and a chosen CPU."""
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "cache")
    monkeypatch.setattr(openvino_backend, "find_int8_verdict", lambda model, plan=None: GOOD)
    monkeypatch.setattr(openvino_backend, "find_verdict", lambda model, path: GOOD if "int8" in path else BF16_GOOD)
    monkeypatch.setattr(openvino_backend, "int8_missing", lambda model, plan=None, cache_dir=None: "")
    monkeypatch.setattr(openvino_backend, "OpenVinoRunner", FakeRunner)
    FakeRunner.built = []
    measured = []

    def make(features, timings):
        monkeypatch.setattr(devices, "cpu_features", lambda: features)
        monkeypatch.setattr(fastest, "measure_paths", lambda runners, cancel=None, **_: measured.append(
            sorted(runners)) or {p: timings[p] for p in runners})
        return Deblurrer(small_model, EngineOptions(device="cpu", backend="openvino", tile=0))

    make.measured = measured
    return make


@needs_openvino
@pytest.mark.real_path_timing
@pytest.mark.parametrize("features, timings, expected", [(AMX, AMX_LIKE, "bf16"), (AVX2, AVX2_LIKE, "int8")])
def test_the_engine_times_once_then_remembers_and_runs_the_winner(timed_engine, photo_like, features, timings, expected):
    engine = timed_engine(features, timings)
    assert engine.timing_pending and engine.preparation_needed()
    assert engine.precision_name == "int8"  # before timing: the preference without measurements
    result = engine.run(photo_like(32, 48))  # the first run times the paths, then runs the winner
    assert result.precision == expected == engine.precision_name and not engine.timing_pending
    assert "fastest path" in engine.precision.reason and timed_engine.measured == [sorted(timings)]
    again = timed_engine(features, timings)  # another session: read from the cache, nothing timed
    assert again.precision_name == expected and not again.timing_pending
    assert again.precision.reason == engine.precision.reason and len(timed_engine.measured) == 1


@needs_openvino
@pytest.mark.real_path_timing
def test_a_new_cpu_runtime_or_weights_times_again(timed_engine, small_model, monkeypatch):
    paths = ("fp32", "bf16", "int8")
    engine = timed_engine(AMX, AMX_LIKE)
    engine.prepare()
    assert engine.precision_name == "bf16" and not timed_engine(AMX, AMX_LIKE).timing_pending
    assert timed_engine(AVX512_BF16, AVX512_BF16_LIKE).timing_pending  # other instruction sets, same paths
    with monkeypatch.context() as patch:
        patch.setattr(fastest, "cpu_identity", lambda features: "another CPU model | 8 cores")
        assert timed_engine(AMX, AMX_LIKE).timing_pending
    with monkeypatch.context() as patch:
        patch.setattr(fastest, "runtime_version", lambda: "openvino 2099.1")
        assert timed_engine(AMX, AMX_LIKE).timing_pending
    assert not timed_engine(AMX, AMX_LIKE).timing_pending  # nothing changed: still remembered
    other = copy.deepcopy(small_model)
    other.feat_extract[0].main[0].bias.data += 0.01  # other weights
    assert openvino_backend.measured_paths(other, paths, AMX) is None
    assert openvino_backend.measured_paths(small_model, paths, AMX) is not None
    assert openvino_backend.measured_paths(small_model, ("fp32", "bf16"), AMX) is None  # other qualifying paths
    with monkeypatch.context() as patch:  # other int8 layer rules (registry) make another int8 model: timed again
        calibration = openvino_backend.shipped_int8_plan().calibration
        rules = openvino_backend.Int8Settings(keep_float=(r".*/Decoder\.2/.*",))
        patch.setattr(openvino_backend, "shipped_int8_plan", lambda: openvino_backend.Int8Plan(calibration, rules))
        assert openvino_backend.measured_paths(small_model, paths, AMX) is None
    assert openvino_backend.measured_paths(small_model, paths, AMX) is not None


@needs_openvino
@pytest.mark.real_path_timing
def test_a_cancelled_timing_keeps_nothing_and_the_next_run_times(timed_engine, photo_like, monkeypatch):
    engine = timed_engine(AMX, AMX_LIKE)
    stop = threading.Event()
    stop.set()

    def cancelled(runners, cancel=None, **_):
        raise Cancelled("cancelled")

    monkeypatch.setattr(fastest, "measure_paths", cancelled)
    with pytest.raises(Cancelled):
        engine.prepare(cancel=stop)
    assert engine.timing_pending and not (openvino_backend.default_cache_dir() / fastest.TIMINGS_FILE).exists()
    assert timed_engine(AMX, AMX_LIKE).run(photo_like(32, 32)).precision == "bf16"
