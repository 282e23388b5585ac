"""A CPU that computes bf16 natively (AVX512_BF16 or AMX), for real.

The other tests of the bf16 choices set the CPU's features (devices.cpu_features) and so ran on AVX2-only
machines for seven sessions, where OpenVINO compiles a bf16 request as float32 and torch emulates bf16: a test
that compared OpenVINO "bf16" with float32 there compared float32 with itself. These run the paths on this CPU and
are skipped, saying why, on a CPU without native bf16; the cap tests run everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from deblur_app import reasons
from deblur_app.engine import devices, openvino_backend, verdicts as path_verdicts
from deblur_app.engine.choices import PathVerdict
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.int8_check import psnr
from deblur_app.model.checkpoints import load_checkpoint
from deblur_app.model.registry import ARCHITECTURES
from isolated_verdicts import isolate_verdicts

STARTER = Path(__file__).resolve().parents[1] / "weights" / "mimo-unet.safetensors"
CPU = torch.device("cpu")


def uncapped_native_bf16() -> bool:
    """Whether this CPU computes bf16 natively, read before any test changes ONEDNN_MAX_CPU_ISA."""
    return devices.cpu_has_native_bf16()


NATIVE = uncapped_native_bf16()
native_only = pytest.mark.skipif(not NATIVE, reason="this CPU has no native bf16 (avx512_bf16 or amx_bf16 in "
                                 "/proc/cpuinfo, or ONEDNN_MAX_CPU_ISA caps it): OpenVINO would compile bf16 as "
                                 "float32 and torch emulate it, so there is no native bf16 to test")
needs_openvino = pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")
KEEPS = PathVerdict(64.0, 0.0, photos=10, precision="bf16", pixel_error=0.003)


@pytest.fixture
def capped(monkeypatch):
    """Cap oneDNN as benchmarks/ emulate a CPU class (ONEDNN_MAX_CPU_ISA); cpu_features() is read again."""
    def cap(isa: str) -> frozenset[str]:
        monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", isa)
        devices.cpu_features.cache_clear()
        return devices.cpu_features()

    yield cap
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    devices.cpu_features.cache_clear()


@pytest.fixture
def starter():
    if not STARTER.exists():
        pytest.skip("the starter weights are not in weights/")
    return load_checkpoint(STARTER).build(lean_fusion=True).eval()


# ---------------------------------------------------------------- the emulated AVX-512 + VNNI class (any CPU)


def test_the_avx512_vnni_cap_takes_bf16_away_and_auto_says_so(capped):
    """ONEDNN_MAX_CPU_ISA=AVX512_CORE_VNNI (AVX-512 with VNNI, no bf16: Ice Lake, Cascade Lake) leaves no native
    bf16 to the app's choice, whatever bf16 verdict the weights have: auto times float32 against int8 only."""
    features = capped("AVX512_CORE_VNNI")
    assert features <= devices.ISA_CAPS["AVX512_CORE_VNNI"] and not devices.cpu_has_native_bf16()
    choice = devices.choose_precision("auto", CPU, openvino=True, int8_verdict=PathVerdict(50.7, -0.01, 10,
                                      pixel_error=0.011), bf16_verdict=KEEPS)
    assert choice.measure == ("fp32", "int8") and choice.name == "int8"
    no_int8 = devices.choose_precision("auto", CPU, openvino=True, int8_verdict=None, bf16_verdict=KEEPS)
    assert no_int8.name == "fp32" and str(no_int8.reason).startswith(reasons.NO_NATIVE_BF16)
    assert path_verdicts.runnable_paths(ARCHITECTURES["mimo-unet"], ("openvino", "torch")) in (
        (), ("openvino-int8",))  # never a bf16 path to measure under the cap


@native_only
def test_the_cap_keeps_this_cpus_vnni_and_the_bf16_cap_keeps_its_bf16(capped):
    assert "avx512_vnni" in capped("AVX512_CORE_VNNI")
    assert {"avx512_bf16", "avx512_vnni"} <= capped("AVX512_CORE_BF16") and devices.cpu_has_native_bf16()


@pytest.mark.parametrize("features", [frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"}),
                                      frozenset({"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_int8"})])
