"""An AVX2-only CPU (no AVX-512, no VNNI, no bf16, no AMX: most laptops and many servers) is a class of its own
(issue 21): `auto` offers no bf16 there and says why it runs int8 or float32, and a 12 MP photo is planned within
the 1.5 GB peak on the paths that class runs (MIMO-UNet int8 or OpenVINO float32, NAFNet and FFTformer float32).

The CPU's features are set here (devices.cpu_features), so these run the same on every CPU.
"""

from pathlib import Path

import pytest
import torch

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
    """MIMO-UNet's starter weights have an int8 verdict that qualifies under the per-pixel bound (issue 21, session
    14): auto on an AVX2 CPU takes int8 or times fp32 against it (no bf16 among them), and says why."""
    from deblur_app.engine import openvino_backend
    from deblur_app.model.checkpoints import load_checkpoint

    if not openvino_backend.openvino_available() or not STARTER.exists():
        pytest.skip("OpenVINO not installed")
    cpu(AVX2_ONLY)
    engine = Deblurrer.from_checkpoint(load_checkpoint(STARTER), EngineOptions(device="cpu"))
    assert openvino_backend.find_int8_verdict(engine.model).qualifies()
    assert engine.precision_name == "int8", engine.precision.reason  # until timed: the qualifying fast path
    assert set(engine.precision.measure) == {"fp32", "int8"}  # what its first run times, no bf16 among them
    assert "dB" in str(engine.precision.reason)  # the verdict that let int8 in


# ---- memory: the parts of the model measured on a real AVX2-only CPU (benchmarks/RESULTS.md, "AVX2 only, real
# hardware", session 13): 2-core AMD EPYC (KVM), avx2+fma+f16c, no AVX-512/VNNI/bf16/AMX, loaded (load average 12-39;
# memory does not follow the load). The registry's figures were fitted on AVX-512 with bf16; on AVX2 the same parts
# measured within a few per cent of those, and under what the registry counts:
#   bench_12mp_memory.py compiled: OpenVINO fp32, what the compiled model holds beside its weights, one tile's bytes/pixel
#   bench_cpu.measure_in_child("ov_int8", starter weights, 720, 1280): int8's growth over the loaded model per pixel
AVX2_COMPILED = [("mimo-unet", 58 * 1024**2, 622), ("nafnet-32", 147 * 1024**2, 717), ("fftformer", 209 * 1024**2, 3491),
                 ("nafnet-64", 192 * 1024**2, 1426)]
# MIMO-UNet's mixed int8 (AVX-512: 552-564); 591 before session 14 kept the residual additions float: 0.63 GB over
# the loaded model at 1280x720, bench_cpu.py --paths ov_fp32 ov_int8 default --runs 2 --no-large (int8-edges2)
AVX2_INT8_BYTES_PER_PIXEL = 684  # 0.63e9 / 921,600 pixels


@pytest.mark.parametrize("variant, beside_weights, per_pixel", AVX2_COMPILED)
def test_the_registry_counts_more_than_openvino_fp32_took_on_an_avx2_cpu(variant, beside_weights, per_pixel):
    from deblur_app.model.registry import architecture_of

    architecture = architecture_of(variant)
    assert (architecture.openvino_graph_bytes or devices.OPENVINO_GRAPH_BYTES) >= beside_weights
    assert architecture.memory_per_pixel("openvino", "fp32") >= per_pixel


def test_int8_tiles_are_sized_for_what_int8_took_on_an_avx2_cpu():
    from deblur_app.model.registry import architecture_of

    assert architecture_of("mimo-unet").memory_per_pixel("openvino", "int8") >= AVX2_INT8_BYTES_PER_PIXEL


TWELVE_MP = (3000, 4000)


