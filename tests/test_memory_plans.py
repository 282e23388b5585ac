"""A 12 MP photo through every network, from the command line and in the window, on every CPU class, is planned within
1.5 GB (issues 21/26). The plans are what the engine's memory model (Deblurrer.plan_photo, modelled_peak_bytes) says;
benchmarks/bench_12mp_memory.py measures them end to end (benchmarks/RESULTS.md, "Issues 21/26, 2026-12-07, session
14, memory-12mp").

The CPU's features are set here (devices.cpu_features), so these run the same on every CPU.
"""

import pytest
import torch

from deblur_app.engine import devices
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.tiling import round_up
from deblur_app.gui.worker import WINDOW_HELD_BYTES, WINDOW_HELD_BYTES_PER_PIXEL
from deblur_app.model import networks
from deblur_app.model.registry import VARIANTS, architecture_of

TWELVE_MP = (3000, 4000)
NETWORKS = ["mimo-unet", "mimo-unet+", "nafnet-32", "nafnet-64", "fftformer", "restormer-defocus"]
CPU_CLASSES = {
    "avx2": frozenset({"avx2", "fma", "f16c"}),
    "avx2-vnni": frozenset({"avx2", "fma", "f16c", "avx_vnni"}),
    "avx512-bf16": frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16"}),
    "amx": frozenset({"avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "amx_tile"}),
}
WINDOW = {"held_bytes_per_pixel": WINDOW_HELD_BYTES_PER_PIXEL, "held_bytes": WINDOW_HELD_BYTES}

# auto's plans on an AVX2-only CPU (float32: random weights have no verdict for a faster path), OpenVINO installed:
# (backend, tile) from the command line and in the window. The window holds the photo's pictures and its own runtime
# (gui/worker.py), so its tiles are smaller; OpenVINO's copy of NAFNet's weights and its runtime, and FFTformer's, leave
# too little tile room there, so those run that photo in torch (NAFNet-64 and FFTformer at their smallest tiles).
AVX2_PLANS = {
    "mimo-unet": (("openvino", 892), ("openvino", 656)),
    "mimo-unet+": (("openvino", 868), ("openvino", 624)),
    "nafnet-32": (("openvino", 544), ("torch", 336)),
    "nafnet-64": (("openvino", 416), ("torch", 256)),
    "fftformer": (("openvino", 320), ("torch", 256)),
}

_models: dict[str, torch.nn.Module] = {}


@pytest.fixture(autouse=True)
def sixteen_gigabytes(monkeypatch):
    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 16 * 1024**3)


def engine(variant: str, tmp_path, **options) -> Deblurrer:
    """Random weights of the published configuration, as if installed from a file (torch's copy may go while OpenVINO
    runs the tiles): only their size counts here."""
    if variant not in _models:
        torch.manual_seed(0)
        _models[variant] = networks.build(architecture_of(variant), VARIANTS[variant].config_dict).eval()
    weights_file = tmp_path / f"{variant}.safetensors"
    weights_file.write_bytes(b"")
    return Deblurrer(_models[variant], EngineOptions(device="cpu", **options), architecture_of(variant),
                     weights_file=weights_file)


def padded(engine_: Deblurrer) -> tuple[int, int]:
    return tuple(round_up(side, engine_.size_multiple) for side in TWELVE_MP)


@pytest.mark.parametrize("cpu_class", CPU_CLASSES)
@pytest.mark.parametrize("variant", NETWORKS)
@pytest.mark.parametrize("caller", ["cli", "window"])
def test_every_network_plans_a_12_mp_photo_within_the_goal_on_every_cpu_class(cpu_class, variant, caller, tmp_path,
                                                                                 monkeypatch):
    """Every path the class may run (auto's, bf16 and int8 asked for by name where the network has them): tiled, with
    tiles no smaller than the network's smallest, modelled within LARGE_PHOTO_PEAK_BYTES (1.5e9 bytes)."""
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES[cpu_class])
    options = WINDOW if caller == "window" else {}
    planned = []
    for precision in ("auto", "fp32", "bf16", "int8"):
        try:
            runner = engine(variant, tmp_path, precision=precision, **options)
        except devices.DeviceError:
            continue  # not on this CPU (int8 without NNCF or a rule set; bf16 on torch's CUDA-only paths)
        height, width = padded(runner)
        backend, tile = runner.plan_photo(height, width)
        peak = runner.modelled_peak_bytes(height, width, tile, backend)
        planned.append((runner.precision_name, backend, tile, peak))
        assert 0 < tile < max(height, width)
        assert tile >= runner.geometry.min_tile and tile % runner.geometry.align == 0
        assert peak <= devices.LARGE_PHOTO_PEAK_BYTES, (
            f"{variant} {caller} {runner.precision_name} on {backend} at {tile}: {peak / 1e6:.0f} MB")
    assert planned  # auto and fp32 at least


