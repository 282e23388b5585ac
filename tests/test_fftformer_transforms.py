"""FFTformer's patch transforms as real matrices compute what torch.fft computes (the authors' code).

The matrices are what let ONNX export FFTformer (its exporter refuses rfft2), hence OpenVINO run it.
"""

import pytest
import torch

from deblur_app.model import fftformer


PATCH = fftformer.PATCH


def _patch_spectra(x: torch.Tensor) -> torch.Tensor:
    cells = x.float().reshape(*x.shape[:2], x.shape[2] // PATCH, PATCH, x.shape[3] // PATCH, PATCH)
    return torch.fft.rfft2(cells, dim=(3, 5))


def fft_patch_filter(x: torch.Tensor, spectrum: torch.Tensor) -> torch.Tensor:
    """patch_filter with torch.fft, as the authors compute it: the reference."""
    weights = spectrum.reshape(spectrum.shape[0], 1, PATCH, 1, PATCH // 2 + 1)
    filtered = _patch_spectra(x) * weights
    return torch.fft.irfft2(filtered, s=(PATCH, PATCH), dim=(3, 5)).reshape(x.shape).to(x.dtype)


def fft_patch_correlation(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """patch_correlation with torch.fft, as the authors compute it: the reference."""
    product = _patch_spectra(q) * _patch_spectra(k)
    return torch.fft.irfft2(product, s=(PATCH, PATCH), dim=(3, 5)).reshape(q.shape).to(q.dtype)


@pytest.fixture
def features():
    generator = torch.Generator().manual_seed(7)
    return lambda *shape: torch.randn(*shape, generator=generator)


def test_patch_filter_is_the_fft_filter_also_for_spectra_that_are_not_hermitian(features):
    x, spectrum = features(2, 6, 24, 40), features(6, 1, 1, 8, 5)  # random: nothing symmetric about them
    with torch.no_grad():
        torch.testing.assert_close(fftformer.patch_filter(x, spectrum), fft_patch_filter(x, spectrum),
                                   rtol=0, atol=5e-6)
    spectrum.requires_grad_(True)  # training takes the float32 route through the parameter
    torch.testing.assert_close(fftformer.patch_filter(x, spectrum), fft_patch_filter(x, spectrum),
                               rtol=0, atol=5e-6)


def test_patch_filter_gradients_reach_the_spectrum_as_through_the_fft(features):
    x = features(1, 3, 16, 16)
    ours, theirs = (features(3, 1, 1, 8, 5).requires_grad_(True) for _ in range(2))
    with torch.no_grad():
        theirs.copy_(ours)
    fftformer.patch_filter(x, ours).square().sum().backward()
    fft_patch_filter(x, theirs).square().sum().backward()
    torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-5, atol=1e-5)


def test_patch_correlation_is_the_product_of_fft_spectra(features):
    q, k = features(2, 5, 16, 32) * 3, features(2, 5, 16, 32)
    with torch.no_grad():
        ours, theirs = fftformer.patch_correlation(q, k), fft_patch_correlation(q, k)
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


# DFFN's export form (OpenVINO): a real Fourier basis shared by all channels, channels last


def test_the_real_fourier_basis_is_orthonormal():
    basis = fftformer.real_fourier_basis(torch.float64)
    assert basis.shape == (64, 64)
    torch.testing.assert_close(basis.T @ basis, torch.eye(64, dtype=torch.float64), rtol=0, atol=1e-12)


def test_each_channels_filter_is_its_gains_on_the_shared_basis_also_for_spectra_that_are_not_symmetric(features):
    spectrum = features(6, 1, 1, 8, 5).double()  # random: columns 0 and 4 not symmetric in r, nothing Hermitian
    assert not torch.equal(spectrum[..., 1, 0], spectrum[..., 7, 0])
    basis, gains = fftformer.real_fourier_basis(torch.float64), fftformer.spectrum_gains(spectrum)
    as_gains = torch.einsum("pk,ck,qk->cpq", basis, gains, basis)
    torch.testing.assert_close(as_gains, fftformer.filter_matrices(spectrum), rtol=0, atol=1e-12)
    x = features(2, 6, 16, 24)  # and applied to patches: the torch.fft computation of the authors
    patches = fftformer.to_patch_rows_last(x.permute(0, 2, 3, 1).double())
    filtered = torch.matmul(basis, torch.matmul(basis.T, patches) * gains.T)
    torch.testing.assert_close(fftformer.from_patch_rows_last(filtered, 16, 24).permute(0, 3, 1, 2).float(),
                               fft_patch_filter(x, spectrum.float()), rtol=0, atol=5e-6)


def test_channels_last_patch_rows_hold_each_patch_in_pixel_order(features):
    x = features(1, 16, 24, 3)  # (b, H, W, c)
    patches = fftformer.to_patch_rows_last(x)
    assert patches.shape == (1, 2 * 3, 64, 3)
    # pixel (h, w) = (13, 10): patch (1, 1) of a 3-patch-wide grid, row 5 column 2 within it
    torch.testing.assert_close(patches[0, 1 * 3 + 1, 5 * 8 + 2], x[0, 13, 10], rtol=0, atol=0)
    torch.testing.assert_close(fftformer.from_patch_rows_last(patches, 16, 24), x, rtol=0, atol=0)
    # and the channels-first patch rows of the per-channel matrices are the same rows
    torch.testing.assert_close(patches.permute(0, 3, 1, 2), fftformer.to_patches(x.permute(0, 3, 1, 2)),
                               rtol=0, atol=0)


@pytest.mark.parametrize("bias", [False, True])
def test_dffn_export_form_computes_the_training_function(bias):
    """What OpenVINO runs (DFFN._forward_exported: the basis transform before the 1x1 expansion, gains, the
    inverse per half) is the function the authors' checkpoints were trained with, biases included."""
    torch.manual_seed(5)
    ffn = fftformer.DFFN(16, 3, bias).eval()
    with torch.no_grad():
        for parameter in ffn.parameters():  # non-symmetric spectra, non-zero biases
            parameter.copy_(torch.randn_like(parameter) * 0.3)
    x = torch.randn(2, 16, 16, 32)
    with torch.enable_grad():
        whole = ffn(x).detach()
    with torch.no_grad():
        exported = ffn._forward_exported(x)
    assert whole.abs().max() > 0.5
    torch.testing.assert_close(exported, whole, rtol=0, atol=2e-6)
