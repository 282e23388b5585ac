"""NAFNet (Chen, Chu, Zhang and Sun, "Simple Baselines for Image Restoration", ECCV 2022), written from the paper.

A U-Net of "nonlinear activation free" blocks: layer norm, 1x1 and depthwise 3x3 convolutions,
a *simple gate* (the channels split in two halves multiplied together) instead of an activation,
and a *simplified channel attention* (average pooling, a 1x1 convolution, a product). The
attribute names are the authors' (``intro``, ``encoders``, ``downs``, ``middle_blks``, ``ups``,
``decoders``, ``ending``; in a block ``conv1``..``conv5``, ``sca.1``, ``norm1``, ``norm2``, ``beta``,
``gamma``), so the published BasicSR checkpoints load with ``strict=True``.

Test-time local converter (TLC, Chu et al., "Revisiting Global Statistics Aggregation for
Improving Image Restoration", ECCV 2022): NAFNet is trained on 256x256 crops, where the channel
attention's average covers the whole crop. On a full photo a global average mixes statistics the
network never saw; the authors evaluate with a *local* average instead, over a window 1.5 times
the training crop (384 image pixels, i.e. ``384 >> level`` feature pixels at each level), sliding
with stride 1 and padded at the borders by repeating the edge values. Where a level's feature
map is no larger than its window both ways the local average is the global one, so the network
is unchanged for images up to the window. ``NAFNet.use_local_pooling(train_size)`` switches to
it; ``use_global_pooling()`` switches back.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .exporting import float32_view
from .statekeys import count_children

TRAIN_CROP = 256  # the authors' training crop for every published deblurring model
TLC_WINDOW_RATIO = 1.5  # the authors' base_size = 1.5 x the training crop


class LayerNorm2d(nn.Module):
    """Layer normalisation over the channels of each pixel (eps 1e-6 as the authors')."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(1, keepdim=True)
        centred = x - mean
        variance = centred.pow(2).mean(1, keepdim=True)
        if _in_place():  # the same operations in the same order, without two full-size temporaries
            return centred.div_((variance + self.eps).sqrt()).mul_(self.weight.view(1, -1, 1, 1)).add_(
                self.bias.view(1, -1, 1, 1))
        normalised = centred / (variance + self.eps).sqrt()
        return self.weight.view(1, -1, 1, 1) * normalised + self.bias.view(1, -1, 1, 1)


def _in_place() -> bool:
    """Inference (no autograd): the forward may overwrite its own temporaries.

    A full-resolution feature map of NAFNet-64 is 256 bytes per pixel; overwriting temporaries
    instead of allocating new ones (same operations, same order: the same numbers, bit for bit)
    cuts the peak working memory that tiles are sized from (benchmarks/bench_network_memory.py).
    """
    return not torch.is_grad_enabled()


class SimpleGate(nn.Module):
    """The activation NAFNet uses instead of one: the first half of the channels times the second."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first, second = x.chunk(2, dim=1)
        return first * second


class ChannelPool(nn.Module):
    """The averaging of the channel attention: global, or over a sliding window (TLC).

    ``window`` is None for the global average (the network as trained), else the window's
    (height, width) in this level's feature pixels. No weights, so checkpoints are unaffected.
    A side no longer than its window is averaged whole (the authors clip the window to it).
    """

    def __init__(self) -> None:
        super().__init__()
        self.window: tuple[int, int] | None = None

    def forward(self, x: torch.Tensor, pointwise: nn.Module | None = None) -> torch.Tensor:
        """The means of x, through ``pointwise`` (a per-pixel map: the attention's 1x1 convolution) if given.

        ``pointwise`` goes before the local means' edges are repeated: the same values (the repeated edges
        are copies of computed ones), on a third of the pixels of a 720x1280 photo's feature maps.
        """
        height, width = x.shape[-2:]
        if self.window is None or (self.window[0] >= height and self.window[1] >= width):
            means = x.mean((-2, -1), keepdim=True)
            return means if pointwise is None else pointwise(means)
        if torch.jit.is_tracing():  # the ONNX export (torch.onnx is not imported until one is made)
            return separable_local_average(x, _local_side(self.window[0], height), _local_side(self.window[1], width),
                                           pointwise)
        return local_average(x, min(height, self.window[0]), min(width, self.window[1]), pointwise)


def _local_side(window: int, side: int) -> int | None:
    """The window along one side, None where it covers the whole side."""
    return None if window >= side else window


def local_average(x: torch.Tensor, rows: int, cols: int, pointwise: nn.Module | None = None) -> torch.Tensor:
    """The mean over every rows x cols window (stride 1), through ``pointwise`` (per pixel; None: as they
    are), edge-padded back to x's size.

    Summed-area table as the authors compute it; in at least float32 even under autocast, because a
    running sum over a whole photo in bfloat16 would keep about two significant digits.
    """
    wide = x.to(torch.promote_types(x.dtype, torch.float32))
    if _in_place():  # one table in place of three (the zero border first: 0 + v is v, so the same sums)
        table = F.pad(wide, (1, 0, 1, 0)).cumsum_(-1).cumsum_(-2)
        sums = (table[..., rows:, cols:] + table[..., :-rows, :-cols]).sub_(table[..., :-rows, cols:]).sub_(
            table[..., rows:, :-cols])
        means = sums.div_(rows * cols).to(x.dtype)
        del table, sums
    else:
        table = F.pad(wide.cumsum(-1).cumsum(-2), (1, 0, 1, 0))
        sums = table[..., rows:, cols:] + table[..., :-rows, :-cols] - table[..., :-rows, cols:] - table[..., rows:, :-cols]
        means = (sums / (rows * cols)).to(x.dtype)
    out_h, out_w = means.shape[-2:]
    height, width = x.shape[-2:]
    pad = ((width - out_w) // 2, (width - out_w + 1) // 2, (height - out_h) // 2, (height - out_h + 1) // 2)
    return F.pad(means if pointwise is None else pointwise(means), pad, mode="replicate")


def separable_local_average(x: torch.Tensor, rows: int | None, cols: int | None,
                            pointwise: nn.Module | None = None) -> torch.Tensor:
    """``local_average`` as the OpenVINO export computes it: one side at a time, from pooling and convolutions.

    The same means as the summed-area table (to float32 rounding), but shape-generic and fast where
    OpenVINO runs it: its CumSum is a scalar reference kernel (a quarter of NAFNet-64's time in bf16 at
    400x400, and under the bf16 hint it summed in bf16), while pooling and depthwise convolutions are
    vectorised and sum at most a few dozen values each. ``rows``/``cols``
    None: the whole side (the result is then 1 along it and broadcasts), so one export serves every
    size whose sides are each larger, or each no larger, than the window: the window is a constant.
    The columns go first: OpenVINO's depthwise taps down the rows (a dilation of 16 rows spans the cache)
    are several times slower per value than along a row, and after the columns' pass there are fewer of them.
    ``pointwise`` (per pixel) maps the means before their edges are repeated, as in ``local_average``.
    """
    means = x.to(torch.promote_types(x.dtype, torch.float32))
    means = means.mean(-1, keepdim=True) if cols is None else _sliding_mean(means, cols, dim=-1)
    means = means.mean(-2, keepdim=True) if rows is None else _sliding_mean(means, rows, dim=-2)
    means = means.to(x.dtype)
    if pointwise is not None:
        means = pointwise(means)
    # the edge rows and columns repeat, as the authors pad (the window centred, the odd pixel after)
    pad_cols = (0, 0) if cols is None else ((cols - 1) // 2, cols // 2)
    pad_rows = (0, 0) if rows is None else ((rows - 1) // 2, rows // 2)
    return F.pad(means, pad_cols + pad_rows, mode="replicate")


def _sliding_mean(x: torch.Tensor, size: int, dim: int) -> torch.Tensor:
    """The mean of every ``size`` consecutive values along ``dim`` (-2 or -1), stride 1, no padding.

    As a mean of ``taps`` means of ``first`` values, ``first`` apart (size = first x taps): an average
    pooling, then a dilated depthwise convolution of equal weights; 40 additions per value for 384
    instead of 384 (OpenVINO's pooling sums every window afresh).
    """
    first = _window_factor(size)
    taps = size // first

    def along(n: int) -> tuple[int, int]:
        return (n, 1) if dim == -2 else (1, n)

    means = F.avg_pool2d(x, along(first), stride=1)
    if taps == 1:
        return means
    channels = int(means.shape[1])  # a constant of the block, not of the input's size
    weight = torch.full((channels, 1) + along(taps), 1.0 / taps, dtype=means.dtype)
    return F.conv2d(means, weight, groups=channels, dilation=along(first))


def _window_factor(size: int) -> int:
    """The largest divisor of ``size`` no larger than its square root (384 -> 16: 16 x 24)."""
    return max(d for d in range(1, int(size ** 0.5) + 1) if size % d == 0)


class NAFBlock(nn.Module):
    """Norm, 1x1 expand, depthwise 3x3, gate, channel attention, 1x1; then a gated feed-forward."""

    def __init__(self, channels: int, dw_expand: int = 2, ffn_expand: int = 2) -> None:
        super().__init__()
        dw_channels = channels * dw_expand
        ffn_channels = channels * ffn_expand
        self.conv1 = nn.Conv2d(channels, dw_channels, 1)
        self.conv2 = nn.Conv2d(dw_channels, dw_channels, 3, padding=1, groups=dw_channels)
        self.conv3 = nn.Conv2d(dw_channels // 2, channels, 1)
        self.sca = nn.Sequential(ChannelPool(), nn.Conv2d(dw_channels // 2, dw_channels // 2, 1))
        self.sg = SimpleGate()
        self.conv4 = nn.Conv2d(channels, ffn_channels, 1)
        self.conv5 = nn.Conv2d(ffn_channels // 2, channels, 1)
        self.norm1 = LayerNorm2d(channels)
        self.norm2 = LayerNorm2d(channels)
        self.beta = nn.Parameter(torch.zeros((1, channels, 1, 1)))
        self.gamma = nn.Parameter(torch.zeros((1, channels, 1, 1)))
        self.gate_halves: GateHalves | None = None  # set only while ExportedNAFNet traces the block

    def forward(self, inp: torch.Tensor) -> torch.Tensor:
        if self.gate_halves is not None:
            return self._forward_with_gate_halves(inp, self.gate_halves)
        x = self.sg(self.conv2(self.conv1(self.norm1(inp))))
        if _in_place():  # as below, overwriting the block's own temporaries (never ``inp``)
            x = self.conv3(x.mul_(self._attention(x)))
            y = x.mul_(self.beta).add_(inp)
            return self.conv5(self.sg(self.conv4(self.norm2(y)))).mul_(self.gamma).add_(y)
        x = self.conv3(x * self._attention(x))
        y = inp + x * self.beta
        x = self.conv5(self.sg(self.conv4(self.norm2(y))))
        return y + x * self.gamma

    def _forward_with_gate_halves(self, inp: torch.Tensor, halves: "GateHalves") -> torch.Tensor:
        """The same block, each simple gate's halves made by their own convolutions: no feature map is split."""
        x = halves.first_gate(self.norm1(inp))
        x = self.conv3(x * self._attention(x))
        y = inp + x * self.beta
        return y + self.conv5(halves.second_gate(self.norm2(y))) * self.gamma

    def _attention(self, x: torch.Tensor) -> torch.Tensor:
        """``self.sca(x)``, its 1x1 convolution given to the pooling to apply before the edges are repeated."""
        pool, conv = self.sca
        return pool(x, conv)


class GateHalves(nn.Module):
    """A block's conv1+conv2 and conv4 as half-width branches, for each simple gate: views of the block's weights.

    ``SimpleGate(conv(x))`` is ``conv_first_half(x) * conv_second_half(x)``: every output channel is its own dot
    product, so the numbers are the same. The halves are parameters of their own that share the weights' memory,
    made before tracing, so the exporter writes them in place of the full weights as it writes any parameter.
    (Slicing the parameters inside the trace made the exporter fold each slice into a new copy beside the weights,
    +386 MB on the first export, commit 1020d16; views captured as constants of the trace cost more still.)
    """

    def __init__(self, block: NAFBlock) -> None:
        super().__init__()
        half1, half4 = block.conv1.out_channels // 2, block.conv4.out_channels // 2
        self.conv1 = _halves(block.conv1, half1)
        self.conv2 = _halves(block.conv2, half1)
        self.conv4 = _halves(block.conv4, half4)
        self._depthwise = dict(padding=block.conv2.padding, groups=half1)

    def first_gate(self, x: torch.Tensor) -> torch.Tensor:
        """``sg(conv2(conv1(x)))``"""
        first, second = (F.conv2d(F.conv2d(x, expand[0], expand[1]), depthwise[0], depthwise[1], **self._depthwise)
                         for expand, depthwise in zip(self.conv1, self.conv2))
        return first * second

    def second_gate(self, x: torch.Tensor) -> torch.Tensor:
        """``sg(conv4(x))``"""
        first, second = (F.conv2d(x, expand[0], expand[1]) for expand in self.conv4)
        return first * second


def _halves(conv: nn.Conv2d, half: int) -> nn.ModuleList:
    """[(weight, bias)] of the first and of the second ``half`` output channels, parameters viewing the conv's."""
    weight, bias = conv.weight.detach(), conv.bias.detach()
    return nn.ModuleList(nn.ParameterList([nn.Parameter(w, requires_grad=False), nn.Parameter(b, requires_grad=False)])
                         for w, b in ((weight[:half], bias[:half]), (weight[half:], bias[half:])))


def _stage(channels: int, blocks: int) -> nn.Sequential:
    return nn.Sequential(*[NAFBlock(channels) for _ in range(blocks)])


class NAFNet(nn.Module):
    """The network; returns ``[full]``, the raw (unclamped) restored image, as every registry network does.

    Sides that are not multiples of ``2 ** len(enc_blk_nums)`` are zero-padded and cropped back,
    as in the authors' code (the engine pads before, so this is a no-op there).
    """

    def __init__(self, img_channel: int = 3, width: int = 16, middle_blk_num: int = 1,
                 enc_blk_nums: tuple[int, ...] = (), dec_blk_nums: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.intro = nn.Conv2d(img_channel, width, 3, padding=1)
        self.ending = nn.Conv2d(width, img_channel, 3, padding=1)
        # registered in the authors' order, so that state dicts list their keys in the same order
        self.encoders, self.decoders = nn.ModuleList(), nn.ModuleList()
        self.middle_blks = nn.Sequential()
        self.ups, self.downs = nn.ModuleList(), nn.ModuleList()
        channels = width
        for blocks in enc_blk_nums:
            self.encoders.append(_stage(channels, blocks))
            self.downs.append(nn.Conv2d(channels, channels * 2, 2, stride=2))
            channels *= 2
        self.middle_blks = _stage(channels, middle_blk_num)
        for blocks in dec_blk_nums:
            self.ups.append(nn.Sequential(nn.Conv2d(channels, channels * 2, 1, bias=False), nn.PixelShuffle(2)))
            channels //= 2
            self.decoders.append(_stage(channels, blocks))
        self.size_multiple = 2 ** len(self.encoders)

    def forward(self, inp: torch.Tensor) -> list[torch.Tensor]:
        height, width = inp.shape[-2:]
        pad_h, pad_w = (-height) % self.size_multiple, (-width) % self.size_multiple
        if pad_h or pad_w:
            inp = F.pad(inp, (0, pad_w, 0, pad_h))
        x = self.intro(inp)
        skips = []
        for encoder, down in zip(self.encoders, self.downs):
            x = encoder(x)
            skips.append(x)
            x = down(x)
        x = self.middle_blks(x)
        for decoder, up, skip in zip(self.decoders, self.ups, reversed(skips)):
            x = decoder(up(x) + skip)
        full = self.ending(x) + inp
        return [full[..., :height, :width]]

    def _pools_by_level(self):
        """(level, ChannelPool) for every block; level = how many times the input was halved."""
        stages = [(level, stage) for level, stage in enumerate(self.encoders)]
        stages.append((len(self.encoders), self.middle_blks))
        stages += [(len(self.encoders) - 1 - index, stage) for index, stage in enumerate(self.decoders)]
        for level, stage in stages:
            for block in stage:
                yield level, block.sca[0]

    def use_local_pooling(self, train_size: int = TRAIN_CROP) -> None:
        """TLC: each level averages over 1.5 x the training crop, scaled to that level (384 >> level)."""
        base = int(train_size * TLC_WINDOW_RATIO)
        for level, pool in self._pools_by_level():
            side = (train_size >> level) * base // train_size
            pool.window = (side, side)

    def use_global_pooling(self) -> None:
        for _level, pool in self._pools_by_level():
            pool.window = None

    @property
    def local_window(self) -> int | None:
        """The TLC window in image pixels, or None for global pooling."""
        for level, pool in self._pools_by_level():
            return None if pool.window is None else pool.window[0] << level
        return None


# --------------------------------------------------------------------------
# A checkpoint's configuration, read from its keys and shapes
# --------------------------------------------------------------------------

SIGNATURE_KEYS = ("intro.weight", "ending.weight", "middle_blks.0.sca.1.weight")
CANCEL_POINTS = (NAFBlock,)


def build(config: dict) -> NAFNet:
    """The network for inference: with the test-time local converter, as the authors evaluate it
    (identical to the plain network on images up to 384 pixels a side)."""
    model = NAFNet(**config)
    model.use_local_pooling()
    return model



def config_from_shapes(shapes) -> dict:
    """The constructor's arguments from {key: shape}: width and every block count, published or not."""
    levels = count_children(shapes, "encoders.")
    return {
        "img_channel": int(shapes["intro.weight"][1]),
        "width": int(shapes["intro.weight"][0]),
        "middle_blk_num": count_children(shapes, "middle_blks."),
        "enc_blk_nums": tuple(count_children(shapes, f"encoders.{i}.") for i in range(levels)),
        "dec_blk_nums": tuple(count_children(shapes, f"decoders.{i}.")
                              for i in range(count_children(shapes, "decoders."))),
    }


# The OpenVINO backend's export (engine/openvino_backend.py, via networks.py). Tracing fixes the
# TLC's window arithmetic per side (separable_local_average): a side larger than its window at every
# level is averaged over the window, a constant for any size; a side no larger is averaged whole. So
# one export per pair of side regimes serves every input: both sides larger ("local"), both no larger
# ("global": a plain mean), only the width larger ("wide": a strip such as 360x640) or only the height
# ("tall"). The windows scale with the level as the feature maps do, so (for sides that are multiples
# of the size multiple, as the engine pads them) every level has the same regimes; a shape where they
# differ between levels has no export and runs in torch (``export_shape_class`` None).
EXPORT_EXAMPLES = {"local": (416, 416), "global": (256, 256), "wide": (256, 416), "tall": (416, 256)}
_SHAPE_CLASSES = {(True, True): "local", (False, False): "global", (False, True): "wide", (True, False): "tall"}


def export_tag(model: NAFNet) -> str:
    return f"nafnet/tlc{model.local_window}/separable-columns-first/attention-before-edges/gate-halves"


def export_settings(model: NAFNet) -> dict:
    """The pooling windows (use_local_pooling's, or None: global), each pool's in order: not in the configuration."""
    return {"pool_windows": [None if pool.window is None else list(pool.window) for _level, pool in
                             model._pools_by_level()]}


def with_export_settings(model: NAFNet, settings: dict) -> None:
    windows = settings["pool_windows"]
    pools = [pool for _level, pool in model._pools_by_level()]
    if len(windows) != len(pools):
        raise ValueError(f"{len(windows)} pooling windows for {len(pools)} pools")
    for pool, window in zip(pools, windows):
        pool.window = None if window is None else tuple(window)


def export_shape_class(model: NAFNet, height: int, width: int) -> str | None:
    """Which export serves an input of this (padded) size: "local", "global", "wide", "tall" or None (torch)."""
    regimes = set()
    for level, pool in model._pools_by_level():
        rows, cols = height >> level, width >> level
        if pool.window is None or (pool.window[0] >= rows and pool.window[1] >= cols):
            regimes.add((False, False))  # the global mean, whatever the window
        else:
            regimes.add((pool.window[0] < rows, pool.window[1] < cols))
    return _SHAPE_CLASSES[regimes.pop()] if len(regimes) == 1 else None


def export_copy(model: NAFNet) -> "ExportedNAFNet":
    """The model to trace: the engine's own where it is float32 on the CPU (NAFNet-64's weights are 259 MiB),
    its simple gates made of half-width convolutions (ExportedNAFNet)."""
    return ExportedNAFNet(float32_view(model))


class ExportedNAFNet(nn.Module):
    """NAFNet as the OpenVINO export traces it: every block with its GateHalves, for as long as a forward runs.

    OpenVINO ran each simple gate's chunk as a reference VariadicSplit copying the gate's input: 6.4% of NAFNet-64's
    bf16 time at 1280x720 (PERF_COUNT). The halves live as long as this wrapper (the export), so nothing of them
    stays on the engine's model, and no view keeps weights alive that the engine has let go.
    """

    def __init__(self, model: NAFNet) -> None:
        super().__init__()
        self.model = model
        self._blocks = [block for block in model.modules() if isinstance(block, NAFBlock)]
        self.halves = nn.ModuleList(GateHalves(block) for block in self._blocks)

    def forward(self, inp: torch.Tensor) -> list[torch.Tensor]:
        try:  # a plain attribute, not a submodule: the engine's model keeps its own modules and state dict
            for block, halves in zip(self._blocks, self.halves):
                object.__setattr__(block, "gate_halves", halves)
            return self.model(inp)
        finally:
            for block in self._blocks:
                object.__setattr__(block, "gate_halves", None)
