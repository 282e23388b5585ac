"""Restormer in the registry: its checkpoints recognised and configured from their shapes, the defocus and motion
weights as catalogue entries whose terms say non-commercial use, installs of every container, refusals in one line,
the engine's one run path (tiles with context, cancel points, float32) and the window's words for it.

No test reaches the internet (conftest's local server stands in for the authors' Drive). Weights are the
conformance rule's (tests/conformance_weights.py) for the published configuration or small ones.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import CancelAfter, Route

from deblur_app.cli.main import main
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.progress import Cancelled
from deblur_app.model import networks
from deblur_app.model.checkpoints import CheckpointError, load_checkpoint
from deblur_app.model.registry import ARCHITECTURES, PRESETS, VARIANTS, architecture_of
from deblur_app.weights import catalog
from deblur_app.weights import store as weightstore
from test_network_checkpoints import FFTFORMER_16, NAFNET_16, RESTORMER_8, small_state
from test_network_weightstore import leftovers, saved
from test_networks_conformance import published_weights

DUAL_PIXEL_8 = dict(RESTORMER_8, inp_channels=6, dual_pixel_task=True)
DEFOCUS_FOLDER = "https://drive.google.com/drive/folders/1bRBG8DG_72AGA6-eRePvChlT5ZO4cwJ4"
TERMS = "non-commercial and personal use only (Restormer's Academic Public License"
FP32_WHOLE = EngineOptions(device="cpu", precision="fp32", tile=0, backend="torch")


@pytest.fixture(scope="module")
def published_bytes() -> bytes:
    """Restormer as its authors publish it: BasicSR's {'params': state_dict}, the published configuration."""
    return saved(published_weights("Restormer"), "params")


@pytest.fixture
def user_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return weightstore.user_weights_dir()


# ----------------------------------------------------------------------------- the registry and catalogue


def test_registry_entry_says_what_restormer_is_and_on_which_terms():
    architecture = ARCHITECTURES["restormer"]
    assert (architecture.outputs, architecture.size_multiple, architecture.pad_mode) == ((1,), 8, "reflect")
    assert not architecture.has_coarse_outputs and architecture.tile_overlap >= 2 * architecture.tile_discard
    assert architecture.precisions == () and architecture.openvino and "float32" in architecture.fp32_note
    assert "Academic Public License" in architecture.code_terms
    defocus, motion = VARIANTS["restormer-defocus"], VARIANTS["restormer-motion"]
    assert (defocus.blur, motion.blur) == ("focus", "shake")
    assert defocus.config == motion.config and list(VARIANTS).index("restormer-defocus") < list(VARIANTS).index(
        "restormer-motion")  # the first: an unpublished configuration counts under it
    assert {"restormer-defocus", "restormer-motion"} <= set(PRESETS)
    assert defocus.published.file_name == "single_image_defocus_deblurring.pth"
    assert motion.published.file_name == "motion_deblurring.pth"
    for variant in (defocus, motion):
        assert variant.published.terms.startswith(TERMS)
        assert variant.published.checkpoint_format == "BasicSR: torch.save({'params': state_dict})"
    assert "DPDD" in defocus.published.training_data and "25.98 dB" in defocus.published.psnr
    assert "32.92 dB" in motion.published.psnr


def test_the_terms_are_said_before_a_download_and_the_folder_gives_the_single_image_file():
    entries = catalog.downloads()
    assert {"restormer-defocus", "restormer-motion"} <= set(catalog.DOWNLOADABLE)
    assert weightstore.browser_link("restormer-defocus") == DEFOCUS_FOLDER
    terms = weightstore.download_terms("restormer-defocus")
    assert "Restormer (defocus)" in terms and TERMS in terms and "DPDD" in terms and DEFOCUS_FOLDER in terms
    # the authors' defocus folder holds the dual-pixel weights beside the single-image ones
    folder = ["Defocus/dual_pixel_defocus_deblurring.pth", "Defocus/single_image_defocus_deblurring.pth"]
    assert catalog.pick_from_folder(entries["restormer-defocus"], folder) == folder[1]
    assert catalog.pick_from_folder(entries["restormer-motion"], ["x/motion_deblurring.pth"]) == "x/motion_deblurring.pth"


def test_the_window_says_out_of_focus_and_non_commercial():
    from deblur_app.gui import network_notes

    line = network_notes.one_line("restormer-defocus")
    assert "out of focus" in line and "non-commercial" in line and line.endswith("Blur: out of focus")
    assert network_notes.one_line("restormer-motion").endswith("Blur: camera shake (GoPro)")
    assert network_notes.slow_network("restormer-defocus")


