"""The OpenVINO backend serves every network its registry entry allows, from a bounded number of exports."""

import importlib.util

import numpy as np
import pytest
import torch

from deblur_app.engine import openvino_backend
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.model import nafnet, networks
from deblur_app.model.registry import ARCHITECTURES, VARIANTS
from test_network_checkpoints import FFTFORMER_16, NAFNET_16, RESTORMER_8, small_state

pytestmark = pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(1 / max(float(np.mean((a - b) ** 2)), 1e-30)))


@pytest.fixture
def small_nafnet():
    model = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)  # with TLC, as the engine builds it
    model.load_state_dict(small_state("nafnet", **NAFNET_16))
    return model


def test_nafnet_shape_classes_follow_its_tlc_windows(small_nafnet):
    assert nafnet.export_shape_class(small_nafnet, 384, 384) == "global"  # no larger than the window: a mean
    assert nafnet.export_shape_class(small_nafnet, 400, 1024) == "local"  # larger both ways: fixed windows
    assert nafnet.export_shape_class(small_nafnet, 300, 1024) == "wide"  # a strip: its whole height, windows across
    assert nafnet.export_shape_class(small_nafnet, 1024, 300) == "tall"
    # 388 rows pass the window at the first level (388 > 384) but not at the last (97 > 96: yes; 386 >> 2 = 96: no)
    assert nafnet.export_shape_class(small_nafnet, 386, 1024) is None
    small_nafnet.use_global_pooling()
    assert nafnet.export_shape_class(small_nafnet, 300, 1024) == "global"


def test_nafnet_on_openvino_fp32_is_torch_fp32_for_every_size_from_four_exports(small_nafnet, photo_like, tmp_path,
                                                                                monkeypatch):
    """Torch computes TLC's windows with a summed-area table, the export with pooling and depthwise convolutions
    per side (nafnet.separable_local_average): the same function, on images within the window (the plain
    network), beyond it both ways, and strips beyond it one way."""
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path)
    fast = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0))
    exact = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0, backend="torch"))
    # auto: OpenVINO in float32, and the reason bf16 is not taken: no verdict for these weights (or no native bf16);
    # int8 is auto's for NAFNet once measured (with NNCF to make it): these weights have no verdict yet
    assert (fast.backend, fast.precision_name) == ("openvino", "fp32")
    assert "bf16" in str(fast.precision.reason)
    assert fast.int8_unmeasured() == (importlib.util.find_spec("nncf") is not None)
    for height, width in ((120, 200), (400, 436), (420, 512), (200, 520), (520, 200)):
        image = photo_like(height, width, seed=height)
        result, reference = fast.run(image), exact.run(image)
        assert result.backend == "openvino" and result.torch_tiles == 0 and not result.notes
        assert np.abs(result.full - reference.full).max() < 1e-4
        assert psnr(result.full, reference.full) >= 45
    assert sorted(p.name.split("-")[1] for p in tmp_path.glob("nafnet-*.xml")) == ["global", "local", "tall", "wide"]


def test_nafnet_strips_use_local_statistics_in_the_export(small_nafnet, photo_like, tmp_path, monkeypatch):
    """The strip export is TLC's, not the global mean's: on a strip with two differently coloured halves the
    plain network's result differs from TLC's, and OpenVINO gives TLC's. (The test weights' attention is made
    strong enough for the statistics to show: as drawn, TLC moved their output by 2e-5.)"""
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path)
    with torch.no_grad():
        for block in small_nafnet.modules():
            if isinstance(block, nafnet.NAFBlock):
                block.sca[1].weight.mul_(20)
                block.beta.fill_(1.0)
    image = photo_like(200, 1040)
    image[:, 520:] = image[:, 520:] * 0.3 + 0.6
    fast = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0)).run(image)
    tlc = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0, backend="torch")).run(image)
    small_nafnet.use_global_pooling()
    plain = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0, backend="torch")).run(image)
    assert fast.backend == "openvino" and fast.torch_tiles == 0
    assert np.abs(fast.full - tlc.full).max() < 1e-4
    assert np.abs(plain.full - fast.full).max() > 2e-3  # 20 times the agreement asked of the export