@pytest.mark.parametrize("variant", [v for v in NETWORKS if v in AVX2_PLANS])
def test_the_avx2_plans_are_these_and_the_window_plans_smaller_tiles(variant, tmp_path, monkeypatch):
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    cli, window = engine(variant, tmp_path), engine(variant, tmp_path, **WINDOW)
    if cli.backend != "openvino":
        pytest.skip("OpenVINO not installed: the plans below are OpenVINO's")
    assert cli.precision_name == window.precision_name == "fp32"
    expected_cli, expected_window = AVX2_PLANS[variant]
    assert cli.plan_photo(*padded(cli)) == expected_cli
    assert window.plan_photo(*padded(window)) == expected_window
    # the window's plan would not fit beside what the window holds at the command line's tiles
    backend, tile = expected_cli
    assert window.modelled_peak_bytes(*padded(window), tile, backend) > devices.LARGE_PHOTO_PEAK_BYTES


@pytest.mark.parametrize("variant", ["nafnet-64", "fftformer"])
def test_the_heavy_networks_fit_the_window_only_with_their_smaller_smallest_tile(variant, tmp_path, monkeypatch):
    """NAFNet's and FFTformer's 128-pixel overlap allows 256-pixel tiles (MIMO-UNet's 160: 320): at 320, the smallest
    tile for every network until session 14, the window's torch plan is over the goal."""
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    window = engine(variant, tmp_path, **WINDOW)
    assert window.geometry.min_tile == 256
    assert window.modelled_peak_bytes(*padded(window), 320, "torch") > devices.LARGE_PHOTO_PEAK_BYTES
    assert window.modelled_peak_bytes(*padded(window), 256, "torch") <= devices.LARGE_PHOTO_PEAK_BYTES
    assert engine("mimo-unet", tmp_path).geometry.min_tile == 320


def test_the_photo_buffers_count_the_coarse_scales_only_for_networks_that_have_them(tmp_path):
    """The caller's float32 image and decoding (14 B a pixel) and the stitcher's float32 sums (12 B a pixel of each
    output scale): MIMO-UNet's full, 1/2 and 1/4 scales 15.75 B, NAFNet's and FFTformer's one 12 B."""
    pixels = TWELVE_MP[0] * TWELVE_MP[1]
    assert engine("mimo-unet", tmp_path).photo_bytes(*TWELVE_MP) == int(29.75 * pixels)
    assert engine("nafnet-64", tmp_path).photo_bytes(*TWELVE_MP) == 26 * pixels
    assert engine("fftformer", tmp_path, **WINDOW).photo_bytes(*TWELVE_MP) == (
        (26 + WINDOW_HELD_BYTES_PER_PIXEL) * pixels + WINDOW_HELD_BYTES)


