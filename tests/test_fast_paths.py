"""The fast inference paths agree with float32: precisions, backends, lean fusion, tiling."""

import copy
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import CancelAfter, conformance_state_dict
from deblur_app.engine import devices, openvino_backend
from deblur_app.engine.devices import DeviceError, resolve_backend, resolve_precision
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.model.exporting import SplitInputConv
from deblur_app.model.mimo_unet import build_model, split_pixel_inputs

WEIGHTS = Path(__file__).resolve().parent.parent / "weights" / "mimo-unet.safetensors"
# max abs difference to float32 allowed per path (conformance weights, 64x96 photo-like image)
BOUNDS = {"fp32": 1e-5, "bf16": 0.03}


def direct_fp32(model, image):
    with torch.no_grad():
        outputs = model(torch.from_numpy(image.transpose(2, 0, 1).copy())[None])
    return [o[0].permute(1, 2, 0).clamp(0, 1).numpy() for o in outputs]


def assert_agrees(result, reference, bound):
    for name, expected in zip(("quarter", "half", "full"), reference):
        assert np.abs(getattr(result, name) - expected).max() <= bound, name


_REFERENCE = {}


@pytest.fixture
def shared_openvino_cache(tmp_path_factory, monkeypatch):
    """One OpenVINO cache folder for the run, for the tests of small_model that are not about the cache: its
    export and conversion (3 s of CPU, 12 s at load 18 on 2 cores) happen once instead of in each test."""
    cache = tmp_path_factory.getbasetemp() / "openvino-cache"
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: cache)
    return cache


@pytest.fixture
def reference(small_model, photo_like):
    if not _REFERENCE:
        image = photo_like(64, 96, seed=7)
        _REFERENCE["pair"] = (image, direct_fp32(small_model, image))
    return _REFERENCE["pair"]


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_torch_precisions_agree_with_fp32(small_model, reference, precision):
    image, expected = reference
    result = Deblurrer(small_model, EngineOptions(device="cpu", precision=precision, tile=0, backend="torch")).run(image)
    assert result.backend == "torch" and result.precision == precision
    assert_agrees(result, expected, BOUNDS[precision])


def test_bf16_reads_the_image_in_fp32(small_model, photo_like):
    """The layers that read pixels stay fp32 under autocast: bf16 would round the image itself."""
    image = torch.from_numpy(photo_like(32, 32).transpose(2, 0, 1).copy())[None]
    seen = []
    hook = small_model.feat_extract[0].main[0].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    try:
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            small_model(image)
    finally:
        hook.remove()
    assert seen == [torch.float32]


@pytest.mark.parametrize("variant", ["mimo-unet", "mimo-unet+"])
def test_lean_fusion_is_exact(variant, photo_like):
    published = build_model(variant).eval()
    published.load_state_dict(conformance_state_dict(variant))
    lean = copy.deepcopy(published)
    lean.lean_fusion = True
    image = photo_like(32, 40, seed=2)
    for a, b in zip(direct_fp32(published, image), direct_fp32(lean, image)):
        assert np.abs(a - b).max() <= 1e-5


def test_lean_fusion_trains_like_the_published_one(photo_like):
    """Training uses the lean fusion: the same gradients, in less memory traffic."""
    from deblur_app.training.losses import mimo_loss

    published = build_model("mimo-unet")
    published.load_state_dict(conformance_state_dict("mimo-unet"))
    lean = copy.deepcopy(published)
    lean.lean_fusion = True
    blurry = torch.from_numpy(photo_like(32, 48, seed=4).transpose(2, 0, 1).copy())[None]
    sharp = torch.from_numpy(photo_like(32, 48, seed=5).transpose(2, 0, 1).copy())[None]
    gradients = []
    for network in (published, lean):
        loss, _parts = mimo_loss(network(blurry), sharp)
        loss.backward()
        gradients.append(torch.cat([p.grad.flatten() for p in network.parameters()]))
    scale = gradients[0].abs().max()
    assert scale > 0 and (gradients[0] - gradients[1]).abs().max() <= 1e-4 * scale


