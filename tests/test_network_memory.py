"""Large photos are planned within the memory goal (issue 26: 12 MP through every network in <= 1.5 GB).

The planner (Deblurrer.plan_photo / auto_tile_size) sizes tiles from a model of the whole process's
peak: the runtime, the weights (and OpenVINO's copies), the photo's buffers and one tile's working
memory per pixel (registry Architecture.bytes_per_pixel, measured by benchmarks/bench_network_memory.py).
"""

import pytest
import torch

from deblur_app.engine import devices
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.tiling import plan_tiles, round_up
from deblur_app.gui.worker import WINDOW_HELD_BYTES, WINDOW_HELD_BYTES_PER_PIXEL
from deblur_app.model import networks
from deblur_app.model.registry import VARIANTS, architecture_of

PUBLISHED = ["mimo-unet", "mimo-unet+", "nafnet-64", "nafnet-32", "fftformer"]
TWELVE_MP = (3000, 4000)


@pytest.fixture(autouse=True)
def sixteen_gigabytes(monkeypatch):
    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 16 * 1024**3)


def engine(variant: str, **options) -> Deblurrer:
    torch.manual_seed(0)  # random weights of the published configuration: only their size counts here
    model = networks.build(architecture_of(variant), VARIANTS[variant].config_dict)
    return Deblurrer(model, EngineOptions(device="cpu", **options), architecture_of(variant))