def engine_with_weights_file(variant: str, tmp_path, **options) -> Deblurrer:
    """Random weights of the published configuration, as if installed (torch's copy may go while OpenVINO tiles run)."""
    import torch

    from deblur_app.model.registry import VARIANTS, architecture_of

    torch.manual_seed(0)
    model = networks.build(architecture_of(variant), VARIANTS[variant].config_dict)
    weights_file = tmp_path / f"{variant}.safetensors"
    weights_file.write_bytes(b"")
    return Deblurrer(model, EngineOptions(device="cpu", **options), architecture_of(variant), weights_file=weights_file)


@pytest.mark.parametrize("variant, precision", [("mimo-unet", "int8"), ("mimo-unet", "fp32"), ("nafnet-32", "auto"),
                                                ("nafnet-64", "auto"), ("fftformer", "auto")])
def test_on_an_avx2_cpu_every_network_plans_a_12_mp_photo_within_the_peak(cpu, variant, precision, tmp_path, monkeypatch):
    """The paths an AVX2 CPU runs (MIMO-UNet's int8 where its verdict qualifies, else float32; the others float32,
    never bf16): the command line's 12 MP plan is modelled within LARGE_PHOTO_PEAK_BYTES (1.5e9 bytes)."""
    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 16 * 1024**3)
    cpu(AVX2_ONLY)
    engine = engine_with_weights_file(variant, tmp_path, precision=precision)
    assert engine.precision_name in ("int8", "fp32")
    backend, tile = engine.plan_photo(*TWELVE_MP)
    assert 0 < tile < max(TWELVE_MP)
    peak = engine.modelled_peak_bytes(*TWELVE_MP, tile, backend)
    assert peak <= devices.LARGE_PHOTO_PEAK_BYTES, f"{variant} {engine.precision_name} on {backend}: {peak / 1e9:.3f} GB"


def test_bf16_asked_for_on_openvino_runs_float32_on_an_avx2_cpu_and_says_so(cpu):
    """OpenVINO's CPU plugin compiles a bf16 request as float32 where the CPU has no native bf16: the engine says
    float32 and why, instead of labelling float32 as bf16. torch emulates bf16: asked for there, it runs bf16."""
    cpu_device = torch.device("cpu")
    on_avx2 = devices.choose_precision("bf16", cpu_device, openvino=True, features=AVX2_ONLY)
    assert on_avx2.name == "fp32" and on_avx2.dtype == torch.float32
    assert str(on_avx2.reason) == f"{reasons.BF16_ASKED}; {reasons.NO_NATIVE_BF16}"
    assert devices.choose_precision("bf16", cpu_device, openvino=True, features=AVX512_BF16).name == "bf16"
    assert devices.choose_precision("bf16", cpu_device, openvino=False, features=AVX2_ONLY).name == "bf16"

    cpu(AVX2_ONLY)
    model = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)
    model.load_state_dict(small_state("nafnet", **NAFNET_16))
    engine = Deblurrer(model, EngineOptions(device="cpu", precision="bf16", backend="openvino"))
    if engine.backend == "openvino":  # OpenVINO installed
        assert engine.precision.name == "fp32" and reasons.NO_NATIVE_BF16 in str(engine.precision.reason)


def test_the_model_stays_above_the_12_mp_run_measured_on_an_avx2_cpu(cpu, tmp_path, monkeypatch):
    """`deblur-app deblur` of a 4000x3000 JPEG on the real AVX2 CPU, first use (export, NNCF quantisation, auto's
    timing, then 24 int8 tiles of 852): 1269 MB peak (bench_12mp_memory.py cli --networks mimo-unet). The model that
    sizes the tiles must say more, with the margin test_openvino_memory asks of the AVX-512 runs."""
    from test_openvino_memory import MODEL_MARGIN_BYTES, stitcher_before_session_14

    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 16 * 1024**3)
    cpu(AVX2_ONLY)
    engine = engine_with_weights_file("mimo-unet", tmp_path, precision="int8")
    now = 1269e6 - stitcher_before_session_14("mimo-unet", TWELVE_MP)  # that run's stitcher kept its weights
    assert engine.modelled_peak_bytes(*TWELVE_MP, 852, "openvino") >= now + MODEL_MARGIN_BYTES
