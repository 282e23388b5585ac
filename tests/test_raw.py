"""Camera RAW photos: developed by LibRaw (never read as their embedded preview), deblurred, and
saved as a 16-bit TIFF with the camera's EXIF; fake and truncated RAW files are one-line errors."""

from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deblur_app import imagefiles
from deblur_app.cli.main import main
from deblur_app.imagefiles import raw as camera_raw
from deblur_app.jobs.naming import batch_pairs, default_output
from rawfiles import CAMERA, assert_camera_exif, dng_bytes, exif_of, rawpy_development, write_dng



# guikit's seeded MIMO-UNet weights (weights_dir) are the installed ones
pytestmark = pytest.mark.usefixtures("installed_weights")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------------------- reading


def test_a_dng_is_developed_like_rawpy_does_it_with_the_camera_white_balance(tmp_path):
    path = write_dng(tmp_path / "shot.dng", height=96, width=128)
    loaded = imagefiles.load_image(path)
    assert loaded.format == "RAW" and loaded.bit_depth == 16 and loaded.pixels.shape == (96, 128, 3)
    expected = rawpy_development(path).astype(np.float32) / 65535
    assert np.abs(loaded.pixels - expected).max() < 1e-6
    # the scene is neutral on average; without the camera's white balance (R x0.5, B x0.7) it is not
    means = loaded.pixels.mean(axis=(0, 1))
    assert means.max() / means.min() < 1.25


@pytest.mark.parametrize("orientation, shape", [(1, (64, 96, 3)), (6, (96, 64, 3)), (8, (96, 64, 3)), (3, (64, 96, 3))])
def test_the_camera_orientation_is_applied(tmp_path, orientation, shape):
    upright = imagefiles.load_image(write_dng(tmp_path / "a.dng", height=64, width=96)).pixels
    turned = imagefiles.load_image(write_dng(tmp_path / "b.dng", height=64, width=96, orientation=orientation))
    assert turned.pixels.shape == shape and turned.orientation == orientation
    expected = {1: upright, 6: np.rot90(upright, -1), 8: np.rot90(upright, 1), 3: upright[::-1, ::-1]}[orientation]
    assert np.abs(turned.pixels - expected).max() < 2 / 255


def test_a_raw_file_is_recognised_by_its_content_whatever_its_name(tmp_path):
    """A DNG named .tif or .jpg is still developed, not handed to Pillow (which reads its preview)."""
    data = dng_bytes(height=64, width=96)
    for name in ("disguised.tif", "disguised.jpg", "noextension"):
        path = tmp_path / name
        path.write_bytes(data)
        assert imagefiles.is_raw(path)
        loaded = imagefiles.load_image(path)
        assert loaded.format == "RAW" and loaded.pixels.shape == (64, 96, 3)
    assert camera_raw.looks_like_raw(b"II*\0\x08\0\0\0" + b"\0" * 16) is False  # an empty TIFF is no RAW
    photo = tmp_path / "plain.tif"
    imagefiles.save_image(photo, np.zeros((8, 8, 3), np.float32))
    assert not imagefiles.is_raw(photo) and imagefiles.load_image(photo).format == "TIFF"


def test_a_raw_whose_first_image_is_a_preview_is_never_read_as_the_preview(tmp_path):
    """NEF, ARW, KDC...: IFD0 is an 8-bit preview Pillow can read; the photo is the sensor data."""
    from rawfiles import Ifd, tiff_bytes, LONG, SHORT

    sensor_dng = dng_bytes(height=64, width=96, preview=False)
    path = tmp_path / "camera.kdc"
    path.write_bytes(sensor_dng)
    assert imagefiles.load_image(path).pixels.shape == (64, 96, 3)
    # the same preview-first layout with a .tif name: found by the CFA sub-image
    preview = Ifd(blob=bytes(16 * 12 * 3))
    for tag, typ, value in ((254, LONG, 1), (256, LONG, 16), (257, LONG, 12), (258, SHORT, (8, 8, 8)), (259, SHORT, 1),
                            (262, SHORT, 2), (273, LONG, 0), (277, SHORT, 3), (278, LONG, 12), (279, LONG, 16 * 12 * 3)):
        preview.put(tag, typ, value)
    cfa = Ifd()
    cfa.put(262, SHORT, 32803)
    preview.put(330, LONG, cfa)
    assert camera_raw.looks_like_raw(tiff_bytes(preview))


