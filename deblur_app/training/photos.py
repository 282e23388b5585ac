"""Reproducible builder for a small set of sharp, real photographs.

The photos come only from a fixed list of freely licensed sources: a few
Debian packages (wallpapers, demo photos, OpenCV sample data) and the sample
images shipped inside the scikit-image and scikit-learn wheels.  Everything is
fetched with the ordinary clients (``apt-get download``, ``pip download``),
unpacked without installing (``dpkg -x`` / ``zipfile``), filtered down to real
photographs, downscaled so that lens blur and sensor noise shrink, and split
into train/val by a seeded hash of a per-photo group key.

Output layout::

    out_dir/train/<pkg>__<stem>.png
    out_dir/val/<pkg>__<stem>.png
    out_dir/manifest.csv
    out_dir/sources.txt        (package versions actually used)

Run: ``python -m deblur_app.training.photos OUT_DIR``.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import hashlib
import io
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import cv2
import numpy as np
from PIL import Image, ImageOps

Image.MAX_IMAGE_PIXELS = None

MANIFEST_COLUMNS = [
    "file",
    "split",
    "source_package",
    "license",
    "original_path",
    "original_width",
    "original_height",
    "scale",
]

IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp")

# ---------------------------------------------------------------------------
# Sources.  Only these may be used (everything else is kept for evaluation).
# Each Debian package maps to the sub-trees that hold candidate images; the
# rest of the package (documentation screenshots, theme previews, icons) is
# never looked at.
# ---------------------------------------------------------------------------
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
# to RELAXED_FLAT_FRACTION.
ALLOW_FLAT: frozenset[str] = frozenset({
    "mate-backgrounds__FreshFlower",
    "lxqt-themes__appleflower",
    "lxqt-themes__drop",
    "scikit-image__rocket",
})

# Near-duplicate / multi-view groups: photos whose stem normalises to the same
# key are forced into the same split (e.g. stereo pairs, bursts, "_2" shots).
_GROUP_SUFFIX = re.compile(r"(?:[_-](?:\d+|left|right|[a-z])|\d+|(?<=[a-z])[LRAB])+$")
# Pairs that the suffix rule cannot see (stereo pair named just left/right).
GROUP_ALIASES: dict[str, str] = {
    "opencv-doc__left": "opencv-doc__stereo-pair",
    "opencv-doc__right": "opencv-doc__stereo-pair",
}


# ---------------------------------------------------------------------------
# Small utilities
# ---------------------------------------------------------------------------

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


def group_key(name: str) -> str:
    """Key shared by near-duplicate shots so they land in the same split."""
    name = GROUP_ALIASES.get(name, name)
    pkg, _, stem = name.partition("__")
    base = _GROUP_SUFFIX.sub("", stem) or stem
    return f"{pkg}__{base.lower()}"


def split_of(name: str, *, val_fraction: float, seed: int) -> str:
    """Deterministic split from a seeded hash of the photo's group key."""
    h = hashlib.sha256(f"{seed}:{group_key(name)}".encode()).digest()
    u = int.from_bytes(h[:8], "big") / 2.0**64
    return "val" if u < val_fraction else "train"


def assign_splits(names: Iterable[str], *, val_fraction: float, seed: int,
                  groups: dict[str, str] | None = None) -> dict[str, str]:
    """Split names; ``groups`` optionally maps a name to the name whose group
    key it shares (used when a name had to be made unique)."""
    names = sorted(set(names))
    groups = groups or {}
    out = {n: split_of(groups.get(n, n), val_fraction=val_fraction, seed=seed) for n in names}
    # Guarantee both splits are non-empty when there are >= 2 groups.
    keys = sorted({group_key(groups.get(n, n)) for n in names},
                  key=lambda k: hashlib.sha256(f"{seed}:{k}".encode()).hexdigest())
    if 0 < val_fraction < 1 and len(keys) >= 2:
        for missing in ("val", "train"):
            if missing not in out.values():
                k0 = keys[0] if missing == "val" else keys[-1]
                for n in names:
                    if group_key(groups.get(n, n)) == k0:
                        out[n] = missing
    return out


# ---------------------------------------------------------------------------
# Image analysis
# ---------------------------------------------------------------------------

