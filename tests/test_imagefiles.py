"""Tests for deblur_app.imagefiles: every image generated in tmp_path."""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps, JpegImagePlugin

from deblur_app import imagefiles as F
from deblur_app.imagefiles import ImageFileError, encoders, load_image, reading, save_image

RNG = np.random.default_rng(1234)


def _rand(h=24, w=32, c=3):
    shape = (h, w, c) if c else (h, w)
    return RNG.random(shape).astype(np.float32)


def _srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif(orientation=1, make="TestCam", model="Model X", date="2024:05:06 07:08:09"):
    ex = Image.Exif()
    ex[274] = orientation
    ex[271] = make
    ex[272] = model
    ex[0x8769] = {0x9003: date}  # DateTimeOriginal
    return ex.tobytes()


def _u8(img):
    return np.rint(np.asarray(img) * 255).astype(np.uint8)


def _listdir(folder: Path):
    return sorted(p.name for p in folder.iterdir())


def _assert_one_line_error(excinfo, name):
    msg = str(excinfo.value)
    assert "\n" not in msg
    assert name in msg
    return msg


# ----------------------------------------------------------------------------- round trips


@pytest.mark.parametrize(
    "ext,depth,tol",
    [
        (".png", 8, 0.5 / 255 + 1e-6),
        (".png", 16, 0.5 / 65535 + 1e-7),
        (".tif", 8, 0.5 / 255 + 1e-6),
        (".tiff", 16, 0.5 / 65535 + 1e-7),
        (".bmp", 8, 0.5 / 255 + 1e-6),
    ],
)
def test_lossless_round_trip(tmp_path, ext, depth, tol):
    x = _rand()
    out = save_image(tmp_path / f"img{ext}", x, bit_depth=depth)
    got = load_image(out)
    assert got.pixels.dtype == np.float32 and got.pixels.shape == x.shape
    assert got.bit_depth == depth
    assert not got.grayscale and got.alpha is None
    assert np.abs(got.pixels - x).max() <= tol
    # a second save at the same depth reproduces the file's integers exactly
    again = load_image(save_image(tmp_path / f"again{ext}", got.pixels, like=got))
    assert again.bit_depth == depth
    assert np.array_equal(again.pixels, got.pixels)


def test_jpeg_round_trip_within_tolerance(tmp_path):
    y, x = np.mgrid[0:64, 0:96].astype(np.float32)
    smooth = np.dstack([x / 95, y / 63, (x + y) / 158])
    got = load_image(save_image(tmp_path / "a.jpg", smooth, quality=95))
    assert got.format == "JPEG" and got.bit_depth == 8
    assert np.abs(got.pixels - smooth).mean() < 0.01


def _pillow_jpeg(pixels, **options) -> Image.Image:
    buffer = io.BytesIO()
    Image.fromarray(_u8(pixels)).save(buffer, "JPEG", **options)
    return Image.open(buffer)


def test_jpeg_from_a_jpeg_keeps_its_quality_subsampling_and_size(tmp_path, photo_like):
    """A 4:2:0 quality-75 photo must not come back as a 4:4:4 quality-95 file at 2-3 times
    its size (issue 11); an explicit quality still wins."""
    source = tmp_path / "camera.jpg"
    Image.fromarray(_u8(photo_like(240, 320))).save(source, quality=75, subsampling=2)
    got = load_image(source)
    changed = np.clip(got.pixels * 1.02, 0, 1)  # as a deblurred photo differs from its source
    out = save_image(tmp_path / "out.jpg", changed, like=got)
    with Image.open(source) as original, Image.open(out) as saved:
        assert JpegImagePlugin.get_sampling(original) == 2
        assert JpegImagePlugin.get_sampling(saved) == 2
        assert saved.quantization == original.quantization
    assert 0.8 < out.stat().st_size / source.stat().st_size < 1.25

    forced = save_image(tmp_path / "q95.jpg", changed, like=got, quality=95)
    with Image.open(forced) as saved:
        assert JpegImagePlugin.get_sampling(saved) == 0
        assert saved.quantization == _pillow_jpeg(changed, quality=95, subsampling=0).quantization
    assert forced.stat().st_size > 1.5 * source.stat().st_size


def test_grayscale_jpeg_keeps_its_one_table(tmp_path, photo_like):
    source = tmp_path / "gray.jpg"
    Image.fromarray(_u8(photo_like(64, 96)[:, :, 0])).save(source, quality=60)
    got = load_image(source)
    out = save_image(tmp_path / "out.jpg", got.pixels, like=got)
    with Image.open(source) as original, Image.open(out) as saved:
        assert saved.mode == "L" and saved.quantization == original.quantization


def test_jpeg_from_other_formats_keeps_quality_95(tmp_path, photo_like):
    png = load_image(save_image(tmp_path / "source.png", photo_like(64, 96)))
    assert png.jpeg is None
    out = save_image(tmp_path / "out.jpg", png.pixels, like=png)
    with Image.open(out) as saved:
        assert JpegImagePlugin.get_sampling(saved) == 0
        assert saved.quantization == _pillow_jpeg(png.pixels, quality=95, subsampling=0).quantization


def test_webp_lossless_and_lossy(tmp_path):
    x = _rand()
    got = load_image(save_image(tmp_path / "a.webp", x, quality=100))
    assert got.format == "WEBP"
    assert np.array_equal(_u8(got.pixels), _u8(x))
    y, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    smooth = np.dstack([xx / 63, y / 63, 0.5 + 0 * y])
    got = load_image(save_image(tmp_path / "b.webp", smooth, quality=90))
    assert np.abs(got.pixels - smooth).mean() < 0.02


def test_sixteen_bit_precision_preserved(tmp_path):
    # values that differ only below the 8-bit level
    ints = (np.arange(24 * 32 * 3, dtype=np.int64) % 7 + 30000).astype(np.uint16).reshape(24, 32, 3)
    x = ints.astype(np.float32) / 65535
    for name in ("p.png", "t.tif"):
        got = load_image(save_image(tmp_path / name, x, bit_depth=16))
        assert got.bit_depth == 16
        assert np.array_equal(np.rint(got.pixels * 65535).astype(np.uint16), ints)
        out = save_image(tmp_path / f"copy_{name}", got.pixels, like=got)
        arr = cv2.imdecode(np.fromfile(out, np.uint8), cv2.IMREAD_UNCHANGED)
        assert arr.dtype == np.uint16
        assert np.array_equal(arr[:, :, ::-1], ints)


