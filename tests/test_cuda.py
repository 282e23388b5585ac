"""CUDA behaviour: device choice, half precision, NaN fallback, out-of-memory re-split.

These need an NVIDIA GPU; they run on the lent device machine (see README,
"Testing on a GPU") and are skipped elsewhere.
"""

import numpy as np
import pytest
import torch

from deblur_app.engine.inference import Deblurrer, EngineOptions

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]


def run(model, image, **options):
    return Deblurrer(model, EngineOptions(**options)).run(image)


def test_auto_picks_cuda_and_half_precision(small_model):
    runner = Deblurrer(small_model, EngineOptions())
    assert runner.device.type == "cuda"
    assert runner.precision_name == "fp16"


@pytest.mark.parametrize("precision", ["fp16", "bf16", "fp32"])
def test_cuda_agrees_with_cpu_float32(small_model, photo_like, precision):
    image = photo_like(128, 192)
    reference = run(small_model, image, device="cpu", precision="fp32", tile=0).full
    result = run(small_model, image, device="cuda", precision=precision, tile=0).full
    error = np.abs(result - reference).max()
    bound = {"fp32": 1e-3, "fp16": 0.02, "bf16": 0.05}[precision]
    assert error < bound, f"{precision}: {error}"


def test_fp16_overflow_falls_back_to_fp32(photo_like):
    from deblur_app.model.mimo_unet import build_model

    model = build_model("mimo-unet").eval()
    with torch.no_grad():
        model.feat_extract[0].main[0].weight.mul_(1e6)  # activations far beyond fp16's 65504
    image = photo_like(64, 64)
    result = Deblurrer(model, EngineOptions(device="cuda", precision="fp16", tile=0)).run(image)
    assert result.fp32_fallbacks == 1
    exact = Deblurrer(model, EngineOptions(device="cuda", precision="fp32", tile=0)).run(image)
    np.testing.assert_allclose(result.full, exact.full, atol=1e-5)


def test_real_out_of_memory_halves_the_tile(small_model, photo_like):
    image = photo_like(2048, 2048, seed=7)
    reference = run(small_model, image, device="cuda", precision="fp16", tile=512).full
    torch.cuda.empty_cache()
    total = torch.cuda.get_device_properties(0).total_memory
    torch.cuda.set_per_process_memory_fraction(1.5 * 1024**3 / total)
    try:
        result = Deblurrer(small_model, EngineOptions(device="cuda", precision="fp16", tile=0)).run(image)
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
        torch.cuda.empty_cache()
    assert any("out of memory" in note for note in result.notes), result.notes
    assert result.tiles > 1
    assert np.abs(result.full - reference).max() < 1 / 255 + 0.02  # fp16 noise on top of tile seams


def test_tiled_equals_whole_on_cuda(small_model, photo_like):
    image = photo_like(600, 800, seed=2)
    whole = run(small_model, image, device="cuda", precision="fp32", tile=0)
    tiled = run(small_model, image, device="cuda", precision="fp32", tile=256)
    assert tiled.tiles > 4
    assert np.abs(whole.full - tiled.full).max() < 1 / 255