# torch's working memory of one pass over the loaded engine at the window's small tiles, per pixel, on the real AVX2-only
# EPYC (session 14, `bench_network_memory.py per-pixel --paths torch-fp32 --size 304x304 / 256x256 / 352x352`): a fixed
# part of each pass shows at small tiles (NAFNet-64 took 2607 at 576x448, 3449 at 304x304), and the registry's figure,
# which sizes those tiles, must cover it at the tile the window's 12 MP plan takes
# Restormer (session 15, same command, 2-core AMD EPYC, AVX2 only, KVM, load 18-19): 6481 at 256x256, 5540 at 384x384
TORCH_SMALL_TILES = [("nafnet-64", 304, 3449), ("fftformer", 256, 6116), ("nafnet-32", 352, 1425),
                     ("restormer-defocus", 256, 6481), ("restormer-defocus", 384, 5540)]


@pytest.mark.parametrize("variant, side, measured", TORCH_SMALL_TILES)
def test_the_registry_counts_what_torch_took_at_the_windows_small_tiles(variant, side, measured):
    assert architecture_of(variant).memory_per_pixel("torch", "fp32") >= measured


def test_nafnet_64s_fixed_part_at_small_tiles_is_covered_at_the_tile_its_window_plan_takes(tmp_path, monkeypatch):
    """The two measurements (2607 B/pixel at 576x448, 3449 at 304x304) fit a + b / pixels; at the window's 256-pixel
    tiles that is what the registry's figure must cover."""
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    (p1, m1), (p2, m2) = (576 * 448, 2607), (304 * 304, 3449)
    fixed = (m2 - m1) / (1 / p2 - 1 / p1)
    per_pixel = m1 - fixed / p1
    window = engine("nafnet-64", tmp_path, **WINDOW)
    backend, tile = window.plan_photo(*padded(window))
    largest = max(t.height * t.width for t in window.photo_tiles(*padded(window), tile, auto=True))
    assert backend == "torch"
    assert window._memory_per_pixel("torch") * largest >= per_pixel * largest + fixed


def test_restormer_plans_a_12_mp_photo_within_the_goal_from_the_command_line_and_the_window(tmp_path, monkeypatch):
    """Restormer's default is OpenVINO float32: from the command line a 12 MP photo runs on it at 304-pixel tiles
    (its compiled model, 224 MiB, and 4300 B/pixel over it: the export from parts of the weights, session 16; 256
    with session 15's 6600); the window, which holds the photo's pictures too, plans torch at its smallest tile (256,
    twice its overlap); both modelled within 1.5 GB."""
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    cli, window = engine("restormer-defocus", tmp_path), engine("restormer-defocus", tmp_path, **WINDOW)
    assert (cli.backend, cli.precision_name) == ("openvino", "fp32")
    assert cli.plan_photo(*padded(cli)) == ("openvino", 304)
    assert window.plan_photo(*padded(window)) == ("torch", 256) and window.geometry.min_tile == 256
    assert cli.modelled_peak_bytes(*padded(cli), 304, "openvino") <= devices.LARGE_PHOTO_PEAK_BYTES
    assert window.modelled_peak_bytes(*padded(window), 256, "torch") <= devices.LARGE_PHOTO_PEAK_BYTES


# Session 15 (measure-12mp), the real AVX2-only EPYC, loaded (benchmarks/RESULTS.md, "Issue 21/26, 2026-12-07, session
# 15, measure-12mp"). What OpenVINO's compiled model held for the tile shape of each heavy network's 12 MP command-line
# plan, in a process of its own (`bench_12mp_memory.py compiled --networks nafnet-64:416` / `fftformer:320`): MiB beside
# the float32 weights once compiled, the tile's working bytes per pixel over the compiled model, and the compile's peak
# over the read network in MiB. Those figures were measured on AVX-512 before; on AVX2 the registry must still cover them.
# Restormer (session 16, its export from parts of the weights, GDFN in groups of 128; `compiled --networks
# restormer-defocus:256,restormer-defocus:400`)
COMPILED_ON_AVX2 = [("nafnet-64", 416, 192, 1169, 721), ("fftformer", 320, 209, 3492, 423),
                    ("restormer-defocus", 256, 208, 4031, 467), ("restormer-defocus", 400, 215, 4015, 473)]


