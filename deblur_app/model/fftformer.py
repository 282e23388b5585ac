"""FFTformer (Kong, Dong, Ge, Li and Pan, "Efficient Frequency Domain-based Transformer for
High-Quality Image Deblurring", CVPR 2023), written from the paper.

A three-level U-Net of transformer blocks whose two parts work on 8x8 patches in the frequency
domain:

* DFFN, the discriminative frequency-domain feed-forward network: 1x1 expansion, then each 8x8
  patch of every channel is filtered by a learned real spectrum (``ffn.fft``, one per channel,
  rfft2 -> product -> irfft2), a depthwise 3x3 convolution, a GELU gate and a 1x1 projection.
* FSAS, the frequency-domain self-attention solver (decoder only): queries and keys from a 1x1 and
  a depthwise 3x3 convolution; their correlation within each 8x8 patch is the product of their
  spectra; it is layer-normalised and multiplies the values.

The transforms are computed as small real matrices, not with torch.fft (the same function to
float32 rounding, tests/test_fftformer_transforms.py): the DFFN filter of a channel is one 64x64
matrix on the rows of its patches' pixels, the FSAS product goes through (64x80) and (80x64) DFT
matrices. So ONNX exports the network and the OpenVINO backend runs it. In the export, DFFN's filter
is the same function in another form: one real Fourier basis shared by every channel, in which each channel's
filter is a gain per coefficient, with the channels innermost (DFFN._forward_exported).

Patches are cut on a grid from the top-left corner at every level, so the deepest level (1/4
scale) needs sides that are multiples of 8, and the image multiples of 32 (the authors' test
code reflect-pads to 32). Down- and upsampling are bilinear resizes followed by a 3x3
convolution. The attribute names are the authors' (``patch_embed``, ``encoder_level1``..3,
``down1_2``, ``decoder_level3``..1, ``up3_2``, ``fuse2``, ``refinement``, ``output``, and the
unused ``reduce_chan_level2`` which their checkpoints contain), so their files load strictly.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import nn

from .modes import eager_inference
from .statekeys import count_children

PATCH = 8  # the side of the patches the frequency-domain parts work on
FUSE_FFN_EXPANSION = 2.66  # the Fuse modules' transformer block keeps the authors' default


class LayerNorm(nn.Module):
    """Layer normalisation over the channels of each pixel, with bias (eps 1e-5, biased variance).

    Parameters sit in ``body`` as in the authors' code.
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = _NormParameters(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        centred = x - x.mean(1, keepdim=True)
        variance = centred.square().mean(1, keepdim=True)  # the biased variance, reusing the centring
        scale = torch.rsqrt(variance + 1e-5)
        normalised = centred.mul_(scale) if not torch.is_grad_enabled() else centred * scale
        return torch.addcmul(self.body.bias.view(1, -1, 1, 1), normalised, self.body.weight.view(1, -1, 1, 1))


class _NormParameters(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))