def test_sixteen_bit_png_from_opencv_is_rgb_not_bgr(tmp_path):
    ints = np.zeros((4, 5, 3), np.uint16)
    ints[..., 0] = 60000  # red
    ints[..., 2] = 1000  # blue
    ok, buf = cv2.imencode(".png", ints[:, :, ::-1].copy())
    (tmp_path / "rgb16.png").write_bytes(buf.tobytes())
    got = load_image(tmp_path / "rgb16.png")
    assert got.bit_depth == 16 and got.mode == "RGB;16"
    assert np.allclose(got.pixels[0, 0], [60000 / 65535, 0, 1000 / 65535])


def test_default_depth_follows_like_and_format(tmp_path):
    got16 = load_image(save_image(tmp_path / "a.png", _rand(), bit_depth=16))
    assert load_image(save_image(tmp_path / "b.tif", got16.pixels, like=got16)).bit_depth == 16
    assert load_image(save_image(tmp_path / "c.jpg", got16.pixels, like=got16)).bit_depth == 8
    assert load_image(save_image(tmp_path / "d.png", got16.pixels, like=got16, bit_depth=8)).bit_depth == 8
    assert load_image(save_image(tmp_path / "e.png", _rand())).bit_depth == 8


@pytest.mark.parametrize("name", ["a.jpg", "a.webp", "a.bmp"])
def test_sixteen_bit_request_for_8bit_format_is_an_error(tmp_path, name):
    with pytest.raises(ImageFileError) as e:
        save_image(tmp_path / name, _rand(), bit_depth=16)
    msg = _assert_one_line_error(e, name)
    assert "16" in msg
    assert _listdir(tmp_path) == []


def test_values_are_clamped_and_rounded(tmp_path):
    x = np.array([[[-0.5, 1.7, np.nan], [0.5 / 255 + 1e-4, 0.5 / 255 - 1e-4, 254.6 / 255]]], np.float32)
    got = load_image(save_image(tmp_path / "c.png", x))
    assert _u8(got.pixels).tolist() == [[[0, 255, 0], [1, 0, 255]]]


# ----------------------------------------------------------------------------- grayscale, alpha


def test_grayscale_in_grayscale_out(tmp_path):
    g = (RNG.random((20, 30)) * 255).astype(np.uint8)
    Image.fromarray(g).save(tmp_path / "g.png")
    got = load_image(tmp_path / "g.png")
    assert got.grayscale and got.bit_depth == 8 and got.mode == "L"
    assert got.pixels.shape == (20, 30, 3)
    assert np.array_equal(got.pixels[..., 0], got.pixels[..., 2])
    for name in ("o.png", "o.jpg", "o.tif", "o.bmp"):
        out = save_image(tmp_path / name, got.pixels, like=got)
        with Image.open(out) as im:
            assert im.mode == "L", name
        if name != "o.jpg":
            assert np.array_equal(np.asarray(Image.open(out)), g), name
    # WebP has no gray mode: written as RGB, still loads fine
    assert load_image(save_image(tmp_path / "o.webp", got.pixels, like=got, quality=100)).pixels.shape == (20, 30, 3)


def test_grayscale_output_is_luma_of_result(tmp_path):
    Image.fromarray(np.full((4, 4), 100, np.uint8)).save(tmp_path / "g.png")
    got = load_image(tmp_path / "g.png")
    rgb = np.zeros((4, 4, 3), np.float32)
    rgb[..., 1] = 1.0  # pure green
    out = save_image(tmp_path / "o.png", rgb, like=got)
    assert np.asarray(Image.open(out))[0, 0] == round(0.587 * 255)


def test_grayscale_sixteen_bit(tmp_path):
    g = (np.arange(12 * 10, dtype=np.uint16) * 517 + 3).reshape(12, 10)
    Image.fromarray(g).save(tmp_path / "g16.png")  # Pillow writes I;16 PNG
    got = load_image(tmp_path / "g16.png")
    assert got.grayscale and got.bit_depth == 16
    assert np.array_equal(np.rint(got.pixels[..., 1] * 65535).astype(np.uint16), g)
    for name in ("o.png", "o.tif"):
        out = save_image(tmp_path / name, got.pixels, like=got)
        arr = cv2.imdecode(np.fromfile(out, np.uint8), cv2.IMREAD_UNCHANGED)
        assert arr.ndim == 2 and arr.dtype == np.uint16, name
        assert np.array_equal(arr, g), name
        back = load_image(out)
        assert back.grayscale and back.bit_depth == 16


def test_alpha_passes_through_exactly_8bit(tmp_path):
    rgba = (RNG.random((16, 20, 4)) * 255).astype(np.uint8)
    Image.fromarray(rgba).save(tmp_path / "a.png")
    got = load_image(tmp_path / "a.png")
    assert got.alpha is not None and got.alpha.dtype == np.float32 and got.alpha.shape == (16, 20)
    processed = np.clip(got.pixels * 0.9 + 0.05, 0, 1)
    for name in ("o.png", "o.tif", "o.webp"):
        out = save_image(tmp_path / name, processed, like=got, quality=100)
        with Image.open(out) as im:
            assert im.mode == "RGBA", name
            assert np.array_equal(np.asarray(im)[..., 3], rgba[..., 3]), name
        assert np.array_equal(load_image(out).alpha, got.alpha), name
    # JPEG and BMP have no alpha: dropped without error
    for name in ("o.jpg", "o.bmp"):
        out = save_image(tmp_path / name, processed, like=got)
        with Image.open(out) as im:
            assert im.mode == "RGB"


