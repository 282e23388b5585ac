"""The stitcher keeps a photo's weighted sums whole and replays its weights (issues 21/26: 12 MP within 1.5 GB):
the same bits as the array of summed weights it kept before, 4-5 bytes a pixel less."""

import tracemalloc

import numpy as np
import pytest

from deblur_app.engine.stitching import Stitcher, tile_weights, weighted_area
from deblur_app.engine.tiling import Tile, TileGeometry, plan_tiles, plan_tiles_by_area

MIMO = TileGeometry()
NAFNET = TileGeometry(16, 128, 32)


class DenseStitcher:
    """The stitcher as it was: the summed weights (and the count of tiles due) as whole arrays, added tile by tile."""

    def __init__(self, height, width, scales, geometry):
        self.height, self.width, self.geometry = height, width, geometry
        self.sums = {s: np.zeros((height // s, width // s, 3), np.float32) for s in scales}
        self.weights = {s: np.zeros((height // s, width // s, 1), np.float32) for s in scales}
        self.due = np.zeros((height, width), np.uint8)

    def expect(self, tiles):
        for tile in tiles:
            self.due[weighted_area(tile, self.height, self.width, self.geometry).slices] += 1

    def withdraw(self, tile):
        self.due[weighted_area(tile, self.height, self.width, self.geometry).slices] -= 1

    def add(self, tile, outputs):
        for scale, pixels in outputs.items():
            w = tile_weights(tile, self.height, self.width, scale, self.geometry)[..., None]
            rows = slice(tile.top // scale, (tile.top + tile.height) // scale)
            cols = slice(tile.left // scale, (tile.left + tile.width) // scale)
            self.sums[scale][rows, cols] += pixels * w
            self.weights[scale][rows, cols] += w
        self.due[weighted_area(tile, self.height, self.width, self.geometry).slices] -= 1

    def final_and_pixels(self, tile, height, width):
        area = weighted_area(tile, self.height, self.width, self.geometry)
        box = Tile(area.top, area.left, max(0, min(area.height, height - area.top)),
                   max(0, min(area.width, width - area.left)))
        pixels = np.clip(self.sums[1][box.slices] / np.maximum(self.weights[1][box.slices], 1e-12), 0, 1)
        return box, self.due[box.slices] == 0, pixels

    def result(self, scale):
        return self.sums[scale] / np.maximum(self.weights[scale], 1e-12)


def outputs_of(tile, scales, rng):
    return {s: rng.random((tile.height // s, tile.width // s, 3), dtype=np.float32) for s in scales}


@pytest.mark.parametrize("height, width, side, scales, geometry, by_area", [
    (700, 1000, 320, (1, 2, 4), MIMO, False), (1504, 2000, 852, (1, 2, 4), MIMO, True),
    (1008, 1504, 256, (1,), NAFNET, True), (640, 928, 320, (1,), TileGeometry(32, 128, 32), True),
])
def test_replayed_weights_give_the_same_bits_as_accumulated_ones(height, width, side, scales, geometry, by_area):
    """Every tile's final pixels and final mask, and every scale's result, equal the dense stitcher's bit for bit,
    with a tile re-split on the way (as after running out of memory)."""
    tiles = (plan_tiles_by_area if by_area else plan_tiles)(height, width, side, geometry)
    assert len(tiles) > 4
    rng = np.random.default_rng(0)
    lean, dense = Stitcher(height, width, scales=scales, geometry=geometry), DenseStitcher(height, width, scales, geometry)
    lean.expect(tiles)
    dense.expect(tiles)
    queue, split_one, seen = list(tiles), True, 0
    unpadded = (height - 5, width - 7)
    while queue:
        tile = queue.pop(0)
        parts = tile.split(max(geometry.min_tile, max(tile.height, tile.width) // 2 + geometry.overlap), geometry)
        if split_one and tile.top > 0 and tile.left > 0 and len(parts) > 1:  # as _run_tiles splits after an OOM
            split_one = False
            for stitcher in (lean, dense):
                stitcher.withdraw(tile)
                stitcher.expect(parts)
            queue[:0] = parts
            continue
        outputs = outputs_of(tile, scales, rng)
        lean.add(tile, outputs)
        dense.add(tile, outputs)
        seen += 1
        finished = lean.finished(tile, seen, *unpadded)
        box, final, pixels = dense.final_and_pixels(tile, *unpadded)
        assert finished.box == (box.left, box.top, box.width, box.height)
        np.testing.assert_array_equal(finished.final, final)
        assert np.array_equal(finished.pixels.view(np.uint32), pixels.view(np.uint32))
    assert not split_one or side < 2 * geometry.min_tile  # large tiles were split once
    assert lean.finished(tile, seen, *unpadded).final.all()  # the last tile leaves nothing due
    for scale in scales:
        expected = dense.result(scale)
        assert np.array_equal(lean.result(scale).view(np.uint32), expected.view(np.uint32))


def test_a_result_is_taken_once():
    stitcher = Stitcher(64, 64, scales=(1,))
    stitcher.add(Tile(0, 0, 64, 64), {1: np.full((64, 64, 3), 0.5, np.float32)})
    assert np.all(stitcher.result(1) == 0.5)
    with pytest.raises(RuntimeError):
        stitcher.result(1)


@pytest.mark.parametrize("scales, bytes_per_pixel", [((1,), 12), ((1, 2, 4), 12 * (1 + 1 / 4 + 1 / 16))])
def test_the_stitcher_holds_its_sums_and_a_band_not_an_array_of_weights(scales, bytes_per_pixel):
    """A counted (progress) 1504x2000 run in 852-pixel tiles allocates at most the float32 sums of its scales
    (12 bytes a full-scale pixel, MIMO-UNet's coarse scales on top), its tiles' outputs and a band of replayed weights:
    not the 4 + 1 bytes a pixel of weights and count it held before (PHOTO_BYTES_PER_PIXEL counts the rest)."""
    height, width = 1504, 2000
    tiles = plan_tiles_by_area(height, width, 852, MIMO)
    rng = np.random.default_rng(0)
    outputs = [outputs_of(tile, scales, rng) for tile in tiles]
    largest_output = max(sum(o.nbytes for o in out.values()) for out in outputs)
    tracemalloc.start()
    try:
        stitcher = Stitcher(height, width, scales=scales, geometry=MIMO)
        stitcher.expect(tiles)
        for index, (tile, out) in enumerate(zip(tiles, outputs)):
            stitcher.add(tile, out)
            stitcher.finished(tile, index + 1, height, width)
        for scale in scales:
            stitcher.result(scale)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    sums = bytes_per_pixel * height * width
    # a tile's weighted output and its weights (4 + 12 + 4 bytes a tile pixel), a replayed band: far below the 5
    # bytes a photo pixel (15 MB here) the weights and the count took
    assert sums <= peak <= sums + 2 * largest_output + 4 * Stitcher.BAND_ROWS * width * 4
    assert peak < sums + 5 * height * width


@pytest.mark.skipif(not __import__("deblur_app.engine.openvino_backend", fromlist=["x"]).openvino_available(),
                    reason="OpenVINO not installed")
def test_a_tiled_openvino_run_lets_its_compiled_models_go_before_the_sums_are_divided(tmp_path, monkeypatch,
                                                                                        photo_like):
    """The division of the stitched sums (replayed weights, a band at a time) grew the heap at the end of every tiled
    run, and with the compiled model's working memory still held that was the run's peak (NAFNet-32's 12 MP command
    line: 1062 MB while the tiles ran, 1104 there; RESULTS.md, session 15, measure-12mp). The compiled models go before
    it; the result is the same (within 1/255 of the whole image, as every tiled run)."""
    from deblur_app.engine import openvino_backend, stitching
    from deblur_app.engine.inference import Deblurrer, EngineOptions
    from deblur_app.model import networks
    from deblur_app.model.checkpoints import load_checkpoint, save_checkpoint
    from deblur_app.model.registry import ARCHITECTURES
    from test_network_checkpoints import NAFNET_16, small_state

    monkeypatch.setattr(openvino_backend, "default_cache_dir", lambda: tmp_path / "openvino-cache")
    model = networks.build(ARCHITECTURES["nafnet"], NAFNET_16)
    model.load_state_dict(small_state("nafnet", **NAFNET_16))
    weights = save_checkpoint(tmp_path / "nafnet-16.safetensors", model, {"trained_by": "tests"})
    engine = Deblurrer.from_checkpoint(load_checkpoint(weights), EngineOptions(device="cpu"))
    compiled_at_division = []
    divide = stitching.Stitcher.result

    def result(self, scale):
        compiled_at_division.append(len(engine._openvino._compiled))
        return divide(self, scale)

    monkeypatch.setattr(stitching.Stitcher, "result", result)
    image = photo_like(480, 560, seed=5)
    tiled = engine.run(image, tile=320)
    assert tiled.backend == "openvino" and tiled.tiles > 1
    assert compiled_at_division == [0]
    whole = Deblurrer.from_checkpoint(load_checkpoint(weights), EngineOptions(device="cpu")).run(image, tile=0)
    assert np.abs(tiled.full - whole.full).max() <= 1 / 255
