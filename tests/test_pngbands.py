"""A PNG shrunk while its rows are decoded a band at a time (imagefiles/pngbands.py): the whole decode's picture,
area-shrunk, in every PNG layout, interlaced or not; never a guess where its data ends early."""

import io
import struct
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from deblur_app import imagefiles
from deblur_app.imagefiles import pngbands

WIDTH, HEIGHT = 301, 203  # odd sides: output cells that straddle bands and rows


def _photo(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    smooth = cv2.resize(rng.integers(0, 256, (21, 31, 3), dtype=np.uint8), (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    return np.clip(smooth.astype(np.int16) + rng.integers(-20, 21, smooth.shape, dtype=np.int16), 0, 255).astype(np.uint8)


def _written(folder: Path, kind: str) -> Path:
    rgb = _photo()
    path = folder / f"{kind}.png"
    deep = rgb.astype(np.uint16) * 257 + np.uint16(101)  # low bytes that are not the high ones
    if kind == "rgb16":
        cv2.imwrite(str(path), deep[..., ::-1])
    elif kind == "rgba16":
        cv2.imwrite(str(path), np.dstack([deep[..., ::-1], deep[..., :1]]))
    elif kind == "grey16":
        cv2.imwrite(str(path), deep[..., 1])
    else:
        image = Image.fromarray(rgb)
        made = {"rgb": lambda: image, "rgba": lambda: image.convert("RGBA"), "grey": lambda: image.convert("L"),
                "grey-alpha": lambda: image.convert("LA"), "palette": lambda: image.quantize(200),
                "palette4": lambda: image.quantize(16), "bilevel": lambda: image.convert("1")}[kind]()
        made.save(path, bits=4) if kind == "palette4" else made.save(path)
    return path


KINDS = ["rgb", "rgba", "grey", "grey-alpha", "palette", "palette4", "bilevel", "rgb16", "rgba16", "grey16"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("max_side", [100, 1000])
def test_a_png_shrunk_in_bands_is_the_whole_decode_area_shrunk(tmp_path, monkeypatch, kind, max_side):
    """Bands of 7 rows (the first row's filter refers to the band before), in every layout a PNG has: the colour
    load_image reads (under any alpha, a palette's, 1- and 4-bit samples), area-shrunk as cv2.resize shrinks the whole
    decode, or as it is where it fits already."""
    monkeypatch.setattr(pngbands, "BAND_PIXELS", WIDTH * 7)
    path = _written(tmp_path, kind)
    data = path.read_bytes()
    assert pngbands.reads_in_bands(data)
    shrunk, top = pngbands.shrunk_png(data, max_side)
    whole = imagefiles.load_image(path)
    assert top == (65535 if whole.bit_depth == 16 else 255)
    expected = whole.pixels * np.float32(top)
    if max_side < WIDTH:
        size = (max_side, round(HEIGHT * max_side / WIDTH))
        expected = cv2.resize(expected, size, interpolation=cv2.INTER_AREA)
    if whole.grayscale:
        assert shrunk.ndim == 2
        expected = expected[..., 0]
    assert shrunk.shape == expected.shape
    assert np.abs(shrunk - expected).max() <= 1e-4 * top, kind


def _interlaced(png: bytes) -> bytes:
    """The PNG (non-interlaced) with the same samples and chunks, interlaced (Adam7): each pass's rows filtered
    with Up and Sub in turn, so the first row of every pass refers to a row of zeros, as PNG's filters say."""
    chunks, at = [], 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        chunks.append((kind, png[at + 8 : at + 8 + length]))
        at += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[0][1][:10])
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour_type]
    if depth == 16:
        samples = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED).reshape(height, width, -1)
        samples = samples[..., [2, 1, 0, 3][:channels]] if channels >= 3 else samples
    else:
        with Image.open(io.BytesIO(png)) as im:
            samples = np.asarray(im).astype(np.uint8).reshape(height, width, channels)
    pixel_bytes = max(1, channels * depth // 8)
    passes = []
    for left, column_step, top, row_step in ((0, 8, 0, 8), (4, 8, 0, 8), (0, 4, 4, 8), (2, 4, 0, 4), (0, 2, 2, 4),
                                             (1, 2, 0, 2), (0, 1, 1, 2)):
        sub = samples[top::row_step, left::column_step]
        if not sub.size:
            continue
        if depth == 16:
            rows = np.ascontiguousarray(sub, ">u2").view(np.uint8).reshape(sub.shape[0], -1)
        elif depth == 8:
            rows = sub.reshape(sub.shape[0], -1)
        else:  # packed, the first sample in the high bits
            per_byte = 8 // depth
            padded = np.pad(sub[..., 0], ((0, 0), (0, -sub.shape[1] % per_byte)))
            shifts = np.arange(8 - depth, -1, -depth, dtype=np.uint8)
            rows = (padded.reshape(sub.shape[0], -1, per_byte) << shifts).sum(axis=2).astype(np.uint8)
        above = np.zeros_like(rows[0])
        for index, row in enumerate(rows):
            if index % 2:  # Sub: the byte a pixel before
                filtered = row - np.concatenate([np.zeros(pixel_bytes, np.uint8), row[:-pixel_bytes]])
            else:  # Up: the row above in this pass, zeros for its first
                filtered = row - above
            passes.append(bytes([1 if index % 2 else 2]) + filtered.astype(np.uint8).tobytes())
            above = row
    header = bytearray(chunks[0][1])
    header[12] = 1
    rebuilt = [(b"IHDR", bytes(header))]
    rebuilt += [(kind, body) for kind, body in chunks[1:] if kind not in (b"IDAT", b"IEND")]
    rebuilt += [(b"IDAT", zlib.compress(b"".join(passes))), (b"IEND", b"")]
    return png[:8] + b"".join(struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
                              for kind, body in rebuilt)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("max_side", [100, 1000])
def test_an_interlaced_png_shrunk_pass_by_pass_is_the_whole_decode_area_shrunk(tmp_path, monkeypatch, kind, max_side):
    """Adam7's seven passes, each read a band of 7 rows at a time, every pixel added where it lies: the colour
    load_image reads of the interlaced file (libpng's own deinterlacing), area-shrunk, in every layout."""
    monkeypatch.setattr(pngbands, "BAND_PIXELS", WIDTH * 7)
    plain = _written(tmp_path, kind)
    path = tmp_path / f"{kind}-interlaced.png"
    path.write_bytes(_interlaced(plain.read_bytes()))
    whole = imagefiles.load_image(path)
    np.testing.assert_array_equal(whole.pixels, imagefiles.load_image(plain).pixels)  # the same samples
    shrunk, top = pngbands.shrunk_png(path.read_bytes(), max_side)
    expected = whole.pixels * np.float32(top)
    if max_side < WIDTH:
        expected = cv2.resize(expected, (max_side, round(HEIGHT * max_side / WIDTH)), interpolation=cv2.INTER_AREA)
    if whole.grayscale:
        expected = expected[..., 0]
    assert shrunk.shape == expected.shape
    assert np.abs(shrunk - expected).max() <= 1e-4 * top, kind


def test_png_data_that_ends_early_is_not_read_in_bands(tmp_path):
    """Image data that ends before the last row gives None, never rows made up: in an interlaced file too, where
    the last pass ends early."""
    data = _written(tmp_path, "rgb").read_bytes()
    short = _with_rows(data, lambda rows: rows[: len(rows) // 2])
    assert pngbands.reads_in_bands(short)
    assert pngbands.shrunk_png(short, 100) is None
    interlaced_short = _with_rows(_interlaced(data), lambda rows: rows[:-10])
    assert pngbands.shrunk_png(interlaced_short, 100) is None


def _with_rows(png: bytes, change) -> bytes:
    """The PNG with its filtered rows (the inflated image data) changed, in one IDAT, every checksum right."""
    chunks, at = [], 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        chunks.append((kind, png[at + 8 : at + 8 + length]))
        at += 12 + length
    rows = change(bytearray(zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))))
    return png[:8] + b"".join(
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        for kind, body in [chunks[0], (b"IDAT", zlib.compress(bytes(rows))), (b"IEND", b"")])


def test_a_row_filter_libpng_refuses_leaves_the_scan_to_the_whole_decode_with_nothing_on_stderr(tmp_path, capfd):
    """A row whose filter type is none of PNG's five (under good checksums): libpng printed 'libpng error: bad
    adaptive filter value' on the scan's stderr before the whole decode took over. The band reader checks the
    filter types itself: the scan reads what the whole decode reads, and prints nothing."""
    path = _written(tmp_path, "rgb")

    def bad_filter(rows: bytearray) -> bytearray:
        rows[(WIDTH * 3 + 1) * 30] = 7  # row 30's filter type
        return rows

    path.write_bytes(_with_rows(path.read_bytes(), bad_filter))
    assert pngbands.shrunk_png(path.read_bytes(), 100) is None
    capfd.readouterr()
    try:
        expected = np.clip(np.rint(imagefiles.load_reduced(path, 100) * 255), 0, 255).astype(np.uint8)
    except imagefiles.ImageFileError as error:
        expected = str(error)
    capfd.readouterr()  # the whole decode's own words, if any
    try:
        scanned = imagefiles.load_for_measuring(path, 100)
    except imagefiles.ImageFileError as error:
        scanned = str(error)
    if isinstance(expected, str):
        assert scanned == expected
    else:
        np.testing.assert_array_equal(scanned, expected)
    assert capfd.readouterr().err == ""


def _moved_after_image_data(png: bytes, moved: bytes) -> bytes:
    """The PNG with its ``moved`` chunk put just before IEND (after the image data), as some writers place eXIf."""
    chunks, at = [], 8
    while at < len(png):
        length = struct.unpack(">I", png[at : at + 4])[0]
        chunks.append(png[at : at + 12 + length])
        at += 12 + length
    kept = [chunk for chunk in chunks if chunk[4:8] != moved]
    return png[:8] + b"".join(kept[:-1] + [chunk for chunk in chunks if chunk[4:8] == moved] + kept[-1:])


@pytest.mark.parametrize("where", ["no chunk", "none", "before", "after"])
def test_a_pngs_orientation_is_found_without_its_pixels_decoded(tmp_path, monkeypatch, where):
    """Pillow finds a PNG's EXIF orientation by decoding the whole picture (its eXIf chunk may follow the image
    data): 600 MB of a 150 MP photo on the scan's peak. The orientation comes from a one-pixel stand-in of the
    file instead, as orientation_of reads it, and the scan decodes no picture of the photo's size with Pillow."""
    from PIL import ImageFile

    from deblur_app.imagefiles.metadata import orientation_of

    path = tmp_path / "turned.png"
    exif = Image.Exif()
    if where != "none":
        exif[0x0112] = 6
    Image.fromarray(_photo()).save(path, **({} if where == "no chunk" else {"exif": exif.tobytes()}))
    if where == "after":
        path.write_bytes(_moved_after_image_data(path.read_bytes(), b"eXIf"))
    with Image.open(path) as opened:
        expected = orientation_of(opened)
    assert expected == (6 if where in ("before", "after") else 1)
    assert pngbands.orientation(path.read_bytes()) == expected

    loaded = []
    plain_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: (loaded.append(self.size), plain_load(self))[1])
    small = imagefiles.load_for_measuring(path, 100)
    assert small.shape[:2] == ((100, 67) if expected == 6 else (67, 100))
    assert all(size == (1, 1) for size in loaded), loaded


def test_one_huge_idat_chunk_is_fed_to_zlib_in_small_pieces(tmp_path, monkeypatch):
    """A writer that puts all the image data in one IDAT chunk (the interlaced test writer does; a 150 MP photo's is
    254 MB): zlib handed back the unused rest of the chunk as a new bytes object at every band, a copy of up to the
    whole chunk each time (a 150 MP interlaced PNG's scan: 375 s, 826 MB). It is fed 64 KiB at a time now."""
    monkeypatch.setattr(pngbands, "BAND_PIXELS", WIDTH * 7)
    data = _interlaced(_written(tmp_path, "rgb").read_bytes())
    assert data.count(b"IDAT") == 1 and len(data) > 2 * (1 << 16)
    fed, real = [], zlib.decompressobj

    class Counted:
        def __init__(self):
            self._inflate = real()

        def decompress(self, piece, limit):
            fed.append(len(piece))
            return self._inflate.decompress(piece, limit)

        @property
        def unconsumed_tail(self):
            return self._inflate.unconsumed_tail

    monkeypatch.setattr(pngbands.zlib, "decompressobj", Counted)
    shrunk, _ = pngbands.shrunk_png(data, 100)
    assert shrunk.shape == (67, 100, 3) and max(fed) <= 1 << 16, max(fed)
