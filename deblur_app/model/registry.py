"""The network registry: every fact about every network the app runs, in one torch-free table.

The window, the command line, the weights catalogue and the engine read this table before any
model is loaded, so it imports no torch (pyproject's import-linter contract says so). The torch
side -- recognising a checkpoint, reading its configuration, building the network -- is in
``model/networks.py``, which follows the ``implementation`` module named here.

Three kinds of rows (after spandrel's ``Architecture`` / ``ModelDescriptor`` split and timm's
name -> entry-point registry):

``Architecture``  (``ARCHITECTURES``, keyed "mimo-unet", "nafnet", "fftformer", "restormer")
    how a family of networks is recognised, built and run: the module implementing it, its outputs
    (the scales it returns, 1 = full size; MIMO-UNet also returns the 1/2 and 1/4 scale), the side
    multiple its input is padded to and how, the context a tile needs, which fast paths it has (each
    taken by `auto` only for weights measured to keep the picture: >= 45 dB against float32 and 99.9 % of
    the pixel values within choices.MAX_PIXEL_ERROR on every check photo, a verdict per weights and path,
    engine/verdicts.py; else float32 with the note saying why), int8's layer rules, the
    working memory per pixel that tiles are sized from, and the paper and terms of the code.

``Variant``  (``VARIANTS``, keyed by the ``--model`` name: "mimo-unet", "nafnet-64", ...)
    a network a user picks: an architecture, a configuration (the constructor arguments that a
    checkpoint's shapes determine), what it is for and the published weights (``PublishedWeights``:
    source URL, file name, checkpoint format, terms, training data, published PSNR). Several
    variants may share a configuration (NAFNet-64 trained on GoPro or on REDS); a checkpoint is
    matched to one by its configuration and, among those, by its file name (``variant_for``).
    A checkpoint of a configuration no variant has (NAFNet width 16, other block counts) still
    loads: it counts as user weights of its architecture's first variant and is built with its
    own configuration (``checkpoints.Checkpoint.config``).

``Preset``  (``PRESETS``)
    what ``--model`` accepts: every variant, plus named variants with the 8-way self-ensemble
    ("mimo-unet++" is MIMO-UNet+ with the ensemble).

API, for the window and the catalogue:
    ``VARIANTS[key]``, ``PRESETS[key]``, ``ARCHITECTURES[key]``, ``architecture_of(variant_key)``,
    ``variants_of(architecture_key)``, ``variants_alike(architecture_key, config)``,
    ``variant_for(architecture_key, config, file_name)``,
    ``run_name(variant_key, ensemble)``, ``preset_for(variant_key, ensemble)``,
    ``Architecture.has_coarse_outputs`` (the Scales view), ``Architecture.precisions``.
Torch side: ``networks.recognise(keys)``, ``networks.config_from_shapes``, ``networks.build``.
Adding a network: a module in model/ with ``SIGNATURE_KEYS``, ``config_from_shapes``, ``build``
and ``CANCEL_POINTS``; an ``Architecture`` row; its variants. Nothing else names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import reasons

ENSEMBLE_PASSES = 8  # the dihedral self-ensemble: 4 rotations x 2 flips
MIN_FAST_PATH_AGREEMENT_DB = 45.0  # a faster path is taken only where it agrees with float32 this well


@dataclass(frozen=True, eq=False)
class Architecture:
    key: str
    display_name: str
    paper: str
    implementation: str  # the module in deblur_app.model that builds it (see networks.py)
    code_terms: str  # of our implementation and of the authors' code it was checked against
    outputs: tuple[int, ...]  # the scales the network returns, coarsest first; 1 = full size
    size_multiple: int  # input sides are padded to a multiple of this (a model's own .size_multiple wins)
    pad_mode: str  # "reflect" or "constant" (zeros), as the authors' test code pads
    tile_overlap: int  # pixels neighbouring tiles share: the context a tile needs
    tile_discard: int  # of that, the pixels at a tile's inner edge that get no weight
    # the fast paths `auto` may take on a CPU besides fp32 ("int8" needs int8_float_layers): it takes one only for
    # weights with a qualifying verdict for it (engine/verdicts.py), so these are what gets measured
    precisions: tuple[str, ...]
    openvino: bool  # the OpenVINO backend reproduces it (exports, agrees >= 45 dB)
    fp32_note: reasons.ReasonText  # why the paths missing from `precisions` / `openvino` are not used
    trainable: bool  # `deblur-app train` can train it (its loss uses MIMO-UNet's three scales)
    bytes_per_pixel: dict[str, int] = field(default_factory=dict)  # "torch-fp32", "openvino-int8", ...
    # what OpenVINO's compiled model holds besides its packed weights (devices.OPENVINO_WEIGHT_COPIES) and a tile's
    # working memory (bytes_per_pixel): its graph, constants of its own (FFTformer's DFT matrices), what the compile
    # touched; 0: devices.OPENVINO_GRAPH_BYTES. Measured over the runner's read IR, fp32, once compiled
    # (benchmarks/RESULTS.md, "12 MP on OpenVINO")
    openvino_graph_bytes: int = 0
    # OpenVINO's runtime beside the compiled model (its CPU plugin's threads and scratch memory), None:
    # devices.OPENVINO_RUNTIME_BYTES. 0 where 12 MP runs end to end showed the measured parts already cover it (the
    # graph figure above is all the runner holds over its read IR once compiled, the plugin's memory included)
    openvino_runtime_bytes: int | None = None
    # int8's layer rules: the OpenVINO node names (regular expressions) that int8 keeps in float; a network
    # without them has no int8 path (with them and without "int8" in `precisions`, int8 runs only when asked
    # for by name). Part of what names an int8 model and its verdict
    # (engine/openvino_backend.Int8Settings.digest): the same rules keep the shipped verdicts valid.
    int8_float_layers: tuple[str, ...] = ()
    # how int8 sets its activation ranges for this network (Int8Settings.activation_ranges: a range estimator's
    # name), "" for the project's default; part of what names the int8 model, as the layer rules are
    int8_activation_ranges: str = ""

    @property
    def has_coarse_outputs(self) -> bool:
        """True when the network also returns reduced scales (the window's Scales view)."""
        return len(self.outputs) > 1

    def memory_per_pixel(self, backend: str, precision: str) -> int:
        """Peak working bytes per input pixel of one pass; unmeasured paths count as float32 torch."""
        return self.bytes_per_pixel.get(f"{backend}-{precision}", self.bytes_per_pixel["torch-fp32"])


@dataclass(frozen=True, eq=False)
class PublishedWeights:
    file_name: str | None  # as the authors publish it (None: not given in their README)
    source_url: str  # the page a browser opens: a Google Drive file or folder
    checkpoint_format: str
    terms: str
    training_data: str
    psnr: str  # as the authors report it (dataset, dB), or why there is none
    drive_file_id: str | None = None  # a single Drive file gdown can fetch; None for a folder


@dataclass(frozen=True)
class Variant:
    key: str  # as typed on the command line
    display_name: str
    architecture: str  # a key of ARCHITECTURES
    config: tuple[tuple[str, object], ...]  # constructor arguments read from a checkpoint's shapes
    purpose: str  # one line: what it is for and which blur
    blur: str  # "shake" (motion blur) or "focus"
    own_file: str  # this project's safetensors file name (trained or converted here)
    published: PublishedWeights | None = None
    dropout: float = 0.0  # training only (MIMO-UNet+); no weights
    # seconds per megapixel of its default CPU path on CPU_SECONDS_CORES cores (measured: see there): the window's
    # estimate before it has run the network on the user's computer
    cpu_seconds_per_megapixel: float = 0.0

    @property
    def published_file(self) -> str:
        """The authors' release file name, or a name that no release uses."""
        if self.published is not None and self.published.file_name:
            return self.published.file_name
        return f"{self.key}.published"

    @property
    def config_dict(self) -> dict[str, object]:
        return dict(self.config)

    @property
    def num_res(self) -> int:
        """MIMO-UNet's residual blocks per stage (the one number its variants differ in)."""
        return int(self.config_dict["num_res"])


# MIMO-UNet's int8 layer rules. Kept in float32: the convolutions that read image pixels (as in the
# bf16 path) and those that produce the output images, the downscaled input images and the additions
# of input and correction that make the outputs. By default NNCF quantises those additions too, which
# alone limits agreement to 34 dB: the picture itself would go through 8 bits with a range set by the
# calibration.
MIMO_PIXEL_AND_OUTPUT_LAYERS = (
    r".*/feat_extract\.0/.*", r".*/SCM[12]/main/main\.0/.*",
    r".*/feat_extract\.5/.*", r".*/ConvsOut\.[01]/.*",
    r"/Resize(_1)?", r"(quarter|half|full)",
)
# The layers whose int8 costs the agreement most, found per group on the check set
# (benchmarks/int8_sensitivity.py, RESULTS.md "int8 mixed precision"): the shallow modules reading the downscaled
# images (SCM1/SCM2, whole: their Concat with the image and its convolutions, at quarter and half resolution) and the
# first residual block at full resolution (coffee 39.2 -> 48.9 dB). Cheap: low resolution, or 2 of the 32
# full-resolution convolutions.
# Under the per-pixel bound (issue 21, choices.MAX_PIXEL_ERROR) that alone failed at strong edges (0.128 off at the
# 99.9th percentile on the astronaut's collar ring): the ReLU outputs ran up to 1.9x past ranges set as the mean of
# the calibration crops' maxima. Two more things keep those edges (benchmarks/int8_pixel_search.py, RESULTS.md
# "Issue 21, 2026-12-07, session 14, int8-edges2"):
# - ranges from each crop's 99.99th percentile, the widest crop counting (MIMO_ACTIVATION_RANGES): no clipping at
#   edges the calibration has seen, without the single outliers that made global min/max too coarse (0.030);
# - the residual blocks' additions in float (MIMO_RESIDUAL_ADDITIONS): NNCF otherwise quantises both inputs of
#   each, so the running features go through 8 bits at every block; element-wise, so int8 gained little there.
# Together: the worst check photo 50.6 dB and 0.013 at the 99.9th percentile, every convolution but the sensitive
# ones above still int8.
MIMO_SENSITIVE_LAYERS = (r".*/SCM[12]/.*", r".*/Encoder\.0/layers/layers\.0/.*")
MIMO_RESIDUAL_ADDITIONS = (r".*/layers\.\d+/Add$",)
MIMO_ACTIVATION_RANGES = "MAX_QUANTILE"

# NAFNet's int8 layer rules (benchmarks/nafnet_int8_sensitivity.py, RESULTS.md "NAFNet int8 in mixed precision").
# Kept in float32: the convolutions that read and make image pixels (intro, ending) and the additions outside the
# blocks: the decoder's skip additions and the output's, ending + the input image, which NNCF would otherwise put
# through 8 bits with the picture itself (ONNX names them /model/Add, /model/Add_1, ...).
NAFNET_PIXEL_AND_OUTPUT_LAYERS = (r".*/intro/.*", r".*/ending/.*", r"/model/Add(_\d+)?$")
# The layers whose int8 cost the agreement, found per group on the check set: NNCF also quantises the inputs of the
# blocks' two residual additions (inp + beta * x, y + gamma * x: the running image features) and with those in int8
# the worst check photo agreed at 44.98 dB (conformance NAFNet-32) whatever else was kept float (every convolution,
# the layer norms, the gates and products: 44.9-45.0 dB); those additions alone in float lifted it to 56.8 dB.
# They are element-wise: int8 gains nothing there on a CPU, so every convolution stays int8.
NAFNET_SENSITIVE_LAYERS = (r".*(coders\.\d+\.\d+|blks\.\d+)/Add(_1)?$",)

MIMO_PAPER = "Cho et al., Rethinking Coarse-to-Fine Approach in Single Image Deblurring, ICCV 2021"
NAFNET_PAPER = "Chen, Chu, Zhang and Sun, Simple Baselines for Image Restoration, ECCV 2022"
FFTFORMER_PAPER = ("Kong, Dong, Ge, Li and Pan, Efficient Frequency Domain-based Transformer for "
                   "High-Quality Image Deblurring, CVPR 2023")
# Restormer's working memory per pixel, torch float32 (its inference forward: attention folded, GDFN in groups of 64
# hidden channels), growth of peak RSS over the loaded engine, whole image: 6481 at 256x256, 5540 at 384x384
# (`benchmarks/bench_network_memory.py per-pixel --networks restormer-defocus --paths torch-fp32 --size 256x256`;
# 2-core AMD EPYC, AVX2 only, KVM, load 18-19), i.e. about 4790 B/pixel and a fixed 111 MB a pass: 6600 covers its
# smallest tile (256, twice the overlap). A 12 MP photo: 336-pixel tiles from the command line, 1476 MB modelled; 256
# in the window, 1490 MB (tests/test_memory_plans.py)
RESTORMER_TORCH_BYTES_PER_PIXEL = 6600
RESTORMER_PAPER = ("Zamir, Arora, Khan, Hayat, Khan and Yang, Restormer: Efficient Transformer for High-Resolution "
                   "Image Restoration, CVPR 2022")

ARCHITECTURES: dict[str, Architecture] = {
    "mimo-unet": Architecture(
        "mimo-unet", "MIMO-UNet", MIMO_PAPER, "mimo_unet",
        "our implementation (MIT); the authors' code is MIT (github.com/chosj95/MIMO-UNet)",
        outputs=(4, 2, 1), size_multiple=4, pad_mode="reflect", tile_overlap=160, tile_discard=40,
        precisions=("int8", "bf16"), openvino=True, fp32_note="", trainable=True,
        # peak growth of RSS per input pixel over the loaded model, 1280x720 whole, rounded up
        # (benchmarks/bench_cpu.py; engine/inference.py has the measurements)
        bytes_per_pixel={"torch-fp32": 1500, "torch-bf16": 1000, "torch-fp16": 1000,
                         "openvino-fp32": 900, "openvino-bf16": 600, "openvino-int8": 900},
        openvino_graph_bytes=64 * 1024**2,  # 59 MiB beside 26 MiB of weights at 896x896 (619 B/pixel over it)
        # 12 MP through the command line, cached, OpenVINO bf16 at 932-pixel tiles: 1116 MB, where the parts
        # (runtime, weights, graph, photo, a tile) without any OpenVINO runtime say 1327 (RESULTS.md, session 11).
        # Session 14, real AVX2-only EPYC, first use, OpenVINO fp32 at 900-pixel tiles (20): 1348 MB where they said
        # 1394, under the 50 MB the model keeps above measured runs: 16 MiB
        openvino_runtime_bytes=16 * 1024**2,
        int8_float_layers=MIMO_PIXEL_AND_OUTPUT_LAYERS + MIMO_SENSITIVE_LAYERS + MIMO_RESIDUAL_ADDITIONS,
        int8_activation_ranges=MIMO_ACTIVATION_RANGES,
    ),
    "nafnet": Architecture(
        "nafnet", "NAFNet", NAFNET_PAPER, "nafnet",
        "our implementation (MIT), written from the paper; the authors' code is MIT "
        "(github.com/megvii-research/NAFNet)",
        # 128/32, not 256/64: NAFNet-32 (conformance weights) 640x800 in 512 tiles differed from the whole image
        # by 0.001/255 with 128/32 and 0.0008/255 with 256/64, and the smaller smallest tile (320 instead of
        # 512) is what keeps a 12 MP photo within 1.5 GB (tests/test_network_memory.py)
        outputs=(1,), size_multiple=16, pad_mode="constant", tile_overlap=128, tile_discard=32,
        # OpenVINO float32 computes torch's float32 function (145 dB apart with the conformance weights:
        # tests/test_network_fast_paths.py); one export per TLC shape class serves every size. bf16 per weights:
        # the conformance (random, untrained) NAFNet-32 and -64 agreed at 61-66 dB on the check set in torch and
        # OpenVINO, which says nothing of trained weights, so each set of weights gets its own verdict. int8 in mixed
        # precision (int8_float_layers below; session 13): every convolution int8, the pixel convolutions and the
        # additions in float. With the conformance weights the check set agreed at 58.8 dB (NAFNet-64; NAFNet-32
        # 56.8), mean PSNR change +0.002 dB, largest error 0.011; NAFNet-64 at 368x640 ran 1.9x OpenVINO float32 on a
        # 2-core AVX2-only EPYC (no VNNI), where bf16 is not native. Rules found on random weights may not hold for
        # trained ones: `auto` takes int8 only for weights whose own verdict qualifies (engine/verdicts.py), measured
        # on the check set through the int8 model of the export that serves it. Only the "global" export (the class the
        # calibration crops and the check set's crops belong to) is quantised by NNCF (minutes for NAFNet-64 on first
        # use, then cached); the other TLC classes ("local", "wide", "tall": inputs beyond the window) get its int8
        # model carried over by node name (openvino_backend.transfer_int8: the same ranges and int8 weights, their
        # local pooling float), without NNCF: calibrating "local" on 416-pixel images had peaked at 6.2 GB with
        # NAFNet-64, far over the 1.5 GB of a 12 MP photo (RESULTS.md, session 14, nafnet-auto). (The earlier try,
        # 37 dB, kept only intro and ending in float: the output's addition of the input image and the blocks'
        # residual additions went through 8 bits.)
        precisions=("int8", "bf16"), openvino=True,
        fp32_note=reasons.reason(reasons.NAFNET_FP32_NOTE),
        trainable=False,
        # NAFNet-64 (NAFNet-32 needs about half), growth of peak RSS over the loaded model, 576x448 whole
        # (benchmarks/bench_network_memory.py per-pixel; 2-core AMD EPYC Zen 4): torch 2607 with the in-place
        # inference forward; OpenVINO 1543 once compiled (its compiled weights: devices.OPENVINO_WEIGHT_COPIES)
        # OpenVINO int8 (mixed, session 13): 2024 once quantised, 576x448 whole, 2-core AMD EPYC AVX2 only, loaded (its
        # first use's NNCF quantisation of the "local" export peaked at 6.2 GB: now carried over from "global")
        # torch at the window's 12 MP tiles (session 14, AVX2-only EPYC, loaded): NAFNet-64 304x304 whole 3449 B/pixel,
        # a fixed part of each pass showing (with 576x448's 2607: about 2140 B/pixel + 121 MB); 4000 covers the 256-pixel
        # tiles the window's plan then takes (2140 x 65536 + 121 MB = 261 MB, 3985 B/pixel)
        bytes_per_pixel={"torch-fp32": 4000, "openvino-fp32": 1600, "openvino-int8": 2100},
        # NAFNet-64 191 MiB beside 259 MiB of weights at 400x400 (then 1608 B/pixel), NAFNet-32 145 beside 65 at 560x560
        openvino_graph_bytes=192 * 1024**2,
        # 12 MP through the command line, cached, OpenVINO fp32: NAFNet-64 at 400-pixel tiles 1428 MB where the parts
        # without any OpenVINO runtime said 1492, at 416 1440 where they said 1497, NAFNet-32 at 544 1186 MB where they
        # said 1477 (RESULTS.md, session 11). Those parts counted MIMO-UNet's coarse-scale stitching buffers (5 B/pixel)
        # that NAFNet has none of, and the stitcher then kept its weights and a count (5 B/pixel) it no longer does:
        # the same runs now take some 60 MB less and the parts say 120 less, 1377 at 416, under the 1380 left. NAFNet-64's
        # first use at 416 (its export in the same process) peaked at 1499 MB (README, session 11), some 1439 now: 112 MiB
        # of OpenVINO runtime keep every one of those runs 50 MB under the model (tests/test_openvino_memory.py)
        openvino_runtime_bytes=112 * 1024**2,
        int8_float_layers=NAFNET_PIXEL_AND_OUTPUT_LAYERS + NAFNET_SENSITIVE_LAYERS,
    ),
    "fftformer": Architecture(
        "fftformer", "FFTformer", FFTFORMER_PAPER, "fftformer",
        "our implementation (MIT), written from the paper; the authors' repository "
        "(github.com/kkkls/FFTformer) states no licence",
        # 128/32 as NAFNet's: with 256/64 the smallest tile (512) alone would need 1.6 GB
        outputs=(1,), size_multiple=32, pad_mode="reflect", tile_overlap=128, tile_discard=32,
        # its 8x8 FFTs are written as real DFT matrices (model/fftformer.py), so it exports; OpenVINO float32
        # computes torch's float32 function (131 dB apart with the conformance weights at 64x96:
        # tests/test_network_fast_paths.py). bf16 agreed 39 dB there, below the 45 dB rule
        precisions=(), openvino=True,
        fp32_note=reasons.reason(reasons.FFTFORMER_FP32_NOTE),
        trainable=False,
        # growth of peak RSS over the loaded model, 320x256 whole (about the smallest tile), torch fp32 with the
        # channel-grouped inference forward: 6105 (7463 at 192x128; before grouping 21716); OpenVINO fp32 (the
        # whole expansion at once, not grouped) 8120 once compiled (benchmarks/bench_network_memory.py per-pixel
        # --networks fftformer --size 320x256 --paths openvino-fp32; 2-core AMD EPYC Zen 4, shared machine), which
        # counted the compiled model too: over it, 3493 at 320x320, beside 209 MiB it holds for 63 MiB of weights.
        # torch 7300, between the two sizes measured: the window's 12 MP run (torch, 713 tiles of 256) peaked at
        # 1493 MB where 6500 modelled 1446 (bench_12mp_memory.py window --sampled-tiles 2, session 19; its tiles
        # vary by ~150 MB from run to run, session 17's run 1360); 7300 models 1499, still 256-pixel tiles
        bytes_per_pixel={"torch-fp32": 7300, "openvino-fp32": 3600},
        openvino_graph_bytes=224 * 1024**2,
        # a 1504x2000 photo through the command line, cached, OpenVINO fp32 at 320-pixel tiles peaked at 1225 MB where
        # the parts without any OpenVINO runtime say 1093 (with the default 128 MiB: 1228, no margin): 176 MiB kept
        # the model 50 MB above it (RESULTS.md, session 11). The stitcher now holds 15 MB less of that photo and the
        # parts no longer count MIMO-UNet's coarse scales (30 MB less): 192 MiB keeps the 50 MB (session 14), and a
        # 12 MP photo now runs on OpenVINO from the command line (320-pixel tiles; torch in the window)
        openvino_runtime_bytes=192 * 1024**2,
    ),
    "restormer": Architecture(
        "restormer", "Restormer", RESTORMER_PAPER, "restormer",
        "our implementation (MIT), written from the paper; the authors' code and weights are under their Academic "
        "Public License: non-commercial use (github.com/swz30/Restormer)",
        # its transposed attention is global over the input: every output pixel depends on the whole tile, so tiled
        # results differ from whole-image ones however large the overlap. Measured with the conformance weights of the
        # published configuration (benchmarks/bench_restormer_tiles.py 320 448 256): 256-pixel tiles (the window's at
        # 12 MP), 6 of them, at most 0.60/255 from the whole image, 66.1 dB (README, "Networks")
        outputs=(1,), size_multiple=8, pad_mode="reflect", tile_overlap=128, tile_discard=32,
        # OpenVINO float32 computes torch's float32 function (1.2e-7 apart with small test weights:
        # tests/test_restormer.py) and is its default path: 640x360, 3.33x the plain MIMO-UNet pass against 5.45x in
        # torch (benchmarks/bench_networks.py, 2-core AMD EPYC, AVX2 only, load 5-6, session 15). Session 16's export
        # (parts of the weights, GDFN in groups): 1280x720 whole, 2.30x the plain pass (tiled before: 5.33x)
        precisions=(), openvino=True,
        fp32_note=reasons.reason(reasons.RESTORMER_FP32_NOTE),
        trainable=False,
        # OpenVINO fp32, over its compiled model, the export from parts of the weights with GDFN in groups of 128
        # (session 16): 4031 B/pixel at 256-pixel tiles, 4015 at 400; the compiled model 208-215 MiB beside 100 MiB of
        # weights (benchmarks/bench_12mp_memory.py compiled --networks restormer-defocus:256,restormer-defocus:400;
        # 2-core AMD EPYC, AVX2 only). Session 15's chunked export: 6297 B/pixel, 168-176 MiB. 4300 lets 1280x720
        # (3.96 GB) run whole within the 4 GiB a whole frame may take: no tiles, no overlap to recompute
        bytes_per_pixel={"torch-fp32": RESTORMER_TORCH_BYTES_PER_PIXEL, "openvino-fp32": 4300},
        openvino_graph_bytes=224 * 1024**2,
    ),
}

_MIMO_TERMS = "the authors' release for research use (MIT-licensed repository github.com/chosj95/MIMO-UNet)"
_NAFNET_TERMS = "MIT licence (github.com/megvii-research/NAFNet), weights released with the code"
_NAFNET_FORMAT = "BasicSR: torch.save({'params': state_dict})"
_FFTFORMER_TERMS = ("no licence stated by the authors (github.com/kkkls/FFTformer has no licence file); "
                    "shared by them for research")
_FFTFORMER_FOLDER = "https://drive.google.com/drive/folders/1l_R8_2UKfiQP_BYrgcQrmCBSe_ogwL41"
# Restormer's weights: the authors' Academic Public License ("free for use in noncommercial settings ... You can use
# Restormer in your research, academic work, non-commercial work, projects and personal work"; distribution under
# the same licence), shown before the download as for every network
_RESTORMER_TERMS = ("non-commercial and personal use only (Restormer's Academic Public License, "
                    "github.com/swz30/Restormer/blob/main/LICENSE.md); commercial use needs the authors' permission")
_RESTORMER_FORMAT = "BasicSR: torch.save({'params': state_dict})"
# the Drive folders of the authors' Defocus_Deblurring/pretrained_models/README.md and Motion_Deblurring/...: the
# file names are those their test scripts and demo.py load (test_single_image_defocus_deblur.py, test.py)
_RESTORMER_DEFOCUS_FOLDER = "https://drive.google.com/drive/folders/1bRBG8DG_72AGA6-eRePvChlT5ZO4cwJ4"
_RESTORMER_MOTION_FOLDER = "https://drive.google.com/drive/folders/1czMyfRTQDX3j3ErByYeZ1PM4GVLbJeGK"
_RESTORMER = (("inp_channels", 3), ("out_channels", 3), ("dim", 48), ("num_blocks", (4, 6, 6, 8)),
              ("num_refinement_blocks", 4), ("heads", (1, 2, 4, 8)), ("ffn_expansion_factor", 2.66), ("bias", False),
              ("LayerNorm_type", "WithBias"), ("dual_pixel_task", False))
_NAFNET_64 = (("img_channel", 3), ("width", 64), ("middle_blk_num", 1), ("enc_blk_nums", (1, 1, 1, 28)),
              ("dec_blk_nums", (1, 1, 1, 1)))
_FFTFORMER = (("inp_channels", 3), ("out_channels", 3), ("dim", 48), ("num_blocks", (6, 6, 12)),
              ("num_refinement_blocks", 4), ("ffn_expansion_factor", 3.0), ("bias", False))


# Seconds per megapixel of each default CPU path: `python benchmarks/bench_networks.py --size 360x640
# --runs 3 --paths nafnet-64:openvino-bf16` (640x360 = 0.23 MP) on a 2-core AMD EPYC Zen 4 (AVX-512 +
# avx512_bf16, no AMX), idle (session 9, after NAFNet's separable TLC and FFTformer's shared DFFN basis), random
# weights of the published configurations: MIMO-UNet 1.16 s (OpenVINO bf16), NAFNet-64 3.21 s and NAFNet-32
# 1.16 s (OpenVINO fp32), FFTformer 19.89 s (OpenVINO fp32). MIMO-UNet+ was not timed: MIMO-UNet's figure
# times its residual blocks (20 per stage against 8).
CPU_SECONDS_CORES = 2
# Restormer (either weights), its default path OpenVINO float32 (session 16's export): 2.71x the plain MIMO-UNet
# float32 forward in the same run (`python benchmarks/bench_networks.py --size 360x640 --runs 3 --networks
# mimo-unet,restormer-defocus`: 23.33 s against 8.61 s; 2-core AMD EPYC, AVX2 only, KVM, load 3-4, session 16;
# session 15's export 3.33x), scaled to the Zen 4 figures above as FFTformer's (5.54x there, 86.3 s): the plain pass
# 15.6 s per megapixel, so 42.2
RESTORMER_SECONDS_PER_MEGAPIXEL = 42.2


def _drive_file(file_id: str) -> str:
    return f"https://drive.google.com/file/d/{file_id}/view"


VARIANTS: dict[str, Variant] = {
    "mimo-unet": Variant(
        "mimo-unet", "MIMO-UNet", "mimo-unet", (("num_res", 8),),
        "camera shake and motion blur; fast", "shake", "mimo-unet.safetensors",
        PublishedWeights("MIMO-UNet.pkl", _drive_file("1EQJoQj3YMLFfzrbgzWMD3Xj96RqLdIlx"),
                         "torch.save({'model': state_dict})", _MIMO_TERMS, "GoPro", "GoPro 31.73 dB",
                         "1EQJoQj3YMLFfzrbgzWMD3Xj96RqLdIlx"),
        cpu_seconds_per_megapixel=5.0),
    "mimo-unet+": Variant(
        "mimo-unet+", "MIMO-UNet+", "mimo-unet", (("num_res", 20),),
        "camera shake and motion blur; larger, slower and a little sharper than MIMO-UNet", "shake",
        "mimo-unet-plus.safetensors",
        PublishedWeights("MIMO-UNetPlus.pkl", _drive_file("166sufeHcdDTgXHNbCRzTC4T6DzuflB5m"),
                         "torch.save({'model': state_dict})", _MIMO_TERMS, "GoPro", "GoPro 32.45 dB",
                         "166sufeHcdDTgXHNbCRzTC4T6DzuflB5m"),
        dropout=0.1,
        cpu_seconds_per_megapixel=12.5),
    "nafnet-64": Variant(
        "nafnet-64", "NAFNet-64", "nafnet", _NAFNET_64,
        "camera shake and motion blur; sharper than MIMO-UNet+ at MIMO-UNet's cost", "shake",
        "nafnet-64.safetensors",
        PublishedWeights("NAFNet-GoPro-width64.pth", _drive_file("1S0PVRbyTakYY9a82kujgZLbMihfNBLfC"),
                         _NAFNET_FORMAT, _NAFNET_TERMS, "GoPro", "GoPro 33.71 dB",
                         "1S0PVRbyTakYY9a82kujgZLbMihfNBLfC"),
        cpu_seconds_per_megapixel=13.9),
    "nafnet-32": Variant(
        "nafnet-32", "NAFNet-32", "nafnet", (("img_channel", 3), ("width", 32)) + _NAFNET_64[2:],
        "camera shake and motion blur; a quarter of NAFNet-64's work", "shake", "nafnet-32.safetensors",
        PublishedWeights("NAFNet-GoPro-width32.pth", _drive_file("1Fr2QadtDCEXg6iwWX8OzeZLbHOx2t5Bj"),
                         _NAFNET_FORMAT, _NAFNET_TERMS, "GoPro", "GoPro 32.87 dB",
                         "1Fr2QadtDCEXg6iwWX8OzeZLbHOx2t5Bj"),
        cpu_seconds_per_megapixel=5.0),
    "nafnet-64-reds": Variant(
        "nafnet-64-reds", "NAFNet-64 REDS", "nafnet", _NAFNET_64,
        "motion blur in compressed video frames (blur with JPEG artefacts)", "shake",
        "nafnet-64-reds.safetensors",
        PublishedWeights("NAFNet-REDS-width64.pth", _drive_file("14D4V4raNYIOhETfcuuLI3bGLB-OYIv6X"),
                         _NAFNET_FORMAT, _NAFNET_TERMS, "REDS (blur + JPEG)", "REDS 29.09 dB",
                         "14D4V4raNYIOhETfcuuLI3bGLB-OYIv6X"),
        cpu_seconds_per_megapixel=13.9),
    "fftformer": Variant(
        "fftformer", "FFTformer", "fftformer", _FFTFORMER,
        "camera shake and motion blur; best quality on GoPro, much slower", "shake",
        "fftformer.safetensors",
        # the README links one Drive folder (for RealBlur); the GoPro file name is test.py's default
        PublishedWeights("net_g_GoPro_HIDE.pth", _FFTFORMER_FOLDER,
                         "plain state dict: torch.save(state_dict)", _FFTFORMER_TERMS, "GoPro",
                         "GoPro 34.21 dB (paper)"),
        cpu_seconds_per_megapixel=86.3),
    "fftformer-realblur": Variant(
        "fftformer-realblur", "FFTformer RealBlur", "fftformer", _FFTFORMER,
        "real camera shake in photos (trained on RealBlur-J); much slower", "shake",
        "fftformer-realblur.safetensors",
        # no file name: the authors' README says only "Realblur pre-trained model is available at <folder>"
        # and test.sh/test.py name none; the folder is not reachable from here to read it (catalog.py
        # picks the file by FOLDER_NAME_HINTS instead of a guessed name)
        PublishedWeights(None, _FFTFORMER_FOLDER, "plain state dict: torch.save(state_dict)", _FFTFORMER_TERMS,
                         "RealBlur-J (real camera shake, beam-splitter rig)",
                         "not in the authors' README"),
        cpu_seconds_per_megapixel=86.3),
    # first: an unpublished Restormer configuration counts under it (variant_for); the two share a configuration
    # and are told apart by the file name
    "restormer-defocus": Variant(
        "restormer-defocus", "Restormer (defocus)", "restormer", _RESTORMER,
        "photos out of focus (single-image defocus deblurring); slow; non-commercial use only", "focus",
        "restormer-defocus.safetensors",
        PublishedWeights("single_image_defocus_deblurring.pth", _RESTORMER_DEFOCUS_FOLDER, _RESTORMER_FORMAT,
                         _RESTORMER_TERMS, "DPDD (Canon photos out of focus, single image)",
                         "DPDD 25.98 dB (single image, indoor and outdoor; paper Table 3)"),
        cpu_seconds_per_megapixel=RESTORMER_SECONDS_PER_MEGAPIXEL),
    "restormer-motion": Variant(
        "restormer-motion", "Restormer (motion)", "restormer", _RESTORMER,
        "camera shake and motion blur; slow; non-commercial use only", "shake",
        "restormer-motion.safetensors",
        PublishedWeights("motion_deblurring.pth", _RESTORMER_MOTION_FOLDER, _RESTORMER_FORMAT, _RESTORMER_TERMS,
                         "GoPro", "GoPro 32.92 dB (paper Table 2)"),
        cpu_seconds_per_megapixel=RESTORMER_SECONDS_PER_MEGAPIXEL),
}
DEFAULT_VARIANT = "mimo-unet"


@dataclass(frozen=True)
class Preset:
    key: str  # as typed on the command line
    display_name: str
    variant: str  # a key of VARIANTS
    ensemble: bool


PRESETS: dict[str, Preset] = {key: Preset(key, v.display_name, key, False) for key, v in VARIANTS.items()}
PRESETS["mimo-unet++"] = Preset("mimo-unet++", "MIMO-UNet++", "mimo-unet+", True)


def architecture_of(variant_key: str) -> Architecture:
    return ARCHITECTURES[VARIANTS[variant_key].architecture]


def trainable_variants() -> list[str]:
    """The variants `deblur-app train` accepts."""
    return [key for key in VARIANTS if architecture_of(key).trainable]


def variants_of(architecture_key: str) -> list[Variant]:
    return [v for v in VARIANTS.values() if v.architecture == architecture_key]


def plain_file_name(file_name: str) -> str:
    """A file's name as its publisher gave it, to be compared: case folded, a browser's copy counter before the
    suffix (``motion_deblurring (1).pth``, ``motion_deblurring(2).pth``) dropped."""
    stem, dot, suffix = file_name.rpartition(".")
    if not dot:
        stem, suffix = file_name, ""
    return (re.sub(r"\s*\(\d+\)$", "", stem) + dot + suffix).casefold()


def variants_alike(architecture_key: str, config: dict) -> list[Variant]:
    """The variants of this architecture and configuration: their weights have the same shapes (Restormer's defocus
    and motion, NAFNet-64's GoPro and REDS, FFTformer's GoPro and RealBlur), only a file's name tells them apart."""
    return [v for v in variants_of(architecture_key) if v.config_dict == config]


def named_variant(candidates: list[Variant], file_name: str) -> Variant | None:
    """The one of ``candidates`` whose published or own file ``file_name`` is (plain_file_name), if any."""
    plain = plain_file_name(file_name) if file_name else None
    return next((v for v in candidates if plain in (plain_file_name(v.published_file), plain_file_name(v.own_file))),
                None)


def variant_for(architecture_key: str, config: dict, file_name: str = "") -> tuple[Variant, bool]:
    """The variant a checkpoint of this architecture and configuration belongs to, and whether its
    configuration is that variant's (False: an unpublished configuration, counted under the
    architecture's first variant). Among variants sharing a configuration the file name decides
    (plain_file_name: as published, or as a browser saved a second copy); no name of theirs: the first.
    """
    alike = variants_alike(architecture_key, config)
    if not alike:
        return variants_of(architecture_key)[0], False
    return named_variant(alike, file_name) or alike[0], True


def variant_for_blocks(num_res: int) -> Variant | None:
    """The MIMO-UNet variant with this many residual blocks per stage."""
    return next((v for v in variants_of("mimo-unet") if v.num_res == num_res), None)


def preset_for(variant: str, ensemble: bool) -> Preset | None:
    """The named preset of a variant with or without the ensemble, if there is one."""
    for preset in PRESETS.values():
        if preset.variant == variant and preset.ensemble == ensemble:
            return preset
    return None


def run_name(variant: str, ensemble: bool) -> str:
    """What a run is called in the window, logs and messages: 'MIMO-UNet++', 'NAFNet-64 ×8 ensemble'."""
    preset = preset_for(variant, ensemble)
    if preset is not None:
        return preset.display_name
    name = VARIANTS[variant].display_name if variant in VARIANTS else variant
    return f"{name} ×{ENSEMBLE_PASSES} ensemble" if ensemble else name
