"""Offline tests for the sharp-photo training-set builder."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deblur_app.training import photoset as P
from deblur_app.training.photoset import fetching


def _textured(h=320, w=480, seed=0) -> np.ndarray:
    """Photo-like: smooth colour field + multi-scale texture + sensor noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    ph = rng.uniform(0, 2 * np.pi, 3)
    fr = rng.uniform(15, 60, 3)
    base = np.stack([80 + 60 * np.sin(xx / fr[0] + ph[0]), 110 + 50 * np.cos(yy / fr[1] + ph[1]),
                     90 + 40 * np.sin((xx - yy) / fr[2] + ph[2])], axis=-1)
    tex = rng.normal(0, 1, (h // 4, w // 4, 3)).astype(np.float32)
    tex = np.kron(tex, np.ones((4, 4, 1), np.float32)) * 18
    noise = rng.normal(0, 4, (h, w, 3)).astype(np.float32)
    return np.clip(base + tex + noise, 0, 255).astype(np.uint8)


def _gradient(h=320, w=480) -> np.ndarray:
    x = np.linspace(0, 255, w, dtype=np.float32)
    g = np.broadcast_to(x, (h, w))
    return np.stack([g, 255 - g, np.full_like(g, 128)], axis=-1).astype(np.uint8)


def _flat_shapes(h=320, w=480) -> np.ndarray:
    a = np.full((h, w, 3), (200, 40, 40), np.uint8)
    a[50:200, 100:300] = (20, 160, 220)
    a[220:300, 20:120] = (250, 250, 0)
    return a


def test_filter_rejects_gradient_and_flat_art():
    assert P.reject_reason(P.photo_stats(_gradient())) is not None
    assert P.reject_reason(P.photo_stats(_flat_shapes())) is not None


def test_filter_rejects_posterised_and_grayscale():
    rgb = _textured()
    poster = (rgb // 48) * 48  # strong banding / few colours
    assert P.reject_reason(P.photo_stats(poster)) is not None
    gray = np.repeat(rgb.mean(-1, keepdims=True).astype(np.uint8), 3, axis=-1)
    assert "grayscale" in P.reject_reason(P.photo_stats(gray))


def test_filter_accepts_noisy_texture():
    assert P.reject_reason(P.photo_stats(_textured())) is None


def test_filter_rejects_tiny():
    assert "too small" in P.reject_reason(P.photo_stats(_textured(h=120, w=160)))


def test_process_image_transparent_rejected():
    rgba = np.dstack([_textured(), np.full((320, 480), 100, np.uint8)])
    out, _, why, _ = P.process_image(Image.fromarray(rgba, "RGBA"))
    assert out is None and why == "transparent"


def test_choose_scale():
    assert P.choose_scale(5120, 2880) == 4.0          # -> 1280
    assert P.choose_scale(3840, 2160) == 3.0          # -> 1280
    assert P.choose_scale(2560, 1600) == 2.0          # -> 1280
    assert P.choose_scale(800, 600, sharp=3.0) == 1.0  # small and sharp
    assert P.choose_scale(800, 600, sharp=1.2) == 2.0  # small and soft -> halve
    assert P.choose_scale(400, 300, sharp=1.2) == 0.0  # drop
    assert P.choose_scale(12000, 8000) > 4.0          # huge -> long side ~1600
    assert round(12000 / P.choose_scale(12000, 8000)) <= 1600


def test_process_image_downscales_large():
    big = np.kron(_textured(h=400, w=640), np.ones((4, 4, 1), np.uint8))  # 1600x2560
    big = np.clip(big.astype(np.int16) + np.random.default_rng(1).normal(0, 3, big.shape), 0, 255)
    out, scale, why, st = P.process_image(Image.fromarray(big.astype(np.uint8)))
    assert scale == 2.0 and out is not None and out.shape == (800, 1280, 3), why


def test_names_and_deny_list():
    assert P.output_stem("mate-backgrounds", "Green Meadow!") == "mate-backgrounds__Green_Meadow"
    assert P.denied("mate-backgrounds__Elephants_3840x2160")
    assert P.denied("kphotoalbum__skagen") is None
    assert P.group_key("kphotoalbum__bar55_2") == P.group_key("kphotoalbum__bar55")
    assert P.group_key("opencv-doc__aloeL") == P.group_key("opencv-doc__aloeR")
    assert P.group_key("opencv-doc__left") == P.group_key("opencv-doc__right")
    assert P.group_key("kphotoalbum__grand_canyon_3") == "kphotoalbum__grand_canyon"
    assert P.group_key("mate-backgrounds__Garden") == "mate-backgrounds__garden"


def test_split_deterministic_disjoint_grouped():
    names = [f"pkg__x{i:03d}y_{s}" for i in range(200) for s in ("left", "right")]
    a = P.assign_splits(names, val_fraction=0.12, seed=0)
    b = P.assign_splits(list(reversed(names)), val_fraction=0.12, seed=0)
    assert a == b
    val = {n for n, s in a.items() if s == "val"}
    train = {n for n, s in a.items() if s == "train"}
    assert val and train and not (val & train) and len(val | train) == len(names)
    # both views of a pair land in the same split
    for i in range(200):
        assert a[f"pkg__x{i:03d}y_left"] == a[f"pkg__x{i:03d}y_right"]
    assert 0.05 < len(val) / len(names) < 0.2
    c = P.assign_splits(names, val_fraction=0.12, seed=1)
    assert c != a


def test_split_never_empty_val():
    out = P.assign_splits(["a__x", "a__y"], val_fraction=0.01, seed=0)
    assert sorted(out.values()) == ["train", "val"]


def test_manifest_columns(tmp_path: Path):
    rows = [{"file": "train/a__b.png", "split": "train", "source_package": "a", "license": "CC0-1.0",
             "original_path": "a:/x/b.jpg", "original_width": 10, "original_height": 20, "scale": "2"}]
    m = P.write_manifest(rows, tmp_path / "manifest.csv")
    with open(m) as f:
        r = list(csv.reader(f))
    assert r[0] == P.MANIFEST_COLUMNS
    assert r[1][0] == "train/a__b.png"


DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2020 Someone
License: GPL-2+

Files: nature/Aqua.jpg
       nature/Dune.jpg
Copyright: 2020 Someone
License: CC-BY-SA-4.0

Files: desktop/Ubuntu-Mate-*-no-logo.png
License: CC-BY-SA-3.0

License: GPL-2+
 text
"""


def test_dep5_license_matching():
    st = P.parse_dep5(DEP5)
    assert st[0] == (["*"], "GPL-2+")
    rel = "usr/share/backgrounds/mate/nature/Dune.jpg"
    assert P.license_for(rel, st, "GPL-2+") == "CC-BY-SA-4.0"
    assert P.license_for("usr/share/backgrounds/mate/desktop/Ubuntu-Mate-Cold-no-logo.png", st,
                         "GPL-2+") == "CC-BY-SA-3.0"
    assert P.license_for("usr/share/backgrounds/mate/nature/Storm.jpg", st, "GPL-2+") == "GPL-2+"
    assert P.guess_license("under the GNU General Public License version 2, or (at your option) "
                           "any later version") == "GPL-2+"


def test_prepare_photos_offline(tmp_path: Path, monkeypatch):
    """End-to-end on generated images with the fetching step stubbed out."""
    imgs = {
        "alpha": _textured(seed=1), "bravo": _textured(seed=2), "charlie": _textured(seed=3),
        "grad": _gradient(), "shapes": _flat_shapes(),
    }

    def fake_candidates(work, log):
        for k, a in imgs.items():
            yield P.Candidate("fakepkg", k, f"fakepkg:/{k}.png", "CC0-1.0",
                              (lambda a=a: Image.fromarray(a)), a.shape[0] * a.shape[1])

    monkeypatch.setattr(fetching, "iter_candidates", fake_candidates)
    out = tmp_path / "set"
    m = P.prepare_photos(out, val_fraction=0.34, seed=0, work_dir=tmp_path / "w", log=lambda *a: None)
    with open(m) as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0].keys()) == P.MANIFEST_COLUMNS
    names = sorted(Path(r["file"]).stem for r in rows)
    assert names == ["fakepkg__alpha", "fakepkg__bravo", "fakepkg__charlie"]
    for r in rows:
        p = out / r["file"]
        assert p.exists() and p.parent.name == r["split"]
        assert Image.open(p).mode == "RGB"
    assert {r["split"] for r in rows} == {"train", "val"}
    # reproducible
    m2 = P.prepare_photos(out, val_fraction=0.34, seed=0, work_dir=tmp_path / "w", log=lambda *a: None)
    assert Path(m2).read_text() == Path(m).read_text()
