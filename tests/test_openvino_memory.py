"""OpenVINO holds one working copy of a network's weights while it runs a large photo (issues 21/26: 12 MP within
1.5 GB): the IR's mapped weights and the compiled model's originals are handed back to the kernel, torch's copy
goes while the tiles run and comes back, the same, from the weights file when torch is needed."""

import sys

import numpy as np
import pytest
import torch

from deblur_app.engine import devices, filepages, openvino_backend
from deblur_app.engine.inference import Deblurrer, EngineError, EngineOptions
from deblur_app.engine.tiling import round_up
from deblur_app.jobs.run import open_engine
from deblur_app.jobs.spec import EngineChoices
from deblur_app.model import networks
from deblur_app.model.checkpoints import load_checkpoint, save_checkpoint
from deblur_app.model.registry import ARCHITECTURES, VARIANTS, architecture_of
from test_network_checkpoints import NAFNET_16, small_state

openvino_only = pytest.mark.skipif(not openvino_backend.openvino_available(), reason="OpenVINO not installed")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="page release is Linux's madvise")
TWELVE_MP = (3000, 4000)


@pytest.fixture
def nafnet_file(tmp_path):
    """A small NAFNet saved as the app saves weights (float16 safetensors), so its engine knows its file."""
    model = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)
    model.load_state_dict(small_state("nafnet", **NAFNET_16))
    return save_checkpoint(tmp_path / "nafnet-16.safetensors", model, {"trained_by": "tests"})


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "openvino-cache"
    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: folder)
    return folder


def engine_of(path, **options) -> Deblurrer:
    return Deblurrer.from_checkpoint(load_checkpoint(path), EngineOptions(device="cpu", **options))


@linux_only
def test_released_pages_of_a_mapped_file_leave_the_process_and_read_back_the_same(tmp_path):
    data = np.random.default_rng(0).random(4 * 1024 * 1024 // 8)  # 4 MiB
    path = tmp_path / "weights.bin"
    data.tofile(path)
    mapped = np.memmap(path, mode="r", dtype=np.float64)
    assert float(mapped.sum()) == pytest.approx(float(data.sum()))  # every page read in
    assert filepages.resident_file_bytes(path) >= 4 * 1024 * 1024
    assert filepages.release_file_pages([path]) >= 4 * 1024 * 1024
    assert filepages.resident_file_bytes(path) < 1024 * 1024
    assert np.array_equal(np.asarray(mapped), data)  # faulted back in from the file, byte for byte
    assert filepages.release_file_pages([tmp_path / "not-mapped.bin"]) == 0


def test_an_engine_shares_its_checkpoints_tensors_and_an_opened_engine_keeps_none(nafnet_file):
    checkpoint = load_checkpoint(nafnet_file)
    model = checkpoint.build()
    pointers = {t.data_ptr() for t in checkpoint.state_dict.values()}
    assert all(p.data_ptr() in pointers for p in model.parameters())  # no second copy of the weights
    opened = open_engine(EngineChoices(weights=nafnet_file, device="cpu", backend="torch"))
    assert opened.checkpoint.state_dict == {} and opened.checkpoint.path == nafnet_file  # the engine's are the only ones
    assert opened.model_name().startswith("NAFNet")


@openvino_only
def test_torch_weights_go_while_openvino_tiles_run_and_come_back_identical(nafnet_file, cache, photo_like):
    """The tiles of a large photo on OpenVINO run without torch's copy; a torch pass afterwards reads the weights again
    from their file and computes exactly what an engine that never let them go computes."""
    engine = engine_of(nafnet_file)
    exact = engine_of(nafnet_file, backend="torch")
    image = photo_like(480, 560, seed=3)
    tiled = engine.run(image, tile=320)
    assert tiled.backend == "openvino" and tiled.tiles > 1 and tiled.torch_tiles == 0
    assert engine._released_digest, "torch's weights went while the tiles ran"
    assert all(p.device.type == "meta" for p in engine._model.parameters())
    whole = exact.run(image, tile=0)
    assert np.abs(tiled.full - whole.full).max() <= 1 / 255  # tiled OpenVINO against whole torch
    # a torch pass after the weights went: read back from the file, the same pixels as the engine that kept them
    engine.backend = "torch"
    again = engine.run(image, tile=0)
    assert not engine._released_digest and all(p.device.type == "cpu" for p in engine.model.parameters())
    assert np.array_equal(again.full, whole.full)
    assert list(cache.glob("nafnet-*.xml")) and not list(cache.glob("*.onnx"))  # IR kept, ONNX gone


@openvino_only
def test_weights_that_changed_on_disk_are_refused_not_run(nafnet_file, cache, photo_like, tmp_path):
    engine = engine_of(nafnet_file)
    assert engine.release_torch_weights()
    other = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)  # the same network, other weights
    save_checkpoint(nafnet_file, other, {})
    with pytest.raises(EngineError, match="changed while in use"):
        engine.model
    assert not engine_of(nafnet_file, backend="torch").release_torch_weights()  # torch keeps its weights
    elsewhere = Deblurrer(load_checkpoint(nafnet_file).build(), EngineOptions(device="cpu"), architecture_of("nafnet-32"),
                          weights_file=tmp_path / "on-another-host.safetensors")
    assert not elsewhere.release_torch_weights()  # (a cluster worker given the driver's path)


