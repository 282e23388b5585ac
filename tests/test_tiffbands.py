"""A TIFF shrunk while its strips or tiles are decoded a band at a time (imagefiles/tiffbands.py): the whole decode's
picture, area-shrunk, for the TIFFs it reads; None, for the whole decode, for the others."""

import io
import struct
from pathlib import Path

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from deblur_app import imagefiles
from deblur_app.imagefiles import tiffbands

from test_pngbands import HEIGHT, WIDTH, _photo

TILE = (48, 80)  # rows, columns: odd against the photo's sides, so the last row and column of tiles are partial


def _opencv_segment(pixels: np.ndarray, compression: int) -> tuple[bytes, bytes | None, int | None]:
    """``pixels`` (BGR) encoded by OpenCV's libtiff as one strip: (the strip, the JPEG tables, the predictor)."""
    ok, encoded = cv2.imencode(".tif", pixels, [cv2.IMWRITE_TIFF_COMPRESSION, compression,
                                                cv2.IMWRITE_TIFF_ROWSPERSTRIP, pixels.shape[0]])
    assert ok
    encoded = encoded.tobytes()
    with Image.open(io.BytesIO(encoded)) as im:
        (offset,), (count,) = im.tag_v2[273], im.tag_v2[279]
        return encoded[offset : offset + count], im.tag_v2.get(347), im.tag_v2.get(317)


def _tiled(path: Path, rgb: np.ndarray, compression: int) -> None:
    """A tiled little-endian TIFF of 8-bit RGB, its tiles encoded by OpenCV's libtiff (LZW with the predictor, or
    JPEG with shared tables): tifffile writes tiles only through imagecodecs' encoders, Pillow writes none."""
    rows, columns = TILE
    tiles, tables, predictor = [], None, None
    for top in range(0, HEIGHT, rows):
        for left in range(0, WIDTH, columns):
            part = rgb[top : top + rows, left : left + columns]
            part = np.pad(part, ((0, rows - part.shape[0]), (0, columns - part.shape[1]), (0, 0)), mode="edge")
            tile, tile_tables, predictor = _opencv_segment(np.ascontiguousarray(part[..., ::-1]), compression)
            assert tables in (None, tile_tables)  # one quality: the same tables for every tile
            tables = tile_tables
            tiles.append(tile)
    places, at = [], 8
    for tile in tiles:
        places.append(at)
        at += len(tile)
    values = [struct.pack("<3H", 8, 8, 8), struct.pack(f"<{len(tiles)}I", *places),
              struct.pack(f"<{len(tiles)}I", *map(len, tiles)), bytes(tables or b"")]
    value_at = [at + sum(map(len, values[:index])) for index in range(len(values))]
    entries = [(256, 4, 1, WIDTH), (257, 4, 1, HEIGHT), (258, 3, 3, value_at[0]), (259, 3, 1, compression),
               (262, 3, 1, 2), (277, 3, 1, 3), (284, 3, 1, 1), (317, 3, 1, predictor or 1), (322, 4, 1, columns),
               (323, 4, 1, rows), (324, 4, len(tiles), value_at[1]), (325, 4, len(tiles), value_at[2])]
    if tables:
        entries.append((347, 7, len(tables), value_at[3]))
    ifd_at = value_at[3] + len(values[3])
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *entry) for entry in entries) + bytes(4)
    path.write_bytes(b"II*\0" + struct.pack("<I", ifd_at) + b"".join(tiles) + b"".join(values) + ifd)


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
                  "opencv-grey16": deep[..., 1], "opencv-lzw": rgb[..., ::-1], "opencv-lzw-grey": rgb[..., 1],
                  "opencv-lzw16": deep[..., ::-1], "opencv-jpeg": rgb[..., ::-1]}[kind]
        params = {"opencv-lzw": [], "opencv-lzw-grey": [], "opencv-lzw16": [],  # LZW, the predictor: OpenCV's default
                  "opencv-jpeg": [cv2.IMWRITE_TIFF_COMPRESSION, 7, cv2.IMWRITE_TIFF_ROWSPERSTRIP, 16]}
        assert cv2.imwrite(str(path), pixels, params.get(kind, [cv2.IMWRITE_TIFF_COMPRESSION, 8]))
    elif kind.startswith("tiled"):
        if kind == "tiled-deflate16":
            tifffile.imwrite(path, deep, compression="zlib", predictor=2, photometric="rgb", tile=TILE)
        else:
            _tiled(path, rgb, {"tiled-lzw": 5, "tiled-jpeg": 7}[kind])
    elif kind.startswith("tifffile"):
        planes = kind == "tifffile-planes"
        tifffile.imwrite(path, rgb if planes else deep, byteorder=">", compression="zlib", predictor=2,
                         photometric="rgb", planarconfig="separate" if planes else "contig")
    else:
        image = Image.fromarray(rgb)
        options = {"pillow-raw": {}, "pillow-deflate": {"compression": "tiff_adobe_deflate"},
                   "pillow-lzw": {"compression": "tiff_lzw"}, "pillow-packbits": {"compression": "packbits"}}[kind]
        image.save(path, **options)
    return path