def _encoded(format: str) -> bytes:
    import io

    out = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 40, 10)).save(out, format)
    return out.getvalue()


@pytest.mark.parametrize("name, content, reason", [
    ("cut.nef", lambda: dng_bytes()[:15000], "truncated or damaged"),
    ("fake.cr2", lambda: b"this is not a photo\n" * 40, "not a camera RAW file"),
    ("text.dng", lambda: b"II*\0" + b"\xff" * 400, "RAW"),
    # a JPEG renamed .cr2 was "not a camera RAW file, or a camera LibRaw does not support": it says what it is
    ("renamed.cr2", lambda: _encoded("JPEG"), "a JPEG image named like a camera RAW file, not a RAW file; rename it to "
                                              ".jpg to open it"),
    ("renamed.NEF", lambda: _encoded("PNG"), "a PNG image named like a camera RAW file, not a RAW file; rename it to "
                                             ".png to open it"),
])
def test_fake_and_truncated_raw_files_are_one_line_errors(tmp_path, capfd, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content())
    with pytest.raises(imagefiles.ImageFileError) as caught:
        imagefiles.load_image(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and reason in message and "\n" not in message
    assert capfd.readouterr().err == ""  # LibRaw's own "Unexpected end of file" is not printed
    assert imagefiles.raw_problem(path) == message
    assert imagefiles.load_thumbnail(path, 64) is None or name == "cut.nef"  # a cut file may keep its preview


def test_other_stderr_output_during_a_development_is_passed_on(tmp_path, capfd):
    with camera_raw.libraw_quiet():
        import os

        os.write(2, b"somebody else's message\n")
        os.write(2, b"unknown file: Unexpected end of file\n")
    assert capfd.readouterr().err == "somebody else's message\n"


def test_the_camera_exif_is_read_from_the_raw_container(tmp_path):
    loaded = imagefiles.load_image(write_dng(tmp_path / "shot.dng", orientation=6))
    exif = Image.Exif()
    exif.load(loaded.exif)
    assert exif[271] == CAMERA["make"] and exif[0x0112] == 1
    assert exif.get_ifd(0x8769)[42036] == CAMERA["lens"]
    assert exif.get_ifd(0x8825)[1] == "N"


def test_reduced_decode_for_scans_is_half_size_from_the_sensor_data(tmp_path):
    path = write_dng(tmp_path / "shot.dng", height=96, width=128, orientation=6)
    reduced = imagefiles.load_reduced(path, max_side=1000)
    assert reduced.shape == (64, 48, 3) and reduced.dtype == np.float32
    full = imagefiles.load_image(path).pixels
    # the same development at half the size: close to the full one shrunk
    import cv2

    assert np.abs(cv2.resize(full, (48, 64), interpolation=cv2.INTER_AREA) - reduced).mean() < 0.03
    assert imagefiles.load_reduced(path, max_side=32).shape == (32, 24, 3)


# ----------------------------------------------------------------------------- thumbnails


def test_thumbnails_are_the_embedded_previews_upright(tmp_path):
    path = write_dng(tmp_path / "shot.dng", height=96, width=128, orientation=6)
    thumb = imagefiles.load_thumbnail(path, 64)
    assert thumb.shape == (32, 24, 3) and thumb.dtype == np.uint8  # the 32x24 preview, turned upright
    without = write_dng(tmp_path / "bare.dng", height=96, width=128, preview=False)
    assert imagefiles.load_thumbnail(without, 64).shape == (48, 64, 3)  # developed at half size instead


@pytest.mark.slow
def test_a_hundred_raw_thumbnails_take_under_five_seconds(tmp_path):
    data = dng_bytes(height=512, width=768)
    paths = []
    for index in range(100):
        paths.append(tmp_path / f"IMG_{index:04d}.DNG")
        paths[-1].write_bytes(data)
    started = time.perf_counter()
    thumbs = [imagefiles.load_thumbnail(path, 128) for path in paths]
    seconds = time.perf_counter() - started
    assert all(t is not None and t.shape == (85, 128, 3) for t in thumbs)
    assert seconds < 5, f"{seconds:.1f} s for 100 RAW thumbnails"


# ----------------------------------------------------------------------------- saving


def test_a_raw_photo_is_saved_as_a_16_bit_tiff_beside_it_never_with_a_raw_name(tmp_path):
    source = tmp_path / "IMG_0001.NEF"
    assert default_output(source) == tmp_path / "IMG_0001_deblurred.tif"
    assert imagefiles.output_suffix_for(source) == ".tif"
    with pytest.raises(imagefiles.ImageFileError, match="camera RAW files are never written"):
        imagefiles.output_format_for(tmp_path / "out.nef")
    (tmp_path / "sub").mkdir()
    write_dng(tmp_path / "sub" / "a.ARW", height=32, width=32)
    pairs = batch_pairs(tmp_path, tmp_path / "out", recursive=True)
    assert [(s.name, t.name) for s, t in pairs] == [("a.ARW", "a_deblurred.tif")]


def test_goal_raw_from_the_command_line_is_a_16_bit_tiff_with_rawpys_pixels_and_the_camera_exif(tmp_path):
    source = write_dng(tmp_path / "DSC_0042.NEF", height=96, width=128, orientation=6)
    before = digest(source)
    assert main(["deblur", str(source), "--strength", "0", "--device", "cpu"]) == 0
    output = tmp_path / "DSC_0042_deblurred.tif"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["DSC_0042.NEF", "DSC_0042_deblurred.tif"]
    with Image.open(output) as im:
        assert im.format == "TIFF"
    saved = imagefiles.load_image(output)
    assert saved.bit_depth == 16 and saved.pixels.shape == (128, 96, 3)
    expected = rawpy_development(source).astype(np.float64) / 65535
    assert np.abs(saved.pixels - expected).max() <= 1 / 255
    assert_camera_exif(output)
    assert digest(source) == before


@pytest.mark.parametrize("suffix, depth", [(".png", 16), (".jpg", 8)])
def test_raw_to_png_or_jpeg_when_asked_keeps_the_exif(tmp_path, suffix, depth):
    source = write_dng(tmp_path / "shot.dng", height=64, width=64)
    target = tmp_path / f"out{suffix}"
    assert main(["deblur", str(source), "-o", str(target), "--strength", "0"]) == 0
    saved = imagefiles.load_image(target)
    assert saved.bit_depth == depth
    difference = np.abs(saved.pixels - rawpy_development(source) / 65535)
    if depth == 16:
        assert difference.max() <= 1 / 255
    else:  # JPEG is lossy
        assert difference.mean() < 5 / 255
    ifd0, exif, _gps = exif_of(target)
    assert ifd0[272] == CAMERA["model"] and exif[42036] == CAMERA["lens"]


def test_bad_raw_files_are_one_line_cli_errors_before_the_model_loads(tmp_path, capfd, monkeypatch):
    good = write_dng(tmp_path / "good.dng", height=32, width=32)
    cut = tmp_path / "cut.cr2"
    cut.write_bytes(dng_bytes()[:15000])
    fake = tmp_path / "fake.nef"
    fake.write_bytes(b"nothing to see here " * 30)
    assert main(["deblur", str(cut), str(fake), str(good)]) == 1
    err_lines = capfd.readouterr().err.strip().splitlines()
    cut_lines = [line for line in err_lines if "cut.cr2" in line]
    fake_lines = [line for line in err_lines if "fake.nef" in line]
    assert len(cut_lines) == 1 and "truncated or damaged" in cut_lines[0]
    assert len(fake_lines) == 1 and "not a camera RAW file" in fake_lines[0]
    assert not any("Unexpected end of file" in line or "Traceback" in line for line in err_lines)
    assert (tmp_path / "good_deblurred.tif").exists()
    assert not (tmp_path / "cut_deblurred.tif").exists() and not (tmp_path / "fake_deblurred.tif").exists()

    from deblur_app import jobs

    monkeypatch.setattr(jobs, "load_model", lambda *a, **k: pytest.fail("the model loaded for bad inputs"))
    assert main(["deblur", str(cut), str(fake)]) == 1


def test_batch_picks_up_raw_files_and_goes_on_past_bad_ones(tmp_path, capfd):
    photos = tmp_path / "card"
    photos.mkdir()
    write_dng(photos / "a.dng", height=32, width=48)
    write_dng(photos / "B.CR2", height=32, width=48)
    (photos / "c.nef").write_bytes(dng_bytes()[:12000])
    out = tmp_path / "out"
    assert main(["batch", str(photos), str(out), "--strength", "0"]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["B_deblurred.tif", "a_deblurred.tif"]
    assert "c.nef: RAW file is truncated or damaged" in capfd.readouterr().err
    assert imagefiles.load_image(out / "a_deblurred.tif").bit_depth == 16


def test_without_rawpy_a_raw_file_is_a_one_line_error_naming_the_package(tmp_path, monkeypatch):
    path = write_dng(tmp_path / "shot.dng", height=32, width=32)
    monkeypatch.setitem(sys.modules, "rawpy", None)  # where rawpy has no wheel
    with pytest.raises(imagefiles.ImageFileError, match=r"shot.dng: camera RAW files need the package rawpy"):
        imagefiles.load_image(path)
    assert imagefiles.load_thumbnail(path, 64) is None
    assert "pip install rawpy" in imagefiles.raw_problem(path)


def test_eval_real_develops_raw_files_and_names_a_bad_one(tmp_path, capfd):
    pytest.importorskip("skimage")
    real = tmp_path / "real"
    real.mkdir()
    write_dng(real / "night.dng", height=64, width=96)
    (real / "cut.NEF").write_bytes(dng_bytes()[:12000])
    table, sheets = tmp_path / "real.csv", tmp_path / "sheets"
    code = main(["eval", "--real", str(real), "--csv", str(table), "--sheet", str(sheets), "--device", "cpu"])
    err = capfd.readouterr().err
    assert code == 1 and "cut.NEF: RAW file is truncated or damaged" in err and "Unexpected end" not in err
    rows = table.read_text().splitlines()
    assert rows[1].startswith("night.dng,") and rows[2].startswith("MEDIAN")
    sheet = imagefiles.load_image(sheets / "night_input_output.png").pixels[:64]  # a caption band lies below
    assert np.abs(sheet[:, :96] - rawpy_development(real / "night.dng") / 65535).max() <= 1 / 255


def test_the_smallest_big_enough_preview_is_decoded_not_the_largest(tmp_path):
    """Cameras embed a full-size JPEG and smaller ones; the filmstrip decodes a small one."""
    black_full_size = np.zeros((96, 128, 3), np.uint8)
    white_small = np.full((30, 40, 3), 255, np.uint8)
    path = write_dng(tmp_path / "shot.nef", height=96, width=128, orientation=6, preview=False,
                     extra_previews=(black_full_size, white_small))
    thumb = imagefiles.load_thumbnail(path, 32)
    assert thumb.shape == (32, 24, 3) and thumb.min() > 200  # the white 40x30 one, turned upright
    thumb = imagefiles.load_thumbnail(path, 64)  # the small one is too small: the full-size one
    assert thumb.shape == (64, 48, 3) and thumb.max() < 50


def test_info_names_rawpy_and_libraw(capsys):
    import rawpy

    assert main(["info"]) == 0
    libraw = ".".join(str(part) for part in rawpy.libraw_version)
    assert f"rawpy {rawpy.__version__} (LibRaw {libraw})" in capsys.readouterr().out


def test_the_megapixel_limit_refuses_a_raw_file_before_its_sensor_data_is_read(tmp_path):
    path = write_dng(tmp_path / "big.dng", height=96, width=128)
    with pytest.raises(imagefiles.ImageFileError, match=r"big.dng: 0.0123 megapixels exceeds the limit of 0.01 megapixels"):
        imagefiles.load_image(path, max_pixels=10_000)
    with pytest.raises(imagefiles.ImageFileError, match="exceeds the limit"):
        imagefiles.load_reduced(path, max_pixels=10_000)
    assert imagefiles.load_image(path, max_pixels=20_000).pixels.shape == (96, 128, 3)
    # a cut file over the limit is refused for its size: its (missing) sensor data was never read
    cut = tmp_path / "cut.dng"
    cut.write_bytes(path.read_bytes()[:15000])
    with pytest.raises(imagefiles.ImageFileError, match="exceeds the limit"):
        imagefiles.load_image(cut, max_pixels=10_000)


def test_exifread_warnings_about_a_damaged_field_do_not_reach_the_terminal():
    """Run apart from pytest, whose own logging handlers would hide Python's last-resort printing."""
    import subprocess

    warn = "import logging; logging.getLogger('exifread').warning('Possibly corrupted field Tag 0x1234')"
    plain = subprocess.run([sys.executable, "-c", warn], capture_output=True, text=True)
    assert "Possibly corrupted" in plain.stderr  # what would reach the terminal without the app's handler
    app = subprocess.run([sys.executable, "-c", "import deblur_app.imagefiles.rawexif; " + warn],
                         capture_output=True, text=True)
    assert app.returncode == 0 and app.stderr == ""