@pytest.mark.parametrize("name, config, agreement", [("fftformer", FFTFORMER_16, 1e-4), ("restormer", RESTORMER_8, 1e-5)])
def test_transformers_on_openvino_fp32_are_torch_fp32(name, config, agreement, photo_like, tmp_path, monkeypatch):
    """ONNX exports FFTformer (its 8x8 FFTs as DFT matrices, model/fftformer.py) and Restormer (its transposed
    attention, pixel (un)shuffles, layer norms), and OpenVINO runs each in float32 as the default CPU path (Restormer's
    1.64x faster than torch at 640x360, registry); one export serves every size (the engine pads: 64x96 and 100x130
    to multiples of 32 for FFTformer, 8 by reflection for Restormer)."""
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path)
    architecture = ARCHITECTURES[name]
    model = networks.build(architecture, config)
    model.load_state_dict(small_state(name, **config))
    fast = Deblurrer(model, EngineOptions(device="cpu", tile=0))
    exact = Deblurrer(model, EngineOptions(device="cpu", tile=0, backend="torch"))
    assert (fast.backend, fast.precision_name) == ("openvino", "fp32")
    assert architecture.display_name in fast.precision.reason
    for height, width in ((64, 96), (100, 130)):
        image = photo_like(height, width, seed=height)
        result, reference = fast.run(image), exact.run(image)
        assert result.backend == "openvino" and result.torch_tiles == 0 and not result.notes
        assert np.abs(result.full - reference.full).max() < agreement
        assert psnr(result.full, reference.full) >= 100  # float32 rounding apart, not an approximation
        assert np.abs(result.full - image).mean() > 1e-3  # the network did change the picture
    assert len(list(tmp_path.glob(f"{name}-*.xml"))) == 1


def test_a_size_no_export_serves_runs_in_torch_with_a_note(small_nafnet, photo_like, tmp_path, monkeypatch):
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path)
    # every size the engine pads to has an export now; a shape whose levels disagree (nafnet.export_shape_class)
    # would have none
    monkeypatch.setattr(nafnet, "export_shape_class", lambda model, height, width: None)
    image = photo_like(200, 520)
    result = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0)).run(image)
    reference = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0, backend="torch")).run(image)
    assert result.torch_tiles == 1 and "ran in torch float32" in result.notes[0]
    np.testing.assert_array_equal(result.full, reference.full)


def test_exports_of_two_architectures_do_not_prune_each_other(tmp_path):
    for name in ("mimo-unet-a", "mimo-unet-b", "mimo-unet-c", "nafnet-local-x"):
        (tmp_path / f"{name}.onnx").write_bytes(b"x")
    openvino_backend._remove_stale_cache(tmp_path, keep=tmp_path / "nafnet-local-y.onnx", prefix="nafnet")
    assert len(list(tmp_path.glob("mimo-unet-*.onnx"))) == 3 and (tmp_path / "nafnet-local-x.onnx").exists()


def test_int8_is_refused_by_name_for_a_network_without_an_int8_rule():
    from deblur_app.engine.devices import DeviceError

    model = networks.build(ARCHITECTURES["fftformer"], FFTFORMER_16)
    with pytest.raises(DeviceError, match="int8 does not run FFTformer"):
        Deblurrer(model, EngineOptions(device="cpu", precision="int8"))


# ---------------------------------------------------------------- NAFNet's int8 (mixed precision)

needs_nncf = pytest.mark.skipif(importlib.util.find_spec("nncf") is None, reason="NNCF not installed")


def _reads_quantized(op) -> bool:
    return any(port.get_source_output().get_node().get_type_name() == "FakeQuantize" for port in op.inputs())


@pytest.fixture
def tiny_calibration(tmp_path, monkeypatch, photo_like):
    """Two 32-pixel calibration crops (the shipped ones are 48 of 160 pixels): a quantisation in seconds."""
    path = tmp_path / "calibration.npz"
    np.savez_compressed(path, crops=(np.stack([photo_like(32, 32, seed=s) for s in (1, 2)]) * 255).astype(np.uint8))
    plan = openvino_backend.Int8Plan(path)
    monkeypatch.setattr(openvino_backend, "shipped_int8_plan", lambda: plan)
    return plan


@needs_nncf
def test_nafnet_int8_rules_keep_the_pixel_layers_and_the_sensitive_groups_float(small_nafnet, tmp_path,
                                                                                 tiny_calibration):
    """The registry's rules in the quantised graph itself (benchmarks/nafnet_int8_sensitivity.py found them): intro,
    ending and the additions outside the blocks (the output's adds the input image) read no quantised input, nor
    does any layer the rules name; the blocks' 1x1 convolutions elsewhere do."""
    import re

    import openvino as ov

    architecture = ARCHITECTURES["nafnet"]
    rules = openvino_backend.Int8Settings().for_network(architecture).keep_float
    assert rules == architecture.int8_float_layers
    network = ov.Core().read_model(str(openvino_backend.export_onnx(small_nafnet, tmp_path, architecture, "global")))
    calibration = openvino_backend.load_calibration(tiny_calibration.calibration)
    quantized = openvino_backend.quantize_int8(network, calibration, openvino_backend.Int8Settings(
        subset_size=2).for_network(architecture))
    ops = {op.get_friendly_name(): op for op in quantized.get_ordered_ops()}
    kept = [name for name in ops if any(re.match(rule, name) for rule in rules)]
    assert {"/model/intro/Conv/WithoutBiases", "/model/ending/Conv/WithoutBiases", "/model/Add"} <= set(kept)
    assert not [name for name in kept if _reads_quantized(ops[name])]
    convolutions = [op for name, op in ops.items() if op.get_type_name() == "Convolution" and name not in kept]
    assert len(convolutions) >= 20 and all(_reads_quantized(op) for op in convolutions)


