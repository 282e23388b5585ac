"""deblur-app eval --real: no-reference sharpness change and contact sheets, on synthetic photos."""

import csv
import sys

import cv2
import numpy as np
import pytest
from skimage.measure import blur_effect as skimage_blur_effect

from deblur_app.cli.main import main
from deblur_app.training.real_photos import SHEET_GAP, luma, measure, side_by_side


def _edges(height=96, width=128, seed=0):
    """Sharp-edged blocks of colour: what blur visibly softens."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 0.5, np.float32)
    for _ in range(25):
        top, left = rng.integers(0, height - 8), rng.integers(0, width - 8)
        image[top : top + rng.integers(4, 30), left : left + rng.integers(4, 30)] = rng.random(3)
    return image


def _soft(image, sigma=2.0):
    return cv2.GaussianBlur(image, (0, 0), sigma)


def test_measures_tell_sharper_from_softer():
    sharp = _edges()
    soft = _soft(sharp)
    sharpened = measure("p", soft, sharp)
    assert sharpened.sharper and sharpened.blur_effect_ratio < 0.8 and sharpened.fine_detail_ratio > 2
    assert sharpened.input_blur_effect == pytest.approx(skimage_blur_effect(luma(soft)))
    softened = measure("p", sharp, soft)
    assert not softened.sharper and softened.blur_effect_ratio > 1.2 and softened.fine_detail_ratio < 0.5
    unchanged = measure("p", sharp, sharp.copy())
    assert unchanged.blur_effect_ratio == 1 and unchanged.fine_detail_ratio == 1 and not unchanged.sharper


def test_contact_sheet_puts_input_left_and_output_right():
    before, after = _edges(seed=1), _edges(seed=2)
    sheet = side_by_side(before, after)
    assert sheet.shape == (96, 2 * 128 + SHEET_GAP, 3)
    np.testing.assert_array_equal(sheet[:, :128], before)
    np.testing.assert_array_equal(sheet[:, 128 + SHEET_GAP :], after)
    assert (sheet[:, 128 : 128 + SHEET_GAP] == 1).all()


@pytest.fixture
def real_dir(tmp_path):
    folder = tmp_path / "real"
    (folder / "phone").mkdir(parents=True)
    for path, seed in ((folder / "street.png", 3), (folder / "phone" / "street.png", 4)):
        cv2.imwrite(str(path), np.rint(_soft(_edges(seed=seed), 1.5) * 255).astype(np.uint8))
    return folder


def _rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_eval_real_reports_each_photo_and_writes_contact_sheets(real_dir, tmp_path, capsys):
    sheets, table = tmp_path / "sheets", tmp_path / "real.csv"
    (real_dir / "broken.jpg").write_bytes(b"not a jpeg")
    originals = {p: p.read_bytes() for p in real_dir.rglob("*") if p.is_file()}
    code = main(["eval", "--real", str(real_dir), "--sheet", str(sheets), "--csv", str(table), "--device", "cpu",
                 "--precision", "fp32"])
    output = capsys.readouterr()
    assert code == 1  # the broken file is reported on one line and the others are still evaluated
    assert "broken.jpg" in output.err and "Traceback" not in output.err
    rows = _rows(table)
    assert [r["image"] for r in rows] == ["phone/street.png", "street.png", "MEDIAN"]
    assert "2 real photos" in output.out and "blur_effect out/in median" in output.out
    for row in rows[:2]:
        source = real_dir / row["image"]
        sheet_file = sheets / source.relative_to(real_dir).parent / "street_input_output.png"
        sheet = cv2.imread(str(sheet_file))
        caption = sheet[96:]  # a band below the pictures names the photo and gives its numbers
        assert caption.shape[0] >= 16 and (caption < 128).any() and (caption > 200).mean() > 0.5
        sheet = sheet[:96]
        np.testing.assert_array_equal(sheet[:, :128], cv2.imread(str(source)))
        sheet = cv2.cvtColor(sheet, cv2.COLOR_BGR2RGB).astype(np.float32) / 255
        before, after = sheet[:, :128], sheet[:, 128 + SHEET_GAP :]
        assert not np.array_equal(before, after)  # the network did something
        # the numbers are those of the pictures on the sheet (which is 8-bit, hence approx)
        again = measure(row["image"], before, after)
        assert float(row["blur_effect_ratio"]) == pytest.approx(again.blur_effect_ratio, rel=0.02)
        assert float(row["fine_detail_ratio"]) == pytest.approx(again.fine_detail_ratio, rel=0.05)
        assert row["sharper"] == str(int(again.sharper))
    ratios = [float(r["blur_effect_ratio"]) for r in rows[:2]]
    assert float(rows[2]["blur_effect_ratio"]) == pytest.approx(np.median(ratios))
    assert all(p.read_bytes() == data for p, data in originals.items())


def test_eval_real_at_zero_strength_changes_nothing(real_dir, tmp_path):
    table = tmp_path / "none.csv"
    assert main(["eval", "--real", str(real_dir), "--csv", str(table), "--device", "cpu", "--strength", "0"]) == 0
    rows = _rows(table)
    assert len(rows) == 3 and all(float(r["blur_effect_ratio"]) == 1 for r in rows)
    assert all(float(r["fine_detail_ratio"]) == 1 for r in rows) and rows[2]["sharper"] == "0.0"


def test_eval_real_refuses_bad_options_before_any_work(real_dir, tmp_path, capsys, monkeypatch):
    def refused(*options, code=2):
        assert main(["eval", *options, "--csv", str(tmp_path / "x.csv"), "--device", "cpu"]) == code
        return capsys.readouterr().err

    assert "--sheet needs --real" in refused("--valset", str(tmp_path / "v.npz"), "--sheet", str(tmp_path / "s"))
    assert "must be outside" in refused("--real", str(real_dir), "--sheet", str(real_dir / "sheets"))
    (tmp_path / "alias").symlink_to(real_dir)
    assert "must be outside" in refused("--real", str(real_dir), "--sheet", str(tmp_path / "alias"))
    assert "no such folder" in refused("--real", str(tmp_path / "nowhere"))
    monkeypatch.setitem(sys.modules, "skimage.measure", None)  # as if scikit-image were not installed
    error = refused("--real", str(real_dir), code=1)
    assert "needs scikit-image" in error and "pip install" in error and "Traceback" not in error
    assert not (tmp_path / "x.csv").exists() and not (real_dir / "sheets").exists()
    assert sorted(p.name for p in real_dir.rglob("*")) == ["phone", "street.png", "street.png"]


def test_eval_real_with_sheets_writes_its_table_beside_them_and_captions_name_the_numbers(real_dir, tmp_path,
                                                                                         capsys, monkeypatch):
    from deblur_app.training.real_photos import RealPhotoChange, caption_of

    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    sheets = tmp_path / "sheets"
    assert main(["eval", "--real", str(real_dir), "--sheet", str(sheets), "--device", "cpu", "--limit", "1"]) == 0
    assert (sheets / "eval.csv").is_file() and not (elsewhere / "eval.csv").exists()
    assert f"wrote {sheets / 'eval.csv'} and contact sheets in {sheets}" in capsys.readouterr().out
    caption = caption_of(RealPhotoChange("lai/boy.jpg", 0.412, 0.366, 1.31))
    assert caption == ("lai/boy.jpg   left: input, right: output   blur_effect 0.412 -> 0.366 (x0.888)"
                       "   fine detail x1.31")