def test_alpha_passes_through_exactly_16bit_and_gray_alpha(tmp_path):
    rgba = (RNG.random((9, 11, 4)) * 65535).astype(np.uint16)
    ok, buf = cv2.imencode(".png", rgba[:, :, [2, 1, 0, 3]].copy())
    (tmp_path / "a16.png").write_bytes(buf.tobytes())
    got = load_image(tmp_path / "a16.png")
    assert got.bit_depth == 16 and got.alpha is not None
    assert np.array_equal(np.rint(got.alpha * 65535).astype(np.uint16), rgba[..., 3])
    for name in ("o.png", "o.tif"):
        back = load_image(save_image(tmp_path / name, got.pixels, like=got))
        assert back.bit_depth == 16
        assert np.array_equal(back.alpha, got.alpha), name

    la = (RNG.random((7, 8, 2)) * 255).astype(np.uint8)
    Image.merge("LA", [Image.fromarray(la[..., 0]), Image.fromarray(la[..., 1])]).save(tmp_path / "la.png")
    got = load_image(tmp_path / "la.png")
    assert got.grayscale and got.alpha is not None and got.mode == "LA"
    out = save_image(tmp_path / "la_out.png", got.pixels, like=got)
    with Image.open(out) as im:
        assert im.mode == "LA"
        assert np.array_equal(np.asarray(im), la)


# ----------------------------------------------------------------------------- modes


def test_palette_images_read_as_rgb_or_rgba(tmp_path):
    rgb = (RNG.random((10, 12, 3)) * 255).astype(np.uint8)
    p = Image.fromarray(rgb).quantize(8)
    p.save(tmp_path / "p.png")
    got = load_image(tmp_path / "p.png")
    assert got.mode == "P" and got.alpha is None and not got.grayscale
    expected = np.asarray(p.convert("RGB"))
    assert np.array_equal(_u8(got.pixels), expected)

    p.info["transparency"] = 0
    p.save(tmp_path / "pt.png", transparency=0)
    got = load_image(tmp_path / "pt.png")
    assert got.alpha is not None
    idx = np.asarray(p)
    assert np.array_equal(got.alpha == 0, idx == 0)


def test_cmyk_reads_as_rgb(tmp_path):
    cmyk = np.zeros((8, 8, 4), np.uint8)
    cmyk[:4, :, 0] = 255  # cyan top
    cmyk[4:, :, 1] = 255  # magenta bottom
    im = Image.frombytes("CMYK", (8, 8), cmyk.tobytes())
    for name in ("c.jpg", "c.tif"):
        im.save(tmp_path / name)
        got = load_image(tmp_path / name)
        assert got.mode == "CMYK" and got.pixels.shape == (8, 8, 3) and not got.grayscale
        top, bottom = got.pixels[1, 1], got.pixels[6, 6]
        assert top[0] < 0.2 and top[1] > 0.8 and top[2] > 0.8, name  # cyan
        assert bottom[1] < 0.2 and bottom[0] > 0.8 and bottom[2] > 0.8, name  # magenta


def test_bilevel_and_int16_modes(tmp_path):
    bits = RNG.random((6, 9)) > 0.5
    Image.fromarray(bits).save(tmp_path / "b.png")
    got = load_image(tmp_path / "b.png")
    assert got.grayscale and np.array_equal(got.pixels[..., 0] > 0.5, bits)

    g = (np.arange(30, dtype=np.uint16) * 2000).reshape(5, 6)
    Image.fromarray(g).save(tmp_path / "g.tif")
    got = load_image(tmp_path / "g.tif")
    assert got.grayscale and got.bit_depth == 16
    assert np.array_equal(np.rint(got.pixels[..., 0] * 65535).astype(np.uint16), g)


def _plain_tiff(path: Path, samples: np.ndarray) -> Path:
    """An uncompressed little-endian TIFF of ``samples`` (HxW or HxWxC) at their own type, SampleFormat set from
    it (float 3, signed 2, unsigned 1): the float and 32-bit TIFFs of HDR merges and scientific cameras, most of
    which Pillow cannot write or even open."""
    from PIL import TiffImagePlugin, TiffTags

    samples = np.ascontiguousarray(samples.astype(samples.dtype.newbyteorder("<")))
    height, width = samples.shape[:2]
    channels = 1 if samples.ndim == 2 else samples.shape[2]
    kind = {"f": 3, "i": 2, "u": 1}[samples.dtype.kind]
    directory = TiffImagePlugin.ImageFileDirectory_v2(ifh=b"II\x2a\x00\x08\x00\x00\x00")
    tags = {256: (width, TiffTags.LONG), 257: (height, TiffTags.LONG),
            258: ((samples.itemsize * 8,) * channels, TiffTags.SHORT), 259: (1, TiffTags.SHORT),
            262: (1 if channels == 1 else 2, TiffTags.SHORT),
            273: (0, TiffTags.LONG),  # relative: Pillow's writer puts it past the directory, where the pixels go
            277: (channels, TiffTags.SHORT), 278: (height, TiffTags.LONG),
            279: (samples.nbytes, TiffTags.LONG), 339: ((kind,) * channels, TiffTags.SHORT)}
    for tag, (value, kind_of_value) in tags.items():
        directory[tag] = value
        directory.tagtype[tag] = kind_of_value
    path.write_bytes(b"II\x2a\x00\x08\x00\x00\x00" + directory.tobytes(8) + samples.tobytes())
    return path


@pytest.mark.parametrize("dtype,channels,said", [
    (np.float32, 1, "32-bit floating-point"),  # Pillow's mode F
    (np.float32, 3, "32-bit floating-point"),  # HDR merges: Pillow cannot open it ("not an image file")
    (np.float32, 4, "32-bit floating-point"),
    (np.float16, 3, "16-bit floating-point"),
    (np.float64, 1, "64-bit floating-point"),
    (np.int32, 1, "32-bit integer"),  # Pillow's mode I: clipped to 16 bits, most of the picture white
    (np.uint32, 1, "32-bit integer"),
    (np.uint32, 3, "32-bit integer"),
])
def test_floating_point_and_32_bit_tiffs_are_refused_from_their_header(tmp_path, monkeypatch, dtype, channels, said):
    """Every float TIFF (Pillow's mode F, and the colour and 16- and 64-bit ones Pillow cannot open) and every TIFF
    of integers wider than 16 bits (Pillow's mode I) is refused by its header in one line: a batch says it before
    the model loads, and no decoder is reached (_decode is never called)."""
    samples = (RNG.random((6, 9, channels)) * 1000).astype(dtype)
    path = _plain_tiff(tmp_path / "merged.tif", samples[:, :, 0] if channels == 1 else samples)
    expected = f"{said} pixels (only 8- and 16-bit images)"
    assert str(F.header_problem(path)) == expected

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded past the header")

    monkeypatch.setattr(reading, "_decode", no_decode)
    for read in (load_image, F.load_for_measuring):
        with pytest.raises(ImageFileError) as refused:
            read(path)
        assert str(refused.value) == f"{path}: {expected}"


