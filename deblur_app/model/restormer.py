"""Restormer (Zamir, Arora, Khan, Hayat, Khan and Yang, "Restormer: Efficient Transformer for
High-Resolution Image Restoration", CVPR 2022), written from the paper.

A four-level U-Net of transformer blocks, each a layer norm and *MDTA*, then a layer norm and
*GDFN*, both added to their input:

* MDTA, multi-Dconv head transposed attention: queries, keys and values from a 1x1 and a depthwise
  3x3 convolution; per head, attention is *across channels*, not pixels: the (c x c) matrix of the
  cosine similarities of every query channel with every key channel (each channel a vector over all
  the pixels, L2-normalised), scaled by a learned temperature per head, softmax over the keys; it
  mixes the value channels, then a 1x1 projection. Its cost grows linearly with the pixels, but
  every output pixel depends on every input pixel through those matrices: the attention is global
  over whatever image (or tile) the network is given.
* GDFN, gated-Dconv feed-forward network: a 1x1 expansion to twice ``int(dim * ffn_expansion_factor)``
  channels, a depthwise 3x3 convolution, the first half through GELU times the second half, a 1x1
  projection.

Levels have dim, 2 dim, 4 dim and 8 dim channels (heads[0..3] heads); downsampling is a 3x3
convolution halving the channels then pixel-unshuffle (x4 channels, half the side), upsampling a
3x3 convolution doubling them then pixel-shuffle. Decoder levels 3 and 2 concatenate the encoder's
features and reduce them with a 1x1 convolution; level 1 keeps the concatenation (2 dim channels)
through its blocks and the refinement blocks; a 3x3 convolution makes the output, plus the input
image (single-image tasks). The dual-pixel defocus variant (``dual_pixel_task``, 6 input channels:
the two dual-pixel views) adds a 1x1 skip of the embedded input instead of the image.

The layer norm is over each pixel's channels (eps 1e-5, biased variance); "BiasFree" divides by the
standard deviation without subtracting the mean and has no bias. The attribute names are the
authors' (``patch_embed.proj``, ``encoder_level1``..3, ``latent``, ``decoder_level3``..1,
``refinement``, ``down1_2``, ``up4_3``, ``reduce_chan_level3``, ``skip_conv``, ``output``; in a block
``norm1.body``, ``attn.temperature``, ``attn.qkv``, ``attn.qkv_dwconv``, ``attn.project_out``,
``ffn.project_in``, ``ffn.dwconv``, ``ffn.project_out``), so their checkpoints load with
``strict=True``. The patch embedding has no bias whatever ``bias`` says, as in their checkpoints.

Inference (no autograd) computes the same function with less memory: queries and keys one at a
time and reduced at once to their channel matrix, the value projection folded into it (one matrix per
head and image, applied to the values once), and GDFN's hidden channels in groups whose parts of the
projection are summed, so that the expanded maps (2 x 2.66 times a level's width) never exist whole.

The ONNX export (while tracing) computes the plain function from the weights' parts instead of chunking whole maps:
queries, keys and values each from its third of the qkv weights, GDFN's gates and values each from its half, in
groups of EXPORT_HIDDEN_GROUP hidden channels whose parts of the projection are summed. OpenVINO ran the chunks as
a reference (unvectorised) VariadicSplit that took a quarter of the time, and the whole expanded maps set its working
memory (benchmarks/RESULTS.md, session 16).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .. import reasons
from .modes import eager_inference
from .statekeys import count_children

EPS = 1e-5  # the layer norms'
NORMALIZE_EPS = 1e-12  # F.normalize's floor on a channel's norm
HIDDEN_GROUP = 64  # GDFN's hidden channels (and as many gates) expanded at a time in inference, at least
GROUP_BYTES = 24 * 1024**2  # ... more where the map is small, so that a group's maps stay about this size
GROUP_COPIES = 4  # float32 maps of one channel alive at once in a group: expansion, convolution, gate, product
# 64 at a time was the quickest: a full-resolution GDFN of the published network (96 channels, 255 hidden) at
# 256x256, channels last, took 1.21 s in groups of 64, 1.11 s of 128, 1.45 s whole and 1.80 s in groups of 32
# (2-core AMD EPYC, AVX2 only, KVM, load 18: one run, best of 3 each)
EXPORT_HIDDEN_GROUP = 128  # GDFN's hidden channels per group in the ONNX export (OpenVINO's working memory)
# OpenVINO float32, published configuration at 256x384 (2-core AMD EPYC, AVX2 only, KVM, load 13-15, one process,
# medians of 3): the authors' chunked graph 32.97 s and 6293 B/pixel over the compiled model; parts of the weights,
# GDFN whole 26.72 s, 4637 B/pixel; in groups of 128 27.11 s, 4005 B/pixel; of 64 30.08 s, 3497 B/pixel


def _inference() -> bool:
    return not torch.is_grad_enabled()


class _NormParameters(nn.Module):
    def __init__(self, channels: int, with_bias: bool) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        if with_bias:
            self.bias = nn.Parameter(torch.zeros(channels))
        else:
            self.register_parameter("bias", None)


class LayerNorm(nn.Module):
    """Layer normalisation over the channels of each pixel; parameters in ``body`` as the authors'."""

    def __init__(self, channels: int, layer_norm_type: str = "WithBias") -> None:
        super().__init__()
        if layer_norm_type not in ("WithBias", "BiasFree"):
            raise ValueError(f"LayerNorm_type {layer_norm_type!r}: 'WithBias' or 'BiasFree'")
        self.body = _NormParameters(channels, layer_norm_type == "WithBias")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(1, keepdim=True)
        centred = x - mean
        variance = centred.square().mean(1, keepdim=True)
        scale = torch.rsqrt(variance + EPS)
        weight = self.body.weight.view(1, -1, 1, 1)
        if self.body.bias is None:  # BiasFree: the variance about the mean, but the input not centred
            return x * scale * weight
        if _inference():
            return torch.addcmul(self.body.bias.view(1, -1, 1, 1), centred.mul_(scale), weight)
        return centred * scale * weight + self.body.bias.view(1, -1, 1, 1)