def test_where_bf16_is_native_an_int8_choice_says_why_bf16_was_left_out(features):
    """The starter weights on this CPU: int8's verdict qualifies, bf16 has none yet. The reason named int8's verdict
    alone (`info`, the window), so nothing said that bf16, the fastest path on AMX, waits for a check."""
    int8 = PathVerdict(50.7, -0.01, 10, pixel_error=0.011)
    blurs = PathVerdict(44.0, 0.0, photos=10, precision="bf16", pixel_error=0.003)

    def auto(bf16, timings=None, cpu=features):
        return devices.choose_precision("auto", CPU, openvino=True, int8_verdict=int8, features=cpu, timings=timings,
                                        bf16_verdict=bf16)

    untimed = auto(None)
    assert untimed.name == "int8" and untimed.measure == ("fp32", "int8")
    assert str(untimed.reason) == f"{int8.describe()}; {reasons.BF16_NOT_MEASURED}"
    timed = auto(None, {"fp32": 0.39, "int8": 0.16})
    assert timed.name == "int8" and str(timed.reason).endswith(f"; {reasons.BF16_NOT_MEASURED}")
    assert str(auto(blurs).reason) == f"{int8.describe()}; {blurs.describe()}"  # a failing verdict: which
    assert str(auto(None, cpu=frozenset({"avx2"})).reason) == int8.describe()  # not native: bf16 is not on offer
    assert reasons.BF16_NOT_MEASURED not in str(auto(KEEPS, {"fp32": 0.39, "bf16": 0.19, "int8": 0.16}).reason)


# ---------------------------------------------------------------- native bf16 for real


def agreement_with_float32(model, photo, backend: str) -> tuple[str, float]:
    exact = Deblurrer(model, EngineOptions(device="cpu", precision="fp32", backend=backend, tile=0)).run(photo)
    fast = Deblurrer(model, EngineOptions(device="cpu", precision="bf16", backend=backend, tile=0)).run(photo)
    assert (exact.backend, fast.backend) == (backend, backend)
    return fast.precision, psnr(fast.full, exact.full)


@native_only
@needs_openvino
def test_openvino_bf16_computes_in_bf16_here_and_keeps_the_picture(starter, photo_like, tmp_path, monkeypatch):
    """Where bf16 is native OpenVINO runs it: the result is not float32's (float32 against itself agrees at over
    100 dB) and is within the verdict rule's 45 dB (the split pixel input lifts it to about 65 dB)."""
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path)
    precision, agreement = agreement_with_float32(starter, photo_like(128, 192, seed=11), "openvino")
    assert precision == "bf16" and 55.0 < agreement < 90.0, agreement


@native_only
def test_torch_bf16_computes_in_bf16_here_and_keeps_the_picture(starter, photo_like):
    precision, agreement = agreement_with_float32(starter, photo_like(128, 192, seed=11), "torch")
    assert precision == "bf16" and 50.0 < agreement < 90.0, agreement


@native_only
@needs_openvino
@pytest.mark.real_int8_check  # the real check (tests/conftest.py stands one in elsewhere)
def test_the_starter_weights_openvino_bf16_verdict_is_measured_natively_and_lets_auto_time_bf16(
        starter, tmp_path, monkeypatch):
    """No shipped bf16 verdict for the starter weights (those of session 12 went with the per-pixel bound): on a
    native bf16 CPU auto leaves bf16 out and names it unmeasured, the check measures it in bf16 (not float32 against
    itself) and records the CPU it ran on, and auto then times bf16 beside float32."""
    verdicts_file = isolate_verdicts(monkeypatch, tmp_path, photos=5)
    before = Deblurrer(starter, EngineOptions(device="cpu", tile=0))
    assert before.backend == "openvino" and "openvino-bf16" in before.unmeasured_paths()
    assert "bf16" not in before.precision.measure and before.precision.name != "bf16"
    assert path_verdicts.runnable_paths(ARCHITECTURES["mimo-unet"], ("openvino",))[-1] == "openvino-bf16"

    check = path_verdicts.check_path(starter, "openvino-bf16")
    assert check.verdict.precision == "bf16" and check.verdict.photos == 5
    assert 55.0 < check.verdict.hd_agreement_db and max(check.agreements_db) < 100.0  # bf16, not float32
    assert check.verdict.qualifies(), check.verdict.describe()
    path_verdicts.record(starter, check)
    recorded = json.loads(verdicts_file.read_text())[openvino_backend.verdict_key(starter, "openvino-bf16")]
    assert devices.NATIVE_BF16_FEATURES & set(recorded["cpu"].split())

    after = Deblurrer(starter, EngineOptions(device="cpu", tile=0))
    assert "openvino-bf16" not in after.unmeasured_paths() and "bf16" in after.precision.measure


@pytest.mark.parametrize("path, runtime", [("torch-bf16", f"torch {torch.__version__}"), ("openvino-bf16", "openvino")])
def test_a_recorded_verdict_names_the_runtime_that_computed_its_path(path, runtime, tmp_path):
    """Measured natively, `weights check` recorded MIMO-UNet's torch-bf16 verdict with "runtime": "openvino 2026.4.1"."""
    model = torch.nn.Conv2d(3, 3, 1)
    check = path_verdicts.PathCheck(path, KEEPS, (64.0,) * 10, (0.003,) * 10, (0.0,) * 10)
    path_verdicts.record(model, check, tmp_path / "verdicts.json")
    recorded = json.loads((tmp_path / "verdicts.json").read_text())[openvino_backend.verdict_key(model, path)]
    assert recorded["runtime"].startswith(runtime) and recorded["path"] == path