READ = ["app-grey", "app-rgb", "app-rgb16", "opencv-rgb", "opencv-rgba16", "opencv-grey16", "pillow-raw",
        "pillow-deflate", "opencv-lzw", "opencv-lzw-grey", "opencv-lzw16", "opencv-jpeg", "pillow-lzw",
        "pillow-packbits", "tiled-lzw", "tiled-jpeg", "tiled-deflate16", "tifffile-bigendian16"]


@pytest.mark.parametrize("kind", READ)
@pytest.mark.parametrize("max_side", [100, 1000])
def test_a_tiff_shrunk_in_bands_is_the_whole_decode_area_shrunk(tmp_path, monkeypatch, kind, max_side):
    """Bands of whole strips or rows of tiles (7 rows' worth of pixels at the least), deflated, LZW, JPEG, PackBits or
    not compressed, with the predictor or not, 8 or 16 bits, grey, RGB or RGBA, either byte order: the colour
    load_image reads, area-shrunk as cv2.resize shrinks the whole decode."""
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


def test_a_tiff_the_band_reader_does_not_read_is_left_to_the_whole_decode(tmp_path):
    """Samples in separate planes (scanning's OpenCV path leaves them to load_image): None, never a picture made up;
    the scan reads the file whole as before."""
    path = _written(tmp_path, "tifffile-planes")
    with Image.open(path) as im:
        assert tiffbands.shrunk_tiff(im, path.read_bytes(), 100) is None
    whole = np.clip(np.rint(imagefiles.load_reduced(path, 100) * 255), 0, 255).astype(np.uint8)
    assert np.abs(imagefiles.load_for_measuring(path, 100).astype(int) - whole.astype(int)).max() <= 1


def test_a_tiff_whose_last_strip_runs_past_the_end_is_left_to_the_whole_decode(tmp_path):
    """Uncompressed strips (Pillow writes the tags first) cut short: None, not a band of whatever follows."""
    path = _written(tmp_path, "pillow-raw")
    data = path.read_bytes()[:-1000]
    with Image.open(io.BytesIO(data)) as im:
        assert tiffbands.shrunk_tiff(im, data, 100) is None


@pytest.mark.parametrize("kind", ["opencv-lzw", "opencv-jpeg", "tiled-lzw", "tiled-jpeg"])
def test_the_scan_decodes_an_lzw_jpeg_or_tiled_tiff_a_band_at_a_time(tmp_path, monkeypatch, kind):
    """The scan's read (load_for_measuring) of the TIFFs OpenCV decoded whole before (1.2 GB at 150 MP): every
    picture OpenCV decodes is shorter than the photo, and the scan's picture is the whole decode's to a level."""
    monkeypatch.setattr(tiffbands, "BAND_PIXELS", WIDTH * 7)
    path = _written(tmp_path, kind)
    whole = np.clip(np.rint(imagefiles.load_reduced(path, 100) * 255), 0, 255).astype(np.uint8)
    decoded_rows, decode = [], cv2.imdecode

    def counted(buffer, flags):
        picture = decode(buffer, flags)
        decoded_rows.append(-1 if picture is None else picture.shape[0])
        return picture

    monkeypatch.setattr(cv2, "imdecode", counted)
    small = imagefiles.load_for_measuring(path, 100)
    assert len(decoded_rows) > 1 and max(decoded_rows) < HEIGHT and min(decoded_rows) > 0, decoded_rows
    assert np.abs(small.astype(int) - whole.astype(int)).max() <= 1
