"""Padding, tiling, ensemble, progress, cancellation and fallbacks of the engine."""

import numpy as np
import pytest
import torch

from deblur_app.engine import inference
from deblur_app.engine.devices import DeviceError, resolve_device, resolve_precision
from deblur_app.engine.inference import Deblurrer, EngineOptions, dihedral_transforms, pad_to_multiple
from conftest import CancelAfter
from deblur_app.engine.progress import CancelToken, Cancelled
from deblur_app.engine.strength import apply_strength
from deblur_app.engine.stitching import tile_weights
from deblur_app.engine.tiling import Tile, TileGeometry, plan_tiles, plan_tiles_by_area


def engine(model, **options):
    options.setdefault("device", "cpu")
    options.setdefault("precision", "fp32")
    options.setdefault("backend", "torch")  # these tests patch torch internals; OpenVINO: test_fast_paths.py
    return Deblurrer(model, EngineOptions(**options))


@pytest.mark.parametrize("size", [(37, 53), (64, 96), (5, 3), (1, 1)])
def test_any_size_is_padded_run_cropped_and_clamped(small_model, photo_like, size):
    image = photo_like(*size)
    result = engine(small_model, tile=0).run(image)
    height, width = size
    assert result.full.shape == (height, width, 3)
    assert result.half.shape == (-(-height // 2), -(-width // 2), 3)
    assert result.quarter.shape == (-(-height // 4), -(-width // 4), 3)
    for output in (result.full, result.half, result.quarter):
        assert output.dtype == np.float32 and output.min() >= 0.0 and output.max() <= 1.0


def test_padding_reflects_and_keeps_the_original():
    image = np.arange(5 * 6 * 3, dtype=np.float32).reshape(5, 6, 3)
    padded = pad_to_multiple(image)
    assert padded.shape == (8, 8, 3)
    np.testing.assert_array_equal(padded[:5, :6], image)
    np.testing.assert_array_equal(padded[5, :6], image[3])  # reflect, not repeat


def test_whole_image_matches_direct_network_call(small_model, photo_like):
    image = photo_like(64, 96)
    with torch.no_grad():
        direct = small_model(torch.from_numpy(image.transpose(2, 0, 1))[None])
    result = engine(small_model, tile=0).run(image)
    np.testing.assert_allclose(result.full, direct[2][0].permute(1, 2, 0).clamp(0, 1).numpy(), atol=1e-5)
    np.testing.assert_allclose(result.quarter, direct[0][0].permute(1, 2, 0).clamp(0, 1).numpy(), atol=1e-5)


def test_tiles_cover_the_image_on_multiples_of_four():
    tiles = plan_tiles(700, 1000, 320)
    assert len(tiles) > 4
    covered = np.zeros((700, 1000))
    for tile in tiles:
        assert tile.top % 4 == 0 and tile.left % 4 == 0 and tile.height % 4 == 0 and tile.width % 4 == 0
        covered[tile.top : tile.top + tile.height, tile.left : tile.left + tile.width] += tile_weights(tile, 700, 1000)
    assert covered.min() > 0.0


def test_tiles_share_one_shape_and_recompute_little_overlap():
    from deblur_app.engine.tiling import OVERLAP

    tiles = plan_tiles(3000, 4000, 1056)  # a 12 MP photo at the CPU's tile budget
    assert {(t.height, t.width) for t in tiles} == {(tiles[0].height, tiles[0].width)}
    assert max(tiles[0].height, tiles[0].width) <= 1056
    for axis, size, extent in (("top", "height", 3000), ("left", "width", 4000)):
        starts = sorted({getattr(t, axis) for t in tiles})
        length = getattr(tiles[0], size)
        assert starts[0] == 0 and starts[-1] + length == extent
        assert all(b - a <= length - OVERLAP for a, b in zip(starts, starts[1:]))
    assert sum(t.height * t.width for t in tiles) <= 1.4 * 3000 * 4000


FFTFORMER_GEOMETRY = TileGeometry(align=32, overlap=128, discard=32)


@pytest.mark.parametrize("height, width, side, geometry", [
    (736, 1280, 384, FFTFORMER_GEOMETRY), (1088, 1920, 384, FFTFORMER_GEOMETRY), (3008, 4000, 320, FFTFORMER_GEOMETRY),
    (3000, 4000, 1048, TileGeometry()), (3000, 4000, 852, TileGeometry()), (700, 1000, 320, TileGeometry()),
    (3008, 4000, 416, TileGeometry(16, 128, 32)), (4000, 640, 352, TileGeometry()), (640, 4000, 352, TileGeometry()),
])
def test_auto_tiles_by_area_stay_within_the_side_squared_and_never_compute_more(height, width, side, geometry):
    square, by_area = plan_tiles(height, width, side, geometry), plan_tiles_by_area(height, width, side, geometry)
    assert len({(t.height, t.width) for t in by_area}) == 1  # one shape: one compiled model
    assert all(t.height * t.width <= side * side for t in by_area)  # what the tile's working memory is sized by
    assert sum(t.height * t.width for t in by_area) <= sum(t.height * t.width for t in square)
    covered = np.zeros((height, width))
    for tile in by_area:
        assert all(v % geometry.align == 0 for v in (tile.top, tile.left, tile.height, tile.width))
        assert min(tile.height, tile.width) > geometry.overlap
        covered[tile.slices] += tile_weights(tile, height, width, geometry=geometry)
    assert covered.min() > 0.0
    for axis, size in (("top", "height"), ("left", "width")):  # neighbours keep the network's overlap
        starts, length = sorted({getattr(t, axis) for t in by_area}), getattr(by_area[0], size)
        assert all(b - a <= length - geometry.overlap for a, b in zip(starts, starts[1:]))


def test_fftformers_hd_frame_on_a_small_machine_computes_fewer_pixels_by_area():
    """736x1280 within 384x384 pixels a tile (an 8 GB machine): 12 tiles of 448x320, not 15 of 352x384."""
    square = plan_tiles(736, 1280, 384, FFTFORMER_GEOMETRY)
    by_area = plan_tiles_by_area(736, 1280, 384, FFTFORMER_GEOMETRY)
    assert (len(square), len(by_area)) == (15, 12)
    assert sum(t.height * t.width for t in by_area) / (736 * 1280) == pytest.approx(1.83, abs=0.01)
    assert sum(t.height * t.width for t in square) / (736 * 1280) == pytest.approx(2.15, abs=0.01)


def test_auto_runs_the_area_plan_a_chosen_size_the_square_one(small_model, photo_like, monkeypatch):
    runner = engine(small_model)
    monkeypatch.setattr(runner, "auto_tile_size", lambda *_args, **_kwargs: 336)
    image = photo_like(320, 340, seed=5)  # 108,800 pixels: within 336 squared, but wider than 336
    assert runner.run(image, tile=None).tiles == 1
    assert runner.run(image, tile=336).tiles == 2


def test_tiled_and_whole_image_agree_within_one_level(small_model, photo_like):
    # 2 rows of 3 tiles (inner seams both ways) at the least size that needs them with 320-pixel tiles: 324x484
    # (416x720 made 8 tiles: 1.8x the pixels to run, for the same seams)
    image = photo_like(324, 484, seed=3)
    whole = engine(small_model, tile=0).run(image)
    tiled = engine(small_model, tile=320).run(image)
    assert tiled.tiles >= 6
    for name in ("full", "half", "quarter"):
        assert np.abs(getattr(whole, name) - getattr(tiled, name)).max() < 1 / 255, name


def test_dihedral_transforms_are_undone_exactly():
    x = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).reshape(2, 3, 8, 12)
    transforms = dihedral_transforms(True)
    assert len(set(transforms)) == 8
    outputs = set()
    for turns, flip in transforms:
        forward = inference._forward_transform(x, turns, flip)
        outputs.add(forward.numpy().tobytes())
        assert torch.equal(inference._inverse_transform(forward, turns, flip), x)
    assert len(outputs) == 8


def test_ensemble_runs_eight_passes_per_tile_and_reports_each(small_model, photo_like):
    events = []
    result = engine(small_model, tile=0, ensemble=True).run(photo_like(32, 48), progress=events.append)
    assert result.passes == 8
    assert [e.done for e in events] == list(range(1, 9))
    assert events[-1].total == 8 and events[-1].fraction == 1.0


def test_cancel_stops_at_the_next_step(small_model, photo_like):
    token = CancelToken()
    events = []

    def on_progress(event):
        events.append(event)
        token.cancel()

    with pytest.raises(Cancelled):
        engine(small_model, tile=320).run(photo_like(400, 700), progress=on_progress, cancel=token)
    assert len(events) == 1


def test_cancel_takes_effect_inside_a_single_network_pass(small_model, photo_like):
    from deblur_app.model.mimo_unet import ResBlock

    runner = engine(small_model, tile=0, backend="torch")
    image = photo_like(64, 96)
    cancel = CancelAfter(checks_before_set=5)  # 2 checks before the pass, then one per residual block
    with pytest.raises(Cancelled):
        runner.run(image, cancel=cancel)
    assert cancel.checks == 6  # stopped at the 4th of the network's 48 blocks, not after the pass
    blocks = [m for m in small_model.modules() if isinstance(m, ResBlock)]
    assert len(blocks) == 48 and not any(block._forward_pre_hooks for block in blocks)
    np.testing.assert_array_equal(runner.run(image).full, engine(small_model, tile=0, backend="torch").run(image).full)


def test_out_of_memory_halves_the_tile_and_carries_on(small_model, photo_like, monkeypatch):
    image = photo_like(368, 368, seed=5)  # over the simulated 360x360 limit; its halved tiles (4 of 264) are under
    reference = engine(small_model, tile=0).run(image)
    runner = engine(small_model, tile=0)
    real_forward = runner._forward
    sizes = []

    def forward_with_small_memory(x, result, cancel=None):
        sizes.append(tuple(x.shape[-2:]))
        if x.shape[-1] * x.shape[-2] > 360 * 360:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_forward(x, result, cancel)

    monkeypatch.setattr(runner, "_forward", forward_with_small_memory)
    result = runner.run(image)
    assert sizes[0] == (368, 368) and result.tiles > 1
    assert any("out of memory" in note for note in result.notes)
    assert np.abs(result.full - reference.full).max() < 1 / 255


def test_non_finite_half_precision_output_falls_back_to_fp32(small_model, photo_like, monkeypatch):
    runner = engine(small_model, tile=0, precision="bf16")
    real_model = runner.model

    class OverflowsInLowPrecision(torch.nn.Module):
        lean_fusion = True

        def forward(self, x):
            outputs = real_model(x)
            if torch.is_autocast_enabled("cpu"):
                outputs[2] = outputs[2] * float("inf")
            return outputs

    runner.model = OverflowsInLowPrecision()
    result = runner.run(photo_like(32, 32))
    assert result.fp32_fallbacks == 1
    assert np.isfinite(result.full).all()


def test_bf16_agrees_with_fp32(small_model, photo_like):
    image = photo_like(64, 64)
    exact = engine(small_model, tile=0).run(image).full
    fast = engine(small_model, tile=0, precision="bf16").run(image).full
    assert np.abs(exact - fast).max() < 0.05


def test_unavailable_device_and_precision_are_clear_errors(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto").type in ("cpu", "mps")
    with pytest.raises(DeviceError, match="CUDA"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu")
    with pytest.raises(DeviceError, match="fp16"):
        resolve_precision("fp16", torch.device("cpu"))
    assert resolve_precision("fp32", torch.device("cpu")) == torch.float32


def test_split_tile_covers_its_area():
    tile = Tile(64, 128, 512, 400)
    parts = tile.split(200)
    assert min(p.top for p in parts) == 64 and max(p.top + p.height for p in parts) == 576
    assert max(p.left + p.width for p in parts) == 528 and all(p.height <= 200 for p in parts)


def test_auto_tiles_only_photos_too_large_to_run_whole(small_model, monkeypatch):
    from deblur_app.engine import devices

    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 16 * 1024**3)
    runner = engine(small_model, backend="torch")
    assert runner.auto_tile_size(720, 1280) == 0  # an HD frame runs in one piece: no overlap to recompute
    tile = runner.auto_tile_size(3000, 4000)  # 12 MP: tiles within the tile budget
    per_pixel = runner.architecture.memory_per_pixel("torch", runner.precision_name)
    assert 320 <= tile < 3000 and tile % 4 == 0
    assert tile * tile * per_pixel <= devices.TILE_BUDGET_BYTES
    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 2 * 1024**3)
    assert 0 < runner.auto_tile_size(720, 1280) <= 720  # a small machine tiles sooner


def test_strength_blends_the_correction_towards_the_original():
    rng = np.random.default_rng(0)
    original = rng.random((6, 5, 3), dtype=np.float32)
    restored = rng.random((6, 5, 3), dtype=np.float32)
    before = original.copy()
    assert apply_strength(original, restored, 1.0) is restored
    assert np.array_equal(apply_strength(original, restored, 0.0), original)
    np.testing.assert_allclose(apply_strength(original, restored, 0.25), 0.75 * original + 0.25 * restored, atol=1e-6)
    assert np.array_equal(original, before)  # the input is never modified
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError):
            apply_strength(original, restored, bad)
    with pytest.raises(ValueError):
        apply_strength(original, restored[:3], 0.5)


# ----------------------------------------------------------------------------- what each finished tile makes final


def final_pixel_counts(events, height: int, width: int) -> np.ndarray:
    """How often each pixel was reported final (1 everywhere: the reports cover the image once)."""
    counts = np.zeros((height, width), np.int32)
    for event in events:
        left, top, box_width, box_height = event.finished_tile.box
        counts[top : top + box_height, left : left + box_width] += event.finished_tile.final
    return counts


@pytest.mark.parametrize("ensemble", [False, True])
def test_finished_tiles_report_final_pixels_once_and_leave_the_result_unchanged(small_model, photo_like, ensemble):
    size = (326, 333) if not ensemble else (326, 170)  # not multiples of 4: the padding stays out of the reports
    image = photo_like(*size, seed=4)
    runner = engine(small_model, tile=320, ensemble=ensemble)
    events = []
    reported = runner.run(image, progress=events.append)
    if not ensemble:  # (the ensemble's eight passes per tile take too long to run twice)
        quiet = runner.run(image)
        for name in ("full", "half", "quarter"):
            assert getattr(reported, name).tobytes() == getattr(quiet, name).tobytes(), f"{name} changed by reporting"
    finished = [e for e in events if e.finished_tile is not None]
    passes = 8 if ensemble else 1
    assert reported.tiles == (4 if not ensemble else 2)
    assert [e.finished_tile.index for e in finished] == list(range(1, reported.tiles + 1))
    assert [e.done for e in finished] == [passes * i for i in range(1, reported.tiles + 1)], "after the last pass"
    assert [e.done for e in events] == list(range(1, passes * reported.tiles + 1)), "every step reported once"
    assert (final_pixel_counts(finished, *size) == 1).all(), "every pixel turns final exactly once"
    first = finished[0].finished_tile
    assert 0 < first.final.sum() < first.final.size, "overlaps with tiles to come are not final yet"
    for event in finished:
        left, top, width, height = event.finished_tile.box
        final = event.finished_tile.final
        shown = event.finished_tile.pixels[final]
        assert shown.tobytes() == reported.full[top : top + height, left : left + width][final].tobytes()


def test_a_single_tile_reports_only_steps(small_model, photo_like):
    events = []
    engine(small_model, tile=0).run(photo_like(64, 96), progress=events.append)
    assert [e.done for e in events] == [1] and events[0].finished_tile is None


@pytest.mark.parametrize("tile", [0, 400])
def test_tiles_re_split_after_out_of_memory_still_report_each_pixel_once(small_model, photo_like, monkeypatch, tile):
    image = photo_like(330, 500, seed=5)
    runner = engine(small_model, tile=tile)
    real_forward = runner._forward

    def forward_with_small_memory(x, result, cancel=None):
        if x.shape[-1] * x.shape[-2] > 300 * 300:
            raise torch.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_forward(x, result, cancel)

    monkeypatch.setattr(runner, "_forward", forward_with_small_memory)
    events = []
    result = runner.run(image, progress=events.append)
    finished = [e for e in events if e.finished_tile is not None]
    assert len(finished) == result.tiles > 2 and any("out of memory" in note for note in result.notes)
    assert (final_pixel_counts(finished, 330, 500) == 1).all()
