"""One table of networks and presets: every front end and the weights code read it."""

import subprocess
import sys

import pytest

from deblur_app.jobs import run as jobs
from deblur_app.weights import catalog
from deblur_app.cli.main import build_parser
from deblur_app.model import checkpoints, networks, registry
from deblur_app.model.mimo_unet import build_variant
from deblur_app.model.registry import PRESETS, VARIANTS, run_name


def _choices(argv_command: str, option: str) -> tuple:
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    parser = commands.choices[argv_command]
    return tuple(next(a for a in parser._actions if option in a.option_strings).choices)


def test_the_table_imports_without_torch():
    code = "import sys, deblur_app.model.registry; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_every_preset_runs_a_known_variant_and_plus_plus_is_plus_with_ensemble():
    assert all(preset.variant in VARIANTS for preset in PRESETS.values())
    assert (PRESETS["mimo-unet++"].variant, PRESETS["mimo-unet++"].ensemble) == ("mimo-unet+", True)
    choice = jobs.parse_model("MIMO-UNet++")
    assert (choice.variant, choice.ensemble) == ("mimo-unet+", True)
    assert jobs.parse_model("mimo-unet", ensemble=True).ensemble
    with pytest.raises(jobs.JobError, match="mimo-unet\\+\\+"):
        jobs.parse_model("unet")


def test_command_line_choices_come_from_the_table():
    for command in ("deblur", "batch", "eval"):
        assert _choices(command, "--model") == tuple(PRESETS)
    assert _choices("train", "--model") == ("mimo-unet", "mimo-unet+")  # the trainer's loss needs three scales
    assert set(_choices("deblur", "--model")) >= {"nafnet-64", "nafnet-32", "fftformer", "fftformer-realblur"}


def test_run_names():
    assert run_name("mimo-unet", False) == "MIMO-UNet"
    assert run_name("mimo-unet+", True) == "MIMO-UNet++"
    assert run_name("mimo-unet", True) == "MIMO-UNet ×8 ensemble"


@pytest.mark.parametrize("key", ["mimo-unet", "mimo-unet+"])
def test_block_counts_identify_the_mimo_variant(key):
    variant = VARIANTS[key]
    model = build_variant(variant)
    assert len(model.Encoder[0].layers) == variant.num_res
    assert checkpoints.detect_variant(model.state_dict()) == variant
    assert registry.variant_for_blocks(variant.num_res) == variant


@pytest.mark.parametrize("key", list(VARIANTS))
def test_shapes_and_file_name_identify_the_variant_and_files_come_from_the_table(key):
    variant = VARIANTS[key]
    state = networks.build(registry.architecture_of(key), variant.config_dict).state_dict()
    assert checkpoints.detect_variant(state, f"/x/{variant.own_file}") == variant
    names = {c.path.name for c in catalog.candidate_files(variant)}
    assert {variant.published_file, variant.own_file} <= names


def test_window_menus_come_from_the_table(qtbot):
    from deblur_app.gui.side_panel import MORE_NETWORKS, SidePanel

    panel = SidePanel()
    qtbot.addWidget(panel)
    combo = panel.model_combo
    networks = len(VARIANTS)  # then a separator and "Get more networks…"
    assert [combo.itemData(i) for i in range(networks)] == list(VARIANTS)
    assert [combo.itemText(i) for i in range(networks)] == [v.display_name for v in VARIANTS.values()]
    assert combo.count() == networks + 2 and combo.itemData(networks + 1) == MORE_NETWORKS
    combo.setCurrentIndex(combo.findData("mimo-unet+"))
    assert panel.ensemble_check.text().startswith(PRESETS["mimo-unet++"].display_name)