def test_an_engine_without_a_weights_file_keeps_its_weights_and_counts_them(nafnet_file):
    model = load_checkpoint(nafnet_file).build()
    engine = Deblurrer(model, EngineOptions(device="cpu"), architecture_of("nafnet-32"))
    assert not engine.release_torch_weights()
    weights = sum(p.numel() * 4 for p in model.parameters())
    if engine.backend == "openvino":  # torch's copy counted beside OpenVINO's where it cannot go
        from_file = engine_of(nafnet_file)
        assert engine.resident_bytes() - from_file.resident_bytes() == weights


def test_large_networks_compile_without_the_blob_cache():
    """Writing or reading a compiled blob holds one more copy of the weights while compiling: NAFNet-64 goes without."""
    sizes = {}
    for variant in ("mimo-unet", "nafnet-32", "nafnet-64", "fftformer"):
        torch.manual_seed(0)
        model = networks.build(architecture_of(variant), VARIANTS[variant].config_dict)
        sizes[variant] = sum(p.numel() * 4 for p in model.parameters())
    assert [openvino_backend.uses_blob_cache(sizes[v]) for v in sizes] == [True, True, False, True]


def engine_from_file(variant, tmp_path, monkeypatch, **options) -> Deblurrer:
    """Random weights of the published configuration, as if read from a file (every installed network's are)."""
    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 16 * 1024**3)
    torch.manual_seed(0)
    model = networks.build(architecture_of(variant), VARIANTS[variant].config_dict)
    weights_file = tmp_path / f"{variant}.safetensors"  # only its being there counts here: torch's copy can go
    weights_file.write_bytes(b"")
    engine = Deblurrer(model, EngineOptions(device="cpu", **options), architecture_of(variant), weights_file=weights_file)
    if engine.backend != "openvino":
        pytest.skip("OpenVINO not installed")
    return engine


# The plans of a 12 MP photo once the model was re-fitted to end-to-end runs (benchmarks/RESULTS.md, session 11), and
# since session 14 (the stitcher's 5 B/pixel of weights and count gone, coarse scales counted only for MIMO-UNet,
# NAFNet's 112 MiB of OpenVINO runtime for its first use): MIMO-UNet's tiles larger, NAFNet's as before, and FFTformer on
# OpenVINO (it stayed in torch before).
PLANS_12MP = {"mimo-unet": ("openvino", 892), "nafnet-32": ("openvino", 544), "nafnet-64": ("openvino", 416),
              "fftformer": ("openvino", 320)}