@pytest.mark.parametrize("variant", PUBLISHED)
@pytest.mark.parametrize("backend", ["auto", "torch"])
def test_a_12_mp_photo_is_planned_within_the_large_photo_peak(variant, backend):
    runner = engine(variant, backend=backend)
    chosen, tile = runner.plan_photo(*TWELVE_MP)
    assert 0 < tile < max(TWELVE_MP)  # tiled, with tiles no smaller than the network allows
    assert tile >= runner.geometry.min_tile and tile % runner.geometry.align == 0
    peak = runner.modelled_peak_bytes(*TWELVE_MP, tile, chosen)
    assert peak <= devices.LARGE_PHOTO_PEAK_BYTES, f"{variant} on {chosen}: {peak / 1e9:.2f} GB"
    # and the tiles are as large as that allows: a tile 10 % larger would not fit the room left (or the tile budget)
    larger = tile + max(runner.geometry.align, tile // 10)
    height, width = (round_up(side, runner.size_multiple) for side in TWELVE_MP)
    room = devices.LARGE_PHOTO_PEAK_BYTES - runner.resident_bytes(chosen) - runner.photo_bytes(height, width)
    assert (larger * larger * runner._memory_per_pixel(chosen) > min(room, devices.TILE_BUDGET_BYTES)
            or tile == runner.geometry.min_tile)


def test_weights_too_large_for_openvino_beside_a_12_mp_photo_run_that_photo_in_torch():
    runner = engine("nafnet-64")
    if runner.backend != "openvino":
        pytest.skip("OpenVINO not installed")
    assert runner.plan_photo(720, 1280) == ("openvino", 0)  # an HD frame: whole, on OpenVINO
    backend, tile = runner.plan_photo(*TWELVE_MP)
    assert backend == "torch"
    assert runner.modelled_peak_bytes(*TWELVE_MP, backend="openvino") > devices.LARGE_PHOTO_PEAK_BYTES
    assert runner.modelled_peak_bytes(*TWELVE_MP, tile, "torch") <= devices.LARGE_PHOTO_PEAK_BYTES


def test_the_modelled_peak_counts_the_largest_tile_and_the_whole_photo():
    runner = engine("mimo-unet", backend="torch")
    tiles = plan_tiles(3000, 4000, 1024, runner.geometry)  # MIMO-UNet pads to a multiple of 4: none here
    largest = max(t.height * t.width for t in tiles)
    # the photo's buffers: the caller's float32 image and decoding (14 B), the stitcher's float32 sums of the full,
    # 1/2 and 1/4 scales (12 x 21/16 B): its weights are replayed, not kept (engine/stitching.py)
    assert runner.photo_bytes(3000, 4000) == int((14 + 12 * 21 / 16) * 3000 * 4000)
    expected = (runner.resident_bytes("torch") + runner.photo_bytes(3000, 4000)
                + runner._memory_per_pixel("torch") * largest)
    assert runner.modelled_peak_bytes(3000, 4000, 1024, "torch") == expected
    assert runner.resident_bytes("openvino") > runner.resident_bytes("torch")  # OpenVINO's copies count


def test_a_photo_too_large_for_the_peak_still_gets_tiles_of_the_smallest_budget():
    runner = engine("mimo-unet", backend="torch")
    tile = runner.auto_tile_size(6000, 8400)  # 50 MP: its own buffers alone come near the 1.5 GB
    per_pixel = runner._memory_per_pixel("torch")
    side = int((devices.MIN_TILE_BUDGET_BYTES // per_pixel) ** 0.5)
    assert tile == max(runner.geometry.min_tile, side - side % runner.geometry.align) > runner.geometry.min_tile


# NAFNet-64 and FFTformer in the window were modelled over the goal at their smallest tiles until session 14 (1.62 and
# 1.81 GB): the stitcher's replayed weights, the coarse scales counted only for MIMO-UNet and 256-pixel smallest tiles
# for their 128-pixel overlap bring every network within it (tests/test_memory_plans.py pins the plans)
@pytest.mark.parametrize("variant", PUBLISHED)
def test_what_the_caller_holds_per_pixel_shrinks_the_tiles_and_the_peak_still_fits(variant):
    """The window holds pictures of the photo and of the result so far beside the engine, and its own runtime
    (gui/worker.py): a 12 MP photo's tiles leave room for them, so the whole window stays within the large-photo peak."""
    plain = engine(variant)
    holding = engine(variant, held_bytes_per_pixel=WINDOW_HELD_BYTES_PER_PIXEL, held_bytes=WINDOW_HELD_BYTES)
    plain_backend, plain_tile = plain.plan_photo(*TWELVE_MP)
    backend, tile = holding.plan_photo(*TWELVE_MP)
    assert holding.photo_bytes(*TWELVE_MP) - plain.photo_bytes(*TWELVE_MP) == (
        WINDOW_HELD_BYTES_PER_PIXEL * TWELVE_MP[0] * TWELVE_MP[1] + WINDOW_HELD_BYTES)
    assert tile < plain_tile or backend != plain_backend
    assert holding.modelled_peak_bytes(*TWELVE_MP, tile, backend) <= devices.LARGE_PHOTO_PEAK_BYTES
    # the plain plan would not have left that room
    assert holding.modelled_peak_bytes(*TWELVE_MP, plain_tile, plain_backend) > plain.modelled_peak_bytes(
        *TWELVE_MP, plain_tile, plain_backend)


def test_the_window_opens_its_engine_with_room_for_what_it_holds(monkeypatch):
    from deblur_app import jobs
    from deblur_app.gui.messages import RunSettings
    from deblur_app.gui.worker import EngineWorker

    opened = []
    monkeypatch.setattr(jobs, "open_engine", lambda choices: opened.append(choices) or jobs.OpenedEngine(None, None))
    EngineWorker._load(RunSettings(variant="nafnet-64"))
    assert opened[0].variant == "nafnet-64"
    assert opened[0].held_bytes_per_pixel == WINDOW_HELD_BYTES_PER_PIXEL > 0
    assert jobs.engine_options(opened[0]).held_bytes_per_pixel == WINDOW_HELD_BYTES_PER_PIXEL
    assert jobs.engine_options(opened[0]).held_bytes == WINDOW_HELD_BYTES > 100 * 1000**2  # Qt: 122 MB measured


@pytest.mark.parametrize("variant", PUBLISHED)
def test_an_hd_frame_runs_whole_through_every_network_on_a_16_gb_machine(variant):
    """Tiling a 1280x720 frame recomputes its overlap: FFTformer's (3.3 GB of working memory on OpenVINO) went
    into 12 tiles of 352x416, 1.86x the frame's pixels, under the 3 GiB whole-image budget of before."""
    runner = engine(variant)
    height, width = (round_up(side, runner.size_multiple) for side in (720, 1280))
    assert runner.plan_photo(height, width) == (runner.backend, 0)


def test_a_small_machine_still_tiles_fftformers_hd_frame_and_no_12_mp_photo_runs_whole(monkeypatch):
    runner = engine("fftformer")
    assert runner.auto_tile_size(*TWELVE_MP) > 0
    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 8 * 1024**3)
    assert 0 < runner.auto_tile_size(736, 1280) < 736
    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 64 * 1024**3)
    for variant in PUBLISHED:  # the leanest path's working memory for 12 MP is over the cap on any machine
        for path in ("auto", "torch"):
            assert engine(variant, backend=path).auto_tile_size(*TWELVE_MP) > 0