# ----------------------------------------------------------------------------- checkpoints and installs


@pytest.mark.parametrize("name, variant", [("single_image_defocus_deblurring.pth", "restormer-defocus"),
                                           ("motion_deblurring.pth", "restormer-motion"),
                                           ("restormer.pth", "restormer-defocus")])
def test_published_file_is_the_variant_its_name_and_shapes_say(published_bytes, tmp_path, name, variant):
    path = tmp_path / name
    path.write_bytes(published_bytes)
    checkpoint = load_checkpoint(path)
    assert checkpoint.architecture.key == "restormer" and checkpoint.published_config
    assert checkpoint.variant == VARIANTS[variant]
    assert checkpoint.config == VARIANTS[variant].config_dict


@pytest.mark.parametrize("wrapper", ["params", "params_ema", "state_dict", None])
def test_install_accepts_every_container_of_any_configuration(wrapper, user_folder, tmp_path):
    source = tmp_path / "mine.pth"
    source.write_bytes(saved(small_state("restormer", **RESTORMER_8), wrapper))
    weights = weightstore.install_file(source)
    assert weights.variant == "restormer-defocus" and weights.provenance == "user"
    assert weights.path == user_folder / "restormer-defocus.user.pth"
    assert weights.path.read_bytes() == source.read_bytes()
    checkpoint = load_checkpoint(weights.path)
    assert checkpoint.config == RESTORMER_8 and not checkpoint.published_config
    assert checkpoint.display_name.startswith("Restormer (")


