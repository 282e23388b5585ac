"""What the window says about each network: what it is for, which blur, and how long it will take.

The facts are the registry's (model/registry.py, torch-free); this module only words them for the
window and translates them. The registry's ``purpose`` lines are listed here with QT_TRANSLATE_NOOP
so that lupdate finds them (tests/test_network_window.py checks the list matches the registry).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from ..engine.tiling import TileGeometry, plan_tiles, round_up
from ..model.registry import ARCHITECTURES, CPU_SECONDS_CORES, VARIANTS, Variant
from .timing import format_eta

translate = QCoreApplication.translate

PURPOSES = {  # the registry's Variant.purpose, for lupdate; shown through translate("Networks", ...)
    "mimo-unet": QT_TRANSLATE_NOOP("Networks", "camera shake and motion blur; fast"),
    "mimo-unet+": QT_TRANSLATE_NOOP(
        "Networks", "camera shake and motion blur; larger, slower and a little sharper than MIMO-UNet"),
    "nafnet-64": QT_TRANSLATE_NOOP("Networks", "camera shake and motion blur; sharper than MIMO-UNet+ at MIMO-UNet's cost"),
    "nafnet-32": QT_TRANSLATE_NOOP("Networks", "camera shake and motion blur; a quarter of NAFNet-64's work"),
    "nafnet-64-reds": QT_TRANSLATE_NOOP("Networks", "motion blur in compressed video frames (blur with JPEG artefacts)"),
    "fftformer": QT_TRANSLATE_NOOP("Networks", "camera shake and motion blur; best quality on GoPro, much slower"),
    "fftformer-realblur": QT_TRANSLATE_NOOP("Networks",
                                            "real camera shake in photos (trained on RealBlur-J); much slower"),
    "restormer-defocus": QT_TRANSLATE_NOOP(
        "Networks", "photos out of focus (single-image defocus deblurring); slow; non-commercial use only"),
    "restormer-motion": QT_TRANSLATE_NOOP("Networks", "camera shake and motion blur; slow; non-commercial use only"),
}

# The words of the registry's published weights (PublishedWeights.terms, training_data, psnr) that are ours, for
# lupdate: the Weights dialog shows them through translate("Networks", ...) (the authors' licence names, file names
# and links inside them stay as they are in every language; tests/test_gui_leftovers.py checks the list is whole).
# Figures alone ("GoPro 31.73 dB") are not listed: they read the same in every language.
PUBLISHED_WORDS = (
    QT_TRANSLATE_NOOP("Networks", "the authors' release for research use (MIT-licensed repository "
                                  "github.com/chosj95/MIMO-UNet)"),
    QT_TRANSLATE_NOOP("Networks", "MIT licence (github.com/megvii-research/NAFNet), weights released with the code"),
    QT_TRANSLATE_NOOP("Networks", "no licence stated by the authors (github.com/kkkls/FFTformer has no licence file); "
                                  "shared by them for research"),
    QT_TRANSLATE_NOOP("Networks", "non-commercial and personal use only (Restormer's Academic Public License, "
                                  "github.com/swz30/Restormer/blob/main/LICENSE.md); commercial use needs the "
                                  "authors' permission"),
    QT_TRANSLATE_NOOP("Networks", "REDS (blur + JPEG)"),
    QT_TRANSLATE_NOOP("Networks", "RealBlur-J (real camera shake, beam-splitter rig)"),
    QT_TRANSLATE_NOOP("Networks", "DPDD (Canon photos out of focus, single image)"),
    QT_TRANSLATE_NOOP("Networks", "not in the authors' README"),
    QT_TRANSLATE_NOOP("Networks", "GoPro 34.21 dB (paper)"),
    QT_TRANSLATE_NOOP("Networks", "GoPro 32.92 dB (paper Table 2)"),
    QT_TRANSLATE_NOOP("Networks", "DPDD 25.98 dB (single image, indoor and outdoor; paper Table 3)"),
)


def published_words(text: str) -> str:
    """A registry line about published weights (their terms, training data or PSNR), in the window's language."""
    return translate("Networks", text)


BLUR_KINDS = {  # which blur the weights were trained on, from their training data
    "realblur": QT_TRANSLATE_NOOP("Networks", "real camera shake (RealBlur)"),
    "reds": QT_TRANSLATE_NOOP("Networks", "motion blur in video frames (REDS)"),
    "focus": QT_TRANSLATE_NOOP("Networks", "out of focus"),
    "shake": QT_TRANSLATE_NOOP("Networks", "camera shake (GoPro)"),
}

