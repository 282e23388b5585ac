"""Camera RAW files for the tests, written here so the project carries its own: a small, valid
CFA DNG (what LibRaw needs to develop it) with a camera's EXIF and GPS, and an embedded preview.

The DNG describes a camera whose colour space is linear sRGB (ColorMatrix1 is the XYZ -> sRGB
matrix): the sensor values are a linear-light rendering of the scene seen through a Bayer RGGB
filter, scaled by the white balance the camera recorded (AsShotNeutral). A TIFF container is
written by hand (little-endian) because the file needs nested Exif and GPS IFDs and a preview IFD.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED, SRATIONAL = 1, 2, 3, 4, 5, 7, 10
_FORMATS = {BYTE: "B", ASCII: "B", SHORT: "H", LONG: "I", UNDEFINED: "B"}
_SIZES = {BYTE: 1, ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1, SRATIONAL: 8}

# XYZ (D65) -> linear sRGB: a "camera" whose raw colours are linear sRGB
XYZ_TO_SRGB = ((3.2406, -1.5372, -0.4986), (-0.9689, 1.8758, 0.0415), (0.0557, -0.2040, 1.0570))

#: What the test camera writes in its EXIF: checked in the deblurred TIFF.
CAMERA = {
    "make": "Deblurtest",
    "model": "RAW-1",
    "lens": "Deblurtest 35mm F2",
    "datetime": "2026:12:06 02:50:00",
    "exposure": (1, 60),
    "fnumber": (28, 10),
    "iso": 400,
    "focal_length": (35, 1),
    "latitude": ((48, 1), (51, 1), (2412, 100)),
    "longitude": ((2, 1), (17, 1), (4020, 100)),
}


@dataclass
class Ifd:
    """Tag -> (type, values); values of a sub-IFD tag are Ifd objects; ``blob`` is the strip data."""

    tags: dict = field(default_factory=dict)
    blob: bytes = b""

    def put(self, tag: int, typ: int, values) -> None:
        if isinstance(values, str):
            values = values.encode("ascii") + b"\0"
        if isinstance(values, (bytes, int, Ifd)) or (isinstance(values, tuple) and typ in (RATIONAL, SRATIONAL)
                                                     and values and isinstance(values[0], int)):
            values = [values] if not isinstance(values, bytes) else list(values)
        self.tags[tag] = (typ, list(values))


def _value_bytes(typ: int, values: list) -> bytes:
    if typ in (RATIONAL, SRATIONAL):
        code = "<II" if typ == RATIONAL else "<ii"
        return b"".join(struct.pack(code, *pair) for pair in values)
    return struct.pack("<" + _FORMATS[typ] * len(values), *values)


def _write_ifd(out: bytearray, ifd: Ifd, next_offset_slot: list[int]) -> int:
    """Append ``ifd`` (its entries, then their data, sub-IFDs and strip) and return its offset."""
    start = len(out)
    entries = sorted(ifd.tags.items())
    out += b"\0" * (2 + 12 * len(entries) + 4)
    struct.pack_into("<H", out, start, len(entries))
    next_offset_slot.append(start + 2 + 12 * len(entries))
    for index, (tag, (typ, values)) in enumerate(entries):
        slot = start + 2 + 12 * index
        if values and isinstance(values[0], Ifd):
            offsets = [_write_ifd(out, child, []) for child in values]
            struct.pack_into("<HHI", out, slot, tag, LONG, len(offsets))
            data = struct.pack("<" + "I" * len(offsets), *offsets)
        elif tag == 273:  # strip offset: the blob goes after everything else of this IFD
            struct.pack_into("<HHI", out, slot, tag, LONG, 1)
            continue
        else:
            data = _value_bytes(typ, values)
            struct.pack_into("<HHI", out, slot, tag, typ, len(values))
        if len(data) <= 4:
            out[slot + 8:slot + 8 + len(data)] = data
        else:
            if len(out) % 2:
                out += b"\0"
            struct.pack_into("<I", out, slot + 8, len(out))
            out += data
    if 273 in ifd.tags:
        if len(out) % 2:
            out += b"\0"
        index = [tag for tag, _ in entries].index(273)
        struct.pack_into("<I", out, start + 2 + 12 * index + 8, len(out))
        out += ifd.blob
    return start


def tiff_bytes(ifd0: Ifd) -> bytes:
    out = bytearray(b"II*\0\0\0\0\0")
    struct.pack_into("<I", out, 4, _write_ifd(out, ifd0, []))
    return bytes(out)


def scene(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A linear-light RGB scene in [0, 1]: smooth colour gradients and a few sharp edges."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    rgb = np.stack([0.15 + 0.7 * x / width, 0.2 + 0.6 * y / height, 0.5 + 0.3 * np.sin(x / 7.0 + y / 11.0)], axis=2)
    rgb[(x // 16 + y // 16) % 2 == 0] *= 0.35
    return np.clip(rgb + rng.normal(0, 0.01, rgb.shape), 0, 1).astype(np.float32)


def _exif_ifd() -> Ifd:
    exif = Ifd()
    exif.put(33434, RATIONAL, CAMERA["exposure"])
    exif.put(33437, RATIONAL, CAMERA["fnumber"])
    exif.put(34855, SHORT, CAMERA["iso"])
    exif.put(36864, UNDEFINED, b"0231")
    exif.put(36867, ASCII, CAMERA["datetime"])
    exif.put(37386, RATIONAL, CAMERA["focal_length"])
    exif.put(42036, ASCII, CAMERA["lens"])
    return exif


def _gps_ifd() -> Ifd:
    gps = Ifd()
    gps.put(0, BYTE, (2, 3, 0, 0))
    gps.put(1, ASCII, "N")
    gps.put(2, RATIONAL, CAMERA["latitude"])
    gps.put(3, ASCII, "E")
    gps.put(4, RATIONAL, CAMERA["longitude"])
    return gps


def _preview_ifd(rgb8: np.ndarray) -> Ifd:
    """A reduced-resolution JPEG preview (NewSubfileType 1), as cameras embed for quick display."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb8).save(buffer, format="JPEG", quality=90)
    preview = Ifd(blob=buffer.getvalue())
    preview.put(254, LONG, 1)
    preview.put(256, LONG, rgb8.shape[1])
    preview.put(257, LONG, rgb8.shape[0])
    preview.put(258, SHORT, (8, 8, 8))
    preview.put(259, SHORT, 7)  # JPEG
    preview.put(262, SHORT, 6)  # YCbCr
    preview.put(273, LONG, 0)
    preview.put(277, SHORT, 3)
    preview.put(278, LONG, rgb8.shape[0])
    preview.put(279, LONG, len(preview.blob))
    return preview