@pytest.mark.parametrize("variant", PLANS_12MP)
def test_a_12_mp_photo_runs_on_openvino_within_the_peak(variant, tmp_path, monkeypatch):
    """Weights from a file leave OpenVINO's compiled model room for tiles of a 12 MP photo: every network takes
    OpenVINO, not torch (several times faster), in tiles as large as the re-fitted model allows, and the modelled
    peak is within LARGE_PHOTO_PEAK_BYTES."""
    engine = engine_from_file(variant, tmp_path, monkeypatch)
    assert engine.precision_name == "fp32"  # random weights have no verdict for a faster path
    backend, tile = engine.plan_photo(*TWELVE_MP)
    assert (backend, tile) == PLANS_12MP[variant]
    assert engine.modelled_peak_bytes(*TWELVE_MP, tile, backend) <= devices.LARGE_PHOTO_PEAK_BYTES
    if backend == "torch":
        assert engine.modelled_peak_bytes(*TWELVE_MP, backend="openvino") > devices.LARGE_PHOTO_PEAK_BYTES


def test_the_window_counts_its_own_runtime_so_the_refit_does_not_grow_its_tiles(tmp_path, monkeypatch):
    """The OpenVINO runtime the model no longer counts (command-line runs showed the other parts cover it) was what
    left room for the window's own (Qt, 122 MB over the command line): the window counts that itself, so its 12 MP
    plans are smaller than the command line's. Since session 14 every network's is within the goal (NAFNet-64 and
    FFTformer were modelled at 1.62 and 1.81 GB): MIMO-UNet fp32 on OpenVINO at 656-pixel tiles (608 before),
    NAFNet-32 in torch at 336 (352 before), NAFNet-64 and FFTformer in torch at 256 (both 320,
    their smallest tile then)."""
    from deblur_app.gui.worker import WINDOW_HELD_BYTES, WINDOW_HELD_BYTES_PER_PIXEL

    window = {"held_bytes_per_pixel": WINDOW_HELD_BYTES_PER_PIXEL, "held_bytes": WINDOW_HELD_BYTES}
    for variant, plan in (("mimo-unet", ("openvino", 656)), ("nafnet-32", ("torch", 336)),
                          ("nafnet-64", ("torch", 256)), ("fftformer", ("torch", 256))):
        engine = engine_from_file(variant, tmp_path, monkeypatch, **window)
        height, width = (round_up(side, engine.size_multiple) for side in TWELVE_MP)  # as a run pads it
        assert engine.plan_photo(height, width) == plan
        assert engine.plan_photo(height, width)[1] < engine_from_file(variant, tmp_path, monkeypatch).plan_photo(
            height, width)[1]
        assert engine.modelled_peak_bytes(height, width, plan[1], plan[0]) <= devices.LARGE_PHOTO_PEAK_BYTES


# 12 MP through the command line on OpenVINO (benchmarks/bench_12mp_memory.py cli; RESULTS.md, sessions 10 and 11):
# the plan each ran and the whole process's peak; cached runs, and NAFNet-32's first use at 448-pixel tiles (its
# export before the photo was decoded); NAFNet-64 at 416 is auto's plan since the refit. The model sizes tiles, so it
# must never say less than a run measured, with this much to spare.
# FFTformer's is a 1504x2000 photo (a 12 MP one would take hours here).
# Those runs' stitcher kept its summed weights (4 B a pixel of each output scale) and a count of tiles due (1 B a
# pixel), which it replays since session 14 (engine/stitching.py): the same runs now take that much less, and that is
# what the model is held above (stitcher_before_session_14).
# Session 14's: MIMO-UNet's first use on the real AVX2-only EPYC, OpenVINO fp32, 20 tiles within 900x900 (by area).
MEASURED_RUNS = [("mimo-unet", "bf16", TWELVE_MP, 932, 1116e6), ("nafnet-32", "fp32", TWELVE_MP, 448, 1227e6),
                 ("nafnet-32", "fp32", TWELVE_MP, 544, 1186e6), ("nafnet-64", "fp32", TWELVE_MP, 400, 1428e6),
                 ("nafnet-64", "fp32", TWELVE_MP, 416, 1440e6), ("fftformer", "fp32", (1504, 2000), 320, 1225e6),
                 ("nafnet-64", "fp32", TWELVE_MP, 416, 1499e6)]  # NAFNet-64's first use (export in the same process)
MEASURED_SINCE_SESSION_14 = [("mimo-unet", "fp32", TWELVE_MP, 900, 1348e6)]
MODEL_MARGIN_BYTES = 50e6


