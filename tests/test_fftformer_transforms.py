"""FFTformer's patch transforms as real matrices compute what torch.fft computes (the authors' code).

The matrices are what let ONNX export FFTformer (its exporter refuses rfft2), hence OpenVINO run it.
"""

import pytest
import torch

from deblur_app.model import fftformer


@pytest.fixture
def features():
    generator = torch.Generator().manual_seed(7)
    return lambda *shape: torch.randn(*shape, generator=generator)


def test_patch_filter_is_the_fft_filter_also_for_spectra_that_are_not_hermitian(features):
    x, spectrum = features(2, 6, 24, 40), features(6, 1, 1, 8, 5)  # random: nothing symmetric about them
    with torch.no_grad():
        torch.testing.assert_close(fftformer.patch_filter(x, spectrum), fftformer.fft_patch_filter(x, spectrum),
                                   rtol=0, atol=5e-6)
    spectrum.requires_grad_(True)  # training takes the float32 route through the parameter
    torch.testing.assert_close(fftformer.patch_filter(x, spectrum), fftformer.fft_patch_filter(x, spectrum),
                               rtol=0, atol=5e-6)


def test_patch_filter_gradients_reach_the_spectrum_as_through_the_fft(features):
    x = features(1, 3, 16, 16)
    ours, theirs = (features(3, 1, 1, 8, 5).requires_grad_(True) for _ in range(2))
    with torch.no_grad():
        theirs.copy_(ours)
    fftformer.patch_filter(x, ours).square().sum().backward()
    fftformer.fft_patch_filter(x, theirs).square().sum().backward()
    torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-5, atol=1e-5)


def test_patch_correlation_is_the_product_of_fft_spectra(features):
    q, k = features(2, 5, 16, 32) * 3, features(2, 5, 16, 32)
    with torch.no_grad():
        ours, theirs = fftformer.patch_correlation(q, k), fftformer.fft_patch_correlation(q, k)
    assert theirs.abs().max() > 10  # values of the size FSAS normalises afterwards
    # float32 rounding of sums of 64 products of that size (the two orders of summation differ)
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6 * float(theirs.abs().max()))


def test_patches_stay_within_their_8x8_cell(features):
    """A change in one patch changes that patch's output only (no leak across the grid)."""
    x, k, spectrum = features(1, 2, 16, 16), features(1, 2, 16, 16), features(2, 1, 1, 8, 5)
    changed = x.clone()
    changed[..., 8:, :8] += 1  # the bottom-left patch
    with torch.no_grad():
        for transform in (lambda v: fftformer.patch_filter(v, spectrum), lambda v: fftformer.patch_correlation(v, k)):
            difference = (transform(changed) - transform(x)).abs()
            assert difference[..., 8:, :8].max() > 1e-3
            difference[..., 8:, :8] = 0
            assert difference.max() == 0


def test_the_dft_matrices_invert_each_other():
    forward, inverse = fftformer.dft_matrices(torch.float64)
    assert forward.shape == (64, 80) and inverse.shape == (80, 64)
    torch.testing.assert_close(forward @ inverse, torch.eye(64, dtype=torch.float64), rtol=0, atol=1e-12)


@pytest.mark.parametrize("channels_last", [False, True])
def test_inference_steps_in_channel_groups_compute_the_whole_blocks(monkeypatch, channels_last):
    """DFFN and FSAS expand a few hidden channels at a time in inference (memory); however many steps that
    takes (fewer for small maps, group_channels), the blocks compute the training-time function."""
    torch.manual_seed(3)
    block = fftformer.TransformerBlock(16, ffn_expansion_factor=3, att=True).eval()
    x = torch.randn(1, 16, 32, 48)
    if channels_last:  # as the engine runs it
        x = x.contiguous(memory_format=torch.channels_last)
    with torch.enable_grad():
        whole = block(x).detach()  # the training path: everything at once
    assert fftformer.group_channels(x) >= 48  # a small map: one step
    with torch.no_grad():
        one_step = block(x)
        monkeypatch.setattr(fftformer, "GROUP_BYTES", 0)  # 16 channels a step: three for DFFN's 48, two for FSAS's 32
        assert fftformer.group_channels(x) == fftformer.HIDDEN_GROUP
        many_steps = block(x)
    assert many_steps.is_contiguous(memory_format=torch.channels_last) == channels_last
    torch.testing.assert_close(one_step, whole, rtol=0, atol=1e-5)
    torch.testing.assert_close(many_steps, whole, rtol=0, atol=1e-5)
