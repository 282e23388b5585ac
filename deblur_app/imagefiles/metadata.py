"""EXIF, ICC and JPEG compression: what is carried from a photo to its deblurred copy,
and the EXIF orientation applied on load so that pixels are upright and saved files say
orientation 1."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np
from PIL import Image, JpegImagePlugin

_EXIF_HEADER = b"Exif\x00\x00"
_ORIENTATION = 0x0112
# EXIF IFD0 tags worth carrying between files (descriptive, not pixel layout).
_EXIF_IFD0_KEEP = (
    270,  # ImageDescription
    271,  # Make
    272,  # Model
    274,  # Orientation
    282,  # XResolution
    283,  # YResolution
    296,  # ResolutionUnit
    305,  # Software
    306,  # DateTime
    315,  # Artist
    33432,  # Copyright
)
_EXIF_SUB_IFDS = (0x8769, 0x8825)  # Exif IFD, GPS IFD
_INTEROP_IFD = 0xA005


def exif_body(raw: bytes) -> bytes:
    return raw[len(_EXIF_HEADER):] if raw.startswith(_EXIF_HEADER) else raw


def exif_reset_orientation(raw: bytes, drop_thumbnail: bool = False) -> bytes:
    """Return the EXIF block with IFD0 Orientation set to 1, patched in place so every
    other byte (maker notes included) is preserved.  ``drop_thumbnail`` unlinks IFD1,
    whose thumbnail would show the old orientation."""
    body = bytearray(exif_body(raw))
    if len(body) >= 8 and body[:2] in (b"II", b"MM"):
        e = "<" if body[:2] == b"II" else ">"
        try:
            (ifd0,) = struct.unpack_from(e + "I", body, 4)
            (count,) = struct.unpack_from(e + "H", body, ifd0)
            for i in range(count):
                entry = ifd0 + 2 + 12 * i
                tag, typ, n = struct.unpack_from(e + "HHI", body, entry)
                if tag == _ORIENTATION and typ == 3 and n >= 1:
                    struct.pack_into(e + "H", body, entry + 8, 1)
            if drop_thumbnail:
                struct.pack_into(e + "I", body, ifd0 + 2 + 12 * count, 0)
        except struct.error:
            pass  # malformed EXIF: keep as is
    return _EXIF_HEADER + bytes(body)


def exif_subset(exif: Image.Exif) -> dict:
    """Descriptive tags of an Exif object (IFD0 whitelist + Exif/GPS sub-IFDs as dicts),
    suitable for a TIFF IFD."""
    tags: dict = {}
    for tag in _EXIF_IFD0_KEEP:
        if tag in exif:
            tags[tag] = exif[tag]
    for tag in _EXIF_SUB_IFDS:
        try:
            sub = exif.get_ifd(tag)
        except Exception:
            sub = None
        if sub:
            sub = {k: v for k, v in sub.items() if k != _INTEROP_IFD}
            if sub:
                tags[tag] = sub
    if _ORIENTATION in tags:
        tags[_ORIENTATION] = 1
    return tags


def exif_from_tiff(im: Image.Image) -> bytes | None:
    try:
        tags = exif_subset(im.getexif())
    except Exception:
        return None
    if not tags:
        return None
    exif = Image.Exif()
    for tag, value in tags.items():
        exif[tag] = value
    try:
        return exif.tobytes()
    except Exception:
        return None


def orientation_of(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(_ORIENTATION, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def apply_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
    """Make an HxW[xC] array upright for an EXIF orientation (same result as
    Pillow's ImageOps.exif_transpose)."""
    if orientation == 2:
        return arr[:, ::-1]
    if orientation == 3:
        return arr[::-1, ::-1]
    if orientation == 4:
        return arr[::-1]
    if orientation == 5:
        return arr.swapaxes(0, 1)
    if orientation == 6:
        return np.rot90(arr, -1)
    if orientation == 7:
        return arr[::-1, ::-1].swapaxes(0, 1)
    if orientation == 8:
        return np.rot90(arr, 1)
    return arr


def icc_colour_space(icc: bytes | None) -> bytes | None:
    if not icc or len(icc) < 20:
        return None
    return bytes(icc[16:20])


@dataclass(frozen=True)
class JpegEncoding:
    """How a JPEG was compressed: its quantisation tables (which set its quality) and its
    chroma subsampling in Pillow's codes (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0; None when it is
    none of these, e.g. a grayscale or CMYK file)."""

    qtables: tuple[tuple[int, ...], ...]
    subsampling: int | None


def jpeg_encoding_of(im: Image.Image) -> JpegEncoding | None:
    """The compression of a JPEG opened by Pillow (None for other formats).  Saving with
    these tables is what Pillow's ``quality="keep"`` does; that option itself only works
    when saving the opened file object, not new pixels."""
    tables = getattr(im, "quantization", None)
    if not isinstance(im, JpegImagePlugin.JpegImageFile) or not tables:
        return None
    try:
        sampling = JpegImagePlugin.get_sampling(im)
    except Exception:
        sampling = -1
    return JpegEncoding(
        qtables=tuple(tuple(int(v) for v in tables[key]) for key in sorted(tables)),
        subsampling=sampling if sampling in (0, 1, 2) else None,
    )