def _rows(bias: torch.Tensor | None, rows: slice) -> torch.Tensor | None:
    return None if bias is None else bias[rows]


def _channels_by_pixels(x: torch.Tensor) -> torch.Tensor:
    """(b, c, h, w) -> (b, c, h*w), a view (no copy) of a contiguous or a channels-last map."""
    b, c, h, w = x.shape
    if x.is_contiguous():
        return x.reshape(b, c, h * w)
    return x.permute(0, 2, 3, 1).reshape(b, h * w, c).transpose(1, 2)


class Attention(nn.Module):
    """MDTA: attention across the channels of each head, over all the pixels of the input."""

    def __init__(self, dim: int, num_heads: int, bias: bool) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, 1, bias=bias)
        self.qkv_dwconv = nn.Conv2d(dim * 3, dim * 3, 3, padding=1, groups=dim * 3, bias=bias)
        self.project_out = nn.Conv2d(dim, dim, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.jit.is_tracing():
            dim = self.project_out.in_channels
            return self._attend(*(self._part(x, slice(i * dim, (i + 1) * dim)) for i in range(3)))
        if eager_inference():
            return self._forward_folded(x)
        return self._attend(*self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1))

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """The authors' attention of the queries, keys and values (each dim channels)."""
        b, c, h, w = q.shape
        heads = self.num_heads
        q, k, v = (t.reshape(b, heads, c // heads, h * w) for t in (q, k, v))
        q, k = F.normalize(q, dim=-1, eps=NORMALIZE_EPS), F.normalize(k, dim=-1, eps=NORMALIZE_EPS)
        attention = (torch.matmul(q, k.transpose(-2, -1)) * self.temperature).softmax(dim=-1)
        return self.project_out(torch.matmul(attention, v).reshape(b, c, h, w))

    def _part(self, x: torch.Tensor, rows: slice) -> torch.Tensor:
        """Channels ``rows`` of qkv_dwconv(qkv(x)): both are per output channel."""
        h = F.conv2d(x, self.qkv.weight[rows], _rows(self.qkv.bias, rows))
        return F.conv2d(h, self.qkv_dwconv.weight[rows], _rows(self.qkv_dwconv.bias, rows), padding=1,
                        groups=h.shape[1])

    def channel_attention(self, x: torch.Tensor) -> torch.Tensor:
        """(b, heads, c, c): per head the softmax of the temperature-scaled cosine similarities of the
        query and key channels. Cosines from the raw inner products divided by the norms (F.normalize's
        function without normalised copies of q and k)."""
        dim = self.project_out.in_channels
        q = _channels_by_pixels(self._part(x, slice(0, dim)))
        b, heads = q.shape[0], self.num_heads
        q_norm = q.norm(dim=-1).clamp_min(NORMALIZE_EPS)
        k = self._part(x, slice(dim, 2 * dim))
        k = _channels_by_pixels(k)
        k_norm = k.norm(dim=-1).clamp_min(NORMALIZE_EPS)
        per_head = dim // heads
        q, k = q.reshape(b, heads, per_head, -1), k.reshape(b, heads, per_head, -1)
        gram = torch.matmul(q, k.transpose(-2, -1))
        del q, k
        cosines = gram / (q_norm.reshape(b, heads, per_head, 1) * k_norm.reshape(b, heads, 1, per_head))
        return (cosines * self.temperature).softmax(dim=-1)

    def _forward_folded(self, x: torch.Tensor) -> torch.Tensor:
        """The same function: project_out(attention @ v) = (W_out blockdiag(attention)) @ v, one (dim x dim)
        matrix per image applied to the values once instead of two passes over the pixels."""
        dim = self.project_out.in_channels
        attention = self.channel_attention(x)
        b, heads, per_head = attention.shape[:3]
        mixing = torch.zeros((b, dim, dim), dtype=attention.dtype, device=attention.device)
        for head in range(heads):
            span = slice(head * per_head, (head + 1) * per_head)
            mixing[:, span, span] = attention[:, head]
        weight = self.project_out.weight[:, :, 0, 0].to(attention.dtype)
        mixing = torch.matmul(weight, mixing)  # (b, dim out, dim of v)
        v = self._part(x, slice(2 * dim, 3 * dim))
        height, width = v.shape[-2:]
        if v.is_contiguous():
            out = torch.matmul(mixing, v.reshape(b, dim, height * width)).reshape(b, dim, height, width)
        else:  # channels last: pixels by channels, times the transposed mixing
            rows = v.permute(0, 2, 3, 1).reshape(b, height * width, dim)
            out = torch.matmul(rows, mixing.transpose(1, 2)).reshape(b, height, width, dim).permute(0, 3, 1, 2)
        if self.project_out.bias is not None:
            out = out.add_(self.project_out.bias.view(1, -1, 1, 1))
        return out


def group_channels(x: torch.Tensor) -> int:
    """How many hidden channels one step of GDFN's inference forward expands, for this feature map."""
    per_channel = x.shape[0] * x.shape[2] * x.shape[3] * 4 * GROUP_COPIES * 2  # a gate and its value
    return max(HIDDEN_GROUP, GROUP_BYTES // per_channel // HIDDEN_GROUP * HIDDEN_GROUP)


class FeedForward(nn.Module):
    """GDFN: 1x1 expansion, depthwise 3x3, GELU gate, 1x1 projection."""

    def __init__(self, dim: int, ffn_expansion_factor: float, bias: bool) -> None:
        super().__init__()
        hidden = int(dim * ffn_expansion_factor)
        self.project_in = nn.Conv2d(dim, hidden * 2, 1, bias=bias)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, 3, padding=1, groups=hidden * 2, bias=bias)
        self.project_out = nn.Conv2d(hidden, dim, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if torch.jit.is_tracing():
            return self._forward_exported(x)
        if eager_inference():
            return self._forward_in_channel_groups(x)
        gate, values = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(gate) * values)

    def _gate_and_values(self, x: torch.Tensor, start: int, stop: int) -> list[torch.Tensor]:
        """Hidden channels start..stop of dwconv(project_in(x)) and their gate partners (each step is per channel)."""
        hidden = self.project_out.in_channels
        parts = []
        for rows in (slice(start, stop), slice(hidden + start, hidden + stop)):
            h = F.conv2d(x, self.project_in.weight[rows], _rows(self.project_in.bias, rows))
            parts.append(F.conv2d(h, self.dwconv.weight[rows], _rows(self.dwconv.bias, rows), padding=1,
                                  groups=stop - start))
            del h
        return parts

    def _forward_exported(self, x: torch.Tensor) -> torch.Tensor:
        """The same function for the ONNX export, out of place: EXPORT_HIDDEN_GROUP hidden channels at a time."""
        hidden = self.project_out.in_channels
        out = None
        for start in range(0, hidden, EXPORT_HIDDEN_GROUP):
            stop = min(start + EXPORT_HIDDEN_GROUP, hidden)
            gate, values = self._gate_and_values(x, start, stop)
            part = F.conv2d(F.gelu(gate) * values, self.project_out.weight[:, start:stop])
            out = part if out is None else out + part
        if self.project_out.bias is not None:
            out = out + self.project_out.bias.view(1, -1, 1, 1)
        return out

    def _forward_in_channel_groups(self, x: torch.Tensor) -> torch.Tensor:
        """The same function, group_channels() hidden channels (with their gate partners) at a time: every
        step before the projection is per channel, so each group's part of the projection can be summed."""
        hidden = self.project_out.in_channels
        out = None
        group = group_channels(x)
        for start in range(0, hidden, group):
            stop = min(start + group, hidden)
            gate, values = self._gate_and_values(x, start, stop)
            part = F.conv2d(F.gelu(gate).mul_(values), self.project_out.weight[:, start:stop])
            del gate, values
            out = part if out is None else out.add_(part)
        if self.project_out.bias is not None:
            out.add_(self.project_out.bias.view(1, -1, 1, 1))
        return out


class TransformerBlock(nn.Module):
    def __init__(self, dim: int, num_heads: int, ffn_expansion_factor: float, bias: bool,
                 layer_norm_type: str) -> None:
        super().__init__()
        self.norm1 = LayerNorm(dim, layer_norm_type)
        self.attn = Attention(dim, num_heads, bias)
        self.norm2 = LayerNorm(dim, layer_norm_type)
        self.ffn = FeedForward(dim, ffn_expansion_factor, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if _inference():
            x = x + self.attn(self.norm1(x))
            return x.add_(self.ffn(self.norm2(x)))
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


class OverlapPatchEmbed(nn.Module):
    """The input's 3x3 embedding (never a bias, as in the authors' checkpoints)."""

    def __init__(self, in_c: int, embed_dim: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_c, embed_dim, 3, padding=1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x)


class Downsample(nn.Module):
    """3x3 convolution to half the channels, then pixel-unshuffle: half the side, twice the channels."""

    def __init__(self, n_feat: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(n_feat, n_feat // 2, 3, padding=1, bias=False), nn.PixelUnshuffle(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class Upsample(nn.Module):
    """3x3 convolution to twice the channels, then pixel-shuffle: twice the side, half the channels."""

    def __init__(self, n_feat: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(n_feat, n_feat * 2, 3, padding=1, bias=False), nn.PixelShuffle(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _blocks(count: int, dim: int, heads: int, factor: float, bias: bool, norm: str) -> nn.Sequential:
    return nn.Sequential(*[TransformerBlock(dim, heads, factor, bias, norm) for _ in range(count)])


class Restormer(nn.Module):
    """The network; returns ``[full]``, the raw restored image (single image: the input added).

    Sides that are not multiples of 8 are reflect-padded here and the output cropped, as the authors'
    test code pads (the engine pads before).
    """

    size_multiple = 8

    def __init__(self, inp_channels: int = 3, out_channels: int = 3, dim: int = 48,
                 num_blocks: tuple[int, ...] = (4, 6, 6, 8), num_refinement_blocks: int = 4,
                 heads: tuple[int, ...] = (1, 2, 4, 8), ffn_expansion_factor: float = 2.66, bias: bool = False,
                 LayerNorm_type: str = "WithBias", dual_pixel_task: bool = False) -> None:  # noqa: N803 (authors')
        super().__init__()
        f, b, n = ffn_expansion_factor, bias, LayerNorm_type
        self.dual_pixel_task = dual_pixel_task
        self.patch_embed = OverlapPatchEmbed(inp_channels, dim)
        self.encoder_level1 = _blocks(num_blocks[0], dim, heads[0], f, b, n)
        self.down1_2 = Downsample(dim)
        self.encoder_level2 = _blocks(num_blocks[1], dim * 2, heads[1], f, b, n)
        self.down2_3 = Downsample(dim * 2)
        self.encoder_level3 = _blocks(num_blocks[2], dim * 4, heads[2], f, b, n)
        self.down3_4 = Downsample(dim * 4)
        self.latent = _blocks(num_blocks[3], dim * 8, heads[3], f, b, n)
        self.up4_3 = Upsample(dim * 8)
        self.reduce_chan_level3 = nn.Conv2d(dim * 8, dim * 4, 1, bias=bias)
        self.decoder_level3 = _blocks(num_blocks[2], dim * 4, heads[2], f, b, n)
        self.up3_2 = Upsample(dim * 4)
        self.reduce_chan_level2 = nn.Conv2d(dim * 4, dim * 2, 1, bias=bias)
        self.decoder_level2 = _blocks(num_blocks[1], dim * 2, heads[1], f, b, n)
        self.up2_1 = Upsample(dim * 2)  # level 1 keeps the concatenation's 2 dim channels
        self.decoder_level1 = _blocks(num_blocks[0], dim * 2, heads[0], f, b, n)
        self.refinement = _blocks(num_refinement_blocks, dim * 2, heads[0], f, b, n)
        if dual_pixel_task:
            self.skip_conv = nn.Conv2d(dim, dim * 2, 1, bias=bias)
        self.output = nn.Conv2d(dim * 2, out_channels, 3, padding=1, bias=bias)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        height, width = image.shape[-2:]
        pad_h, pad_w = (-height) % self.size_multiple, (-width) % self.size_multiple
        x = F.pad(image, (0, pad_w, 0, pad_h), mode="reflect") if pad_h or pad_w else image
        embedded = self.patch_embed(x)
        level1 = self.encoder_level1(embedded)
        if not self.dual_pixel_task:
            del embedded
        level2 = self.encoder_level2(self.down1_2(level1))
        level3 = self.encoder_level3(self.down2_3(level2))
        y = self.latent(self.down3_4(level3))
        y = self.decoder_level3(self.reduce_chan_level3(torch.cat((self.up4_3(y), level3), dim=1)))
        del level3
        y = self.decoder_level2(self.reduce_chan_level2(torch.cat((self.up3_2(y), level2), dim=1)))
        del level2
        y = self.decoder_level1(torch.cat((self.up2_1(y), level1), dim=1))
        del level1
        y = self.refinement(y)
        if self.dual_pixel_task:
            out = self.output(y + self.skip_conv(embedded))
        else:
            out = self.output(y) + x
        return [out[..., :height, :width] if pad_h or pad_w else out]


# --------------------------------------------------------------------------
# A checkpoint's configuration, read from its keys and shapes
# --------------------------------------------------------------------------

SIGNATURE_KEYS = ("patch_embed.proj.weight", "output.weight", "latent.0.attn.temperature")
CANCEL_POINTS = (TransformerBlock,)
LEVELS = ("encoder_level1", "encoder_level2", "encoder_level3", "latent")
DECODER_LEVELS = ("decoder_level1", "decoder_level2", "decoder_level3", None)  # the same heads as the encoder's
PUBLISHED_HEADS = (1, 2, 4, 8)


def build(config: dict) -> Restormer:
    return Restormer(**config)


def export_tag(model: Restormer) -> str:
    """What, besides the weights, makes one export differ from another (part of its cache key): the graph changed
    (q, k, v and GDFN's halves from parts of the weights, GDFN in groups), so exports cached before are not reused."""
    return f"restormer/parts-gdfn{EXPORT_HIDDEN_GROUP}"


def unusable(config: dict):
    """The dual-pixel defocus weights (6 input channels: the two views of a dual-pixel sensor) cannot restore a
    photo (the authors publish them beside the single-image ones, in the same Drive folder)."""
    if config.get("dual_pixel_task"):
        return reasons.reason(reasons.DUAL_PIXEL_WEIGHTS)
    return None


def _first_block(shapes, prefixes) -> str | None:
    """The first block prefix ("encoder_level1.0.") of these stages that the checkpoint has."""
    for prefix in prefixes:
        if prefix and f"{prefix}.0.attn.temperature" in shapes:
            return f"{prefix}.0."
    return None


def expansion_factor(widths_and_hidden) -> float:
    """The ffn_expansion_factor that gives each level's hidden width ``int(width * factor)``: the decimal with
    the fewest digits in the interval every (width, hidden) pair allows (the authors' 2.66: 127 hidden channels
    for 48, 255 for 96, 510 for 192, 1021 for 384, which one ratio alone does not tell)."""
    low, high = 0.0, float("inf")
    for width, hidden in widths_and_hidden:
        low, high = max(low, hidden / width), min(high, (hidden + 1) / width)
    if not low < high:
        raise ValueError("the feed-forward widths of the levels fit no single expansion factor")
    for digits in range(7):
        step = 10.0 ** -digits
        candidate = round(-(-low // step) * step, digits)  # the smallest multiple of step not below low
        if candidate < high and all(int(w * candidate) == h for w, h in widths_and_hidden):
            return candidate
    return low


def config_from_shapes(shapes) -> dict:
    """The constructor's arguments from {key: shape}: width, block counts, heads, FFN expansion, bias,
    layer norm type, dual-pixel task."""
    embed = shapes["patch_embed.proj.weight"]
    dim = int(embed[0])
    widths = {"encoder_level1": dim, "encoder_level2": dim * 2, "encoder_level3": dim * 4, "latent": dim * 8,
              "decoder_level1": dim * 2, "decoder_level2": dim * 2, "decoder_level3": dim * 4, "refinement": dim * 2}
    heads = []
    for level, (encoder, decoder) in enumerate(zip(LEVELS, DECODER_LEVELS)):
        prefix = _first_block(shapes, (encoder, decoder) + (("refinement",) if level == 0 else ()))
        heads.append(int(shapes[f"{prefix}attn.temperature"][0]) if prefix else PUBLISHED_HEADS[level])
    pairs = [(width, int(shapes[f"{stage}.0.ffn.project_out.weight"][1])) for stage, width in widths.items()
             if f"{stage}.0.ffn.project_out.weight" in shapes]
    block = _first_block(shapes, widths)
    return {
        "inp_channels": int(embed[1]),
        "out_channels": int(shapes["output.weight"][0]),
        "dim": dim,
        "num_blocks": tuple(count_children(shapes, f"{stage}.") for stage in LEVELS),
        "num_refinement_blocks": count_children(shapes, "refinement."),
        "heads": tuple(heads),
        "ffn_expansion_factor": expansion_factor(pairs) if pairs else 2.66,
        "bias": "output.bias" in shapes,
        "LayerNorm_type": "WithBias" if block is None or f"{block}norm1.body.bias" in shapes else "BiasFree",
        "dual_pixel_task": "skip_conv.weight" in shapes,
    }