def stitcher_before_session_14(variant: str, size: tuple[int, int]) -> int:
    """What the stitcher held then beyond its sums: 4 B of weights a pixel of each output scale, 1 B of count."""
    pixels = size[0] * size[1]
    return int((4 * sum(1 / scale**2 for scale in architecture_of(variant).outputs) + 1) * pixels)


def test_the_old_stitcher_held_five_bytes_a_pixel_more_for_one_output_and_more_for_mimo_unets_three():
    assert stitcher_before_session_14("nafnet-64", TWELVE_MP) == 5 * 12_000_000
    assert stitcher_before_session_14("mimo-unet", TWELVE_MP) == 75_000_000


@pytest.mark.parametrize("variant, precision, size, tile, peak", MEASURED_RUNS)
def test_the_memory_model_stays_above_every_measured_run(variant, precision, size, tile, peak, tmp_path, monkeypatch):
    try:
        engine = engine_from_file(variant, tmp_path, monkeypatch, precision=precision)
    except devices.DeviceError:
        pytest.skip(f"{precision} not available on this CPU")
    now = peak - stitcher_before_session_14(variant, size)
    assert engine.modelled_peak_bytes(*size, tile, "openvino") >= now + MODEL_MARGIN_BYTES


@pytest.mark.parametrize("variant, precision, size, tile, peak", MEASURED_SINCE_SESSION_14)
def test_the_memory_model_stays_above_the_runs_measured_with_this_stitcher(variant, precision, size, tile, peak,
                                                                           tmp_path, monkeypatch):
    engine = engine_from_file(variant, tmp_path, monkeypatch, precision=precision)
    # auto's tiles of that size: within tile x tile pixels, any shape (plan_tiles_by_area)
    largest = max(t.height * t.width for t in engine.photo_tiles(*size, tile, auto=True))
    assert largest <= tile * tile
    working = max(engine._memory_per_pixel("openvino") * largest, engine.compile_bytes("openvino"))
    modelled = engine.resident_bytes("openvino") + engine.photo_bytes(*size) + working
    assert modelled >= peak + MODEL_MARGIN_BYTES


def test_float_exports_and_int8_models_are_pruned_each_in_their_own_family(tmp_path):
    import os

    from deblur_app.model.mimo_unet import build_model

    def pair(name, age, xml=True):
        for suffix in (".xml", ".bin") if xml else (".bin",):
            path = tmp_path / f"{name}{suffix}"
            path.write_text(name)
            os.utime(path, (1000 - age, 1000 - age))
        return tmp_path / f"{name}.xml"

    model = build_model("mimo-unet").eval()
    architecture = architecture_of("mimo-unet")
    current = openvino_backend._export_path(tmp_path, architecture, networks.export_classes(architecture)[0],
                                            openvino_backend.weights_digest(model)).with_suffix(".xml")
    pair(current.stem, age=1)  # this model's export, cached: exported_ir only tidies and returns it
    int8_model = pair("mimo-unet-int8-old", age=9)  # the oldest file, still the model the weights use
    int8_in_flight = pair("mimo-unet-int8-new", age=0, xml=False)  # its .bin moved into place, its .xml not yet
    old_exports = [pair(f"mimo-unet-{digest}", age) for digest, age in (("aaaa", 5), ("bbbb", 4), ("cccc", 3))]
    orphan = pair("mimo-unet-dddd", age=2, xml=False)
    assert openvino_backend.exported_ir(model, tmp_path) == current
    assert int8_model.exists() and int8_model.with_suffix(".bin").exists()
    assert int8_in_flight.with_suffix(".bin").exists()
    assert [p.exists() for p in old_exports] == [False, True, True]  # the 2 newest beside the one in use
    assert not old_exports[0].with_suffix(".bin").exists() and not orphan.with_suffix(".bin").exists()


