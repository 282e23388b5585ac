"""Building the set: candidates -> filter -> split -> PNGs, manifest and sources list;
plus a contact sheet for eyeballing and a compact copy for shipping."""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import math
import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from . import fetching
from .fetching import Candidate, package_versions
from .filtering import ahash, downscale, near_duplicate, process_image, tiny, to_rgb8
from .sources import ALLOW_FLAT, denied
from .splitting import assign_splits

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
    with _work_folder(work_dir) as work:
        kept, n_seen = _select_photos(work, log)
        rows = _write_photos(kept, out_dir, val_fraction, seed)
        manifest = write_manifest(rows, out_dir / "manifest.csv")
        (out_dir / "sources.txt").write_text("\n".join(package_versions(work)) + "\n")
    n_val = sum(r["split"] == "val" for r in rows)
    log(f"candidates {n_seen}, kept {len(rows)} (train {len(rows) - n_val}, val {n_val}) -> {manifest}")
    return manifest


@contextlib.contextmanager
def _work_folder(work_dir: Path | None):
    """``work_dir`` (created), or a temporary folder removed afterwards."""
    if work_dir is not None:
        work = Path(work_dir)
        work.mkdir(parents=True, exist_ok=True)
        yield work
        return
    with tempfile.TemporaryDirectory(prefix="deblur_photos_") as tmp:
        os.chmod(tmp, 0o755)  # let apt's _apt user write its downloads
        yield Path(tmp)


Kept = tuple[Candidate, np.ndarray, float]  # the candidate, its processed pixels, its scale


def _select_photos(work: Path, log) -> tuple[list[Kept], int]:
    """The candidates that pass the licence, quality and near-duplicate checks (the larger of two
    near-duplicates wins), and how many candidates were seen."""
    kept: list[Kept] = []
    hashes: list[tuple[tuple[np.ndarray, np.ndarray], int, int]] = []  # (hash, pixels, index in kept)
    n_seen = 0
    for cand in fetching.iter_candidates(work, log):
        n_seen += 1
        processed = _processed(cand, kept, log)
        if processed is None:
            continue
        rgb, scale, st = processed
        # near-duplicate check (same photo at several resolutions / packages)
        hsh = (ahash(rgb), tiny(rgb))
        dup = next((j for j, (hh, _px, _idx) in enumerate(hashes) if near_duplicate(hh, hsh)), None)
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
    return kept, n_seen


def _processed(cand: Candidate, kept: list[Kept], log):
    """(pixels, scale, stats) of a candidate that may be used and passes the quality checks, else None (logged)."""
    why = denied(cand.name)
    if why:
        log(f"  deny   {cand.name}: {why}")
        return None
    base_name = cand.name
    if any(k[0].name == cand.name for k in kept):
        cand.stem = f"{cand.stem}_{hashlib.sha1(cand.original_path.encode()).hexdigest()[:6]}"
    cand.meta["group_name"] = base_name
    try:
        img = cand.load()
        img.load()
    except Exception as e:  # unreadable / unsupported file
        log(f"  skip   {cand.name}: unreadable ({e})")
        return None
    rgb, scale, why, st = process_image(img, relaxed=base_name in ALLOW_FLAT, rotate=int(cand.meta.get("rotate", 0)))
    if rgb is None:
        log(f"  reject {cand.name}: {why}")
        return None
    return rgb, scale, st


def _write_photos(kept: list[Kept], out_dir: Path, val_fraction: float, seed: int) -> list[dict]:
    """Split the kept photos into train and val (replacing the PNGs of an earlier build); the manifest's rows."""
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
    return rows


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
    ap = argparse.ArgumentParser(prog="python -m deblur_app.training.photoset",
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