def to_rgb8(img: Image.Image) -> np.ndarray:
    """Any PIL image -> HxWx3 uint8 RGB (alpha composited on mid grey)."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I"):
        a = np.asarray(img, dtype=np.float64)
        a = np.clip(a / max(a.max(), 1.0) * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(a[..., None], 3, axis=2)
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (128, 128, 128, 255))
        img = Image.alpha_composite(bg, img)
    return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()


def has_transparency(img: Image.Image) -> bool:
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        a = np.asarray(img.convert("RGBA"))[..., 3]
        return bool((a < 250).mean() > 0.001)
    return False


def sharpness(rgb: np.ndarray) -> float:
    """Ratio of fine-detail energy to slightly-blurred detail energy.

    Sharp images lose much of their Laplacian energy under a small Gaussian
    blur (ratio well above 2); soft/blurry images hardly change (ratio ~1).
    """
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lap = np.abs(cv2.Laplacian(g, cv2.CV_32F, ksize=1)).mean()
    gb = cv2.GaussianBlur(g, (0, 0), 1.0)
    lapb = np.abs(cv2.Laplacian(gb, cv2.CV_32F, ksize=1)).mean()
    return float(lap / max(lapb, 1e-6))


@dataclass
class PhotoStats:
    width: int
    height: int
    colorfulness: float       # mean |R-G|,|G-B| (0 for grayscale)
    unique_ratio: float       # unique colours / pixels (on a <=512 px thumbnail)
    flat_fraction: float      # pixels in flat 5x5 neighbourhoods (std < 0.75)
    hist_gap: float           # fraction of empty grey levels inside the 1-99% range
    detail: float             # mean |Laplacian| of grey image
    sharpness: float

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def photo_stats(rgb: np.ndarray) -> PhotoStats:
    h, w = rgb.shape[:2]
    f = rgb.astype(np.float32)
    colorfulness = float((np.abs(f[..., 0] - f[..., 1]).mean() + np.abs(f[..., 1] - f[..., 2]).mean()) / 2)
    # unique colours on a fixed-size thumbnail so the ratio is size independent
    s = 512 / max(h, w)
    thumb = rgb if s >= 1 else cv2.resize(rgb, (max(1, round(w * s)), max(1, round(h * s))),
                                          interpolation=cv2.INTER_NEAREST)
    flat_px = thumb.reshape(-1, 3)
    packed = (flat_px[:, 0].astype(np.uint32) << 16) | (flat_px[:, 1].astype(np.uint32) << 8) | flat_px[:, 2]
    unique_ratio = float(np.unique(packed).size / max(packed.size, 1))
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    gf = g.astype(np.float32)
    mean = cv2.blur(gf, (5, 5))
    var = np.maximum(cv2.blur(gf * gf, (5, 5)) - mean * mean, 0)
    flat_fraction = float((var < 0.75**2).mean())
    hist = np.bincount(g.ravel(), minlength=256)
    c = np.cumsum(hist) / hist.sum()
    lo = int(np.searchsorted(c, 0.01))
    hi = int(np.searchsorted(c, 0.99))
    rng = hist[lo:hi + 1]
    hist_gap = float((rng == 0).mean()) if rng.size > 1 else 1.0
    detail = float(np.abs(cv2.Laplacian(gf, cv2.CV_32F, ksize=1)).mean())
    return PhotoStats(w, h, colorfulness, unique_ratio, flat_fraction, hist_gap, detail, sharpness(rgb))


# Thresholds of the deterministic photo filter (on the downscaled image).
MIN_SHORT_SIDE = 256
MIN_COLORFULNESS = 2.0      # reject grayscale (and near-grayscale) sources
MIN_UNIQUE_RATIO = 0.02     # palette images / posterised art
MAX_FLAT_FRACTION = 0.45    # renders: large noise-free areas
MAX_HIST_GAP = 0.10         # colour banding / posterisation
MIN_DETAIL = 1.5            # nearly empty images
MIN_SHARPNESS_NATIVE = 1.9  # needed to keep an image at scale 1
RELAXED_FLAT_FRACTION = 0.82  # for ALLOW_FLAT photos
RELAXED_MIN_DETAIL = 1.0


def reject_reason(st: PhotoStats, *, relaxed: bool = False) -> str | None:
    """Deterministic photo filter; ``None`` means "looks like a real photo".

    ``relaxed`` (for eye-checked photos with big defocused areas) loosens only
    the flat-area and detail limits.
    """
    max_flat = RELAXED_FLAT_FRACTION if relaxed else MAX_FLAT_FRACTION
    min_detail = RELAXED_MIN_DETAIL if relaxed else MIN_DETAIL
    if min(st.width, st.height) < MIN_SHORT_SIDE:
        return f"too small ({st.width}x{st.height})"
    if st.colorfulness < MIN_COLORFULNESS:
        return f"grayscale (colorfulness {st.colorfulness:.2f})"
    if st.unique_ratio < MIN_UNIQUE_RATIO:
        return f"few colours ({st.unique_ratio:.4f})"
    if st.flat_fraction > max_flat:
        return f"large flat areas ({st.flat_fraction:.2f})"
    if st.hist_gap > MAX_HIST_GAP:
        return f"banding/posterised ({st.hist_gap:.2f})"
    if st.detail < min_detail:
        return f"no detail ({st.detail:.2f})"
    return None


def choose_scale(width: int, height: int, sharp: float | None = None) -> float:
    """Downscale factor (>=1): integer 2-4 where possible, long side ~1000-1600.

    Returns 0.0 when the image should be dropped (small and not sharp).
    """
    long_side = max(width, height)
    short_side = min(width, height)
    for f in (4, 3, 2):
        if 1000 <= long_side / f <= 1600:
            return float(f)
    if long_side / 4 > 1600:  # huge: fractional factor to land at 1600
        return float(math.ceil(long_side / 1600 * 100) / 100)
    # long side below 2000: keep native only if sharp; else halve if still usable
    if sharp is not None and sharp >= MIN_SHARPNESS_NATIVE:
        return 1.0
    if long_side >= 1800 and short_side / 2 >= MIN_SHORT_SIDE:
        return 2.0
    if sharp is None:
        return 1.0
    if short_side / 2 >= MIN_SHORT_SIDE:
        return 2.0
    return 0.0


def downscale(rgb: np.ndarray, scale: float) -> np.ndarray:
    if scale <= 1.0:
        return rgb
    h, w = rgb.shape[:2]
    nw, nh = max(1, round(w / scale)), max(1, round(h / scale))
    return cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)


def ahash(rgb: np.ndarray, n: int = 12) -> np.ndarray:
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    t = cv2.resize(g, (n, n), interpolation=cv2.INTER_AREA).astype(np.float32)
    return (t > t.mean()).ravel()


def tiny(rgb: np.ndarray, n: int = 32) -> np.ndarray:
    return cv2.resize(rgb, (n, n), interpolation=cv2.INTER_AREA).astype(np.float32)


def near_duplicate(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> bool:
    """Same photo (possibly another resolution / re-encode)?  Needs both a
    close average-hash and close 32x32 colour thumbnails."""
    return bool(np.count_nonzero(a[0] != b[0]) <= 6 and np.abs(a[1] - b[1]).mean() < 8.0)


def process_image(img: Image.Image, *, relaxed: bool = False, rotate: int = 0
                  ) -> tuple[np.ndarray | None, float, str | None, PhotoStats | None]:
    """Convert (honouring EXIF orientation and an extra clockwise ``rotate``
    in degrees), choose scale, downscale, filter.

    Returns (rgb_or_None, scale, reject_reason_or_None, stats).
    """
    img = ImageOps.exif_transpose(img)
    if rotate % 360:
        img = img.rotate(-(rotate % 360), expand=True)
    if has_transparency(img):
        return None, 0.0, "transparent", None
    rgb = to_rgb8(img)
    h, w = rgb.shape[:2]
    sharp = sharpness(rgb) if max(w, h) < 2000 else None
    scale = choose_scale(w, h, sharp)
    if scale == 0.0:
        return None, 0.0, f"small and soft (sharpness {sharp:.2f})", None
    out = downscale(rgb, scale)
    st = photo_stats(out)
    why = reject_reason(st, relaxed=relaxed)
    return (None if why else out), scale, why, st


# ---------------------------------------------------------------------------
# Licences
# ---------------------------------------------------------------------------

def parse_dep5(text: str) -> list[tuple[list[str], str]]:
    """Parse a machine-readable debian/copyright into [(file_globs, licence)]."""
    stanzas: list[tuple[list[str], str]] = []
    for para in re.split(r"\n\s*\n", text):
        files: list[str] = []
        lic = None
        cur = None
        for line in para.splitlines():
            if not line.strip():
                continue
            if line[0] in " \t":
                if cur == "files":
                    files.extend(line.split())
                continue
            key, _, val = line.partition(":")
            key = key.strip().lower()
            cur = key
            if key in ("files", "file"):
                files.extend(val.split())
            elif key == "license" and lic is None:
                lic = val.strip()
        if files and lic:
            stanzas.append((files, lic))
    return stanzas


def guess_license(text: str) -> str:
    """Very rough licence name for non-DEP-5 copyright texts."""
    t = " ".join(text.split())
    if "GNU General Public License" in t or re.search(r"\bGPL\b", t):
        m = re.search(r"version (\d)", t)
        v = m.group(1) if m else ""
        later = "or (at your option) any later" in t or "or any later" in t
        return f"GPL-{v}{'+' if later else ''}" if v else "GPL"
    if "Apache License" in t:
        return "Apache-2.0"
    if "BSD" in t:
        return "BSD"
    return "see copyright"


def license_for(relpath: str, stanzas: list[tuple[list[str], str]], default: str) -> str:
    """Pick the last DEP-5 stanza whose glob matches the (installed) path.

    Source-tree paths rarely equal installed paths, so a glob also matches when
    its basename matches the file's basename (or the wallpaper's directory for
    KDE-style ``Name/contents/images/WxH.ext`` packages).
    """
    rel = relpath.replace(os.sep, "/")
    base = rel.rsplit("/", 1)[-1]
    parts = rel.split("/")
    best = None
    for files, lic in stanzas:
        for pat in files:
            if pat == "*":
                continue
            pbase = pat.rsplit("/", 1)[-1]
            if (fnmatch.fnmatchcase(rel, "*" + pat.lstrip("*"))
                    or (pbase not in ("*", "") and fnmatch.fnmatchcase(base, pbase))
                    or (pat.endswith("/*") and pat[:-2].rsplit("/", 1)[-1] in parts[:-1]
                        and pat[:-2].rsplit("/", 1)[-1] not in ("usr", "share", "debian"))):
                best = lic
    return best or default


def deb_license_info(root: Path, pkg: str) -> tuple[list[tuple[list[str], str]], str]:
    cfile = root / "usr/share/doc" / pkg / "copyright"
    if not cfile.exists():
        return [], "unknown"
    text = cfile.read_text(errors="replace")
    if text.lstrip().lower().startswith("format:"):
        st = parse_dep5(text)
        main = next((lic for files, lic in st if "*" in files), None)
        main = main or (st[0][1] if st else guess_license(text))
        return st, main
    return [], guess_license(text)


def _skimage_license(z: zipfile.ZipFile, member: str, default: str) -> str:
    """Read the licence note from skimage/data/_fetchers.py docstrings."""
    try:
        src = z.read("skimage/data/_fetchers.py").decode("utf-8", "replace")
    except KeyError:
        return default
    fname = member.rsplit("/", 1)[-1]
    for m in re.finditer(r"\ndef (\w+)\(.*?(?=\ndef |\Z)", src, re.S):
        body = m.group(0)
        if f"data/{fname}" not in body:
            continue
        low = body.lower()
        if "cc0" in low:
            return "CC0-1.0"
        if "public domain" in low:
            return "public-domain"
        mm = re.search(r"creativecommons\.org/licenses/([a-z-]+)/([\d.]+)", low)
        if mm:
            return f"CC-{mm.group(1).upper()}-{mm.group(2)}"
        if "no copyright" in low or "no known copyright" in low:
            return "public-domain"
        return default
    return default


def _sklearn_license(z: zipfile.ZipFile, member: str, default: str) -> str:
    try:
        txt = z.read("sklearn/datasets/images/README.txt").decode("utf-8", "replace")
    except KeyError:
        return default
    fname = member.rsplit("/", 1)[-1]
    for block in re.split(r"\n(?=Image:)", txt):
        if block.startswith(f"Image: {fname}"):
            mm = re.search(r"creativecommons\.org/licenses/([a-z-]+)/([\d.]+)", block)
            if mm:
                return f"CC-{mm.group(1).upper()}-{mm.group(2)}"
    return default


def wheel_main_license(z: zipfile.ZipFile) -> str:
    for n in z.namelist():
        if n.endswith(".dist-info/METADATA"):
            meta = z.read(n).decode("utf-8", "replace")
            m = re.search(r"^License-Expression:\s*(.+)$", meta, re.M)
            if m:
                return m.group(1).strip()
            m = re.search(r"^License:\s*(.+)$", meta, re.M)
            if m and not m.group(1).strip().lower().startswith("files:"):
                return m.group(1).strip()
            # License field holds a DEP-5 text (scikit-image): use its "*" stanza
            lic_files = [x for x in z.namelist() if ".dist-info/" in x
                         and re.search(r"/(licen[cs]e|copying)[^/]*$", x, re.I)]
            for lf in sorted(lic_files):
                st = parse_dep5(z.read(lf).decode("utf-8", "replace"))
                main = next((lic for files, lic in st if "*" in files), None)
                if main:
                    return main
    return "unknown"


# ---------------------------------------------------------------------------
# Fetching
# ---------------------------------------------------------------------------

@dataclass
class Candidate:
    pkg: str
    stem: str
    original_path: str
    license: str
    load: Callable[[], Image.Image]
    pixels: int = 0
    meta: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return output_stem(self.pkg, self.stem)


def _run(cmd: list[str], cwd: Path, log) -> bool:
    try:
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError as e:
        log(f"warning: {cmd[0]} not available: {e}")
        return False
    if r.returncode != 0:
        log(f"warning: {' '.join(cmd)} failed: {(r.stderr or r.stdout).strip()[-300:]}")
        return False
    return True


def fetch_deb(pkg: str, work: Path, log) -> Path | None:
    """apt-get download + dpkg -x into work/x/<pkg>.  Reuses earlier downloads."""
    debdir = work / "debs"
    debdir.mkdir(parents=True, exist_ok=True)
    debs = sorted(debdir.glob(f"{pkg}_*.deb"))
    if not debs:
        if not _run(["apt-get", "download", pkg], debdir, log):
            log(f"warning: skipping {pkg}: not downloadable in this Debian release")
            return None
        debs = sorted(debdir.glob(f"{pkg}_*.deb"))
        if not debs:
            log(f"warning: skipping {pkg}: no .deb after download")
            return None
    target = work / "x" / pkg
    stamp = target / ".unpacked"
    if not stamp.exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        if not _run(["dpkg", "-x", str(debs[-1]), str(target)], work, log):
            return None
        stamp.write_text(debs[-1].name)
    return target


def fetch_wheel(dist: str, work: Path, log) -> Path | None:
    wdir = work / "wheels"
    wdir.mkdir(parents=True, exist_ok=True)
    mod = dist.replace("-", "_")
    found = sorted(wdir.glob(f"{mod}-*.whl"))
    if not found:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "-d", str(wdir), dist]
        if not _run(cmd, work, log):
            log(f"warning: skipping {dist}: pip download failed")
            return None
        found = sorted(wdir.glob(f"{mod}-*.whl"))
    return found[-1] if found else None


def _image_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as im:
            return im.size
    except Exception:
        return (0, 0)


def kphotoalbum_angles(root: Path) -> dict[str, int]:
    """Clockwise rotations stored in KPhotoAlbum demo ``index.xml`` files
    (the demo JPEGs carry no EXIF orientation)."""
    out: dict[str, int] = {}
    for idx in sorted(root.rglob("index.xml")):
        text = idx.read_text(errors="replace")
        for m in re.finditer(r"<image\b([^>]*)>", text):
            attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
            angle = attrs.get("angle", "0")
            if "file" in attrs and angle.lstrip("-").isdigit():
                rel = str((idx.parent / attrs["file"]).relative_to(root))
                out[rel] = int(angle) % 360
    return out


def deb_candidates(pkg: str, root: Path, subdirs: tuple[str, ...], log) -> Iterator[Candidate]:
    stanzas, main = deb_license_info(root, pkg)
    files: list[Path] = []
    for sub in subdirs:
        base = root / sub
        if not base.exists():
            continue
        for p in sorted(base.rglob("*")):
            if p.is_file() and p.suffix.lower() in IMAGE_EXTS:
                rel = str(p.relative_to(root))
                if not any(fnmatch.fnmatchcase(rel, g) for g in EXCLUDE_PATHS):
                    files.append(p)
    # KDE-style wallpaper packages: one photo per Name/contents/images dir,
    # several resolutions (often symlinks) -> keep the largest landscape one.
    groups: dict[str, list[Path]] = {}
    singles: list[Path] = []
    for p in files:
        parts = p.relative_to(root).parts
        if "contents" in parts:
            i = parts.index("contents")
            if i + 1 < len(parts) and parts[i + 1] == "images":
                groups.setdefault(parts[i - 1], []).append(p)
            continue  # screenshot.png, images_dark/ variants: skip
        singles.append(p)
    angles = kphotoalbum_angles(root)
    seen_real: set[str] = set()
    for wname, paths in sorted(groups.items()):
        real = sorted({str(p.resolve()) for p in paths})
        sized = [(_image_size(Path(r)), r) for r in real]
        sized.sort(key=lambda t: (t[0][0] >= t[0][1], t[0][0] * t[0][1], t[1]))
        (w, h), best = sized[-1]
        seen_real.add(best)
        rel = str(Path(best).relative_to(root.resolve()))
        yield Candidate(pkg, wname, f"{pkg}:/{rel}", license_for(rel, stanzas, main),
                        (lambda b=best: Image.open(b)), w * h)
    for p in singles:
        real = str(p.resolve())
        if real in seen_real:
            continue
        seen_real.add(real)
        rel = str(p.relative_to(root))
        w, h = _image_size(p)
        yield Candidate(pkg, p.stem, f"{pkg}:/{rel}", license_for(rel, stanzas, main),
                        (lambda r=real: Image.open(r)), w * h,
                        meta={"rotate": angles.get(rel, 0)})


def wheel_candidates(dist: str, whl: Path, prefixes: tuple[str, ...], log) -> Iterator[Candidate]:
    z = zipfile.ZipFile(whl)
    main = wheel_main_license(z)
    for n in sorted(z.namelist()):
        if not n.startswith(prefixes) or not n.lower().endswith(IMAGE_EXTS):
            continue
        if dist == "scikit-image":
            lic = _skimage_license(z, n, main)
        elif dist == "scikit-learn":
            lic = _sklearn_license(z, n, main)
        else:
            lic = main
        data = z.read(n)

        def load(d=data) -> Image.Image:
            return Image.open(io.BytesIO(d))
        try:
            w, h = load().size
        except Exception:
            continue
        yield Candidate(dist, Path(n).stem, f"{whl.name}:/{n}", lic, load, w * h)


def package_versions(work: Path) -> list[str]:
    out = []
    for d in sorted((work / "debs").glob("*.deb")) if (work / "debs").exists() else []:
        out.append(d.name)
    for w in sorted((work / "wheels").glob("*.whl")) if (work / "wheels").exists() else []:
        out.append(w.name)
    return out


def iter_candidates(work: Path, log) -> Iterator[Candidate]:
    for pkg, subdirs in DEB_SOURCES.items():
        root = fetch_deb(pkg, work, log)
        if root is None:
            continue
        yield from deb_candidates(pkg, root, subdirs, log)
    for dist, prefixes in WHEEL_SOURCES.items():
        whl = fetch_wheel(dist, work, log)
        if whl is None:
            continue
        yield from wheel_candidates(dist, whl, prefixes, log)


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

def write_manifest(rows: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=MANIFEST_COLUMNS, lineterminator="\n")
        w.writeheader()
        for r in sorted(rows, key=lambda r: (r["split"], r["file"])):
            w.writerow({k: r[k] for k in MANIFEST_COLUMNS})
    return path


def save_png(rgb: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb, "RGB").save(path, format="PNG", optimize=False, compress_level=6)


def contact_sheet(paths: list[Path], out: Path, *, thumb: int = 160, cols: int = 10,
                  labels: bool = True) -> Path:
    """Grid of thumbnails (with file names) for eyeballing a photo set."""
    paths = list(paths)
    rows = max(1, math.ceil(len(paths) / cols))
    lab = 14 if labels else 0
    sheet = np.full((rows * (thumb + lab), cols * thumb, 3), 255, np.uint8)
    for i, p in enumerate(paths):
        with Image.open(p) as im:
            a = to_rgb8(im)
        h, w = a.shape[:2]
        s = thumb / max(h, w)
        a = cv2.resize(a, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
        r, c = divmod(i, cols)
        y0, x0 = r * (thumb + lab), c * thumb
        sheet[y0:y0 + a.shape[0], x0:x0 + a.shape[1]] = a
        if labels:
            txt = Path(p).stem.split("__")[-1][:24]
            cv2.putText(sheet, txt, (x0 + 2, y0 + thumb + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.33,
                        (0, 0, 0), 1, cv2.LINE_AA)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(sheet).save(out)
    return out


def prepare_photos(out_dir: Path, *, val_fraction: float = 0.12, seed: int = 0,
                   work_dir: Path | None = None, log=print) -> Path:
    """Build the set: out_dir/train/*.png, out_dir/val/*.png, out_dir/manifest.csv.

    Returns the manifest path.  ``work_dir`` caches downloads (a temporary
    directory, removed afterwards, when not given).
    """
    out_dir = Path(out_dir)
    tmp = None
    if work_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="deblur_photos_")
        work = Path(tmp.name)
        os.chmod(work, 0o755)  # let apt's _apt user write its downloads
    else:
        work = Path(work_dir)
        work.mkdir(parents=True, exist_ok=True)
    try:
        kept: list[tuple[Candidate, np.ndarray, float]] = []
        hashes: list[tuple[tuple[np.ndarray, np.ndarray], int, int]] = []  # (hash, pixels, index in kept)
        n_seen = 0
        for cand in iter_candidates(work, log):
            n_seen += 1
            why = denied(cand.name)
            if why:
                log(f"  deny   {cand.name}: {why}")
                continue
            base_name = cand.name
            if any(k[0].name == cand.name for k in kept):
                cand.stem = f"{cand.stem}_{hashlib.sha1(cand.original_path.encode()).hexdigest()[:6]}"
            cand.meta["group_name"] = base_name
            try:
                img = cand.load()
                img.load()
            except Exception as e:  # unreadable / unsupported file
                log(f"  skip   {cand.name}: unreadable ({e})")
                continue
            rgb, scale, why, st = process_image(img, relaxed=base_name in ALLOW_FLAT,
                                            rotate=int(cand.meta.get("rotate", 0)))
            if rgb is None:
                log(f"  reject {cand.name}: {why}")
                continue
            # near-duplicate check (same photo at several resolutions / packages)
            hsh = (ahash(rgb), tiny(rgb))
            dup = None
            for j, (hh, px, idx) in enumerate(hashes):
                if near_duplicate(hh, hsh):
                    dup = j
                    break
            if dup is not None:
                hh, px, idx = hashes[dup]
                other = kept[idx][0]
                if cand.pixels > px:
                    log(f"  dup    {other.name} replaced by larger {cand.name}")
                    kept[idx] = (cand, rgb, scale)
                    hashes[dup] = (hsh, cand.pixels, idx)
                else:
                    log(f"  dup    {cand.name} (same as {other.name})")
                continue
            hashes.append((hsh, cand.pixels, len(kept)))
            kept.append((cand, rgb, scale))
            log(f"  keep   {cand.name}: {st.width}x{st.height} scale {scale:g} "
                f"sharp {st.sharpness:.2f} flat {st.flat_fraction:.2f}")

        splits = assign_splits([c.name for c, _, _ in kept], val_fraction=val_fraction, seed=seed,
                               groups={c.name: c.meta.get("group_name", c.name) for c, _, _ in kept})
        for sub in ("train", "val"):
            d = out_dir / sub
            if d.exists():
                for old in d.glob("*.png"):
                    old.unlink()
        rows = []
        for cand, rgb, scale in kept:
            split = splits[cand.name]
            fname = cand.name + ".png"
            save_png(rgb, out_dir / split / fname)
            with cand.load() as im:
                ow, oh = im.size
            rows.append({
                "file": f"{split}/{fname}",
                "split": split,
                "source_package": cand.pkg,
                "license": cand.license,
                "original_path": cand.original_path,
                "original_width": ow,
                "original_height": oh,
                "scale": f"{scale:g}",
            })
        manifest = write_manifest(rows, out_dir / "manifest.csv")
        (out_dir / "sources.txt").write_text("\n".join(package_versions(work)) + "\n")
        n_val = sum(r["split"] == "val" for r in rows)
        log(f"candidates {n_seen}, kept {len(rows)} (train {len(rows) - n_val}, val {n_val}) -> {manifest}")
        return manifest
    finally:
        if tmp is not None:
            tmp.cleanup()


def export_compact(photo_dir: Path, dest: Path, *, max_mb: float = 40.0, quality: int = 95,
                   log=print) -> int:
    """Compact copy for shipping: dest/train/*.jpg (JPEG ``quality``) and
    dest/val/*.png (lossless) plus the manifest.  If the total exceeds
    ``max_mb`` the train JPEGs are re-encoded at decreasing long-side caps.
    Returns the total size in bytes."""
    photo_dir, dest = Path(photo_dir), Path(dest)
    for sub in ("train", "val"):
        shutil.rmtree(dest / sub, ignore_errors=True)
        (dest / sub).mkdir(parents=True)
    val_bytes = 0
    for p in sorted((photo_dir / "val").glob("*.png")):
        shutil.copyfile(p, dest / "val" / p.name)
        val_bytes += p.stat().st_size
    if (photo_dir / "manifest.csv").exists():
        with open(photo_dir / "manifest.csv", newline="") as f:
            rows = list(csv.DictReader(f))
        for r in rows:
            if r["split"] == "train":
                r["file"] = str(Path(r["file"]).with_suffix(".jpg"))
        write_manifest(rows, dest / "manifest.csv")
    extra = (dest / "manifest.csv").stat().st_size if (dest / "manifest.csv").exists() else 0
    train = sorted((photo_dir / "train").glob("*.png"))
    budget = max_mb * 1e6
    for cap in (None, 1280, 1024, 896, 768):
        total = val_bytes + extra
        for p in train:
            with Image.open(p) as im:
                im = im.convert("RGB")
                if cap and max(im.size) > cap:
                    f = max(im.size) / cap
                    im = Image.fromarray(downscale(np.asarray(im), f))
                out = dest / "train" / (p.stem + ".jpg")
                im.save(out, format="JPEG", quality=quality, subsampling=0, optimize=True)
                total += out.stat().st_size
        if total <= budget:
            log(f"compact copy: {len(train)} train jpg + val png = {total / 1e6:.1f} MB "
                f"(train long side cap: {cap or 'none'})")
            return total
    raise RuntimeError(f"compact copy still {total / 1e6:.1f} MB > {max_mb} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m deblur_app.training.photos",
                                 description="Build the sharp-photo training set.")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--val-fraction", type=float, default=0.12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work-dir", type=Path, default=None,
                    help="cache for downloaded packages (default: temporary dir)")
    ap.add_argument("--contact-sheet", type=Path, default=None,
                    help="also write a thumbnail grid of the kept photos to this PNG")
    ap.add_argument("--compact-copy", type=Path, default=None,
                    help="also write a small copy (train JPEG q95, val PNG) here")
    ap.add_argument("--compact-max-mb", type=float, default=40.0)
    a = ap.parse_args(argv)
    manifest = prepare_photos(a.out_dir, val_fraction=a.val_fraction, seed=a.seed,
                              work_dir=a.work_dir)
    if a.contact_sheet:
        files = sorted((a.out_dir / "train").glob("*.png")) + sorted((a.out_dir / "val").glob("*.png"))
        contact_sheet(files, a.contact_sheet)
    if a.compact_copy:
        export_compact(a.out_dir, a.compact_copy, max_mb=a.compact_max_mb)
    print(manifest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