@pytest.mark.parametrize("variant, side, beside_mib, per_pixel, compile_peak_mib", COMPILED_ON_AVX2)
def test_the_registry_covers_openvinos_compiled_model_as_measured_on_avx2(variant, side, beside_mib, per_pixel,
                                                                           compile_peak_mib, tmp_path, monkeypatch):
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    architecture = architecture_of(variant)
    assert architecture.openvino_graph_bytes >= beside_mib * 2**20
    assert architecture.memory_per_pixel("openvino", "fp32") >= per_pixel
    cli = engine(variant, tmp_path)
    if cli.backend != "openvino":
        pytest.skip("OpenVINO not installed")
    # over the read network the model counts the compiled weights and graph, OpenVINO's runtime and the compile's own
    over_read = cli.resident_bytes("openvino") - devices.RUNTIME_BYTES + cli.compile_bytes("openvino")
    assert over_read >= compile_peak_mib * 2**20


# 12 MP (and 3 MP) photos through `deblur-app deblur` end to end (`bench_12mp_memory.py cli --networks nafnet-32`,
# private home, stand-in weights): the plan auto takes, the size, and the whole process's peak RSS. The model sizes the
# tiles, so it must stay above each, with the 50 MB it keeps above measured runs (tests/test_openvino_memory.py).
MEASURED_END_TO_END = [("nafnet-32", (3000, 4000), ("openvino", 544), 1201e6),  # first use (export in the process)
                       ("nafnet-32", (1504, 2000), ("openvino", 656), 1021e6)]  # first use
MODEL_MARGIN_BYTES = 50e6


@pytest.mark.parametrize("variant, size, plan, peak", MEASURED_END_TO_END)
def test_the_model_stays_above_the_runs_measured_end_to_end(variant, size, plan, peak, tmp_path, monkeypatch):
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    cli = engine(variant, tmp_path)
    if cli.backend != "openvino":
        pytest.skip("OpenVINO not installed: the runs were OpenVINO's")
    height, width = (round_up(side, cli.size_multiple) for side in size)
    assert cli.plan_photo(height, width) == plan
    assert cli.modelled_peak_bytes(height, width, plan[1], plan[0]) >= peak + MODEL_MARGIN_BYTES


# FFTformer's 12 MP command-line run (OpenVINO, 315 tiles of 320x320) was stopped after 51 minutes at load 14-19, about
# 50 tiles in: its RSS while the tiles ran was 1341 MB with 24.4 MiB of the stitcher's 137.7 MiB of sums touched
# (np.zeros: pages come in as tiles are added; /proc/PID/smaps). The rest of the sums coming in is the run's end.
FFTFORMER_12MP_TILES_RSS = 1341e6
FFTFORMER_12MP_SUMS_TOUCHED_MIB = 24.4


def test_fftformers_12_mp_run_with_all_its_sums_touched_stays_within_its_model(tmp_path, monkeypatch):
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    cli = engine("fftformer", tmp_path)
    if cli.backend != "openvino":
        pytest.skip("OpenVINO not installed")
    height, width = padded(cli)
    assert cli.plan_photo(height, width) == ("openvino", 320)
    sums = devices.STITCHED_BYTES_PER_PIXEL * height * width
    projected = FFTFORMER_12MP_TILES_RSS + sums - FFTFORMER_12MP_SUMS_TOUCHED_MIB * 2**20
    modelled = cli.modelled_peak_bytes(height, width, 320, "openvino")
    assert projected <= modelled <= devices.LARGE_PHOTO_PEAK_BYTES


