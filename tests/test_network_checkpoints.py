"""Checkpoints of every registry network: recognised by their keys, configured by their shapes,
refused in one line when they are not a network this app runs."""

import subprocess
import sys

import pytest
import torch

from conformance_weights import network_weights
from deblur_app.model import networks
from deblur_app.model.checkpoints import CheckpointError, load_checkpoint
from deblur_app.model.registry import ARCHITECTURES, VARIANTS
from test_networks_conformance import published_weights


def small_state(architecture: str, **config) -> dict[str, torch.Tensor]:
    shapes = {k: v.shape for k, v in networks.build(ARCHITECTURES[architecture], config).state_dict().items()}
    return {k: torch.from_numpy(v) for k, v in network_weights(shapes).items()}


NAFNET_16 = dict(img_channel=3, width=16, middle_blk_num=2, enc_blk_nums=(1, 2), dec_blk_nums=(1, 1))
FFTFORMER_16 = dict(inp_channels=3, out_channels=3, dim=16, num_blocks=(1, 1, 2), num_refinement_blocks=1,
                    ffn_expansion_factor=2.0, bias=True)
RESTORMER_8 = dict(inp_channels=3, out_channels=3, dim=8, num_blocks=(1, 1, 1, 1), num_refinement_blocks=1,
                   heads=(1, 2, 2, 4), ffn_expansion_factor=2.0, bias=False, LayerNorm_type="WithBias",
                   dual_pixel_task=False)


def one_line(error: pytest.ExceptionInfo, path) -> str:
    text = str(error.value)
    assert "\n" not in text and str(path) in text
    return text


@pytest.mark.parametrize("wrapper", ["params", "params_ema", "state_dict", "model", None])
def test_every_container_of_a_nafnet_state_dict_is_read(tmp_path, wrapper):
    state = small_state("nafnet", **NAFNET_16)
    path = tmp_path / "net.pth"
    torch.save(state if wrapper is None else {wrapper: state, "iter": 5}, path)
    checkpoint = load_checkpoint(path)
    assert checkpoint.architecture.key == "nafnet"
    assert checkpoint.config == NAFNET_16 and not checkpoint.published_config
    assert "width 16" in checkpoint.display_name
    model = checkpoint.build()
    with torch.no_grad():
        (full,) = model(torch.rand(1, 3, 20, 28))
    assert full.shape == (1, 3, 20, 28)


def test_published_nafnet_file_is_the_variant_its_name_and_shapes_say(tmp_path):
    state = published_weights("NAFNet-width32")
    path = tmp_path / "NAFNet-GoPro-width32.pth"
    torch.save({"params": state}, path)
    checkpoint = load_checkpoint(path)
    assert checkpoint.variant == VARIANTS["nafnet-32"] and checkpoint.published_config
    assert checkpoint.display_name == "NAFNet-32"


def test_unpublished_fftformer_configuration_loads_and_runs(tmp_path):
    path = tmp_path / "mine.pt"
    torch.save(small_state("fftformer", **FFTFORMER_16), path)
    checkpoint = load_checkpoint(path)
    assert (checkpoint.architecture.key, checkpoint.config) == ("fftformer", FFTFORMER_16)
    with torch.no_grad():
        (full,) = checkpoint.build()(torch.rand(1, 3, 32, 64))
    assert full.shape == (1, 3, 32, 64)


def test_nafnet_renamed_to_the_mimo_unet_file_name_is_nafnet(tmp_path):
    path = tmp_path / "MIMO-UNet.pkl"
    torch.save({"params": small_state("nafnet", **NAFNET_16)}, path)
    assert load_checkpoint(path).architecture.key == "nafnet"
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path, expected_variant="mimo-unet")
    assert "holds NAFNet (unpublished configuration) weights but MIMO-UNet was asked for" in one_line(error, path)


def test_expected_variant_sharing_a_configuration_is_taken(tmp_path):
    """NAFNet-64's GoPro and REDS weights have one configuration: the caller's word decides."""
    path = tmp_path / "weights.pth"
    torch.save({"params": published_weights("NAFNet-width64")}, path)
    assert load_checkpoint(path).variant.key == "nafnet-64"
    assert load_checkpoint(path, expected_variant="nafnet-64-reds").variant.key == "nafnet-64-reds"


def test_unknown_network_super_resolution_and_truncated_file_are_one_line(tmp_path):
    unknown = tmp_path / "resnet.pth"
    torch.save({"conv1.weight": torch.zeros(8, 3, 3, 3), "fc.weight": torch.zeros(10, 8)}, unknown)
    esrgan = tmp_path / "RealESRGAN_x4plus.pth"
    torch.save({"params_ema": {"conv_first.weight": torch.zeros(64, 3, 3, 3),
                               "body.0.rdb1.conv1.weight": torch.zeros(32, 64, 3, 3),
                               "conv_up1.weight": torch.zeros(64, 64, 3, 3)}}, esrgan)
    swinir = tmp_path / "swinir.pth"
    torch.save({"params": {"conv_first.weight": torch.zeros(60, 3, 3, 3), "upsample.0.weight": torch.zeros(12, 60, 3, 3)}},
               swinir)
    truncated = tmp_path / "NAFNet-GoPro-width32.pth"
    torch.save({"params": small_state("nafnet", **NAFNET_16)}, truncated)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    reasons = {unknown: "not weights of a network this app knows", esrgan: "a super-resolution model",
               swinir: "a super-resolution model", truncated: "truncated or corrupt"}
    for path, reason in reasons.items():
        with pytest.raises(CheckpointError) as error:
            load_checkpoint(path)
        assert reason in one_line(error, path)


def test_missing_block_of_a_nafnet_is_named(tmp_path):
    state = small_state("nafnet", **NAFNET_16)
    del state["encoders.1.1.conv2.weight"]
    path = tmp_path / "broken.pth"
    torch.save({"params": state}, path)
    with pytest.raises(CheckpointError) as error:
        load_checkpoint(path)
    assert "encoders.1.1.conv2.weight" in one_line(error, path)


def test_the_registry_table_imports_without_torch():
    code = "import sys, deblur_app.model.registry; sys.exit(1 if 'torch' in sys.modules else 0)"
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_every_variant_builds_from_its_configuration_and_has_its_architectures_outputs():
    for key, variant in VARIANTS.items():
        architecture = ARCHITECTURES[variant.architecture]
        assert architecture.has_coarse_outputs == (architecture.outputs == (4, 2, 1))
        assert variant.published is not None and variant.published.terms and variant.published.source_url
    small = {"nafnet": NAFNET_16, "fftformer": FFTFORMER_16, "mimo-unet": {"num_res": 1}}
    for key, config in small.items():
        model = networks.build(ARCHITECTURES[key], config).eval()
        with torch.no_grad():
            outputs = model(torch.rand(1, 3, 32, 32))
        assert [32 // o.shape[-1] for o in outputs] == list(ARCHITECTURES[key].outputs)