def test_the_defocus_and_motion_weights_are_told_apart_by_name_as_a_browser_saves_it(published_bytes, user_folder,
                                                                                      tmp_path, capsys):
    """Both have the same shapes: the file's name decides, also as a browser saves a second copy ("motion_deblurring
    (1).pth", any case); a name of neither goes to defocus, and the command line says so and how to install it as the
    motion weights."""
    from deblur_app.model.registry import plain_file_name, variant_for, variants_alike

    config = VARIANTS["restormer-motion"].config_dict
    assert [v.key for v in variants_alike("restormer", config)] == ["restormer-defocus", "restormer-motion"]
    assert variants_alike("restormer", {**config, "dim": 24}) == []
    assert variant_for("restormer", {**config, "dim": 24}, "motion_deblurring.pth") == (VARIANTS["restormer-defocus"],
                                                                                       False)
    for name in ("motion_deblurring (1).pth", "Motion_Deblurring(2).pth", "MOTION_DEBLURRING.PTH"):
        assert variant_for("restormer", config, name)[0].key == "restormer-motion"
    assert variant_for("restormer", config, "motion_deblurring_v2.pth")[0].key == "restormer-defocus"
    assert plain_file_name("a (1) (2).pth") == "a (1).pth" and plain_file_name("weights (3)") == "weights"
    copy = tmp_path / "motion_deblurring (1).pth"
    copy.write_bytes(published_bytes)
    assert main(["weights", "install", str(copy), "--no-int8-check"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Restormer (motion) (user): {user_folder / 'restormer-motion.user.pth'} — used from now on"]
    renamed = tmp_path / "restormer.pth"
    renamed.write_bytes(published_bytes)
    assert main(["weights", "install", str(renamed), "--no-int8-check"]) == 0
    first, said = capsys.readouterr().out.splitlines()
    assert first.startswith("Restormer (defocus) (user): ")
    assert said == ("Restormer (defocus): taken for Restormer (defocus)'s weights by default: Restormer (motion)'s "
                    "have the same shapes and its name is neither's; if it holds those, install it as "
                    "motion_deblurring.pth and remove this one (deblur-app weights remove restormer-defocus.user.pth)")


def test_install_of_the_published_defocus_file_keeps_its_name(published_bytes, user_folder, tmp_path, capsys):
    source = tmp_path / "single_image_defocus_deblurring.pth"
    source.write_bytes(published_bytes)
    assert main(["weights", "install", str(source), "--no-int8-check"]) == 0
    assert "Restormer (defocus) (user)" in capsys.readouterr().out
    assert weightstore.find_weights("restormer-defocus").path == user_folder / "single_image_defocus_deblurring.pth"


@pytest.mark.parametrize("network", ["restormer-8", "dual-pixel"])
def test_dual_pixel_weights_are_refused_in_one_line_and_nothing_is_installed(network, user_folder, tmp_path, capsys):
    """The authors' dual-pixel weights read the two views of a dual-pixel capture (6 channels): no photo has them."""
    source = tmp_path / "dual_pixel_defocus_deblurring.pth"
    source.write_bytes(saved(small_state("restormer", **DUAL_PIXEL_8), "params"))
    if network == "restormer-8":  # the same file's single-image sibling installs
        source.write_bytes(saved(small_state("restormer", **RESTORMER_8), "params"))
        assert main(["weights", "install", str(source), "--no-int8-check"]) == 0
        return
    assert main(["weights", "install", str(source)]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "dual-pixel" in error and str(source) in error, error
    assert leftovers(user_folder) == []
    with pytest.raises(CheckpointError):
        load_checkpoint(source)


@pytest.mark.parametrize("other, config", [("fftformer", FFTFORMER_16), ("nafnet", NAFNET_16)])
def test_other_networks_are_not_restormer_and_restormer_is_no_other(other, config):
    assert networks.recognise(small_state(other, **config)).key == other
    assert networks.recognise(small_state("restormer", **RESTORMER_8)).key == "restormer"


@pytest.mark.parametrize("case", ["wrong-network", "good"])
def test_download_says_the_terms_first_and_refuses_another_network_in_one_line(case, server, user_folder,
                                                                               published_bytes, capsys):
    url, routes = server
    body = published_bytes if case == "good" else saved(small_state("nafnet", **NAFNET_16), "params")
    routes[f"/restormer-{case}.pth"] = Route(body)
    code = main(["weights", "download", "restormer-defocus", "--source", f"{url}/restormer-{case}.pth",
                 "--no-int8-check"])
    captured = capsys.readouterr()
    if case == "good":
        assert code == 0 and captured.out.index(TERMS) < captured.out.index("installed")
        installed = user_folder / "single_image_defocus_deblurring.pth"
        assert installed.read_bytes() == published_bytes and leftovers(user_folder) == [installed]
        return
    assert code == 1
    error = captured.err
    assert error.count("\n") == 1 and "Restormer (defocus) was asked for" in error, error
    assert leftovers(user_folder) == []


# ----------------------------------------------------------------------------- the engine and the command line


def small_engine(tmp_path, options=FP32_WHOLE) -> Deblurrer:
    path = tmp_path / "restormer.pth"
    torch.save({"params": small_state("restormer", **RESTORMER_8)}, path)
    return Deblurrer.from_checkpoint(load_checkpoint(path), options)


def test_float32_path_with_tiles_that_overlap_by_its_context(tmp_path, photo_like):
    """Whole images are the network's function (padded to 8 by reflection); tiles carry 128 pixels of context.
    The attention is global over a tile, so tiles differ from the whole image (measured in the README)."""
    engine = small_engine(tmp_path, EngineOptions(device="cpu", tile=0, backend="torch"))
    assert engine.precision_name == "fp32" and engine.backend == "torch"
    image = photo_like(100, 150)
    whole = engine.run(image, tile=0)
    x = torch.from_numpy(image.transpose(2, 0, 1)[None].copy())
    with torch.no_grad():
        direct = engine.model.float()(x)[0][0].numpy().transpose(1, 2, 0)
    np.testing.assert_allclose(whole.full, np.clip(direct, 0, 1), atol=1e-4)
    assert whole.half is None and whole.quarter is None
    tiled = engine.run(photo_like(300, 420), tile=256)
    assert tiled.tiles > 1 and tiled.full.shape == (300, 420, 3)


def test_every_transformer_block_is_a_cancel_point(tmp_path, photo_like):
    engine = small_engine(tmp_path)
    cancel = CancelAfter(3)
    with pytest.raises(Cancelled):
        engine.run(photo_like(64, 64), cancel=cancel)
    assert cancel.checks == 4


def test_int8_is_refused_by_name_with_the_reason(tmp_path):
    from deblur_app.engine.devices import DeviceError

    with pytest.raises(DeviceError, match="Restormer"):
        small_engine(tmp_path, EngineOptions(device="cpu", precision="int8"))


def test_command_line_model_name_runs_installed_restormer_weights(user_folder, tmp_path, photo_like):
    from deblur_app import imagefiles

    import cv2

    user_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"params": small_state("restormer", **RESTORMER_8)}, user_folder / "restormer-defocus.user.pth")
    source, target = tmp_path / "in.png", tmp_path / "out.png"
    cv2.imwrite(str(source), (photo_like(40, 56) * 255).astype(np.uint8))
    assert main(["deblur", str(source), "-o", str(target), "--model", "restormer-defocus"]) == 0
    assert imagefiles.load_image(target).pixels.shape == (40, 56, 3)


def test_architecture_of_the_variants():
    assert architecture_of("restormer-motion") is ARCHITECTURES["restormer"]