# Session 17 (measure-12mp): 12 MP photos end to end, first use, on the real AVX2-only EPYC (2 cores, KVM, load 15-36),
# `bench_12mp_memory.py cli|window --runs 1 --sampled-tiles 2` (stand-in weights): every phase of the run in the real
# process, the network on the first 2 and last 2 tiles (the last with all the stitcher's sums written), the others
# passed into the stitcher as their own pixels; the whole process tree's peak RSS. The memory model sizes these tiles, so
# it must not say less than these runs took (the margins are thin: 4 MB for Restormer's command line, whose first use
# holds ~130 MB its cached run (1357 MB) does not; benchmarks/RESULTS.md, "#26/#21 12 MP end to end").
# Session 18 (window-12mp), the same command and machine (load 12-41): the window's Restormer, 1506-1511 MB before the
# freed heap was handed back between the run's phases (engine/heap.py) and its pictures and Save were made in bands,
# and the window's NAFNet-64 again (benchmarks/RESULTS.md, "Issue 26, 2026-12-07, session 18, window-12mp").
# Session 19 (measure), the same command and machine (load 15-26): the window's FFTformer after session 18's changes,
# 1493 MB (session 17: 1360), over the 1446 MB its model said then (benchmarks/RESULTS.md, "#21, 2026-12-07, session 19,
# measure").
MEASURED_12MP_END_TO_END = [("restormer-defocus", "cli", ("openvino", 304), 1489e6),  # session 17
                            ("fftformer", "cli", ("openvino", 320), 1485e6),
                            ("nafnet-64", "window", ("torch", 256), 1453e6),
                            ("fftformer", "window", ("torch", 256), 1360e6),
                            ("restormer-defocus", "window", ("torch", 256), 1449e6),  # session 18 (1318, 1449, 1297)
                            ("nafnet-64", "window", ("torch", 256), 1272e6),
                            ("fftformer", "window", ("torch", 256), 1493e6)]  # session 19 (measure)


@pytest.mark.parametrize("variant, caller, plan, peak", MEASURED_12MP_END_TO_END)
def test_the_model_covers_the_12_mp_runs_measured_end_to_end(variant, caller, plan, peak, tmp_path, monkeypatch):
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    runner = engine(variant, tmp_path, **(WINDOW if caller == "window" else {}))
    if runner.backend != "openvino":
        pytest.skip("OpenVINO not installed: the runs were planned with it")
    height, width = padded(runner)
    assert runner.plan_photo(height, width) == plan
    assert peak <= runner.modelled_peak_bytes(height, width, backend=plan[0]) <= devices.LARGE_PHOTO_PEAK_BYTES


# Session 18 (remeasure-12mp): the same command-line first uses with the lean export (6722f98: the ONNX graph exported
# without its weights, written beside it as external data), same machine (2-core AMD EPYC, AVX2 only, KVM, load 10-21),
# `bench_12mp_memory.py cli --networks NAME --runs 1 --sampled-tiles 2`, a fresh private home (no IR or int8 cached).
# NAFNet-64 came down from 1470-1477 MB (its old peak was the export) to its tiles' end; Restormer's from 1489 MB;
# FFTformer's export was never its peak (1485 MB in session 17, the tiles' level both times), and its model keeps 5 MB.
MEASURED_12MP_LEAN_EXPORT = [("nafnet-64", ("openvino", 416), 1351e6),
                             ("restormer-defocus", ("openvino", 304), 1463e6),
                             ("fftformer", ("openvino", 320), 1493e6)]


@pytest.mark.parametrize("variant, plan, peak", MEASURED_12MP_LEAN_EXPORT)
def test_the_model_covers_the_12_mp_command_line_first_uses_with_the_lean_export(variant, plan, peak, tmp_path,
                                                                                  monkeypatch):
    monkeypatch.setattr(devices, "cpu_features", lambda: CPU_CLASSES["avx2"])
    cli = engine(variant, tmp_path)
    if cli.backend != "openvino":
        pytest.skip("OpenVINO not installed: the runs were planned with it")
    height, width = padded(cli)
    assert cli.plan_photo(height, width) == plan
    assert peak <= cli.modelled_peak_bytes(height, width, backend=plan[0]) <= devices.LARGE_PHOTO_PEAK_BYTES
