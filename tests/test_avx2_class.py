"""An AVX2-only CPU (no AVX-512, no VNNI, no bf16, no AMX: most laptops and many servers) is a class of its own
(issue 21): `auto` offers no bf16 there and says why it runs int8 or float32, and a 12 MP photo is planned within
the 1.5 GB peak on the paths that class runs (MIMO-UNet int8 or OpenVINO float32, NAFNet and FFTformer float32).

The CPU's features are set here (devices.cpu_features), so these run the same on every CPU.
"""

from pathlib import Path

import pytest

from deblur_app import reasons
from deblur_app.engine import devices
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.model import networks
from deblur_app.model.registry import ARCHITECTURES
from test_network_checkpoints import FFTFORMER_16, NAFNET_16, small_state

STARTER = Path(__file__).resolve().parents[1] / "weights" / "mimo-unet.safetensors"
AVX2_ONLY = frozenset({"avx2"})
AVX512_BF16 = frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"})


@pytest.fixture
def cpu(monkeypatch):
    """Sets the CPU's features for the test."""
    def with_features(features: frozenset[str]) -> None:
        monkeypatch.setattr(devices, "cpu_features", lambda: features)
    return with_features


def small_engine(architecture: str, config: dict) -> Deblurrer:
    model = networks.build(ARCHITECTURES[architecture], config)
    model.load_state_dict(small_state(architecture, **config))
    return Deblurrer(model, EngineOptions(device="cpu"))


@pytest.mark.parametrize("architecture, config", [("nafnet", NAFNET_16), ("fftformer", FFTFORMER_16)])
def test_on_an_avx2_cpu_auto_offers_no_bf16_and_says_the_cpu_has_none(cpu, architecture, config):
    """NAFNet's and FFTformer's weights without verdicts run float32 everywhere; on an AVX2-only CPU the reason starts
    with the CPU having no native bf16 (not with bf16 "not measured yet", which would suggest a check could help),
    and nothing is queued for timing or checking there."""
    cpu(AVX2_ONLY)
    engine = small_engine(architecture, config)
    assert engine.precision_name == "fp32"
    assert str(engine.precision.reason).startswith(reasons.NO_NATIVE_BF16)
    assert not any("bf16" in path for path in engine.precision.measure)


def test_fftformers_float32_reason_names_the_cpu_only_where_the_cpu_lacks_bf16(cpu):
    cpu(AVX2_ONLY)
    on_avx2 = str(small_engine("fftformer", FFTFORMER_16).precision.reason)
    cpu(AVX512_BF16)
    on_avx512 = str(small_engine("fftformer", FFTFORMER_16).precision.reason)
    assert "FFTformer" in on_avx2 and "FFTformer" in on_avx512  # why the network has no fast path, on both
    assert on_avx2 == f"{reasons.NO_NATIVE_BF16}; {on_avx512}"
    assert reasons.NO_NATIVE_BF16 not in on_avx512


def test_the_starter_weights_on_an_avx2_cpu_time_only_float32_and_int8(cpu):
    """MIMO-UNet's starter weights have an int8 verdict: where it qualifies, auto on an AVX2 CPU times fp32 against
    int8 (no bf16 among them); where it does not (a stricter rule), float32 and the reason says why."""
    from deblur_app.engine import openvino_backend
    from deblur_app.model.checkpoints import load_checkpoint

    if not openvino_backend.openvino_available() or not STARTER.exists():
        pytest.skip("OpenVINO not installed")
    cpu(AVX2_ONLY)
    engine = Deblurrer.from_checkpoint(load_checkpoint(STARTER), EngineOptions(device="cpu"))
    assert engine.precision_name in ("int8", "fp32")
    assert "bf16" not in engine.precision.measure
    if engine.precision_name == "int8":
        assert set(engine.precision.measure) <= {"fp32", "int8"}
        assert "dB" in str(engine.precision.reason)  # the verdict that let int8 in
    else:
        assert str(engine.precision.reason)
