"""A TIFF shrunk while its strips are decoded a band at a time (imagefiles/tiffbands.py): the whole decode's picture,
area-shrunk, for the TIFFs it reads; None, for the whole decode, for the others."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from deblur_app import imagefiles
from deblur_app.imagefiles import tiffbands

from test_pngbands import HEIGHT, WIDTH, _photo


def _written(folder: Path, kind: str) -> Path:
    rgb = _photo()
    path = folder / f"{kind}.tif"
    deep = rgb.astype(np.uint16) * 257 + np.uint16(101)
    if kind.startswith("app"):  # the app's own writer: deflate, predictor 2, 256 KiB strips
        pixels = rgb.astype(np.float32) / 255
        pixels = {"app-grey": pixels[..., :1], "app-rgb": pixels, "app-rgb16": pixels}[kind]
        imagefiles.save_image(path, pixels, bit_depth=16 if kind == "app-rgb16" else 8)
    elif kind.startswith("opencv"):  # deflate with the predictor, a strip every few rows
        pixels = {"opencv-rgb": rgb[..., ::-1], "opencv-rgba16": np.dstack([deep[..., ::-1], deep[..., :1]]),
                  "opencv-grey16": deep[..., 1], "opencv-lzw": rgb[..., ::-1]}[kind]
        params = [] if kind == "opencv-lzw" else [cv2.IMWRITE_TIFF_COMPRESSION, 8]
        assert cv2.imwrite(str(path), pixels, params)
    else:
        image = Image.fromarray(rgb)
        options = {"pillow-raw": {}, "pillow-deflate": {"compression": "tiff_adobe_deflate"}}[kind]
        image.save(path, **options)
    return path


READ = ["app-grey", "app-rgb", "app-rgb16", "opencv-rgb", "opencv-rgba16", "opencv-grey16", "pillow-raw",
        "pillow-deflate"]


@pytest.mark.parametrize("kind", READ)
@pytest.mark.parametrize("max_side", [100, 1000])
def test_a_tiff_shrunk_in_bands_is_the_whole_decode_area_shrunk(tmp_path, monkeypatch, kind, max_side):
    """Bands of whole strips (7 rows' worth of pixels at the least), deflated or not, with the predictor or not, 8 or 16
    bits, grey, RGB or RGBA: the colour load_image reads, area-shrunk as cv2.resize shrinks the whole decode."""
    monkeypatch.setattr(tiffbands, "BAND_PIXELS", WIDTH * 7)
    path = _written(tmp_path, kind)
    with Image.open(path) as im:
        shrunk, top = tiffbands.shrunk_tiff(im, path.read_bytes(), max_side)
    whole = imagefiles.load_image(path)
    assert top == (65535 if whole.bit_depth == 16 else 255)
    expected = whole.pixels * np.float32(top)
    if max_side < WIDTH:
        expected = cv2.resize(expected, (max_side, round(HEIGHT * max_side / WIDTH)), interpolation=cv2.INTER_AREA)
    if whole.grayscale:
        assert shrunk.ndim == 2
        expected = expected[..., 0]
    assert shrunk.shape == expected.shape
    assert np.abs(shrunk - expected).max() <= 1e-4 * top, kind


@pytest.mark.parametrize("kind", ["opencv-lzw"])
def test_a_tiff_the_band_reader_does_not_read_is_left_to_the_whole_decode(tmp_path, kind):
    """LZW (OpenCV's default): None, never a picture made up; the scan reads the file as before."""
    path = _written(tmp_path, kind)
    with Image.open(path) as im:
        assert tiffbands.shrunk_tiff(im, path.read_bytes(), 100) is None
    whole = np.clip(np.rint(imagefiles.load_reduced(path, 100) * 255), 0, 255).astype(np.uint8)
    assert np.abs(imagefiles.load_for_measuring(path, 100).astype(int) - whole.astype(int)).max() <= 1
