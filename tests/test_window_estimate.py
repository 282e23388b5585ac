"""The window's time estimate before a run counts the pixels the engine will compute: a tiled photo's tiles with
their overlap (issue 26: a 24 MP photo under memory pressure ran 551 tiles while the estimate assumed one pass),
and the speed a run teaches is per pixel computed, so a tiled run does not make the next whole photo look slow."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from deblur_app.gui import network_notes  # noqa: E402
from deblur_app.gui.outcomes import RunFacts  # noqa: E402
from deblur_app.gui.timing import computed_megapixel_passes, seconds_per_megapixel  # noqa: E402
from guikit import open_photo, run  # noqa: E402


def test_the_engine_plans_the_pixels_its_run_computes_under_memory_pressure(small_model, photo_like, monkeypatch):
    from deblur_app.engine import devices
    from deblur_app.engine.inference import Deblurrer, EngineOptions

    monkeypatch.setattr(devices, "_physical_memory_bytes", lambda: 256 * 1024**2)  # a machine short of memory
    engine = Deblurrer(small_model, EngineOptions(device="cpu", backend="torch", precision="fp32"))
    height, width = 402, 703
    computed = []
    real_run_tile = engine._run_tile

    def recording(pixels, *args):
        computed.append(pixels.shape[0] * pixels.shape[1])
        return real_run_tile(pixels, *args)

    monkeypatch.setattr(engine, "_run_tile", recording)
    planned = engine.planned_pixels(height, width)
    result = engine.run(photo_like(height, width), tile=None)
    assert result.tiles > 1 and len(computed) == result.tiles
    assert planned == sum(computed) > 1.5 * height * width, "the overlap of the tiles is counted"
    assert engine.planned_pixels(height, width, tile=0) == 404 * 704  # whole: the padded photo, once
    assert engine.planned_pixels(height, width, tile=320) > planned * 0.9


def test_the_estimate_counts_the_loaded_engines_tiles_or_the_tiles_the_user_chose():
    height, width = 4000, 6000  # 24 MP
    whole = network_notes.computed_pixels("mimo-unet", height, width, None)
    assert whole == height * width, "auto without a loaded engine: one pass over the photo"
    tiled = network_notes.computed_pixels("mimo-unet", height, width, 320)  # MIMO-UNet's overlap is 160
    assert tiled > 3 * height * width
    asked = []

    def planner(h, w, tile):
        asked.append((h, w, tile))
        return 551 * 400 * 400

    assert network_notes.computed_pixels("mimo-unet", height, width, None, planner) == 551 * 400 * 400
    assert asked == [(height, width, None)]
    assert network_notes.computed_pixels("mimo-unet", height, width, None, lambda *_: None) == whole  # engine gone
    one_pass = network_notes.expected_seconds("mimo-unet", whole, 2)
    assert network_notes.expected_seconds("mimo-unet", 551 * 400 * 400, 2) == pytest.approx(
        one_pass * 551 * 400 * 400 / whole)


def test_a_tiled_runs_speed_is_per_pixel_computed():
    facts = RunFacts(seconds=60.0, tiles=12, passes=1, device="cpu", precision="fp32", model_name="MIMO-UNet",
                     computed_pixels=3_000_000)
    assert seconds_per_megapixel(facts.seconds, computed_megapixel_passes(facts, 1.0)) == pytest.approx(20.0)
    unknown = RunFacts(seconds=60.0, tiles=1, passes=1, device="cpu", precision="fp32", model_name="MIMO-UNet")
    assert seconds_per_megapixel(unknown.seconds, computed_megapixel_passes(unknown, 1.0)) == pytest.approx(60.0)


def test_the_side_panels_estimate_follows_the_loaded_engines_tile_plan(qtbot, make_window, photo, weights_dir):
    window = make_window()
    photo_record = open_photo(qtbot, window, photo("shot.png", 64))
    combo = window.panel.precision_combo
    combo.setCurrentIndex(combo.findData("fp32"))
    run(qtbot, window)
    loaded = window.engine.loaded_model
    assert loaded is not None and loaded.variant == "mimo-unet" and loaded.planner is not None
    # the engine's plan, asked on the GUI thread: a 64 x 64 photo runs whole
    assert loaded.planner(64, 64, None) == 64 * 64
    window.runs.speeds[("mimo-unet", "auto", "fp32")] = 40.0 / (64 * 64 / 1e6)  # 40 s for this photo, one pass
    window._offer_network_views()
    assert "about 40 s" in window.panel.network_note.text()
    window.engine.loaded_model = type(loaded)(**{**loaded.__dict__, "planner": lambda h, w, tile: 4 * h * w})
    window._offer_network_views()
    assert "about 2 min 40 s" in window.panel.network_note.text(), "four times the pixels computed"
    assert photo_record.result is not None