@openvino_only
def test_a_tiled_photo_is_prepared_before_it_is_decoded(nafnet_file, cache, photo_like):
    """prepare_photo does, from the photo's size alone, what run() does before its tiles on OpenVINO (the exports of
    their shapes, torch's weights let go): a first use's export then never stacks on the decoded photo. The run that
    follows exports nothing more and computes what an unprepared engine computes."""
    engine, unprepared = engine_of(nafnet_file, tile=320), engine_of(nafnet_file, tile=320)
    engine.prepare_photo(480, 560)
    exported = sorted(cache.glob("nafnet-*.xml"))
    assert exported and engine._released_digest  # exported and torch's weights gone, before any pixel
    assert all(p.device.type == "meta" for p in engine._model.parameters())
    image = photo_like(480, 560, seed=4)
    prepared = engine.run(image)
    assert sorted(cache.glob("nafnet-*.xml")) == exported
    assert prepared.backend == "openvino" and prepared.tiles > 1
    assert np.array_equal(prepared.full, unprepared.run(image).full)
    whole = engine_of(nafnet_file)
    whole.prepare_photo(480, 560)  # run whole: nothing to prepare, torch's weights stay
    assert not whole._released_digest and not list(cache.glob("*.onnx"))


@openvino_only
def test_the_export_and_conversion_run_with_an_unfragmented_heap_and_leave_the_grown_threshold(tmp_path, monkeypatch):
    """A first use's export traces with every allocation over 128 KiB in pages of its own (glibc's mmap threshold held
    at its start), as does the IR conversion: NAFNet-64's export peaked 1.2 GB over the loaded network with glibc's
    dynamic threshold, from heap fragmentation alone. Afterwards the threshold is where the dynamic one ends up."""
    import openvino

    events = []
    monkeypatch.setattr(openvino_backend, "_set_malloc_option", lambda option, value: events.append((option, value))
                        or True)
    export, read_model = torch.onnx.export, openvino.Core.read_model
    monkeypatch.setattr(torch.onnx, "export", lambda *a, **k: events.append("export") or export(*a, **k))
    monkeypatch.setattr(openvino.Core, "read_model", lambda core, *a: events.append("convert") or read_model(core, *a))
    monkeypatch.setattr(openvino_backend, "return_freed_memory", lambda: events.append("trim"))
    model = networks.build(ARCHITECTURES["nafnet"], NAFNET_16).eval()
    openvino_backend.exported_ir(model, tmp_path, shape_class="global")
    small = (openvino_backend.M_MMAP_THRESHOLD, openvino_backend.EXPORT_MMAP_THRESHOLD)
    grown = [(openvino_backend.M_MMAP_THRESHOLD, openvino_backend.AFTER_EXPORT_MMAP_THRESHOLD),
             (openvino_backend.M_TRIM_THRESHOLD, 2 * openvino_backend.AFTER_EXPORT_MMAP_THRESHOLD)]
    assert [event for event in events if event != "trim"] == [small, "export", *grown, small, "convert", *grown]
    # the heap freed before each is handed back first: under the small threshold no large block would reuse it
    assert events[:3] == [small, "trim", "export"] and events[events.index("convert") - 2:][:3] == [small, "trim", "convert"]


UNDER_AN_UNFRAGMENTED_HEAP = """
import ctypes
from deblur_app.engine import openvino_backend

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.free(libc.malloc(8 * 1024**2))  # raises glibc's dynamic threshold past 1 MiB
with openvino_backend.unfragmented_heap():
    before = libc.mallinfo2().hblks
    block = libc.malloc(1024**2)
    print(libc.mallinfo2().hblks - before)
    libc.free(block)
"""


@linux_only
def test_under_an_unfragmented_heap_a_megabyte_is_a_mapping_of_its_own():
    """The glibc setting itself, in a fresh process (a heap with a free block that fits serves it from there): inside
    unfragmented_heap a 1 MiB block is mapped on its own (mallinfo2's hblks), so freeing it hands it back."""
    import ctypes
    import os
    import subprocess

    if not hasattr(ctypes.CDLL("libc.so.6"), "mallinfo2"):
        pytest.skip("glibc older than 2.33")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    mapped = subprocess.run([sys.executable, "-c", UNDER_AN_UNFRAGMENTED_HEAP], env=env, capture_output=True,
                            text=True, check=True).stdout.split()
    assert mapped == ["1"]