@needs_nncf
def test_nafnet_int8_serves_every_shape_class_in_int8(small_nafnet, photo_like, tmp_path, monkeypatch,
                                                     tiny_calibration):
    """One int8 model per TLC shape class, NNCF calibrating only the first ("global", the crops' class) and the
    others carried over from it: no size falls back to torch float32, which would have made a verdict measured on
    the check set's small crops float32 against itself, and none is calibrated on images beyond TLC's window
    (NAFNet-64's "local" calibration peaked at 6.2 GB)."""
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path)
    calibrated = []
    quantize = openvino_backend.quantize_int8
    monkeypatch.setattr(openvino_backend, "quantize_int8",
                        lambda network, crops, *rest, **named: calibrated.append(crops.shape) or quantize(
                            network, crops, *rest, **named))
    assert openvino_backend.int8_first_class(ARCHITECTURES["nafnet"]) == "global"
    int8 = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0, precision="int8"))
    exact = Deblurrer(small_nafnet, EngineOptions(device="cpu", tile=0, precision="fp32"))
    assert (int8.backend, int8.precision_name) == ("openvino", "int8")
    for height, width in ((64, 64), (400, 416), (200, 416)):  # global, local, wide
        image = photo_like(height, width, seed=height)
        result, reference = int8.run(image), exact.run(image)
        assert (result.backend, result.precision, result.torch_tiles, result.notes) == ("openvino", "int8", 0, [])
        assert 25 < psnr(result.full, reference.full) < 100  # int8 (two tiny calibration crops), not float32 itself
    assert calibrated == [(2, 3, 32, 32)]  # once, the crops as they are
    classes = sorted(p.name.split("-")[2] for p in tmp_path.glob("nafnet-int8-*.xml"))
    assert len(classes) == 3 and {"local", "wide"} < set(classes), classes  # and the first (global), unnamed