def dng_bytes(height: int = 96, width: int = 128, *, orientation: int = 1, seed: int = 0,
              neutral: tuple[float, float, float] = (0.5, 1.0, 0.7), preview: bool = True,
              preview_step: int = 4, extra_previews: tuple[np.ndarray, ...] = ()) -> bytes:
    """A Bayer RGGB DNG of :func:`scene` (12-bit data with a black level), EXIF, GPS and a JPEG
    preview of 1/``preview_step`` the size (1: full size, as many cameras embed), then the
    ``extra_previews`` (HxWx3 uint8) as further preview sub-IFDs."""
    linear = scene(height, width, seed)
    camera = linear * np.asarray(neutral, np.float32)  # what the sensor sees under the recorded light
    cfa = np.empty((height, width), np.float32)
    cfa[0::2, 0::2] = camera[0::2, 0::2, 0]
    cfa[0::2, 1::2] = camera[0::2, 1::2, 1]
    cfa[1::2, 0::2] = camera[1::2, 0::2, 1]
    cfa[1::2, 1::2] = camera[1::2, 1::2, 2]
    black, white = 256, 4095
    data = np.rint(black + cfa * (white - black)).astype("<u2")

    raw = Ifd(blob=data.tobytes())
    raw.put(254, LONG, 0)
    raw.put(256, LONG, width)
    raw.put(257, LONG, height)
    raw.put(258, SHORT, 16)
    raw.put(259, SHORT, 1)
    raw.put(262, SHORT, 32803)  # CFA
    raw.put(271, ASCII, CAMERA["make"])
    raw.put(272, ASCII, CAMERA["model"])
    raw.put(274, SHORT, orientation)
    raw.put(273, LONG, 0)
    raw.put(277, SHORT, 1)
    raw.put(278, LONG, height)
    raw.put(279, LONG, len(raw.blob))
    raw.put(284, SHORT, 1)
    raw.put(306, ASCII, CAMERA["datetime"])
    raw.put(33421, SHORT, (2, 2))
    raw.put(33422, BYTE, (0, 1, 1, 2))
    raw.put(50706, BYTE, (1, 4, 0, 0))
    raw.put(50707, BYTE, (1, 1, 0, 0))
    raw.put(50708, ASCII, f"{CAMERA['make']} {CAMERA['model']}")
    raw.put(50714, LONG, black)
    raw.put(50717, LONG, white)
    raw.put(50721, SRATIONAL, [(round(v * 10000), 10000) for row in XYZ_TO_SRGB for v in row])
    raw.put(50778, SHORT, 21)  # D65
    raw.put(50728, RATIONAL, [(round(v * 10000), 10000) for v in neutral])
    raw.put(34665, LONG, _exif_ifd())
    raw.put(34853, LONG, _gps_ifd())
    previews = []
    if preview:
        small = (np.clip(linear[::preview_step, ::preview_step], 0, 1) ** (1 / 2.2) * 255).astype(np.uint8)
        previews.append(_preview_ifd(np.ascontiguousarray(small)))
    previews += [_preview_ifd(np.ascontiguousarray(extra)) for extra in extra_previews]
    if previews:
        raw.put(330, LONG, previews)
    return tiff_bytes(raw)


