"""The network computes exactly the published function, loaded from the published format."""

import numpy as np
import pytest
import torch

from conftest import PUBLISHED_NAMES, conformance_shapes, conformance_state_dict
from deblur_app.engine.inference import Deblurrer, EngineOptions
from deblur_app.model.checkpoints import load_checkpoint
from deblur_app.model.mimo_unet import build_model


@pytest.mark.parametrize("variant", ["mimo-unet", "mimo-unet+"])
def test_state_dict_keys_and_shapes_match_published(variant):
    expected = conformance_shapes(variant)
    actual = build_model(variant).state_dict()
    assert list(actual) == list(expected)
    assert {k: list(v.shape) for k, v in actual.items()} == expected


@pytest.mark.parametrize("variant", ["mimo-unet", "mimo-unet+"])
def test_published_checkpoint_reproduces_reference_outputs(variant, conformance_dir, tmp_path):
    name = PUBLISHED_NAMES[variant]
    path = tmp_path / f"{name}.pkl"
    torch.save({"model": conformance_state_dict(variant)}, path)
    checkpoint = load_checkpoint(path)
    assert checkpoint.variant.key == variant
    expected = np.load(conformance_dir / f"expected_{name}.npz")
    x = torch.from_numpy(np.load(conformance_dir / "input_64x96.npy"))
    for lean in (False, True):
        model = checkpoint.build(lean_fusion=lean)
        with torch.no_grad():
            quarter, half, full = model(x)
        np.testing.assert_allclose(quarter.numpy(), expected["quarter"], atol=1e-4)
        np.testing.assert_allclose(half.numpy(), expected["half"], atol=1e-4)
        np.testing.assert_allclose(full.numpy(), expected["full"], atol=1e-4)

    engine = Deblurrer.from_checkpoint(checkpoint, EngineOptions(device="cpu", precision="fp32", tile=0, ensemble=True))
    image = np.load(conformance_dir / "input_64x96.npy")[0].transpose(1, 2, 0)
    result = engine.run(image)
    reference = np.clip(expected["ensemble"][0].transpose(1, 2, 0), 0, 1)
    np.testing.assert_allclose(result.full, reference, atol=1e-4)


def test_input_png_matches_npy(conformance_dir):
    from deblur_app import imagefiles

    loaded = imagefiles.load_image(conformance_dir / "input_64x96.png")
    expected = np.load(conformance_dir / "input_64x96.npy")[0].transpose(1, 2, 0)
    np.testing.assert_array_equal(loaded.pixels, expected)