@pytest.mark.skipif(not WEIGHTS.exists(), reason="no trained weights installed")
def test_tiled_equals_whole_with_trained_weights():
    from deblur_app.model.checkpoints import load_checkpoint

    import cv2

    rng = np.random.default_rng(4)
    image = cv2.GaussianBlur(rng.random((40, 56, 3), np.float32), (0, 0), 0.7)
    image = cv2.resize(image, (720, 480), interpolation=cv2.INTER_CUBIC).clip(0, 1)  # photo-like texture
    checkpoint = load_checkpoint(WEIGHTS)
    whole = Deblurrer.from_checkpoint(checkpoint, EngineOptions(device="cpu", precision="fp32", tile=0, backend="torch"))
    tiled = Deblurrer.from_checkpoint(checkpoint, EngineOptions(device="cpu", precision="fp32", tile=320, backend="torch"))
    a, b = whole.run(image), tiled.run(image)
    assert b.tiles >= 4
    for name in ("full", "half", "quarter"):
        assert np.abs(getattr(a, name) - getattr(b, name)).max() < 1 / 255, name


# ---------------------------------------------------------------- precision policy


@pytest.fixture
def cpuinfo(monkeypatch):
    """Pretend to be a Linux machine whose /proc/cpuinfo has the given flags."""

    def fake(flags: str):
        text = f"processor\t: 0\nflags\t\t: fpu sse2 avx2 {flags}\n"
        monkeypatch.setattr(devices.platform, "system", lambda: "Linux")
        monkeypatch.setattr(devices, "open", lambda *a, **k: __import__("io").StringIO(text), raising=False)
        devices.cpu_features.cache_clear()

    yield fake
    devices.cpu_features.cache_clear()


def test_auto_precision_is_bf16_only_with_native_bf16(cpuinfo):
    from deblur_app.engine.choices import PathVerdict

    keeps = PathVerdict(60.0, 0.0, photos=6, precision="bf16", pixel_error=0.002)  # the weights' measured bf16 verdict
    cpu = torch.device("cpu")
    cpuinfo("avx512f avx512_bf16")
    assert resolve_precision("auto", cpu, keeps) == torch.bfloat16
    assert resolve_precision("auto", cpu) == torch.float32  # weights without a bf16 verdict (test_path_verdicts.py)
    cpuinfo("amx_tile amx_bf16")
    assert resolve_precision("auto", cpu, keeps) == torch.bfloat16
    cpuinfo("avx512f avx512bw")
    assert resolve_precision("auto", cpu, keeps) == torch.float32
    assert resolve_precision("bf16", cpu) == torch.bfloat16  # asked for explicitly: allowed, if slow
    assert resolve_precision("fp32", cpu) == torch.float32
    assert resolve_precision("auto", torch.device("cuda")) == torch.float16
    with pytest.raises(DeviceError):
        resolve_precision("fp16", cpu)


# ---------------------------------------------------------------- backend selection (fake OpenVINO)


class FakeRunner:
    """Stands in for OpenVinoRunner: the torch model in float32, counting calls."""

    calls = 0

    def __init__(self, model, dtype, cache_dir=None, architecture=None, first_class=None, cancel=None):
        self.model, self.dtype = model, dtype

    def serves(self, height, width):
        return True

    def __call__(self, x, cancel=None):
        FakeRunner.calls += 1
        with torch.no_grad():
            return [o.float() for o in self.model(x.contiguous())]


def test_backend_auto_uses_openvino_on_the_cpu_when_installed(small_model, reference, monkeypatch):
    image, expected = reference
    monkeypatch.setattr(openvino_backend, "openvino_available", lambda: True)
    monkeypatch.setattr(openvino_backend, "OpenVinoRunner", FakeRunner)
    assert resolve_backend("auto", torch.device("cpu")) == "openvino"
    assert resolve_backend("auto", torch.device("cuda")) == "torch"
    assert resolve_backend("torch", torch.device("cpu")) == "torch"
    FakeRunner.calls = 0
    result = Deblurrer(small_model, EngineOptions(device="cpu", precision="fp32", tile=0)).run(image)
    assert result.backend == "openvino" and FakeRunner.calls == 1
    assert_agrees(result, expected, BOUNDS["fp32"])


def test_backend_auto_is_torch_without_openvino(monkeypatch):
    monkeypatch.setattr(openvino_backend, "openvino_available", lambda: False)
    assert resolve_backend("auto", torch.device("cpu")) == "torch"
    with pytest.raises(DeviceError, match="not installed"):
        resolve_backend("openvino", torch.device("cpu"))
    with pytest.raises(DeviceError):
        resolve_backend("tensorrt", torch.device("cpu"))


def test_backend_auto_falls_back_to_torch_when_openvino_fails(small_model, reference, monkeypatch):
    image, expected = reference

    def broken(*args, **kwargs):
        raise openvino_backend.OpenVinoUnavailable("cannot compile (simulated)")

    monkeypatch.setattr(openvino_backend, "openvino_available", lambda: True)
    monkeypatch.setattr(openvino_backend, "OpenVinoRunner", broken)
    result = Deblurrer(small_model, EngineOptions(device="cpu", precision="fp32", tile=0)).run(image)
    assert result.backend == "torch" and any("OpenVINO" in note for note in result.notes)
    assert_agrees(result, expected, BOUNDS["fp32"])


