"""Fetching the sources with their ordinary clients (``apt-get download``, ``pip
download``), unpacking without installing (``dpkg -x`` / ``zipfile``) and listing the
candidate images with their licences."""

from __future__ import annotations

import fnmatch
import io
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from PIL import Image

from .licences import skimage_license, sklearn_license, deb_license_info, license_for, wheel_main_license
from .sources import DEB_SOURCES, EXCLUDE_PATHS, IMAGE_EXTS, WHEEL_SOURCES, output_stem

# Wallpapers are legitimately huge; these files come from the fixed source list only.
Image.MAX_IMAGE_PIXELS = None


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
            lic = skimage_license(z, n, main)
        elif dist == "scikit-learn":
            lic = sklearn_license(z, n, main)
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