def test_a_16_bit_tiff_through_the_same_writer_loads(tmp_path):
    """The writer above makes TIFFs the app reads: a refusal is the samples', not a broken file's."""
    samples = (np.arange(54, dtype=np.uint16) * 1000).reshape(6, 9)
    got = load_image(_plain_tiff(tmp_path / "plain.tif", samples))
    assert got.bit_depth == 16 and np.array_equal(np.rint(got.pixels[..., 0] * 65535).astype(np.uint16), samples)


# ----------------------------------------------------------------------------- metadata


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_tiffs_orientation_is_applied_once(tmp_path, orientation):
    """Pillow 13 turns a TIFF upright as it loads it (and gives orientations 5-8 their upright sides from the
    header on): turned again by load_image, a TIFF of orientation 6 came out sideways. Every orientation reads as
    the same PNG does, and photo_size says the upright sides."""
    rgb = (RNG.random((6, 10, 3)) * 255).astype(np.uint8)
    exif = Image.Exif()
    exif[274] = orientation
    Image.fromarray(rgb).save(tmp_path / "o.png", exif=exif.tobytes())
    for name, options in (("plain.tif", {}), ("deflate.tif", {"compression": "tiff_deflate"})):
        Image.fromarray(rgb).save(tmp_path / name, tiffinfo={274: orientation}, **options)
        got, expected = load_image(tmp_path / name), load_image(tmp_path / "o.png")
        assert got.orientation == orientation and np.array_equal(got.pixels, expected.pixels), name
        assert F.photo_size(tmp_path / name) == expected.pixels.shape[:2]
        np.testing.assert_array_equal(F.load_for_measuring(tmp_path / name), F.load_for_measuring(tmp_path / "o.png"))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_16_bit_tiffs_orientation_is_applied_once(tmp_path, orientation):
    """A 16-bit TIFF is decoded by OpenCV, which turns it upright by its tag itself: turned again by load_image,
    orientation 6 came out sideways. Every orientation reads as the same 16-bit PNG does."""
    grey = (RNG.random((6, 10)) * 65535).astype(np.uint16)
    exif = Image.Exif()
    exif[274] = orientation
    Image.fromarray(grey).save(tmp_path / "o.png", exif=exif.tobytes())
    Image.fromarray(grey).save(tmp_path / "o.tif", tiffinfo={274: orientation})
    got, expected = load_image(tmp_path / "o.tif"), load_image(tmp_path / "o.png")
    assert got.bit_depth == expected.bit_depth == 16 and got.orientation == orientation
    assert np.array_equal(got.pixels, expected.pixels)
    assert F.photo_size(tmp_path / "o.tif") == expected.pixels.shape[:2]


@pytest.mark.parametrize("orientation", range(1, 9))
def test_exif_orientation_applied_like_pillow(tmp_path, orientation):
    rgb = (RNG.random((6, 10, 3)) * 255).astype(np.uint8)
    path = tmp_path / f"o{orientation}.png"
    Image.fromarray(rgb).save(path, exif=_exif(orientation))
    got = load_image(path)
    with Image.open(path) as im:
        expected = np.asarray(ImageOps.exif_transpose(im))
    assert got.orientation == orientation
    assert np.array_equal(_u8(got.pixels), expected)


def test_orientation_6_rotates_and_saved_exif_says_1_and_keeps_tags(tmp_path):
    rgb = np.zeros((20, 40, 3), np.uint8)
    rgb[:, :20] = (255, 0, 0)  # left half red
    src = tmp_path / "cam.jpg"
    Image.fromarray(rgb).save(src, exif=_exif(6), quality=95)
    got = load_image(src)
    assert got.pixels.shape == (40, 20, 3)  # portrait now
    assert got.pixels[5, 10, 0] > 0.8 and got.pixels[35, 10, 0] < 0.2  # red on top
    for name in ("out.jpg", "out.png", "out.webp", "out.tif", "out16.tif", "out16.png"):
        depth = 16 if "16" in name else None
        out = save_image(tmp_path / name, got.pixels, like=got, bit_depth=depth)
        with Image.open(out) as im:
            assert im.size == (20, 40), name
            ex = im.getexif()
            assert ex.get(274) == 1, name
            assert ex.get(271) == "TestCam" and ex.get(272) == "Model X", name
            assert ex.get_ifd(0x8769).get(0x9003) == "2024:05:06 07:08:09", name
        back = load_image(out)
        assert back.orientation == 1 and back.pixels.shape == (40, 20, 3), name
        assert back.exif is not None, name


def test_icc_profile_kept(tmp_path):
    icc = _srgb_icc()
    Image.fromarray((RNG.random((8, 8, 3)) * 255).astype(np.uint8)).save(tmp_path / "i.jpg", icc_profile=icc)
    got = load_image(tmp_path / "i.jpg")
    assert got.icc_profile == icc
    for name, depth in (("o.jpg", None), ("o.png", None), ("o16.png", 16), ("o.tif", None),
                        ("o16.tif", 16), ("o.webp", None)):
        out = save_image(tmp_path / name, got.pixels, like=got, bit_depth=depth)
        with Image.open(out) as im:
            assert im.info.get("icc_profile") == icc, name
        assert load_image(out).icc_profile == icc, name


def test_rgb_icc_not_written_into_grayscale_file(tmp_path):
    Image.fromarray(np.full((4, 4), 9, np.uint8)).save(tmp_path / "g.png", icc_profile=_srgb_icc())
    got = load_image(tmp_path / "g.png")
    out = save_image(tmp_path / "o.png", got.pixels, like=got)
    with Image.open(out) as im:
        assert im.mode == "L" and not im.info.get("icc_profile")


# ----------------------------------------------------------------------------- limits and errors


def test_bomb_limit(tmp_path):
    save_image(tmp_path / "photo.png", _rand(100, 100))
    with pytest.raises(ImageFileError) as e:
        load_image(tmp_path / "photo.png", max_pixels=5000)
    msg = _assert_one_line_error(e, "photo.png")
    assert "0.01 megapixels exceeds the limit of 0.005 megapixels" in msg
    assert "--max-megapixels" in msg
    assert load_image(tmp_path / "photo.png", max_pixels=10_000).pixels.shape == (100, 100, 3)