@needs_nncf
def test_int8_carried_over_by_name_is_the_int8_model_itself_and_leaves_only_the_local_pooling_float(
        small_nafnet, photo_like, tmp_path, tiny_calibration):
    """transfer_int8 puts NNCF's FakeQuantizes, int8 weights and corrected biases into another export by node name.
    Into the float export NNCF quantised, it rebuilds that int8 model: every FakeQuantize placed, the same output to
    the bit. Into the "local" export, everything but what reads or makes the global pooling's means (which that
    export computes over windows, in float) is placed, and every convolution both exports have reads int8 weights."""
    import openvino as ov

    architecture = ARCHITECTURES["nafnet"]
    core = ov.Core()
    float_model = {c: core.read_model(str(openvino_backend.exported_ir(small_nafnet, tmp_path, architecture, c)))
                   for c in ("global", "local")}
    quantized = openvino_backend.quantized_network(core, float_model["global"], small_nafnet, tmp_path,
                                                   tiny_calibration, shape_class="global")

    def run(network, image):
        network = network.clone()
        network.reshape({network.inputs[0]: [1, 3, *image.shape[:2]]})
        compiled = core.compile_model(network, "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
        return compiled(np.ascontiguousarray(image.transpose(2, 0, 1)[None]))[0]

    report = []
    rebuilt = openvino_backend.transfer_int8(quantized, float_model["global"].clone(), report)
    variable = openvino_backend._variable_nodes(quantized)  # the activations' FakeQuantizes, not the weights'
    fakes = [op for op in quantized.get_ordered_ops() if op.get_type_name() == "FakeQuantize" and op.get_name() in variable]
    assert report[0].unplaced == () and report[0].fake_quantizes == len(fakes) > 50
    image = photo_like(64, 96, seed=3)
    assert np.array_equal(run(rebuilt, image), run(quantized, image))

    report = []
    local = openvino_backend.transfer_int8(quantized, float_model["local"].clone(), report)
    assert report[0].unplaced and all("/sca.0/" in name or name.endswith("/Mul/fq_output_0")
                                      for name in report[0].unplaced), report[0].unplaced
    assert report[0].fake_quantizes >= len(fakes) - 3 * 7  # three per block (7) at most left float
    ops = {op.get_friendly_name(): op for op in local.get_ordered_ops()}
    shared = [name for name, op in ops.items() if op.get_type_name() == "Convolution" and name.startswith("/model/")
              and "/sca.1/" not in name and name in {o.get_friendly_name() for o in quantized.get_ordered_ops()}]
    assert len(shared) >= 20 and all(_reads_quantized(ops[name]) for name in shared
                                     if not any(r in name for r in ("/intro/", "/ending/")))
    assert all(ops[name].input_value(1).get_node().get_type_name() == "Multiply" for name in shared  # int8 weights
               if not any(r in name for r in ("/intro/", "/ending/")))
    image = photo_like(400, 416, seed=4)
    assert 25 < psnr(run(local, image), run(float_model["local"], image)) < 100


def test_large_networks_keep_fewer_compiled_shapes_in_memory():
    def weight_bytes(variant):
        model = networks.build(ARCHITECTURES[VARIANTS[variant].architecture], VARIANTS[variant].config_dict)
        return sum(p.numel() * 4 for p in model.parameters())

    kept = {v: openvino_backend.compiled_shapes_kept(weight_bytes(v)) for v in ("mimo-unet", "nafnet-32", "nafnet-64")}
    assert kept == {"mimo-unet": openvino_backend.MAX_COMPILED_SHAPES, "nafnet-32": 3, "nafnet-64": 1}


def test_nafnet_exports_the_engines_own_model_and_the_same_file_as_from_a_copy(small_nafnet, tmp_path):
    """A copy of NAFNet-64's 259 MiB of weights only added to the first export's peak (2.17 GB): the engine's
    own float32, channels-last model is traced instead, and its ONNX file is the copy's byte for byte."""
    from deblur_app.model.exporting import float32_copy

    architecture = ARCHITECTURES["nafnet"]
    engine_model = Deblurrer(small_nafnet, EngineOptions(device="cpu", backend="torch")).model
    assert networks.export_copy(architecture, engine_model).model is engine_model  # no copy of the weights
    assert any(p.dim() == 4 and not p.is_contiguous() for p in engine_model.parameters())  # channels last
    own = openvino_backend.export_onnx(engine_model, tmp_path / "own", architecture, "global", digest="same")
    copied = openvino_backend.export_onnx(float32_copy(engine_model), tmp_path / "copy", architecture, "global",
                                          digest="same")
    weights = openvino_backend.weights_path
    assert own.read_bytes() == copied.read_bytes() and weights(own).read_bytes() == weights(copied).read_bytes()
    bf16 = small_nafnet.to(torch.bfloat16)  # weights not in float32: the export still traces a float32 copy
    assert networks.export_copy(architecture, bf16).model is not bf16


def test_nafnet_export_has_no_feature_map_split_and_no_second_copy_of_the_weights(small_nafnet, tmp_path,
                                                                                  monkeypatch):
    """The simple gates are exported as half-width convolutions (nafnet.GateHalves), so OpenVINO gets no split of
    a feature map (the two Slices of each gate became a reference VariadicSplit copying the gate's input), and
    the file holds each weight once, as the plain export does."""
    import collections

    import onnx

    from deblur_app.model.exporting import float32_view

    def operations(path):
        return collections.Counter(node.op_type for node in onnx.load(str(path)).graph.node)

    architecture = ARCHITECTURES["nafnet"]
    halves = openvino_backend.export_onnx(small_nafnet, tmp_path / "halves", architecture, "local", digest="same")
    monkeypatch.setattr(nafnet, "export_copy", float32_view)  # the network traced as it is, gates split
    plain = openvino_backend.export_onnx(small_nafnet, tmp_path / "plain", architecture, "local", digest="same")
    gates = 2 * sum(isinstance(m, nafnet.NAFBlock) for m in small_nafnet.modules())
    assert operations(plain)["Slice"] - operations(halves)["Slice"] == 2 * gates
    assert operations(halves)["Conv"] - operations(plain)["Conv"] == gates + gates // 2  # conv1, conv2, conv4 halved
    size = lambda onnx: onnx.stat().st_size + openvino_backend.weights_path(onnx).stat().st_size  # noqa: E731
    assert size(halves) <= size(plain)
    assert all(block.gate_halves is None for block in small_nafnet.modules() if isinstance(block, nafnet.NAFBlock))