@openvino_only
def test_nncf_quantises_after_torchs_weights_went_and_they_come_back(nafnet_file, cache, photo_like, monkeypatch):
    """NNCF's first-use quantisation (its statistics pass peaked at 2155 MiB with NAFNet-64, a 12 MP photo has
    1.5 GB) runs with torch's copy of the weights gone (259 MiB of it), not beside it; the int8 model is cached
    under the key of the weights as they were, and the weights come back identical when torch needs them. A cached
    int8 model needs no NNCF and lets nothing go."""
    weights_at_quantising = []

    def quantize(network, crops, *rest, **named):  # NNCF's step, recorded (the network as it is: no NNCF needed)
        weights_at_quantising.append({p.device.type for p in engine._model.parameters()})
        return network

    monkeypatch.setattr(openvino_backend, "quantize_int8", quantize)
    engine = engine_of(nafnet_file, precision="int8", tile=0)
    image = photo_like(64, 64, seed=5)
    result = engine.run(image)
    assert (result.backend, result.precision) == ("openvino", "int8")
    assert weights_at_quantising == [{"meta"}], "torch's weights were held while NNCF quantised"
    key = openvino_backend.int8_key(engine.model, openvino_backend.shipped_int8_plan())  # read back from the file
    assert not engine._released_digest and {p.device.type for p in engine.model.parameters()} == {"cpu"}
    assert (cache / f"nafnet-int8-{key}.xml").exists()  # the key taken before they went: the weights' own
    again = engine_of(nafnet_file, precision="int8", tile=0)
    assert again.run(image).precision == "int8" and len(weights_at_quantising) == 1
    assert {p.device.type for p in again._model.parameters()} == {"cpu"}  # cached: nothing let go


def constants_equal(a, b) -> bool:
    """Whether two OpenVINO models have the same constants in graph order, bit for bit (FakeQuantize ranges, int8
    weights, corrected biases)."""
    def constants(model):
        return [op.get_data().tobytes() for op in model.get_ordered_ops() if op.get_type_name() == "Constant"]

    return constants(a) == constants(b)


@pytest.fixture
def recorded_passes(monkeypatch):
    """record(points_of): from then on each of NNCF's statistics passes appends points_of(its aggregator) to the list
    record returns (the split collection replaces OVStatisticsAggregator's; each pass goes through the base's)."""
    pytest.importorskip("nncf")
    from nncf.common.tensor_statistics.aggregator import StatisticsAggregator

    def record(points_of):
        passes = []
        collect = StatisticsAggregator.collect_statistics

        def recorded(self, model, graph):
            passes.append(points_of(self))
            return collect(self, model, graph)

        monkeypatch.setattr(StatisticsAggregator, "collect_statistics", recorded)
        return passes

    return record


def quantised(network, calibration, settings, monkeypatch, limit: str, per_pass: int):
    """The int8 model quantize_int8 makes of a copy of ``network`` with openvino_backend's ``limit`` at ``per_pass``."""
    monkeypatch.setattr(openvino_backend, limit, per_pass)
    return openvino_backend.quantize_int8(network.clone(), calibration, settings)


