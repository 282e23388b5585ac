"""NAFNet, FFTformer and Restormer compute the authors' functions and load their checkpoints strictly.

Reference outputs in tests/data/conformance/networks were made with the authors' code; the
weights are rebuilt from the key names (tests/conformance_weights.network_weights).
"""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from conformance_weights import network_weights
from conftest import CONFORMANCE
from deblur_app.model import fftformer, nafnet, restormer

NETWORKS = CONFORMANCE / "networks"
PUBLISHED = {
    "NAFNet-width64": (nafnet, dict(img_channel=3, width=64, middle_blk_num=1, enc_blk_nums=(1, 1, 1, 28),
                                    dec_blk_nums=(1, 1, 1, 1))),
    "NAFNet-width32": (nafnet, dict(img_channel=3, width=32, middle_blk_num=1, enc_blk_nums=(1, 1, 1, 28),
                                    dec_blk_nums=(1, 1, 1, 1))),
    "FFTformer": (fftformer, dict(inp_channels=3, out_channels=3, dim=48, num_blocks=(6, 6, 12),
                                  num_refinement_blocks=4, ffn_expansion_factor=3.0, bias=False)),
    "Restormer": (restormer, dict(inp_channels=3, out_channels=3, dim=48, num_blocks=(4, 6, 6, 8),
                                  num_refinement_blocks=4, heads=(1, 2, 4, 8), ffn_expansion_factor=2.66, bias=False,
                                  LayerNorm_type="WithBias", dual_pixel_task=False)),
}
BUILDERS = {nafnet: nafnet.NAFNet, fftformer: fftformer.FFTformer, restormer: restormer.Restormer}


def published_shapes(name: str) -> dict:
    return json.loads((NETWORKS / f"keys_{name}.json").read_text())


def published_weights(name: str) -> dict[str, torch.Tensor]:
    return {k: torch.from_numpy(v) for k, v in network_weights(published_shapes(name)).items()}


def conformance_input() -> torch.Tensor:
    return torch.from_numpy(np.load(CONFORMANCE / "input_64x96.npy"))


def expected_full(name: str) -> np.ndarray:
    return np.load(NETWORKS / f"expected_{name}.npz")["full"]