def test_bomb_limit_module_default_and_16bit_path(tmp_path, monkeypatch):
    save_image(tmp_path / "big.png", _rand(100, 100), bit_depth=16)
    monkeypatch.setattr(reading, "MAX_PIXELS", reading.MAX_PIXELS)
    F.set_max_megapixels(0.001)
    with pytest.raises(ImageFileError, match="exceeds the limit of 0.001 megapixels"):
        load_image(tmp_path / "big.png")
    F.set_max_megapixels(None)  # no limit
    assert load_image(tmp_path / "big.png").bit_depth == 16


def test_message_format_for_large_numbers():
    err = reading._bomb_error("photo.jpg", 250_000_000, 200_000_000)
    assert str(err) == (
        "photo.jpg: 250 megapixels exceeds the limit of 200 megapixels (set --max-megapixels to raise it)"
    )


def test_our_limit_replaces_pillows_global(tmp_path, monkeypatch):
    save_image(tmp_path / "a.tif", _rand(50, 50))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # Pillow would refuse 2500 px
    assert load_image(tmp_path / "a.tif", max_pixels=10_000).pixels.shape == (50, 50, 3)
    assert Image.MAX_IMAGE_PIXELS == 100  # restored


def _png_header_only(path, width: int, height: int) -> None:
    """A PNG whose header says ``width`` x ``height`` (a few bytes of data: its pixels are never decoded here)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))


def test_header_reads_follow_our_limit_not_pillows_default(tmp_path, monkeypatch):
    """A 95 MP photo is under our 200 MP limit but over Pillow's default 89.5 MP: reading its header (the batch's
    several-pictures check, the window's thumbnail) printed Pillow's "could be decompression bomb DOS attack"
    warning, and at 190 MP (over twice Pillow's default) the header read failed: no facts, no thumbnail
    attempt. Header reads now take no limit, the thumbnail ours (pillowlimit.with_limit)."""
    import warnings

    from deblur_app.imagefiles import provenance, thumbnails

    big, bigger = tmp_path / "95mp.png", tmp_path / "190mp.png"
    _png_header_only(big, 10_000, 9_500)
    _png_header_only(bigger, 19_000, 10_000)
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(Image.MAX_IMAGE_PIXELS) or real_open(*a, **k))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for path in (big, bigger):
            facts = provenance.file_facts(path)
            assert facts is not None and facts.format == "PNG" and facts.frames == 1, path.name
            assert thumbnails.load_thumbnail(path, 64) is None  # its data is a few bytes: nothing to show
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]
    assert opened == [None, reading.MAX_PIXELS or None] * 2, "headers with no limit, thumbnails with ours"


def _jpeg_bytes():
    buf = io.BytesIO()
    Image.fromarray((RNG.random((64, 64, 3)) * 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _png_bytes(depth=8):
    x = RNG.random((64, 64, 3))
    if depth == 8:
        buf = io.BytesIO()
        Image.fromarray((x * 255).astype(np.uint8)).save(buf, "PNG")
        return buf.getvalue()
    ok, buf = cv2.imencode(".png", (x * 65535).astype(np.uint16))
    return buf.tobytes()


def _flip_byte(data, i):
    b = bytearray(data)
    b[i] ^= 0xFF
    return bytes(b)


@pytest.mark.parametrize(
    "name,make,words",
    [
        ("missing.jpg", None, "not found"),
        ("folder.jpg", "dir", "folder"),
        ("notes.jpg", lambda: b"hello, this is text\n" * 20, "not an image"),
        ("empty.png", lambda: b"", "empty"),
        ("cut.jpg", lambda: _jpeg_bytes()[: len(_jpeg_bytes()) // 2], "truncated"),
        ("cut.png", lambda: _png_bytes()[: len(_png_bytes()) // 2], ""),
        ("cut16.png", lambda: _png_bytes(16)[: len(_png_bytes(16)) // 2], ""),
        ("header_only.png", lambda: _png_bytes()[:40], ""),
        ("bad_crc.png", lambda: _flip_byte(_png_bytes(), 200), "corrupt"),
        ("bad_crc16.png", lambda: _flip_byte(_png_bytes(16), 300), "corrupt"),
        ("anim.gif", "gif", "unsupported image format GIF"),
    ],
)
def test_bad_inputs_give_one_line_errors(tmp_path, name, make, words):
    path = tmp_path / name
    if make == "dir":
        path.mkdir()
    elif make == "gif":
        Image.new("P", (4, 4)).save(path)
    elif make is not None:
        path.write_bytes(make())
    with pytest.raises(ImageFileError) as e:
        load_image(path)
    msg = _assert_one_line_error(e, name)
    assert words in msg
    assert e.value.path == path


def test_truncated_jpeg_is_not_loaded_grey(tmp_path):
    data = _jpeg_bytes()
    (tmp_path / "t.jpg").write_bytes(data[:-200])
    with pytest.raises(ImageFileError, match="t.jpg"):
        load_image(tmp_path / "t.jpg")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores permissions")
def test_permission_denied(tmp_path):
    path = save_image(tmp_path / "locked.png", _rand())
    path.chmod(0)
    try:
        with pytest.raises(ImageFileError, match="locked.png: permission denied"):
            load_image(path)
    finally:
        path.chmod(0o644)


def test_permission_denied_reported(tmp_path, monkeypatch):
    path = save_image(tmp_path / "secret.png", _rand())

    def denied(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(reading, "open_regular", denied)  # what read_photo_bytes opens the file with
    with pytest.raises(ImageFileError) as e:
        load_image(path)
    assert "permission denied" in _assert_one_line_error(e, "secret.png")


def test_heic_without_pillow_heif_is_clear(tmp_path):
    if F.heif_available():
        pytest.skip("pillow-heif is installed")
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64)
    with pytest.raises(ImageFileError) as e:
        load_image(path)
    assert "pillow-heif" in _assert_one_line_error(e, "IMG_0001.HEIC")


# ----------------------------------------------------------------------------- atomic writes


def _failing_save(self, fp, *args, **kwargs):
    fp.write(b"partial data")
    raise RuntimeError("encoder exploded")


@pytest.mark.parametrize("name", ["new.png", "new.jpg", "new.webp"])
def test_failed_encode_leaves_nothing(tmp_path, monkeypatch, name):
    monkeypatch.setattr(Image.Image, "save", _failing_save)
    with pytest.raises(ImageFileError) as e:
        save_image(tmp_path / name, _rand())
    msg = _assert_one_line_error(e, name)
    assert "encoder exploded" in msg
    assert _listdir(tmp_path) == []


def test_failed_encode_keeps_existing_destination(tmp_path, monkeypatch):
    dest = save_image(tmp_path / "keep.png", _rand())
    before = dest.read_bytes()
    monkeypatch.setattr(Image.Image, "save", _failing_save)
    with pytest.raises(ImageFileError):
        save_image(dest, _rand(), overwrite=True)
    assert dest.read_bytes() == before
    assert _listdir(tmp_path) == ["keep.png"]


@pytest.mark.parametrize("encoder,name,depth", [("encode_png16", "x.png", 16), ("encode_tiff", "x.tif", 8)])
def test_failed_own_encoders_leave_nothing(tmp_path, monkeypatch, encoder, name, depth):
    def boom(fh, *a, **k):
        fh.write(b"\x89PNG partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(encoders, encoder, boom)
    with pytest.raises(ImageFileError, match="No space left on device"):
        save_image(tmp_path / name, _rand(), bit_depth=depth)
    assert _listdir(tmp_path) == []


def test_successful_write_leaves_no_temp_files_and_normal_permissions(tmp_path):
    out = save_image(tmp_path / "ok.png", _rand())
    assert _listdir(tmp_path) == ["ok.png"]
    if os.name == "posix":
        umask = os.umask(0)
        os.umask(umask)
        assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_overwrite_refused_unless_asked(tmp_path):
    dest = save_image(tmp_path / "o.png", _rand())
    before = dest.read_bytes()
    with pytest.raises(ImageFileError) as e:
        save_image(dest, _rand())
    assert "already exists" in _assert_one_line_error(e, "o.png")
    assert dest.read_bytes() == before
    save_image(dest, np.zeros((3, 3, 3), np.float32), overwrite=True)
    assert load_image(dest).pixels.shape == (3, 3, 3)
    assert _listdir(tmp_path) == ["o.png"]


def test_refuses_to_overwrite_input(tmp_path, monkeypatch):
    src = save_image(tmp_path / "in.png", _rand())
    got = load_image(src)
    monkeypatch.chdir(tmp_path)
    for spelling in (src, Path("in.png"), tmp_path / "sub" / ".." / "in.png"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        with pytest.raises(ImageFileError) as e:
            save_image(spelling, got.pixels, like=got)
        assert "input file" in _assert_one_line_error(e, "in.png")
    if hasattr(os, "symlink"):
        os.symlink(src, tmp_path / "link.png")
        assert F.is_same_file(tmp_path / "link.png", src)
        with pytest.raises(ImageFileError, match="input file"):
            save_image(tmp_path / "link.png", got.pixels, like=got)
    save_image(src, got.pixels * 0.5, like=got, overwrite=True)
    assert np.allclose(load_image(src).pixels, np.rint(got.pixels * 0.5 * 255) / 255, atol=1e-6)


def test_save_to_missing_folder_or_folder_path(tmp_path):
    with pytest.raises(ImageFileError, match="does not exist"):
        save_image(tmp_path / "nope" / "a.png", _rand())
    (tmp_path / "d.png").mkdir()
    with pytest.raises(ImageFileError, match="d.png: is a folder"):
        save_image(tmp_path / "d.png", _rand())


def test_bad_save_arguments(tmp_path):
    with pytest.raises(ImageFileError, match="a.gif"):
        save_image(tmp_path / "a.gif", _rand())
    with pytest.raises(ImageFileError, match="HEIC"):
        save_image(tmp_path / "a.heic", _rand())
    with pytest.raises(ImageFileError, match="quality"):
        save_image(tmp_path / "a.jpg", _rand(), quality=0)
    with pytest.raises(ImageFileError, match="shape"):
        save_image(tmp_path / "a.png", np.zeros((4, 4, 5), np.float32))
    out = save_image(tmp_path / "noext", _rand(), format="png")
    with Image.open(out) as im:
        assert im.format == "PNG"
    assert _listdir(tmp_path) == ["noext"]


# ----------------------------------------------------------------------------- thumbnails


def test_thumbnail_is_small_upright_and_looks_like_the_photo(tmp_path, photo_like):
    rgb = _u8(photo_like(480, 640))
    Image.fromarray(rgb).save(tmp_path / "turned.jpg", exif=_exif(6), quality=90)
    thumb = F.load_thumbnail(tmp_path / "turned.jpg", 160)
    full = load_image(tmp_path / "turned.jpg").pixels  # upright: 640 x 480
    assert thumb.dtype == np.uint8 and thumb.shape == (160, 120, 3)
    expected = cv2.resize(_u8(full), (120, 160), interpolation=cv2.INTER_AREA)
    assert np.abs(thumb.astype(np.float32) - expected).mean() < 6


def test_a_thumbnail_makes_no_copy_of_the_whole_photo(tmp_path, monkeypatch):
    """The thumbnail turned the photo upright with exif_transpose, which copies the whole decoded photo where it
    has no orientation to apply: a 150 MP PNG's thumbnail peaked at 1199 MiB, 626 without the copy
    (bench_scan_large_memory.py --thumbnail)."""
    path = tmp_path / "big.png"
    Image.fromarray((RNG.random((600, 800, 3)) * 255).astype(np.uint8)).save(path)
    copied = []
    real_copy = Image.Image.copy
    monkeypatch.setattr(Image.Image, "copy", lambda self: copied.append(self.size) or real_copy(self))
    assert F.load_thumbnail(path, 160).shape == (120, 160, 3)
    assert (800, 600) not in copied


def test_thumbnail_of_16_bit_gray_is_scaled_not_clipped(tmp_path):
    save_image(tmp_path / "deep.png", np.full((40, 60), 0.5, np.float32), bit_depth=16)
    thumb = F.load_thumbnail(tmp_path / "deep.png", 160)
    assert thumb.shape == (40, 60, 3) and abs(float(thumb.mean()) - 127.5) < 1


def test_thumbnail_is_none_for_bad_or_oversized_files(tmp_path, monkeypatch):
    (tmp_path / "broken.jpg").write_bytes(b"not a jpeg at all")
    assert F.load_thumbnail(tmp_path / "broken.jpg", 160) is None
    assert F.load_thumbnail(tmp_path / "missing.jpg", 160) is None
    save_image(tmp_path / "big.png", _rand(100, 100))
    monkeypatch.setattr(reading, "MAX_PIXELS", 5000)
    assert F.load_thumbnail(tmp_path / "big.png", 160) is None


# ----------------------------------------------------------------------------- paths and helpers


def test_non_ascii_paths(tmp_path):
    folder = tmp_path / "Ордер 照片"
    folder.mkdir()
    x = _rand()
    for name, depth in (("фото 写真.png", 8), ("фото 写真 16.png", 16), ("фото 写真.tif", 16), ("фото 写真.jpg", 8)):
        out = save_image(folder / name, x, bit_depth=depth)
        got = load_image(out)
        assert got.path == folder / name and got.bit_depth == depth
        if name.endswith(".jpg"):
            assert np.abs(got.pixels - x).mean() < 0.03
        else:
            assert np.abs(got.pixels - x).max() < 0.002
    with pytest.raises(ImageFileError) as e:
        load_image(folder / "нет.png")
    _assert_one_line_error(e, "нет.png")


def test_supported_extensions_and_helpers(tmp_path):
    assert isinstance(F.SUPPORTED_EXTENSIONS, tuple)
    for ext in (".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".heic"):
        assert ext in F.SUPPORTED_EXTENSIONS
        assert F.is_supported(f"a{ext.upper()}")
    assert not F.is_supported("notes.txt")
    assert not F.is_supported(".photo.png.tmp-1a2b3c4d")
    assert not F.is_supported(".hidden.png")
    assert F.output_format_for("x.JPG") == "JPEG"
    assert F.output_format_for("x.tiff") == "TIFF"
    assert F.output_format_for(Path("x.webp")) == "WEBP"
    with pytest.raises(ImageFileError):
        F.output_format_for("x.heic")
    assert F.output_suffix_for("IMG.HEIC") == ".jpg"
    assert F.output_suffix_for("a.PNG") == ".png"
    assert F.is_same_file(tmp_path / "x", tmp_path / "." / "x")
    assert not F.is_same_file(tmp_path / "x", tmp_path / "y")


def test_loaded_image_fields(tmp_path):
    got = load_image(save_image(tmp_path / "f.png", _rand(5, 7)))
    assert (got.width, got.height, got.has_alpha) == (7, 5, False)
    assert got.format == "PNG" and got.mode == "RGB" and got.exif is None and got.icc_profile is None
    assert got.pixels.flags.c_contiguous


def test_samples_are_quantised_in_bands_as_the_whole_photo_formula_with_little_memory():
    """Saving a 12 MP result within 1.5 GB (issue 21): the samples are quantised a band of rows at a time,
    with the same bytes as the whole-photo formula and a band's float temporaries only."""
    import tracemalloc

    from deblur_app.imagefiles import writing

    rng = np.random.default_rng(4)
    pixels = rng.uniform(-0.1, 1.1, (8 * writing.QUANTISE_ROWS + 11, 300, 3)).astype(np.float32)
    pixels[5, 6] = [np.nan, np.inf, -np.inf]
    for depth, dtype in ((8, np.uint8), (16, np.uint16)):
        whole = np.nan_to_num(pixels, nan=0.0, posinf=1.0, neginf=0.0)
        whole = np.rint(np.clip(whole, 0.0, 1.0) * np.float32(65535.0 if depth == 16 else 255.0)).astype(dtype)
        np.testing.assert_array_equal(writing._quantise(pixels, depth), whole)
    tracemalloc.start()
    try:
        writing._quantise(pixels, 8)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # the 8-bit samples (3 bytes a pixel) and a band's float temporaries (36 bytes a pixel of the band); the
    # whole photo's temporaries took those 36 bytes for every pixel
    height, width = pixels.shape[:2]
    assert peak < 3 * height * width + 40 * writing.QUANTISE_ROWS * width, f"{peak / (height * width):.1f} B/pixel"


def _finishes(call, seconds: float = 20.0):
    """``call()``'s outcome (its value or its exception), asserting it came back: a reader waiting on a
    pipe would hang the suite, so it runs in a daemon thread."""
    import threading

    outcome: list = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as error:  # noqa: BLE001 (the outcome under test)
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"{call} did not come back in {seconds} s"
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_or_a_device_named_like_a_photo_is_refused_without_reading_it(tmp_path):
    """A pipe with no writer would block every reader for ever, /dev/zero would be read without end
    (all the memory): each is refused in one line before anything opens it, by every reader."""
    from deblur_app import reasons
    from deblur_app.jobs.run import input_problem

    pipe, device = tmp_path / "pipe.jpg", tmp_path / "zero.png"
    os.mkfifo(pipe)
    device.symlink_to("/dev/zero")
    try:
        for path in (pipe, device):
            error = _finishes(lambda: load_image(path))
            assert isinstance(error, ImageFileError)
            assert str(error) == f"{path}: is a device, pipe or socket, not an image file"
            assert F.not_a_file_reason(path).template == reasons.NOT_A_REGULAR_FILE
            assert _finishes(lambda: F.file_facts(path)) is None
            assert _finishes(lambda: F.load_thumbnail(path, 64)) is None
            assert _finishes(lambda: F.is_raw(path)) is False and _finishes(lambda: F.raw_problem(path)) == ""
            assert str(_finishes(lambda: input_problem(path))) == str(error)
    finally:
        os.close(os.open(pipe, os.O_RDONLY | os.O_NONBLOCK))  # nothing left waiting on it
    assert F.not_a_file_reason(tmp_path).template == reasons.IS_A_FOLDER
    assert F.not_a_file_reason(tmp_path / "gone.png") == ""  # reading says "file not found"


def test_a_photo_is_read_once_by_load_image_load_reduced_and_a_scan(tmp_path, photo_like, monkeypatch):
    """load_image read the whole file and then opened it again for the cut-short check; load_reduced and a scan's
    load_for_measuring read it and then called load_image, which read it again. One read per photo now: the
    checks take the bytes already read."""
    import builtins

    from deblur_app.imagefiles.scanning import load_for_measuring

    photos = []
    for suffix in (".jpg", ".png", ".tif", ".webp"):
        photos.append(tmp_path / f"p{suffix}")
        save_image(photos[-1], photo_like(24, 32))
    opened: list = []
    real_open, real_io_open = builtins.open, io.open

    def counting(opener):
        def open_logged(file, *args, **kwargs):
            if isinstance(file, (str, os.PathLike)) and Path(file).parent == tmp_path:
                opened.append(Path(file).name)
            return opener(file, *args, **kwargs)
        return open_logged

    monkeypatch.setattr(builtins, "open", counting(real_open))
    monkeypatch.setattr(io, "open", counting(real_io_open))
    monkeypatch.setattr(os, "open", counting(os.open))  # imagefiles.open_regular's open (then fdopen of its fd)
    for path in photos:
        for read in (load_image, F.load_reduced, lambda p: load_for_measuring(p, grey=True)):
            opened.clear()
            read(path)
            assert opened == [path.name], (read, path.name, opened)


def test_read_photo_bytes_is_public_and_says_why_in_one_line(tmp_path):
    """The image I/O package reads a photo's bytes in one public place (thumbnails and scanning use it); neither
    reaches for a private name of reading."""
    photo = tmp_path / "a.png"
    Image.new("RGB", (4, 3)).save(photo)
    assert F.read_photo_bytes(str(photo)) == photo.read_bytes()
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    with pytest.raises(ImageFileError) as info:
        F.read_photo_bytes(empty)
    assert str(empty) in str(info.value) and "\n" not in str(info.value)
    for user in ("thumbnails.py", "scanning.py"):
        assert "reading._" not in (Path(F.__file__).parent / user).read_text(encoding="utf-8"), user


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_photo_that_became_a_pipe_after_its_check_is_refused_never_waited_on(tmp_path, monkeypatch):
    """A batch checks every photo before the model loads, then asks each its size and reads it in its turn: a photo
    replaced by a named pipe in between hung the batch for ever (photo_size opened the pipe and waited for a writer).
    The readers now check the file they opened, not the name checked earlier."""
    import threading

    pipe = tmp_path / "p4.jpg"
    os.mkfifo(pipe)
    monkeypatch.setattr(reading, "not_a_file_reason", lambda path: "")  # the check ran while it was a photo
    answers = {}

    def ask() -> None:
        answers["size"] = F.photo_size(pipe)
        answers["header"] = str(F.header_problem(pipe))
        answers["cut short"] = str(F.cut_short_reason(pipe))
        try:
            F.load_image(pipe)
        except ImageFileError as error:
            answers["load"] = str(error)

    reader = threading.Thread(target=ask, daemon=True)
    reader.start()
    reader.join(60)  # not a timing: a reader that waits on the pipe is let go below, and the test fails
    hung = reader.is_alive()
    while reader.is_alive():
        try:
            os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))  # a writer that closes at once: the reader sees EOF
        except OSError:
            pass
        reader.join(0.1)
    assert not hung, f"a reader waited on the pipe (answered before it: {answers})"
    assert answers == {"size": None, "header": "is a device, pipe or socket, not an image file", "cut short": "",
                       "load": f"{pipe}: is a device, pipe or socket, not an image file"}


