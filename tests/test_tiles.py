"""One tile vocabulary everywhere: Auto, Whole image or N px, with the engine's floor (MIN_TILE)."""

import pytest
from PySide6.QtCore import QSettings

from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.tiling import MIN_TILE, parse_tile, tile_text
from deblur_app.model.mimo_unet import build_model


def test_words_and_floor():
    assert parse_tile("auto") is None and parse_tile(None) is None
    assert parse_tile("whole") == 0 and parse_tile("0") == 0
    assert parse_tile("512") == 512 and parse_tile(f"{MIN_TILE} px") == MIN_TILE
    for bad in ("128", "-5", "big", "99999"):
        with pytest.raises(ValueError, match="auto, whole"):
            parse_tile(bad)
    for tile in (None, 0, 640):
        assert parse_tile(tile_text(tile)) == tile


def test_command_line_refuses_tiles_under_the_floor(capsys, tmp_path):
    from deblur_app.cli.main import main

    with pytest.raises(SystemExit) as stop:
        main(["deblur", str(tmp_path / "x.png"), "--tile", "128"])
    assert stop.value.code == 2 and f"from {MIN_TILE}" in capsys.readouterr().err


def test_tile_and_ensemble_are_run_arguments_not_engine_state(photo_like):
    engine = Deblurrer(build_model("mimo-unet"), EngineOptions(device="cpu", precision="fp32", backend="torch"))
    image = photo_like(MIN_TILE + 8, MIN_TILE // 2)
    tiled = engine.run(image, tile=MIN_TILE)
    assert tiled.tiles == 2 and tiled.passes == 1
    assert engine.run(image, tile=100).tiles == 2, "under the floor, tiles are MIN_TILE"
    whole = engine.run(image[:32, :32], tile=0, ensemble=True)
    assert whole.tiles == 1 and whole.passes == 8
    assert engine.options.tile is None and engine.options.ensemble is False, "a run leaves the engine as it was"


def test_the_side_panel_speaks_the_same_words(qtbot):
    from deblur_app.gui.side_panel import SidePanel

    panel = SidePanel()
    qtbot.addWidget(panel)
    spin = panel.tile_spin
    spin.set_tile(None)
    assert spin.text() == "Auto" and panel.run_settings().tile is None
    spin.stepBy(1)
    assert spin.text() == "Whole image" and panel.run_settings().tile == 0, "the window can ask for a whole-image run"
    spin.stepBy(1)
    assert panel.run_settings().tile == MIN_TILE and spin.text() == f"{MIN_TILE} px"
    spin.stepBy(-1)
    assert panel.run_settings().tile == 0
    spin.setValue(200)  # no tile under the floor reaches a run
    assert panel.run_settings().tile == MIN_TILE
    spin.lineEdit().setText("768 px")
    spin.interpretText()
    assert panel.run_settings().tile == 768


def test_settings_keep_the_words_and_read_the_old_zero_as_auto(tmp_path):
    from deblur_app.gui.settings import AppSettings

    store = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    settings = AppSettings(store)
    store.setValue("run/tile", 0)  # how earlier versions stored Auto
    assert settings.tile == "auto"
    settings.tile = tile_text(0)
    assert settings.tile == "whole" and parse_tile(settings.tile) == 0
    store.setValue("run/tile", "100")
    assert settings.tile == "auto"