def write_dng(path: Path, **options) -> Path:
    Path(path).write_bytes(dng_bytes(**options))
    return Path(path)


# ----------------------------------------------------------------------------- what the tests check


def rawpy_development(path: Path) -> np.ndarray:
    """rawpy's own development of a file with the options the app documents (imagefiles/raw.py)."""
    import rawpy

    with rawpy.imread(str(path)) as sensor:
        return sensor.postprocess(use_camera_wb=True, output_bps=16, gamma=(2.4, 12.92),
                                  output_color=rawpy.ColorSpace.sRGB)


def exif_of(path: Path) -> tuple[dict, dict, dict]:
    """IFD0, Exif IFD and GPS IFD of a saved photo, as Pillow reads them."""
    from PIL import Image

    with Image.open(path) as im:
        exif = im.getexif()
        return dict(exif), dict(exif.get_ifd(0x8769)), dict(exif.get_ifd(0x8825))


def assert_camera_exif(path: Path) -> None:
    """The test camera's make, model, date, lens, exposure and GPS are in ``path``; orientation 1."""
    import pytest

    ifd0, exif, gps = exif_of(path)
    assert ifd0[271] == CAMERA["make"] and ifd0[272] == CAMERA["model"] and ifd0[306] == CAMERA["datetime"]
    assert ifd0.get(274, 1) == 1  # the pixels are upright
    assert exif[42036] == CAMERA["lens"] and exif[36867] == CAMERA["datetime"] and exif[34855] == CAMERA["iso"]
    assert Fraction(float(exif[33434])).limit_denominator(1000) == Fraction(*CAMERA["exposure"])
    assert float(exif[33437]) == pytest.approx(2.8)
    assert [float(v) for v in gps[2]] == pytest.approx([48, 51, 24.12]) and gps[1] == "N" and gps[3] == "E"