SHORT_WRITE_SAVE = """
import resource, signal, sys
from pathlib import Path
import numpy as np
from deblur_app import imagefiles
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit, write() returns short, then fails: a disk filling up
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
pixels = np.random.default_rng(0).random((96, 128, 3), dtype=np.float32)  # ~20 KB as JPEG: one chunk of Pillow's
dest = Path(sys.argv[1])
try:
    imagefiles.save_image(dest, pixels)
    print("saved", dest.stat().st_size)
except imagefiles.ImageFileError as error:
    print("refused", dest.exists(), error)
"""


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX")
@pytest.mark.parametrize("ext", ["jpg", "bmp", "png", "webp"])
def test_a_write_cut_short_by_a_full_disk_is_refused_not_saved_truncated(tmp_path, ext):
    """A batch into a 60 KB tmpfs reported 'p03.jpg -> out/p03_deblurred.jpg' and left 4096 bytes of an ~18 KB JPEG
    (reliability session 18): Pillow's C encoder wrote to the file descriptor itself and took the short write of a
    disk filling up for a whole one. A file-size limit cuts writes short the same way, in a process of its own."""
    import subprocess
    import sys

    dest = tmp_path / f"out.{ext}"
    done = subprocess.run([sys.executable, "-c", SHORT_WRITE_SAVE, str(dest)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.stdout.startswith("refused False"), done.stdout + done.stderr
    assert "File too large" in done.stdout and not dest.exists() and not list(tmp_path.iterdir())


def test_a_16_bit_rgb_tiff_with_one_sample_format_value_is_read_at_16_bits(tmp_path):
    """A TIFF may give SampleFormat once for all its samples (libtiff reads it so): load_image sent such a 16-bit RGB
    TIFF to Pillow, which read it at 8 bits, while the scan's decision (the same file) sent it to OpenCV; the one
    decision (reading.opencv_reading) reads it at its 16 bits."""
    import struct

    stored = (np.arange(6 * 5 * 3, dtype=np.uint16).reshape(6, 5, 3) * 700)
    buffer = io.BytesIO()
    encoders.encode_tiff(buffer, stored, False, False, None, None)
    data = bytearray(buffer.getvalue())
    directory = struct.unpack("<I", data[4:8])[0]
    for entry in range(struct.unpack("<H", data[directory : directory + 2])[0]):
        at = directory + 2 + 12 * entry
        if struct.unpack("<H", data[at : at + 2])[0] == reading.SAMPLE_FORMAT:
            data[at + 4 : at + 12] = struct.pack("<IHH", 1, 1, 0)  # one value, unsigned integers, held in the entry
    path = tmp_path / "one-format.tif"
    path.write_bytes(bytes(data))
    with Image.open(path) as im:
        assert reading.tiff_tag_values(im.tag_v2, reading.SAMPLE_FORMAT, 1) == (1,)
    photo = load_image(path)
    assert photo.bit_depth == 16 and photo.mode == "RGB;16"
    assert np.array_equal(np.rint(photo.pixels * 65535).astype(np.uint16), stored)