def run(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    with torch.no_grad():
        outputs = model.eval()(x)
    assert len(outputs) == 1  # full scale only
    return outputs[0].numpy()


def built_from_shapes(module, state: dict[str, torch.Tensor]) -> torch.nn.Module:
    config = module.config_from_shapes({k: tuple(v.shape) for k, v in state.items()})
    model = BUILDERS[module](**config)
    model.load_state_dict(state, strict=True)
    return model


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_keys_and_shapes_are_the_authors(name):
    module, config = PUBLISHED[name]
    actual = {k: list(v.shape) for k, v in BUILDERS[module](**config).state_dict().items()}
    assert actual == published_shapes(name)
    assert list(actual) == list(published_shapes(name))


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_configuration_is_read_from_shapes(name):
    module, config = PUBLISHED[name]
    assert module.config_from_shapes(published_shapes(name)) == config


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_configuration_reproduces_reference(name):
    module, _ = PUBLISHED[name]
    model = built_from_shapes(module, published_weights(name))
    np.testing.assert_allclose(run(model, conformance_input()), expected_full(name), atol=1e-4)


def _identity_block(state: dict, prefix: str, reference_prefix: str, zeroed: tuple[str, ...]) -> None:
    """A copy of the block at ``reference_prefix`` as ``prefix``, its parameters ending in ``zeroed`` 0."""
    for key, value in list(state.items()):
        if key.startswith(reference_prefix):
            copy = value.clone()
            if key.endswith(zeroed):
                copy.zero_()
            state[prefix + key[len(reference_prefix):]] = copy


def _identity_nafblock(state: dict, prefix: str, reference_prefix: str) -> None:
    """A block whose beta and gamma are 0 passes its input through unchanged."""
    _identity_block(state, prefix, reference_prefix, (".beta", ".gamma"))


def test_unpublished_nafnet_block_counts_read_from_shapes_reproduce_reference():
    """Extra blocks that are exact identities: other block counts, the same function."""
    state = published_weights("NAFNet-width32")
    _identity_nafblock(state, "encoders.0.1.", "encoders.0.0.")
    _identity_nafblock(state, "middle_blks.1.", "middle_blks.0.")
    _identity_nafblock(state, "decoders.3.1.", "decoders.3.0.")
    model = built_from_shapes(nafnet, state)
    assert (model.encoders[0].__len__(), len(model.middle_blks), len(model.decoders[3])) == (2, 2, 2)
    np.testing.assert_allclose(run(model, conformance_input()), expected_full("NAFNet-width32"), atol=1e-4)


def _identity_transformer_block(state: dict, prefix: str, reference_prefix: str) -> None:
    """A transformer block whose output projections are 0 adds nothing to its input (FFTformer, Restormer)."""
    _identity_block(state, prefix, reference_prefix, ("project_out.weight",))


def test_unpublished_fftformer_block_counts_read_from_shapes_reproduce_reference():
    state = published_weights("FFTformer")
    _identity_transformer_block(state, "encoder_level2.6.", "encoder_level2.5.")
    _identity_transformer_block(state, "decoder_level2.6.", "decoder_level2.5.")
    _identity_transformer_block(state, "refinement.4.", "refinement.3.")
    model = built_from_shapes(fftformer, state)
    assert fftformer.config_from_shapes({k: v.shape for k, v in state.items()})["num_blocks"] == (6, 7, 12)
    np.testing.assert_allclose(run(model, conformance_input()), expected_full("FFTformer"), atol=1e-4)


def small_nafnet_weights() -> dict[str, torch.Tensor]:
    """NAFNet width 16 with block counts no published model has, weights by the conformance rule."""
    shapes = {k: v.shape for k, v in nafnet.NAFNet(width=16, middle_blk_num=2, enc_blk_nums=(1, 2, 1),
                                                    dec_blk_nums=(2, 1, 1)).state_dict().items()}
    return {k: torch.from_numpy(v) for k, v in network_weights(shapes).items()}


def test_width16_nafnet_is_built_from_shapes_and_pads_as_the_authors():
    model = built_from_shapes(nafnet, small_nafnet_weights())
    assert (model.intro.out_channels, model.size_multiple) == (16, 8)
    x = conformance_input()[..., :37, :53]
    padded = F.pad(x, (0, 3, 0, 3))  # zeros to the next multiple of 8, as the authors' check_image_size
    with torch.no_grad():
        whole = model.eval()(padded)[0][..., :37, :53]
    out = run(model, x)
    assert out.shape == (1, 3, 37, 53)
    np.testing.assert_allclose(out, whole.numpy(), atol=1e-6)
    assert np.abs(out - x.numpy()).mean() > 0.05  # the network does change the image


def test_tlc_equals_plain_network_up_to_its_window():
    model = built_from_shapes(nafnet, small_nafnet_weights())
    x = conformance_input()
    plain = run(model, x)
    model.use_local_pooling(train_size=64)  # window 96 image pixels: the whole 64x96 input
    assert model.local_window == 96
    np.testing.assert_array_equal(run(model, x), plain)
    model.use_local_pooling(train_size=32)  # window 48: smaller than the input, so local statistics
    assert model.local_window == 48
    assert not np.array_equal(run(model, x), plain)
    model.use_global_pooling()
    np.testing.assert_array_equal(run(model, x), plain)


def test_tlc_block_uses_the_statistics_of_its_neighbourhood():
    """Two halves of different colours (patterns across the channels, which survive the layer
    norm): with a window narrower than the image each side is attended with its own mean, so
    the block's output changes; with a window covering the image it does not."""
    torch.manual_seed(0)
    block = nafnet.NAFBlock(8).eval()
    with torch.no_grad():
        block.beta.fill_(1.0)
        block.gamma.fill_(1.0)
        block.sca[1].weight.copy_(torch.eye(8)[..., None, None])  # the attention is the pooled mean itself
        block.sca[1].bias.zero_()
    colours = torch.randn(2, 8, 1, 1) * 3
    x = torch.cat([colours[:1] + torch.rand(1, 8, 32, 32), colours[1:] + torch.rand(1, 8, 32, 32)], dim=-1)
    with torch.no_grad():
        plain = block(x)
        block.sca[0].window = (64, 64)
        wide = block(x)
        block.sca[0].window = (64, 16)  # all 32 rows, 16 columns
        local = block(x)
        pooled = block.sca[0](x)
    torch.testing.assert_close(wide, plain, rtol=0, atol=0)
    assert (local - plain).abs().max() > 0.02
    # the first 8 columns repeat the mean of columns 0-15, the last 8 that of the last 16
    torch.testing.assert_close(pooled[..., :8], x[..., :16].mean((-2, -1), keepdim=True).expand(-1, -1, 32, 8))
    torch.testing.assert_close(pooled[..., -8:], x[..., -16:].mean((-2, -1), keepdim=True).expand(-1, -1, 32, 8))


def test_published_tlc_window_is_384_pixels_and_keeps_the_reference_below_it():
    module, _ = PUBLISHED["NAFNet-width64"]
    model = built_from_shapes(module, published_weights("NAFNet-width64"))
    model.use_local_pooling()
    assert model.local_window == 384
    windows = {level: pool.window[0] for level, pool in model._pools_by_level()}  # every block of a level alike
    assert windows == {0: 384, 1: 192, 2: 96, 3: 48, 4: 24}
    np.testing.assert_allclose(run(model, conformance_input()), expected_full("NAFNet-width64"), atol=1e-4)


def test_local_average_is_a_sliding_mean_with_edges_repeated():
    x = torch.rand(1, 2, 11, 14, dtype=torch.float64)
    means = nafnet.local_average(x, 4, 5)
    direct = F.avg_pool2d(x, (4, 5), stride=1)  # (8, 10): padded 1 top, 2 bottom, 2 left, 2 right
    expected = F.pad(direct, (2, 2, 1, 2), mode="replicate")
    torch.testing.assert_close(means, expected)


@pytest.mark.parametrize("rows, cols", [(24, 24), (7, 12), (13, 1), (None, 16), (20, None)])
def test_separable_local_average_is_the_summed_area_average(rows, cols):
    """The export's form of TLC (nafnet.separable_local_average: pooling and dilated depthwise convolutions per
    side; None: the whole side, as the authors clip a window to a shorter side) gives torch's summed-area means."""
    x = torch.rand(1, 3, 50, 70, dtype=torch.float64)
    means = nafnet.separable_local_average(x, rows, cols)
    expected = nafnet.local_average(x, rows or 50, cols or 70)
    torch.testing.assert_close(means.expand_as(x), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("rows, cols", [(24, 24), (7, 12), (None, 16), (20, None), (None, None)])
def test_attention_convolution_before_the_repeated_edges_is_the_same(rows, cols):
    """The channel attention's 1x1 convolution on the window positions only, then the edges repeated
    (ChannelPool(x, conv): a third of the pixels at 720x1280), equals it on the padded means (float64)."""
    torch.manual_seed(rows or 1)
    x = torch.rand(1, 3, 50, 70, dtype=torch.float64)
    conv = nn.Conv2d(3, 3, 1).double()
    after = conv(nafnet.separable_local_average(x, rows, cols))
    torch.testing.assert_close(nafnet.separable_local_average(x, rows, cols, conv), after, rtol=0, atol=1e-12)
    pool = nafnet.ChannelPool()
    pool.window = (rows or 99, cols or 99)
    torch.testing.assert_close(pool(x, conv), conv(pool(x)), rtol=0, atol=1e-12)  # the torch path
    assert (pool(x, conv) - pool(x)).abs().max() > 0.01  # the convolution was applied


def test_exported_nafnet_with_gate_halves_is_the_network():
    """The export's blocks (nafnet.ExportedNAFNet: each simple gate from half-width convolutions on views of the
    weights) compute the network (float64, TLC windows beyond the image both ways), and leave it as it was."""
    model = nafnet.NAFNet(width=16, middle_blk_num=1, enc_blk_nums=(1, 1), dec_blk_nums=(1, 1)).double().eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():  # beta and gamma start at zero: give every branch a say
            parameter.copy_(torch.randn_like(parameter) * (0.3 if "weight" in name else 0.1))
    model.use_local_pooling(train_size=32)  # windows of 48, 24, 12 pixels on a 64x80 image
    x = torch.rand(1, 3, 64, 80, dtype=torch.float64)
    exported = nafnet.ExportedNAFNet(model)
    with torch.no_grad():
        expected = model(x)[0]
        torch.testing.assert_close(exported(x)[0], expected, rtol=0, atol=1e-10)
    block = model.encoders[0][0]
    first, _second = nafnet._halves(block.conv1, 16)
    assert first[0].data_ptr() == block.conv1.weight.data_ptr()  # views: no copy of the weights
    assert not first[0].requires_grad and block.conv1.weight.requires_grad
    assert all(b.gate_halves is None for b in model.modules() if isinstance(b, nafnet.NAFBlock))
    assert not any("halves" in key for key in model.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(model(x)[0], expected, rtol=0, atol=0)


def test_channel_pool_traces_the_separable_form_only_while_tracing(monkeypatch):
    pool = nafnet.ChannelPool()
    pool.window = (20, 90)  # rows local, the 70 columns whole: a strip
    x = torch.rand(1, 3, 50, 70)
    calls = []
    monkeypatch.setattr(nafnet, "separable_local_average", lambda *args: calls.append(args[1:3]) or args[0])
    pool(x)
    assert calls == []
    monkeypatch.setattr(torch.jit, "is_tracing", lambda: True)
    pool(x)
    assert calls == [(20, None)]


def test_restormer_inference_forward_is_the_plain_one_in_both_layouts():
    """The lean inference forward (attention folded into one matrix per image, GDFN in channel groups) computes
    the plain forward's function, NCHW and channels last; and the plain forward (autograd on) the reference."""
    model = built_from_shapes(restormer, published_weights("Restormer"))
    x = conformance_input()
    with torch.no_grad():
        lean = model(x)[0]
        lean_last = model(x.contiguous(memory_format=torch.channels_last))[0]
    plain = model(x)[0].detach()
    torch.testing.assert_close(lean, plain, rtol=0, atol=2e-5)
    torch.testing.assert_close(lean_last, plain, rtol=0, atol=2e-5)
    np.testing.assert_allclose(plain.numpy(), expected_full("Restormer"), atol=1e-4)


@pytest.mark.parametrize("config", [None, "biased"])
def test_restormer_export_forward_is_the_plain_one_at_odd_sizes(config, monkeypatch):
    """What the ONNX export traces (q, k, v and GDFN's gates and values from parts of the weights, GDFN in groups of
    EXPORT_HIDDEN_GROUP hidden channels: 2 to 8 groups in the published levels) computes the plain forward's
    function: the published configuration on the reference input and an odd-sized one; a biased, BiasFree one."""
    if config is None:
        model = built_from_shapes(restormer, published_weights("Restormer"))
        sizes = [None, (37, 51)]
    else:
        shapes = {k: tuple(v.shape) for k, v in restormer.Restormer(**UNPUBLISHED_RESTORMERS[0]).state_dict().items()}
        model = built_from_shapes(restormer, {k: torch.from_numpy(v) for k, v in network_weights(shapes).items()})
        sizes = [(29, 45)]
    for size in sizes:
        x = conformance_input() if size is None else torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(1))
        plain = model(x)[0].detach()
        with torch.no_grad(), monkeypatch.context() as patch:
            patch.setattr(torch.jit, "is_tracing", lambda: True)
            exported = model(x)[0]
        torch.testing.assert_close(exported, plain, rtol=0, atol=2e-5)
        if size is None:
            np.testing.assert_allclose(exported.numpy(), expected_full("Restormer"), atol=1e-4)
    hidden = [m.project_out.in_channels for m in model.modules() if isinstance(m, restormer.FeedForward)]
    assert config or max(hidden) > 4 * restormer.EXPORT_HIDDEN_GROUP  # several groups were summed


def test_restormer_export_chunks_no_whole_map():
    """The export reads q, k, v and GDFN's halves from parts of the weights: no Split of a feature map in its graph
    (OpenVINO ran those as a reference kernel, a quarter of its time), and its cache key says so."""
    onnx = pytest.importorskip("onnx")
    import io

    model = restormer.Restormer(**UNPUBLISHED_RESTORMERS[0]).eval()
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(model, (torch.rand(1, 3, 32, 32),), buffer, dynamo=False, opset_version=17)
    ops = {node.op_type for node in onnx.load_from_string(buffer.getvalue()).graph.node}
    assert "Conv" in ops and "Split" not in ops and "Slice" not in ops, ops
    assert restormer.export_tag(model) == f"restormer/parts-gdfn{restormer.EXPORT_HIDDEN_GROUP}"


def test_unpublished_restormer_block_counts_read_from_shapes_reproduce_reference():
    """Extra transformer blocks whose projections are 0 (the attention's and GDFN's): other counts, same function.
    A level's encoder and decoder have the same count (the authors' constructor), so both get one."""
    state = published_weights("Restormer")
    _identity_transformer_block(state, "encoder_level1.4.", "encoder_level1.3.")
    _identity_transformer_block(state, "decoder_level1.4.", "decoder_level1.3.")
    _identity_transformer_block(state, "latent.8.", "latent.7.")
    _identity_transformer_block(state, "refinement.4.", "refinement.3.")
    config = restormer.config_from_shapes({k: v.shape for k, v in state.items()})
    assert (config["num_blocks"], config["num_refinement_blocks"]) == ((5, 6, 6, 9), 5)
    model = built_from_shapes(restormer, state)
    np.testing.assert_allclose(run(model, conformance_input()), expected_full("Restormer"), atol=1e-4)


UNPUBLISHED_RESTORMERS = [
    dict(inp_channels=3, out_channels=3, dim=16, num_blocks=(1, 2, 1, 2), num_refinement_blocks=1,
         heads=(2, 2, 4, 4), ffn_expansion_factor=2.66, bias=True, LayerNorm_type="BiasFree", dual_pixel_task=False),
    dict(inp_channels=6, out_channels=3, dim=24, num_blocks=(1, 1, 1, 1), num_refinement_blocks=0,
         heads=(1, 2, 4, 8), ffn_expansion_factor=2.0, bias=False, LayerNorm_type="WithBias", dual_pixel_task=True),
    dict(inp_channels=3, out_channels=3, dim=8, num_blocks=(0, 1, 1, 1), num_refinement_blocks=1,
         heads=(2, 1, 2, 4), ffn_expansion_factor=1.5, bias=False, LayerNorm_type="WithBias", dual_pixel_task=False),
]


@pytest.mark.parametrize("config", UNPUBLISHED_RESTORMERS)
def test_unpublished_restormer_configurations_are_read_from_shapes(config):
    """Width, block counts, heads (level 1's from the refinement where its encoder has none), expansion factor,
    bias, BiasFree layer norms and the dual-pixel variant: each read back from the shapes alone, and built."""
    shapes = {k: tuple(v.shape) for k, v in restormer.Restormer(**config).state_dict().items()}
    assert restormer.config_from_shapes(shapes) == config
    state = {k: torch.from_numpy(v) for k, v in network_weights(shapes).items()}
    model = built_from_shapes(restormer, state)
    x = torch.rand(1, config["inp_channels"], 40, 56)
    with torch.no_grad():
        out = model.eval()(x)[0]
    assert out.shape == (1, 3, 40, 56) and torch.isfinite(out).all()


def test_restormer_expansion_factor_is_the_shortest_decimal_every_level_fits():
    assert restormer.expansion_factor([(48, 127), (96, 255), (192, 510), (384, 1021)]) == 2.66
    assert restormer.expansion_factor([(48, 127)]) == 2.65  # one level alone: the shortest decimal it allows
    assert restormer.expansion_factor([(48, 144), (96, 288)]) == 3.0
    with pytest.raises(ValueError):
        restormer.expansion_factor([(48, 127), (96, 300)])


def test_restormer_pads_to_eight_by_reflection_as_the_authors():
    """Sides not multiples of 8 are reflect-padded (the authors' test code) and the output cropped."""
    shapes = {k: tuple(v.shape) for k, v in restormer.Restormer(**UNPUBLISHED_RESTORMERS[0]).state_dict().items()}
    model = built_from_shapes(restormer, {k: torch.from_numpy(v) for k, v in network_weights(shapes).items()})
    x = conformance_input()[..., :37, :53]
    with torch.no_grad():
        whole = model.eval()(F.pad(x, (0, 3, 0, 3), mode="reflect"))[0][..., :37, :53]
    out = run(model, x)
    assert out.shape == (1, 3, 37, 53) and model.size_multiple == 8
    np.testing.assert_allclose(out, whole.numpy(), atol=1e-6)
    assert np.abs(out - x.numpy()).mean() > 0.05  # the network does change the image


def test_eager_inference_only_without_autograd_and_outside_an_export():
    """The memory-saving forwards (Restormer's, FFTformer's) run in inference only, never while the ONNX
    export traces the network (it records the plain graph) nor under autograd."""
    from deblur_app.model.modes import eager_inference

    seen = []

    class Probe(torch.nn.Module):
        def forward(self, x):
            seen.append(eager_inference())
            return x + 1

    assert not eager_inference()
    with torch.no_grad():
        assert eager_inference()
        torch.jit.trace(Probe(), torch.zeros(1), check_trace=False)
    assert seen == [False]