# ---------------------------------------------------------------- the real OpenVINO, when installed


@pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_openvino_agrees_with_fp32(small_model, reference, precision, shared_openvino_cache):
    image, expected = reference
    cache = shared_openvino_cache  # one export for both precisions
    engine = Deblurrer(small_model, EngineOptions(device="cpu", precision=precision, tile=0, backend="openvino"))
    result = engine.run(image)
    assert result.backend == "openvino"
    assert_agrees(result, expected, BOUNDS[precision])
    assert list(cache.glob("*.xml")) and not list(cache.glob("*.onnx")), "the export is cached as IR, not ONNX"
    assert list((cache / "compiled").iterdir()), "the compiled model is cached"


def test_split_input_conv_keeps_pixels_exact_when_the_runtime_rounds_to_bf16():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 32, 3, padding=1)
    split = SplitInputConv(conv)
    image = 0.5 + 0.5 * torch.rand(1, 3, 48, 48)  # bright pixels: where bf16 is coarsest

    def bf16(t):
        return t.to(torch.bfloat16).float()

    with torch.no_grad():
        exact = conv(image)
        assert (split(image) - exact).abs().max() < 1e-5  # same result in float32
        plain_in_bf16 = conv(bf16(image))  # what a bf16 runtime feeds a plain convolution
        coarse = bf16(image)
        split_in_bf16 = conv(bf16(coarse)) + split.remainder(bf16(image - coarse))
    assert (plain_in_bf16 - exact).abs().max() > 1e-3
    assert (split_in_bf16 - exact).abs().max() < (plain_in_bf16 - exact).abs().max() / 100


def test_export_replaces_exactly_the_pixel_reading_convolutions(small_model):
    network = copy.deepcopy(small_model)
    split_pixel_inputs(network)
    wrapped = [m for m in network.modules() if isinstance(m, SplitInputConv)]
    assert len(wrapped) == 3 and all(m.conv.in_channels == 3 for m in wrapped)
    image = torch.rand(1, 3, 32, 48)
    with torch.no_grad():
        for got, expected in zip(network(image), small_model(image)):
            assert (got - expected).abs().max() < 1e-5


def test_openvino_cache_keeps_only_the_newest_exports_and_compiled_blobs(tmp_path):
    import os

    def files(folder, names, suffix):
        folder.mkdir(exist_ok=True)
        for age, name in enumerate(names):
            path = folder / f"{name}{suffix}"
            path.write_bytes(b"x")
            os.utime(path, (1000 - age, 1000 - age))  # the first name is the newest

    files(tmp_path, [f"mimo-unet-{n}" for n in "abcde"], ".onnx")
    openvino_backend._remove_stale_cache(tmp_path, keep=tmp_path / "mimo-unet-e.onnx", prefix="mimo-unet")
    assert sorted(p.name for p in tmp_path.glob("*.onnx")) == ["mimo-unet-a.onnx", "mimo-unet-b.onnx", "mimo-unet-e.onnx"]
    compiled = tmp_path / "compiled"
    files(compiled, [str(n) for n in range(openvino_backend.KEPT_COMPILED + 4)], ".blob")
    openvino_backend._prune_compiled(compiled)
    assert sorted(int(p.stem) for p in compiled.iterdir()) == list(range(openvino_backend.KEPT_COMPILED))


@pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")
def test_openvino_bf16_agrees_with_fp32_at_63_db_with_trained_weights(tmp_path, monkeypatch, photo_like):
    from deblur_app.model.checkpoints import load_checkpoint

    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path)
    model = load_checkpoint(WEIGHTS).build(lean_fusion=True).eval()
    image = photo_like(128, 192, seed=11)
    expected = direct_fp32(model, image)[2]
    result = Deblurrer(model, EngineOptions(device="cpu", precision="bf16", tile=0, backend="openvino")).run(image)
    psnr = 10 * np.log10(1.0 / np.mean((result.full.astype(np.float64) - expected) ** 2))
    assert psnr >= 63.0, psnr  # 65.0 dB measured; 59.8 dB without the split pixel input


@pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")
def test_openvino_pass_is_stopped_when_cancelled(small_model, photo_like, shared_openvino_cache):
    from deblur_app.engine.progress import Cancelled

    engine = Deblurrer(small_model, EngineOptions(device="cpu", precision="fp32", tile=0, backend="openvino"))
    image = photo_like(512, 768, seed=3)
    cancel = CancelAfter(checks_before_set=2)  # the engine checks twice before the pass; the runner polls after that
    with pytest.raises(Cancelled):
        engine.run(image, cancel=cancel)
    assert cancel.checks == 3 and not engine._openvino._compiled, "the running request was cancelled and dropped"
    expected = direct_fp32(small_model, image)
    assert_agrees(engine.run(image), expected, BOUNDS["fp32"])  # and the next run is complete and right


@pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")
def test_a_compiled_model_cache_failing_under_another_process_compiles_without_it(
        small_model, reference, shared_openvino_cache):
    """Two processes on one cache folder: OpenVINO failed a run with 'cannot set permissions: No such file or
    directory [.../compiled/<hash>.blob]' when the other removed the blob it was writing (session 18, ci-speed)."""
    image, expected = reference
    engine = Deblurrer(small_model, EngineOptions(device="cpu", precision="fp32", tile=0, backend="openvino"))
    engine.run(image)
    runner = engine._openvino
    calls = []

    class CacheVanishing:
        def __init__(self, core):
            self._core = core

        def compile_model(self, network, device, settings):
            calls.append(dict(settings))
            if "CACHE_DIR" in settings:
                raise RuntimeError("filesystem error: cannot set permissions: No such file or directory [x.blob]")
            return self._core.compile_model(network, device, settings)

        def __getattr__(self, name):
            return getattr(self._core, name)

    runner._core = CacheVanishing(runner._core)
    runner._compiled.clear()
    result = engine.run(image)
    assert result.backend == "openvino"
    assert [("CACHE_DIR" in settings) for settings in calls] == [True, False]
    assert_agrees(result, expected, BOUNDS["fp32"])


@pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")
def test_an_unwritable_openvino_cache_runs_openvino_without_a_cache_and_says_so_once(small_model, reference, tmp_path,
                                                                                     monkeypatch):
    """A cache folder that cannot be written (a read-only HOME; here a file where its parent should be) costs the
    cache, not the fast path: OpenVINO runs from a private temporary folder, compiles in memory (no blob), and the
    first result says so, once in the process. It used to fall back to torch fp32."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    monkeypatch.setattr(openvino_backend, "_UNCACHED", {}, raising=False)
    monkeypatch.setattr(openvino_backend, "_UNCACHED_SAID", set(), raising=False)
    image, expected = reference
    first = Deblurrer(small_model, EngineOptions(device="cpu", precision="fp32", tile=0)).run(image)
    assert first.backend == "openvino", first.notes
    said = [str(note) for note in first.notes if "without a cache" in str(note)]
    assert len(said) == 1 and f"cannot use the cache folder {blocked}" in said[0], first.notes
    assert_agrees(first, expected, BOUNDS["fp32"])
    private = openvino_backend.default_cache_dir()
    assert private != blocked and not str(private).startswith(str(blocked)) and private.is_dir()
    assert not (private / "compiled").exists() or not any((private / "compiled").iterdir())  # compiled in memory
    again = Deblurrer(small_model, EngineOptions(device="cpu", precision="fp32", tile=0, backend="openvino")).run(image)
    assert again.backend == "openvino" and not any("without a cache" in str(note) for note in again.notes)
    assert blocked.read_text() == "a file where the cache folder should be"


@pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")
def test_a_tiled_openvino_run_lets_its_compiled_model_go_and_the_next_run_is_the_same(
        small_model, photo_like, shared_openvino_cache):
    """Issue 21: the compiled tile's working memory (hundreds of MB at 12 MP) must not stay beside the result
    while the caller composes and saves it; compiling again must change nothing in the pixels."""
    engine = Deblurrer(small_model, EngineOptions(device="cpu", precision="fp32", backend="openvino"))
    image = photo_like(128, 416, seed=5)
    first = engine.run(image, tile=320)
    assert first.tiles > 1 and first.backend == "openvino"
    assert not engine._openvino._compiled, "a tiled run keeps no compiled model"
    whole = engine.run(image, tile=0)
    assert whole.tiles == 1 and len(engine._openvino._compiled) == 1, "a single-tile run keeps its compiled model"
    again = engine.run(image, tile=320)
    assert np.array_equal(again.full, first.full) and np.array_equal(again.half, first.half)
    assert_agrees(first, direct_fp32(small_model, image), BOUNDS["fp32"] + 2e-5)  # tiles stitched as before
