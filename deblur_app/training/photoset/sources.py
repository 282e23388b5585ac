"""Where the photos may come from, and which of them are not photographs.

Only these sources may be used (everything else is kept for evaluation). Each Debian
package maps to the sub-trees that hold candidate images; the rest of the package
(documentation screenshots, theme previews, icons) is never looked at.
"""

from __future__ import annotations

import fnmatch
import re

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")

DEB_SOURCES: dict[str, tuple[str, ...]] = {
    "plasma-workspace-wallpapers": ("usr/share/wallpapers",),
    "mate-backgrounds": ("usr/share/backgrounds",),
    "lxqt-themes": ("usr/share/lxqt/wallpapers",),
    "lomiri-wallpapers-20.04": ("usr/share/backgrounds",),
    "kphotoalbum": ("usr/share/kphotoalbum/demo",),
    "opencv-doc": ("usr/share/doc/opencv-doc/examples",),
}
WHEEL_SOURCES: dict[str, tuple[str, ...]] = {
    "scikit-image": ("skimage/data/",),
    "scikit-learn": ("sklearn/datasets/images/",),
}

# Source paths (globs on the package-relative path) never used: smaller crops
# of photos that are also present in full in opencv-doc examples/data.
EXCLUDE_PATHS: tuple[str, ...] = (
    "*/examples/dnn_superres/*",
    "*/examples/reg/*",
)

# ---------------------------------------------------------------------------
# Explicit deny-list: candidates that are not real photographs (renders,
# abstract/vector art, logos, paintings, test patterns, scientific or
# synthetic images, screenshots) or that are unsuitable for other reasons.
# Identified by looking at contact sheets of all candidates.  Keys are the
# output names ``<pkg>__<stem>`` (before the .png suffix); glob patterns are
# allowed.
# ---------------------------------------------------------------------------
DENY: dict[str, str] = {
    # plasma-workspace-wallpapers: digital art / renders
    "plasma-workspace-wallpapers__Altai": "render",
    "plasma-workspace-wallpapers__IceCold": "render",
    "plasma-workspace-wallpapers__Flow": "render",
    "plasma-workspace-wallpapers__Kay": "render",
    "plasma-workspace-wallpapers__Opal": "render",
    "plasma-workspace-wallpapers__DarkestHour": "very soft, mostly defocused",
    "plasma-workspace-wallpapers__Volna": "render",
    "plasma-workspace-wallpapers__Elarun": "render",
    "plasma-workspace-wallpapers__Honeywave": "render",
    "plasma-workspace-wallpapers__Kokkini": "render",
    "plasma-workspace-wallpapers__Shell": "render",
    "plasma-workspace-wallpapers__Cluster": "render",
    "plasma-workspace-wallpapers__Cascade": "render",
    "plasma-workspace-wallpapers__Canopee": "render",
    "plasma-workspace-wallpapers__FlyingKonqui": "illustration",
    "plasma-workspace-wallpapers__PastelHills": "illustration",
    "plasma-workspace-wallpapers__SafeLanding": "illustration",
    "plasma-workspace-wallpapers__Next": "render",
    "plasma-workspace-wallpapers__Patak": "render",
    "plasma-workspace-wallpapers__Autumn": "render",
    "plasma-workspace-wallpapers__MilkyWay": "render",
    # mate-backgrounds: abstract and desktop sets are artwork
    "mate-backgrounds__Elephants*": "render",
    "mate-backgrounds__Gulp": "render",
    "mate-backgrounds__Flow": "render",
    "mate-backgrounds__Waves": "render",
    "mate-backgrounds__Spring": "render",
    "mate-backgrounds__Silk": "render",
    "mate-backgrounds__Arc-Colors-Transparent-Wallpaper": "vector art",
    "mate-backgrounds__Stripes": "vector art",
    "mate-backgrounds__MATE-Stripes-*": "vector art",
    "mate-backgrounds__Ubuntu-Mate-*": "render",
    "mate-backgrounds__Float-into-MATE": "render",
    "mate-backgrounds__GreenTraditional": "vector art",
    # lxqt-themes
    "lxqt-themes__kde-plasma": "render",
    "lxqt-themes__*origami*": "vector art",
    "lxqt-themes__plasma*": "render",
    "lxqt-themes__simple_blue_widescreen": "render",
    "lxqt-themes__triangles*": "vector art",
    "lxqt-themes__waves*": "vector art",
    # lomiri-wallpapers-20.04
    "lomiri-wallpapers-20.04__Fossa_by_Jasper_Roks": "vector art",
    "lomiri-wallpapers-20.04__Painting-Colors_by__herobrine7gamer": "painting",
    "lomiri-wallpapers-20.04__Infinite-Sea_by_Aury88": "digital art",
    # kphotoalbum
    # opencv-doc: test patterns, renders, paintings, synthetic images, and
    # images already blurred on purpose (deblurring demo inputs)
    "opencv-doc__Blender_Suzanne*": "render",
    "opencv-doc__starry_night": "painting",
    "opencv-doc__lena*": "excluded test image",
    "opencv-doc__text_defocus": "deliberately blurred",
    "opencv-doc__text_motion": "deliberately blurred",
    "opencv-doc__licenseplate_motion": "deliberately blurred",
    "opencv-doc__chessboard": "test pattern",
    "opencv-doc__digits": "synthetic",
    "opencv-doc__sudoku": "document",
    "opencv-doc__pca_test1": "synthetic",
    "opencv-doc__ela_modified": "manipulated (pasted object)",
    "opencv-doc__input": "illustration",
    "opencv-doc__*_mask": "mask",
    "opencv-doc__*_result": "processed",
    "opencv-doc__stanford": "rendering",
    "opencv-doc__polygonstanfordoutput": "rendering",
    "opencv-doc__pic[0-9]": "synthetic",
    "opencv-doc__cards": "synthetic",
    "opencv-doc__ml": "synthetic",
    "opencv-doc__detect_blob": "synthetic",
    # scikit-image / scikit-learn sample data: non-photographs
    "scikit-image__hubble_deep_field": "astronomy",
    "scikit-image__ihc": "microscopy",
    "scikit-image__retina": "medical",
    "scikit-image__color": "synthetic",
    "scikit-image__phantom": "synthetic",
    "scikit-image__logo": "logo",
    "scikit-image__horse": "silhouette",
    "scikit-image__chessboard*": "synthetic",
}

# Real photographs (checked by eye) whose large, smooth out-of-focus or night
# sky areas trip the flat-area test: for these the flat-area limit is relaxed
# to filtering.RELAXED_FLAT_FRACTION.
ALLOW_FLAT: frozenset[str] = frozenset({
    "mate-backgrounds__FreshFlower",
    "lxqt-themes__appleflower",
    "lxqt-themes__drop",
    "scikit-image__rocket",
})


def sanitize(name: str) -> str:
    """Filesystem/CSV-safe name component."""
    s = re.sub(r"[^A-Za-z0-9._+-]+", "_", name).strip("._")
    return s or "img"


def output_stem(pkg: str, stem: str) -> str:
    return f"{sanitize(pkg)}__{sanitize(stem)}"


def denied(name: str, deny: dict[str, str] | None = None) -> str | None:
    """Return the reason if ``name`` (``pkg__stem``) is on the deny-list."""
    deny = DENY if deny is None else deny
    for pat, why in deny.items():
        if fnmatch.fnmatchcase(name, pat):
            return why
    return None
