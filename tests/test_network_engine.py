"""One run path for every registry network: padding, tiles, cancel points, outputs, precisions."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from conftest import CONFORMANCE, CancelAfter
from deblur_app import reasons
from deblur_app import imagefiles
from deblur_app.cli.main import main
from deblur_app.engine.devices import DeviceError
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.engine.progress import Cancelled
from deblur_app.engine.tiling import TileGeometry, plan_tiles
from deblur_app.model.checkpoints import load_checkpoint
from test_network_checkpoints import FFTFORMER_16, NAFNET_16, small_state
from test_networks_conformance import expected_full, published_weights

FP32_WHOLE = EngineOptions(device="cpu", precision="fp32", tile=0, backend="torch")


def conformance_image() -> np.ndarray:
    return np.load(CONFORMANCE / "input_64x96.npy")[0].transpose(1, 2, 0)


@pytest.fixture(scope="module")
def nafnet32_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("nafnet") / "NAFNet-GoPro-width32.pth"
    torch.save({"params": published_weights("NAFNet-width32")}, path)
    return path


def small_checkpoint(tmp_path, architecture: str, config: dict):
    path = tmp_path / f"{architecture}.pth"
    torch.save(small_state(architecture, **config), path)
    return load_checkpoint(path)


def test_nafnet_through_the_engine_is_the_reference_with_only_a_full_output(nafnet32_file):
    engine = Deblurrer.from_checkpoint(load_checkpoint(nafnet32_file), EngineOptions(device="cpu", tile=0))
    assert engine.precision_name == "fp32"  # no bf16 or int8 verdict for these weights: float32, said why
    assert str(engine.precision.reason).startswith((reasons.BF16_NOT_MEASURED, reasons.NO_NATIVE_BF16))
    result = engine.run(conformance_image())
    reference = np.clip(expected_full("NAFNet-width32")[0].transpose(1, 2, 0), 0, 1)
    np.testing.assert_allclose(result.full, reference, atol=1e-4)
    assert result.half is None and result.quarter is None


def test_fast_paths_a_network_was_not_measured_for_are_refused_by_name(nafnet32_file, tmp_path):
    fftformer = small_checkpoint(tmp_path, "fftformer", FFTFORMER_16)
    # OpenVINO runs FFTformer (float32, tests/test_network_fast_paths.py); int8 was never measured for it
    with pytest.raises(DeviceError, match="int8 does not run FFTformer") as error:
        Deblurrer.from_checkpoint(fftformer, EngineOptions(device="cpu", precision="int8"))
    assert "\n" not in str(error.value)


def test_nafnet_is_padded_with_zeros_and_fftformer_by_reflection_as_their_authors_do(tmp_path, photo_like):
    image = photo_like(37, 53)
    x = torch.from_numpy(image.transpose(2, 0, 1).copy())[None]
    nafnet = small_checkpoint(tmp_path, "nafnet", NAFNET_16)
    with torch.no_grad():
        authors = nafnet.build()(x)[0]  # NAFNet pads zeros itself, as the authors' forward does
    result = Deblurrer.from_checkpoint(nafnet, FP32_WHOLE).run(image)
    np.testing.assert_allclose(result.full, authors.clamp(0, 1)[0].permute(1, 2, 0).numpy(), atol=1e-5)

    fftformer = small_checkpoint(tmp_path, "fftformer", FFTFORMER_16)
    with torch.no_grad():  # the authors' test.py: reflect to a multiple of 32, run, crop
        authors = fftformer.build()(F.pad(x, (0, 11, 0, 27), mode="reflect"))[0][..., :37, :53]
    result = Deblurrer.from_checkpoint(fftformer, FP32_WHOLE).run(image)
    np.testing.assert_allclose(result.full, authors.clamp(0, 1)[0].permute(1, 2, 0).numpy(), atol=1e-5)


def test_tiles_fall_on_the_networks_grid():
    for align in (16, 32):
        tiles = plan_tiles(1216, 1632, 600, TileGeometry(align, 256, 64))
        assert len(tiles) > 4
        assert all(t.top % align == 0 and t.left % align == 0 and t.height % align == 0 for t in tiles)


@pytest.mark.parametrize("architecture, config", [("nafnet", NAFNET_16), ("fftformer", FFTFORMER_16)])
def test_tiled_run_is_within_one_level_of_the_whole_image(tmp_path, photo_like, architecture, config):
    engine = Deblurrer.from_checkpoint(small_checkpoint(tmp_path, architecture, config), FP32_WHOLE)
    image = photo_like(520, 700)
    whole = engine.run(image, tile=0)
    tiled = engine.run(image, tile=320)  # the smallest tile: the least context
    assert tiled.tiles > 1 and tiled.half is None
    assert np.abs(tiled.full - whole.full).max() < 1 / 255


@pytest.mark.parametrize("architecture, config", [("nafnet", NAFNET_16), ("fftformer", FFTFORMER_16)])
def test_every_block_is_a_cancel_point(tmp_path, photo_like, architecture, config):
    engine = Deblurrer.from_checkpoint(small_checkpoint(tmp_path, architecture, config), FP32_WHOLE)
    cancel = CancelAfter(3)  # the run's own checks come first, then the blocks'
    with pytest.raises(Cancelled):
        engine.run(photo_like(64, 64), cancel=cancel)
    assert cancel.checks == 4


def test_command_line_reproduces_the_nafnet_reference_from_a_published_file(nafnet32_file, tmp_path):
    target = tmp_path / "out.png"
    assert main(["deblur", str(CONFORMANCE / "input_64x96.png"), "-o", str(target), "--weights", str(nafnet32_file),
                 "--precision", "fp32", "--tile", "whole", "--bit-depth", "16"]) == 0
    written = imagefiles.load_image(target).pixels
    reference = np.clip(expected_full("NAFNet-width32")[0].transpose(1, 2, 0), 0, 1)
    assert np.abs(written - reference).max() <= 0.5 / 65535 + 1e-4


def test_save_scales_with_a_full_only_network_is_one_line_before_any_run(nafnet32_file, tmp_path, capsys):
    target = tmp_path / "out.png"
    code = main(["deblur", str(CONFORMANCE / "input_64x96.png"), "-o", str(target), "--weights", str(nafnet32_file),
                 "--save-scales"])
    assert code != 0 and not target.exists()
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("deblur-app:")]
    assert len(errors) == 1 and "NAFNet-32 returns only the full-size image" in errors[0]


@pytest.fixture
def empty_weights(tmp_path, monkeypatch):
    from deblur_app.resources import user_weights_dir
    from deblur_app.weights import catalog

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folder = user_weights_dir()
    assert str(folder).startswith(str(tmp_path))
    monkeypatch.setattr(catalog, "weights_search_dirs", lambda: [folder])


def test_info_and_weights_list_name_every_registry_network(empty_weights, capsys):
    assert main(["info"]) == 0
    info = capsys.readouterr().out
    for name in ("nafnet-64", "nafnet-32", "nafnet-64-reds", "fftformer", "fftformer-realblur", "mimo-unet++"):
        assert f"  {name} " in info
    assert "RealBlur-J" in info and "GoPro 33.71 dB" in info
    assert main(["weights", "list"]) == 0
    listed = capsys.readouterr().out
    assert "MIMO-UNet: not installed — deblur-app weights download mimo-unet" in listed
    # every published network downloads in one command since the weights manager knows them all
    for name, key in (("NAFNet-64", "nafnet-64"), ("FFTformer RealBlur", "fftformer-realblur")):
        assert f"{name}: not installed — deblur-app weights download {key}" in listed


def test_weights_install_takes_a_nafnet_file_by_its_keys_and_deblur_model_uses_it(empty_weights, nafnet32_file,
                                                                                   tmp_path, capsys):
    renamed = tmp_path / "MIMO-UNet.pkl"  # named like MIMO-UNet's release: its keys say NAFNet-32
    renamed.write_bytes(nafnet32_file.read_bytes())
    assert main(["weights", "install", str(renamed), "--no-int8-check"]) == 0
    assert "NAFNet-32" in capsys.readouterr().out
    target = tmp_path / "out.png"
    assert main(["deblur", str(CONFORMANCE / "input_64x96.png"), "-o", str(target), "--model", "nafnet-32",
                 "--precision", "fp32", "--bit-depth", "16"]) == 0
    reference = np.clip(expected_full("NAFNet-width32")[0].transpose(1, 2, 0), 0, 1)
    assert np.abs(imagefiles.load_image(target).pixels - reference).max() <= 0.5 / 65535 + 1e-4