@openvino_only
def test_nncf_takes_the_quantiles_activations_out_of_the_network_a_few_at_a_time_with_the_same_int8_model(
        tmp_path, monkeypatch, recorded_passes):
    """MIMO-UNet's ranges (MAX_QUANTILE) are quantiles NNCF cannot reduce inside the network: its statistics model
    outputs every quantised activation whole, all of them at once (+1080 MiB for MIMO-UNet's 132, over the 12 MP
    goal on first use). They come out in passes of at most WHOLE_ACTIVATIONS_PER_PASS, every statistic is collected
    (none twice), and the int8 model is the one NNCF makes in a single pass, constant for constant."""
    import openvino as ov
    from nncf.openvino.statistics.aggregator import OVStatisticsAggregator

    from deblur_app.model.mimo_unet import MIMOUNet

    torch.manual_seed(0)
    model = MIMOUNet(num_res=1, lean_fusion=True).eval()  # MIMO-UNet's node names, one block per stage: quick
    architecture = ARCHITECTURES["mimo-unet"]
    network = ov.Core().read_model(str(openvino_backend.export_onnx(model, tmp_path, architecture)))
    calibration = np.random.default_rng(0).random((3, 3, 32, 32), dtype=np.float32)
    settings = openvino_backend.Int8Settings(subset_size=3).for_network(architecture)
    assert settings.activation_ranges == "MAX_QUANTILE"

    passes = recorded_passes(lambda aggregator: {  # per statistics pass: the activations it takes out whole
        aggregator._translate_to_post_layer_operation(point)[:2]
        for _, point, collector in aggregator.statistic_points.get_tensor_collectors()
        if any(not reducer.inplace for reducer in collector.reducers)})
    single = quantised(network, calibration, settings, monkeypatch, "WHOLE_ACTIVATIONS_PER_PASS", 10**6)  # NNCF's own
    assert len(passes) == 1 and len(passes[0]) > 8
    everything = passes.pop()

    in_passes = quantised(network, calibration, settings, monkeypatch, "WHOLE_ACTIVATIONS_PER_PASS", 4)
    assert OVStatisticsAggregator.collect_statistics.collects_in_passes == 4
    assert len(passes) == -(-len(everything) // 4) and all(len(whole) <= 4 for whole in passes)
    assert set().union(*passes) == everything and sum(map(len, passes)) == len(everything)
    assert constants_equal(in_passes, single)  # the same ranges, int8 weights and biases, bit for bit


def in_network_points(aggregator) -> list[tuple]:
    """A statistics pass's points, each named by its target and algorithm (MMQ_<object id>, FBC_<object id>); every
    one must be reduced inside the network (NAFNet's are)."""
    assert all(reducer.inplace for _, _, collector in aggregator.statistic_points.get_tensor_collectors()
               for reducer in collector.reducers)
    return [(name, str(point.target_point.type), point.target_point.port_id, algorithm.split("_")[0], len(collectors))
            for name, statistic_points in aggregator.statistic_points.data.items() for point in statistic_points
            for algorithm, collectors in point.algorithm_to_tensor_collectors.items()]


@openvino_only
def test_nncf_collects_nafnets_in_network_statistics_a_few_at_a_time_with_the_same_int8_model(
        nafnet_file, tmp_path, monkeypatch, recorded_passes):
    """NAFNet's ranges (min/max) and the fast bias correction's means are reduced inside the network, but each is one
    more output of the statistics model, all held at once (NAFNet-64's quantisation: 1890 MiB, over the 1.5 GB goal).
    They come out in passes of at most REDUCED_STATISTICS_PER_PASS, every statistic is collected (none twice), and
    the int8 model is the one NNCF makes in a single pass, constant for constant."""
    import openvino as ov
    from nncf.openvino.statistics.aggregator import OVStatisticsAggregator

    architecture = ARCHITECTURES["nafnet"]
    model = load_checkpoint(nafnet_file).build().float().eval()
    shape_class = openvino_backend.int8_first_class(architecture)  # the class NNCF quantises ("global")
    network = ov.Core().read_model(str(openvino_backend.export_onnx(model, tmp_path, architecture, shape_class)))
    calibration = np.random.default_rng(0).random((3, 3, 64, 64), dtype=np.float32)
    settings = openvino_backend.Int8Settings(subset_size=3).for_network(architecture)

    passes = recorded_passes(in_network_points)
    single = quantised(network, calibration, settings, monkeypatch, "REDUCED_STATISTICS_PER_PASS", 10**6)  # NNCF's own
    assert len(passes) == 1 and len(passes[0]) > 30
    everything = passes.pop()

    per_pass = len(everything) // 3 + 1  # 3 passes, the last a short one
    in_passes = quantised(network, calibration, settings, monkeypatch, "REDUCED_STATISTICS_PER_PASS", per_pass)
    assert OVStatisticsAggregator.collect_statistics.reduced_per_pass == per_pass
    assert len(passes) == 3 and all(len(points) <= per_pass for points in passes)
    assert sorted(sum(passes, [])) == sorted(everything)  # every statistic, none twice
    assert constants_equal(in_passes, single)  # the same ranges, int8 weights and biases, bit for bit