# The patch transforms as small real matrices (no torch.fft): the same function to float32 rounding,
# and a network ONNX can export (its exporter refuses rfft2), so the OpenVINO backend runs FFTformer;
# in torch they are also faster than the FFT of strided patch views. A patch is a row of 64 values
# (pixel h*8+w); its half spectrum 40 pairs (frequency r*5+c, rows r in 0..7, columns c in 0..4).
PATCH_PIXELS = PATCH * PATCH
HALF_SPECTRUM = PATCH * (PATCH // 2 + 1)


@functools.lru_cache(maxsize=8)
def dft_matrices(dtype: torch.dtype = torch.float32, device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """(forward, inverse): rfft2 of a patch row is ``patch @ forward`` (real parts, then imaginary:
    (64, 80)); irfft2 of a half spectrum is ``spectrum @ inverse`` ((80, 64)).

    The inverse counts the columns 1..3 twice (their mirror images are not stored) and, as irfft2
    does, takes only the real part of the columns 0 and 4 (whose mirror images are themselves), so
    it is torch's irfft2 also of spectra that are not Hermitian (patch_filter's learned ones).
    """
    pixel = torch.arange(PATCH, dtype=torch.float64)
    rows, cols = torch.arange(PATCH, dtype=torch.float64), torch.arange(PATCH // 2 + 1, dtype=torch.float64)
    # angle[r, c, h, w] = 2 pi (r h + c w) / 8
    angle = (rows[:, None, None, None] * pixel[None, None, :, None] + cols[None, :, None, None]
             * pixel[None, None, None, :]) * (2 * math.pi / PATCH)
    cos, sin = angle.cos().reshape(HALF_SPECTRUM, PATCH_PIXELS), angle.sin().reshape(HALF_SPECTRUM, PATCH_PIXELS)
    forward = torch.cat((cos, -sin)).T  # e^{-i angle}
    counted = torch.tensor([1.0, 2.0, 2.0, 2.0, 1.0], dtype=torch.float64).repeat(PATCH)[:, None] / PATCH_PIXELS
    inverse = torch.cat((counted * cos, -counted * sin))  # the real part of e^{+i angle} times the spectrum
    return forward.to(dtype).to(device).contiguous(), inverse.to(dtype).to(device).contiguous()


def to_patches(x: torch.Tensor) -> torch.Tensor:
    """(b, c, H, W) -> (b, c, H/8 * W/8, 64): each 8x8 patch a row of its pixels (the authors'
    rearrangement into (b, c, H/8, W/8, 8, 8))."""
    b, c, h, w = x.shape
    return (x.reshape(b, c, h // PATCH, PATCH, w // PATCH, PATCH).transpose(3, 4)
            .reshape(b, c, (h // PATCH) * (w // PATCH), PATCH_PIXELS))


def from_patches(patches: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """to_patches undone, in ``like``'s shape and memory format, in one copy (the engine runs channels-last,
    and the depthwise convolution that follows would otherwise convert an NCHW result once more)."""
    (b, c), (height, width) = patches.shape[:2], like.shape[-2:]
    cells = patches.reshape(b, c, height // PATCH, width // PATCH, PATCH, PATCH)
    if like.dim() == 4 and like.is_contiguous(memory_format=torch.channels_last) and not like.is_contiguous():
        return cells.permute(0, 2, 4, 3, 5, 1).reshape(b, height, width, c).permute(0, 3, 1, 2).to(like.dtype)
    return cells.transpose(3, 4).reshape(b, c, height, width).to(like.dtype)


@functools.lru_cache(maxsize=1)
def _circulant_index() -> torch.Tensor:
    """[i, j] = the offset from input pixel i to output pixel j of a patch, wrapped around (dy*8 + dx)."""
    pixel = torch.arange(PATCH_PIXELS)
    dy = (pixel[None, :] // PATCH - pixel[:, None] // PATCH) % PATCH
    dx = (pixel[None, :] % PATCH - pixel[:, None] % PATCH) % PATCH
    return dy * PATCH + dx


def filter_matrices(spectrum: torch.Tensor) -> torch.Tensor:
    """(channels, 64, 64): per channel the real linear map irfft2(rfft2(patch) * spectrum) of patch rows.

    ``spectrum``: (channels, 1, 1, 8, 5), the authors' ``fft`` parameter (rows, half columns). Shifting a
    patch (circularly) shifts its filtered patch alike, so the map is a circular convolution: its matrix
    repeats one kernel, the filter's response to a single pixel, itself the inverse transform of the
    spectrum (that pixel's spectrum is all ones). The kernel is computed in float64.
    """
    _, inverse = dft_matrices(torch.float64, str(spectrum.device))
    kernels = torch.matmul(spectrum.reshape(-1, HALF_SPECTRUM).to(torch.float64), inverse[:HALF_SPECTRUM])
    return kernels.to(spectrum.dtype)[:, _circulant_index().to(spectrum.device)]


def patch_filter(x: torch.Tensor, spectrum: torch.Tensor) -> torch.Tensor:
    """Each 8x8 patch of each channel multiplied by a real spectrum in the frequency domain.

    ``spectrum``: (channels, 1, 1, 8, 5), the authors' ``fft`` parameter (rows, half columns).
    """
    filtered = torch.matmul(to_patches(x.float()), filter_matrices(spectrum).float())
    return from_patches(filtered, x)


def patch_correlation(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Product of the spectra of q's and k's 8x8 patches, back in the pixel domain (FSAS): the
    circular convolution of each patch of q with the same patch of k."""
    like = q
    forward, inverse = dft_matrices(torch.float32, str(q.device))
    real, imaginary = forward[:, :HALF_SPECTRUM], forward[:, HALF_SPECTRUM:]  # two products, no split after
    q, k = to_patches(q.float()), to_patches(k.float())
    q_re, q_im, k_re, k_im = (torch.matmul(x, part) for x in (q, k) for part in (real, imaginary))
    product = torch.cat((q_re * k_re - q_im * k_im, q_re * k_im + q_im * k_re), dim=-1)
    return from_patches(torch.matmul(product, inverse), like)


# DFFN's filter in the exported network (OpenVINO): a shared basis instead of one matrix per channel.
# The filter's effective spectrum is real and even (irfft2 keeps the even part of a column-0/4 spectrum that is
# not, and mirrors columns 1..3), so every channel's filter is diagonal in one real Fourier basis of the patch:
# cos and sin of each frequency pair. A basis shared by all channels is a matrix product over the 64 pixels of a
# patch with the channels innermost (channels last, the layout OpenVINO's convolutions run in): no reorder to
# channels-first and back around each filter, which with the patch transposes was a fifth of FFTformer's time.
# And being shared it commutes with the 1x1 expansion: the forward transform runs on the block's narrow input.


@functools.lru_cache(maxsize=4)
def _real_fourier_basis(dtype: torch.dtype) -> tuple[torch.Tensor, tuple[tuple[int, int], ...]]:
    """(64 pixels, 64 coefficients), orthonormal, and each coefficient's frequency (row, half column).

    Per frequency pair +-(r, c) one cosine and one sine; the four frequencies that are their own mirror image
    ((0 or 4, 0 or 4)) have a cosine only. Computed in float64."""
    pixel = torch.arange(PATCH_PIXELS, dtype=torch.float64)
    rows, cols = pixel.div(PATCH, rounding_mode="floor"), pixel.remainder(PATCH)
    vectors, frequencies = [], []
    for r in range(PATCH):
        for c in range(PATCH // 2 + 1):
            if c in (0, PATCH // 2) and r > PATCH // 2:
                continue  # the mirror image of (8 - r, c), counted there
            angle = (r * rows + c * cols) * (2 * math.pi / PATCH)
            vectors.append(angle.cos())
            frequencies.append((r, c))
            if not (r in (0, PATCH // 2) and c in (0, PATCH // 2)):
                vectors.append(angle.sin())
                frequencies.append((r, c))
    basis = torch.stack(vectors, dim=1)
    return (basis / basis.norm(dim=0, keepdim=True)).to(dtype).contiguous(), tuple(frequencies)


def real_fourier_basis(dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(64, 64): a patch row times this matrix is its coefficients; coefficients times its transpose the patch."""
    return _real_fourier_basis(dtype)[0]


def spectrum_gains(spectrum: torch.Tensor) -> torch.Tensor:
    """(channels, 64): each channel's filter (patch_filter) as gains on the real Fourier basis coefficients.

    Columns 1..3 of the half spectrum act on a frequency and its mirror image alike; in columns 0 and 4 a row r
    and its mirror 8 - r are both stored, and irfft2 applies their mean (its real-part rule), so spectra that are
    not symmetric there filter as their symmetric part does. One matrix product (no indexing in the export)."""
    selection = _gain_selection().to(spectrum.device, spectrum.dtype)
    return torch.matmul(spectrum.reshape(-1, HALF_SPECTRUM), selection)


@functools.lru_cache(maxsize=1)
def _gain_selection() -> torch.Tensor:
    """(40 half-spectrum entries, 64 coefficients): which entries (or the mean of which two) give each gain."""
    selection = torch.zeros(HALF_SPECTRUM, PATCH_PIXELS, dtype=torch.float64)
    for coefficient, (r, c) in enumerate(_real_fourier_basis(torch.float64)[1]):
        if c in (0, PATCH // 2):
            selection[r * (PATCH // 2 + 1) + c, coefficient] += 0.5
            selection[(-r) % PATCH * (PATCH // 2 + 1) + c, coefficient] += 0.5
        else:
            selection[r * (PATCH // 2 + 1) + c, coefficient] = 1.0
    return selection


def to_patch_rows_last(x: torch.Tensor) -> torch.Tensor:
    """(b, H, W, c) channels last -> (b, H/8 * W/8, 64, c): each patch's pixels a column per channel.
    Moves runs of 8 pixels' channels, never the channels themselves."""
    b, h, w, c = x.shape
    return (x.reshape(b, h // PATCH, PATCH, w // PATCH, PATCH, c).transpose(2, 3)
            .reshape(b, (h // PATCH) * (w // PATCH), PATCH_PIXELS, c))


def from_patch_rows_last(patches: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """to_patch_rows_last undone: (b, H/8 * W/8, 64, c) -> (b, H, W, c)."""
    b, c = patches.shape[0], patches.shape[-1]
    return (patches.reshape(b, height // PATCH, width // PATCH, PATCH, PATCH, c).transpose(2, 3)
            .reshape(b, height, width, c))


HIDDEN_GROUP = 16  # hidden channels (and as many gates) DFFN expands at a time in inference, at least
# ... and more where the feature map is small (deep levels, small tiles): the groups' expanded maps stay within
# GROUP_BYTES (or 16 channels' worth), and fewer, larger steps cost less than many small ones (each step is some
# ten operations; at 16 channels FFTformer's 1/4 scale alone took ~8,600 of them per pass)
GROUP_BYTES = 24 * 1024**2
GROUP_COPIES = 6  # float32 maps of a group alive at once: a step's input and output, both in patch rows, twice


def group_channels(x: torch.Tensor) -> int:
    """How many hidden channels one step of the inference forwards expands, for this feature map."""
    per_channel = x.shape[0] * x.shape[2] * x.shape[3] * 4 * GROUP_COPIES
    return max(HIDDEN_GROUP, GROUP_BYTES // per_channel // HIDDEN_GROUP * HIDDEN_GROUP)


def _rows(bias: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor | None:
    return None if bias is None else bias[rows]


class DFFN(nn.Module):
    def __init__(self, dim: int, ffn_expansion_factor: float, bias: bool) -> None:
        super().__init__()
        hidden = int(dim * ffn_expansion_factor)
        self.project_in = nn.Conv2d(dim, hidden * 2, 1, bias=bias)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, 3, padding=1, groups=hidden * 2, bias=bias)
        self.fft = nn.Parameter(torch.ones((hidden * 2, 1, 1, PATCH, PATCH // 2 + 1)))
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.jit.is_tracing():
            return self._forward_exported(x)
        if eager_inference():
            return self._forward_in_channel_groups(x)
        x = patch_filter(self.project_in(x), self.fft)
        gate, values = self.dwconv(x).chunk(2, dim=1)
        return self.project_out(F.gelu(gate) * values)

    def _forward_exported(self, x: torch.Tensor) -> torch.Tensor:
        """The same function for the ONNX export, its filter in the shared real Fourier basis, channels last.

        The basis transform runs once on the narrow input, before the 1x1 expansion (both linear, one over
        pixels, one over channels: they commute); each half of the expansion (gates, values: from their own
        weight slices, so that no feature map is split afterwards) is scaled by its channels' gains and
        transformed back. Against the per-channel matrices this was 0.80x the time of a transformer block in
        OpenVINO (benchmarks/bench_fftformer_layouts.py)."""
        height, width = x.shape[-2:]
        basis = real_fourier_basis(x.dtype)
        coefficients = torch.matmul(basis.T, to_patch_rows_last(x.permute(0, 2, 3, 1)))  # (b, patches, 64, dim)
        hidden = self.project_out.in_channels
        gate, values = (self._expanded_last(coefficients, basis, slice(start, start + hidden), height, width)
                        for start in (0, hidden))
        return self.project_out(F.gelu(gate) * values)

    def _expanded_last(self, coefficients: torch.Tensor, basis: torch.Tensor, rows: slice, height: int,
                       width: int) -> torch.Tensor:
        """Hidden channels ``rows`` after the filter and the depthwise convolution, from the input's coefficients."""
        h = F.linear(coefficients, self.project_in.weight[rows, :, 0, 0])
        if self.project_in.bias is not None:  # a bias is a constant patch: its coefficients
            h = h + basis.sum(0)[:, None] * self.project_in.bias[rows]
        h = torch.matmul(basis, h * spectrum_gains(self.fft[rows]).T.to(h.dtype))
        h = from_patch_rows_last(h, height, width).permute(0, 3, 1, 2)
        return F.conv2d(h, self.dwconv.weight[rows], _rows(self.dwconv.bias, rows), padding=1, groups=h.shape[1])

    def _forward_in_channel_groups(self, x: torch.Tensor) -> torch.Tensor:
        """The same function, group_channels() hidden channels (with their gate partners) at a time.

        Every step before the projection out is per channel (1x1 in, per-patch spectrum, depthwise 3x3,
        gate), so each group's part of the projection can be summed: the expanded feature maps, 2 x 3
        times the block's width and in the frequency domain more, never exist whole. That was the
        largest part of FFTformer's working memory (at full resolution 6.8 KB per pixel in one encoder
        block, 11.7 KB in the fusion block; benchmarks/bench_network_memory.py). Only the projection's
        summation order differs from the whole computation (agreement ~1e-7).
        """
        hidden = self.project_out.in_channels
        out = None
        group = group_channels(x)
        for start in range(0, hidden, group):
            rows = torch.cat((torch.arange(start, min(start + group, hidden)),
                              torch.arange(hidden + start, hidden + min(start + group, hidden))))
            h = F.conv2d(x, self.project_in.weight[rows], _rows(self.project_in.bias, rows))
            h = patch_filter(h, self.fft[rows])
            h = F.conv2d(h, self.dwconv.weight[rows], _rows(self.dwconv.bias, rows), padding=1, groups=len(rows))
            gate, values = h.chunk(2, dim=1)
            del h
            part = F.conv2d(F.gelu(gate).mul_(values), self.project_out.weight[:, rows[: len(rows) // 2]])
            out = part if out is None else out.add_(part)
        if self.project_out.bias is not None:
            out.add_(self.project_out.bias.view(1, -1, 1, 1))
        return out


class FSAS(nn.Module):
    def __init__(self, dim: int, bias: bool) -> None:
        super().__init__()
        self.to_hidden = nn.Conv2d(dim, dim * 6, 1, bias=bias)
        self.to_hidden_dw = nn.Conv2d(dim * 6, dim * 6, 3, padding=1, groups=dim * 6, bias=bias)
        self.project_out = nn.Conv2d(dim * 2, dim, 1, bias=bias)
        self.norm = LayerNorm(dim * 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.jit.is_tracing():  # the ONNX export: q, k and v each from its third of the weights (as DFFN's)
            width = self.project_out.in_channels
            q, k, v = (self._hidden(x, slice(start, start + width)) for start in (0, width, 2 * width))
            return self.project_out(v * self.norm(patch_correlation(q, k)))
        if eager_inference():
            return self._forward_in_channel_groups(x)
        q, k, v = self.to_hidden_dw(self.to_hidden(x)).chunk(3, dim=1)
        return self.project_out(v * self.norm(patch_correlation(q, k)))

    def _forward_in_channel_groups(self, x: torch.Tensor) -> torch.Tensor:
        """The same function with the queries, keys and values made group_channels() at a time (as
        DFFN's): the correlation is per channel, so only it and the values exist whole, not the six-fold
        expansion at once."""
        width = self.project_out.in_channels
        correlation = None
        group = group_channels(x)
        for start in range(0, width, group):
            stop = min(start + group, width)
            rows = torch.cat((torch.arange(start, stop), torch.arange(width + start, width + stop)))
            q, k = self._hidden(x, rows).chunk(2, dim=1)
            part = patch_correlation(q, k)
            del q, k
            if correlation is None:
                correlation = torch.empty((part.shape[0], width, *part.shape[2:]), dtype=part.dtype, device=part.device,
                                          memory_format=torch.contiguous_format if part.is_contiguous()
                                          else torch.channels_last)
            correlation[:, start:stop] = part
        normed = self.norm(correlation)
        del correlation
        return self.project_out(self._hidden(x, torch.arange(2 * width, 3 * width)).mul_(normed))

    def _hidden(self, x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
        """Channels ``rows`` of to_hidden_dw(to_hidden(x)): both are per output channel."""
        h = F.conv2d(x, self.to_hidden.weight[rows], _rows(self.to_hidden.bias, rows))
        return F.conv2d(h, self.to_hidden_dw.weight[rows], _rows(self.to_hidden_dw.bias, rows), padding=1,
                        groups=h.shape[1])


class TransformerBlock(nn.Module):
    """DFFN after a layer norm, preceded (``att=True``, decoder side) by FSAS after another."""

    def __init__(self, dim: int, ffn_expansion_factor: float = FUSE_FFN_EXPANSION, bias: bool = False,
                 att: bool = False) -> None:
        super().__init__()
        self.att = att
        if att:
            self.norm1 = LayerNorm(dim)
            self.attn = FSAS(dim, bias)
        self.norm2 = LayerNorm(dim)
        self.ffn = DFFN(dim, ffn_expansion_factor, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.att:
            x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class Fuse(nn.Module):
    """Merges a decoder's upsampled features with the encoder's skip of the same level."""

    def __init__(self, n_feat: int) -> None:
        super().__init__()
        self.n_feat = n_feat
        self.att_channel = TransformerBlock(n_feat * 2)
        self.conv = nn.Conv2d(n_feat * 2, n_feat * 2, 1)
        self.conv2 = nn.Conv2d(n_feat * 2, n_feat * 2, 1)

    def forward(self, enc: torch.Tensor, dnc: torch.Tensor) -> torch.Tensor:
        x = self.conv2(self.att_channel(self.conv(torch.cat((enc, dnc), dim=1))))
        first, second = torch.split(x, [self.n_feat, self.n_feat], dim=1)
        return first + second


class OverlapPatchEmbed(nn.Module):
    def __init__(self, in_c: int, embed_dim: int, bias: bool) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_c, embed_dim, 3, padding=1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class Resize(nn.Module):
    """Bilinear resize by ``factor`` (half pixel centres), then a 3x3 convolution: Downsample / Upsample."""

    def __init__(self, in_channels: int, out_channels: int, factor: float) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Upsample(scale_factor=factor, mode="bilinear", align_corners=False),
                                  nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _blocks(count: int, dim: int, factor: float, bias: bool, att: bool) -> nn.Sequential:
    return nn.Sequential(*[TransformerBlock(dim, factor, bias, att) for _ in range(count)])


class FFTformer(nn.Module):
    """The network; returns ``[full]``, the raw restored image (the global residual added).

    Height and width must be multiples of 32; the engine pads.
    """

    size_multiple = 4 * PATCH

    def __init__(self, inp_channels: int = 3, out_channels: int = 3, dim: int = 48,
                 num_blocks: tuple[int, int, int] = (6, 6, 12), num_refinement_blocks: int = 4,
                 ffn_expansion_factor: float = 3, bias: bool = False) -> None:
        super().__init__()
        f, b = ffn_expansion_factor, bias
        self.patch_embed = OverlapPatchEmbed(inp_channels, dim, bias)
        self.encoder_level1 = _blocks(num_blocks[0], dim, f, b, att=False)
        self.down1_2 = Resize(dim, dim * 2, 0.5)
        self.encoder_level2 = _blocks(num_blocks[1], dim * 2, f, b, att=False)
        self.down2_3 = Resize(dim * 2, dim * 4, 0.5)
        self.encoder_level3 = _blocks(num_blocks[2], dim * 4, f, b, att=False)
        self.decoder_level3 = _blocks(num_blocks[2], dim * 4, f, b, att=True)
        self.up3_2 = Resize(dim * 4, dim * 2, 2)
        self.reduce_chan_level2 = nn.Conv2d(dim * 4, dim * 2, 1, bias=bias)  # in the checkpoints, never used
        self.decoder_level2 = _blocks(num_blocks[1], dim * 2, f, b, att=True)
        self.up2_1 = Resize(dim * 2, dim, 2)
        self.decoder_level1 = _blocks(num_blocks[0], dim, f, b, att=True)
        self.refinement = _blocks(num_refinement_blocks, dim, f, b, att=True)
        self.fuse2 = Fuse(dim * 2)
        self.fuse1 = Fuse(dim)
        self.output = nn.Conv2d(dim, out_channels, 3, padding=1, bias=bias)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        level1 = self.encoder_level1(self.patch_embed(image))
        level2 = self.encoder_level2(self.down1_2(level1))
        x = self.decoder_level3(self.encoder_level3(self.down2_3(level2)))
        x = self.decoder_level2(self.fuse2(self.up3_2(x), level2))
        x = self.decoder_level1(self.fuse1(self.up2_1(x), level1))
        return [self.output(self.refinement(x)) + image]


# --------------------------------------------------------------------------
# A checkpoint's configuration, read from its keys and shapes
# --------------------------------------------------------------------------

SIGNATURE_KEYS = ("patch_embed.proj.weight", "encoder_level1.0.ffn.fft", "fuse1.att_channel.ffn.fft")
CANCEL_POINTS = (TransformerBlock,)


def build(config: dict) -> FFTformer:
    return FFTformer(**config)


def export_tag(model: FFTformer) -> str:
    """What, besides the weights, makes one export differ from another (part of its cache key): the graph
    changed (DFFN's filter in the shared basis, channels last), so exports cached before are not reused."""
    return "fftformer/dffn-basis-last"



def config_from_shapes(shapes) -> dict:
    """The constructor's arguments from {key: shape}: width, block counts, FFN expansion, bias."""
    embed = shapes["patch_embed.proj.weight"]
    dim = int(embed[0])
    hidden = int(shapes["encoder_level1.0.ffn.project_out.weight"][1]) if "encoder_level1.0.ffn.project_out.weight" \
        in shapes else int(shapes["decoder_level1.0.ffn.project_out.weight"][1])
    return {
        "inp_channels": int(embed[1]),
        "out_channels": int(shapes["output.weight"][0]),
        "dim": dim,
        "num_blocks": tuple(count_children(shapes, f"encoder_level{i}.") for i in (1, 2, 3)),
        "num_refinement_blocks": count_children(shapes, "refinement."),
        "ffn_expansion_factor": hidden / dim,
        "bias": "patch_embed.proj.bias" in shapes,
    }