# Before the window has run a network on this computer, the registry's measured seconds per megapixel
# of its default path (Variant.cpu_seconds_per_megapixel, 2 cores) scaled by the cores; after, that
# run's own speed counts (RunTracker.speeds).
SLOW_SECONDS = 30  # a run expected to take longer is announced before it starts
SLOW_NETWORK_RATIO = 2.0  # a network this many times the fastest one's cost per pass is a "slow network"


def purpose(variant_key: str) -> str:
    variant = VARIANTS[variant_key]
    return translate("Networks", variant.purpose)


def blur_kind(variant: Variant) -> str:
    trained_on = (variant.published.training_data if variant.published else "").lower()
    for word in ("realblur", "reds"):
        if word in trained_on:
            return translate("Networks", BLUR_KINDS[word])
    return translate("Networks", BLUR_KINDS["focus" if variant.blur == "focus" else "shake"])


def one_line(variant_key: str) -> str:
    """What the network list says under a network: its purpose and the blur it was trained for."""
    return translate("Networks", "{purpose}. Blur: {blur}").format(
        purpose=purpose(variant_key), blur=blur_kind(VARIANTS[variant_key]))


def has_coarse_outputs(variant_key: str) -> bool:
    return ARCHITECTURES[VARIANTS[variant_key].architecture].has_coarse_outputs


def no_scales_to_show(network: str) -> str:
    """Why the Scales view has nothing of this network (its action's tooltip, the view of its result)."""
    return translate("MainWindow", "{network} returns only the full-size image: it has no ¼ and ½ "
                                   "outputs to show").format(network=network)


@functools.lru_cache(maxsize=64)  # the window asks on every change of its actions: a 24 MP plan takes ~60 ms
def computed_pixels(variant_key: str, height: int, width: int, tile: int | None,
                    planner: Callable[[int, int, int | None], int | None] | None = None) -> int:
    """The pixels one pass of the network computes for a photo: its tiles with their overlap, as the loaded engine
    plans them (``planner``: LoadedModel.planner, for this network), else the tiles of a size the user chose
    (tile > 0), else the padded photo in one piece (auto's plan needs the loaded engine: how much memory it holds).
    A 24 MP photo run in 551 tiles computed several times its pixels while the estimate counted one pass."""
    if planner is not None:
        planned = planner(height, width, tile)
        if planned:
            return planned
    architecture = ARCHITECTURES[VARIANTS[variant_key].architecture]
    geometry = TileGeometry(architecture.size_multiple, architecture.tile_overlap, architecture.tile_discard)
    padded_h, padded_w = round_up(height, geometry.align), round_up(width, geometry.align)
    return sum(t.height * t.width for t in plan_tiles(padded_h, padded_w, tile or 0, geometry))


def expected_seconds(variant_key: str, pixels: int, cpu_cores: int, ensemble: bool = False,
                     measured: float | None = None) -> float:
    """A quick estimate of a CPU run's time: ``measured`` seconds per megapixel and pass of this network
    on this computer when the window has one, else the reference figures above."""
    passes = 8 if ensemble else 1
    if measured:
        return measured * pixels / 1e6 * passes
    per_megapixel = VARIANTS[variant_key].cpu_seconds_per_megapixel
    scale = CPU_SECONDS_CORES / max(1, min(cpu_cores, 16))
    return per_megapixel * pixels / 1e6 * scale * passes


def expected_time_note(variant_key: str, pixels: int, cpu_cores: int, ensemble: bool = False,
                       measured: float | None = None) -> str:
    """Said before a slow CPU run ("" for a quick one): about how long the photo will take."""
    seconds = expected_seconds(variant_key, pixels, cpu_cores, ensemble, measured)
    if seconds < SLOW_SECONDS:
        return ""
    if not slow_network(variant_key, ensemble):  # the photo's size makes the run long, not the network
        return translate("Networks", "Long run: about {time} for this photo on this computer's CPU").format(
            time=format_eta(seconds))
    return translate("Networks", "Slow network: about {time} for this photo on this computer's CPU").format(
        time=format_eta(seconds))


def slow_network(variant_key: str, ensemble: bool = False) -> bool:
    """Whether the network itself is slow: a pass of it costs at least SLOW_NETWORK_RATIO times the fastest
    network's (registry figures). MIMO-UNet, "fast" in its own line, was called a "Slow network" under a 24 MP
    photo."""
    fastest = min(variant.cpu_seconds_per_megapixel for variant in VARIANTS.values())
    passes = 8 if ensemble else 1
    return VARIANTS[variant_key].cpu_seconds_per_megapixel * passes >= SLOW_NETWORK_RATIO * fastest
