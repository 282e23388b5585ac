"""Encoders: 8-bit files through Pillow, and our own 16-bit PNG and deflate TIFF
writers (Pillow cannot write 16-bit colour) that keep ICC and EXIF."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Callable, Iterator

import numpy as np
from PIL import Image, PngImagePlugin, TiffImagePlugin, TiffTags

from .metadata import JpegEncoding, exif_body, exif_subset
from .provenance import xmp_packet


@dataclass(frozen=True)
class Bands:
    """8-bit samples of ``shape`` made a band of rows at a time: ``bands()`` yields (first row, samples)."""

    shape: tuple[int, ...]
    bands: Callable[[], Iterator[tuple[int, np.ndarray]]]


def _pil_image(arr: np.ndarray | Bands) -> Image.Image:
    if isinstance(arr, Bands):
        # Pillow's picture filled band by band: the same pixels as Image.fromarray of the whole array
        image = Image.new("L" if len(arr.shape) == 2 else "RGB", (arr.shape[1], arr.shape[0]))
        for top, band in arr.bands():
            image.paste(Image.fromarray(np.ascontiguousarray(band)), (0, top))
        return image
    if arr.ndim == 2:
        return Image.fromarray(np.ascontiguousarray(arr))
    if arr.shape[2] == 2:
        return Image.merge("LA", [Image.fromarray(np.ascontiguousarray(arr[:, :, i])) for i in (0, 1)])
    return Image.fromarray(np.ascontiguousarray(arr))


def encode_pillow(f: BinaryIO, arr: np.ndarray | Bands, fmt: str, quality: int,
                  icc: bytes | None, exif: bytes | None, jpeg: JpegEncoding | None = None, marker: str = "") -> None:
    """``jpeg``: write a JPEG with these tables and subsampling instead of ``quality``.
    ``marker``: the program that made the file, where the format keeps one (provenance.py)."""
    im = _pil_image(arr)
    kwargs: dict = _marker_options(fmt, marker) if marker else {}
    if fmt == "JPEG":
        if jpeg is not None:
            subsampling = jpeg.subsampling if jpeg.subsampling is not None else 0
            kwargs.update(qtables=[list(table) for table in jpeg.qtables], subsampling=subsampling)
        else:
            kwargs.update(quality=quality, subsampling=0 if quality >= 90 else 2)
        if exif and len(exif) > 65533:  # does not fit one APP1 segment
            exif = None
    elif fmt == "PNG":
        kwargs.update(compress_level=6)
    elif fmt == "WEBP":
        kwargs.update(quality=quality, lossless=quality >= 100, method=4, exact=True)
    if fmt in ("JPEG", "PNG", "WEBP"):
        if icc:
            kwargs["icc_profile"] = icc
        if exif:
            kwargs["exif"] = exif
    im.save(_WritesThroughPython(f), format=fmt, **kwargs)


class _WritesThroughPython:
    """``f`` without its file descriptor: Pillow then hands its encoder's output to ``f.write``, whose buffered
    writer writes all of it or raises. Given the descriptor, Pillow's C encoder writes to it itself and takes a short
    write (a disk filling up: ``write`` returns fewer bytes, and no error while it was the file's last chunk) for a
    whole one: a full disk left a 4096-byte JPEG of ~18 KB as a photo deblurred and saved (a batch into a 60 KB
    tmpfs, reliability session 18). PNG at 16 bits and TIFF are written by the app itself, through ``f.write``."""

    def __init__(self, f: BinaryIO) -> None:
        self._f = f

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")

    def __getattr__(self, name: str):
        return getattr(self._f, name)


def _marker_options(fmt: str, marker: str) -> dict:
    if fmt == "JPEG":
        return {"comment": marker.encode()}
    if fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", marker)
        return {"pnginfo": info}
    if fmt == "WEBP":
        return {"xmp": xmp_packet(marker)}
    return {}


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def encode_png16(f: BinaryIO, arr: np.ndarray, icc: bytes | None, exif: bytes | None, marker: str = "") -> None:
    """16-bit PNG (gray, gray+alpha, RGB, RGBA) with 'Sub' filtered rows."""
    h, w = arr.shape[:2]
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    f.write(b"\x89PNG\r\n\x1a\n")
    f.write(_png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)))
    if icc:
        f.write(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
    if exif:
        f.write(_png_chunk(b"eXIf", exif_body(exif)))
    if marker:
        f.write(_png_chunk(b"tEXt", b"Software\x00" + marker.encode("latin-1", "replace")))
    bpp = channels * 2
    row_bytes = w * bpp
    block = max(1, (4 << 20) // max(1, row_bytes))
    comp = zlib.compressobj(6)
    for y0 in range(0, h, block):
        rows = np.ascontiguousarray(arr[y0:y0 + block], dtype=">u2").view(np.uint8)
        rows = rows.reshape(rows.shape[0], row_bytes)
        filt = np.empty((rows.shape[0], row_bytes + 1), np.uint8)
        filt[:, 0] = 1  # Sub filter
        filt[:, 1:bpp + 1] = rows[:, :bpp]
        np.subtract(rows[:, bpp:], rows[:, :-bpp], out=filt[:, bpp + 1:])
        out = comp.compress(filt.tobytes())
        if out:
            f.write(_png_chunk(b"IDAT", out))
    f.write(_png_chunk(b"IDAT", comp.flush()))
    f.write(_png_chunk(b"IEND", b""))


def _predicted_deflate_strips(arr: np.ndarray, depth: int, rows_per_strip: int) -> list[bytes]:
    """Strips of rows, each horizontally differenced (TIFF predictor 2, wrapping) and deflated."""
    strips: list[bytes] = []
    for y0 in range(0, arr.shape[0], rows_per_strip):
        blk = np.ascontiguousarray(arr[y0:y0 + rows_per_strip])
        diff = blk.copy()
        np.subtract(blk[:, 1:], blk[:, :-1], out=diff[:, 1:])  # predictor 2, wraps
        strips.append(zlib.compress(diff.astype("<u2" if depth == 16 else np.uint8).tobytes(), 6))
    return strips


def _tiff_directory_with_exif(exif: bytes | None) -> TiffImagePlugin.ImageFileDirectory_v2:
    """A TIFF directory holding the EXIF's descriptive tags (and Exif/GPS IFDs)."""
    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=b"II\x2a\x00\x08\x00\x00\x00")
    if exif:
        try:
            ex = Image.Exif()
            ex.load(exif)
            for tag, value in exif_subset(ex).items():
                ifd[tag] = value
        except Exception:
            pass  # unreadable EXIF is dropped rather than failing the save
    return ifd


def encode_tiff(f: BinaryIO, arr: np.ndarray, gray: bool, has_alpha: bool,
                icc: bytes | None, exif: bytes | None, marker: str = "") -> None:
    """Baseline little-endian TIFF, 8 or 16 bits per sample, Adobe-deflate with
    horizontal predictor, ICC profile and EXIF (descriptive tags + Exif/GPS IFDs)."""
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, channels = arr.shape
    depth = 16 if arr.dtype == np.uint16 else 8
    row_bytes = w * channels * (depth // 8)
    rows_per_strip = max(1, min(h, (256 << 10) // max(1, row_bytes)))
    strips = _predicted_deflate_strips(arr, depth, rows_per_strip)
    ifd = _tiff_directory_with_exif(exif)
    short, long_, undefined = TiffTags.SHORT, TiffTags.LONG, TiffTags.UNDEFINED

    def put(tag: int, value, typ: int) -> None:
        ifd[tag] = value
        ifd.tagtype[tag] = typ

    put(256, w, long_)
    put(257, h, long_)
    put(258, (depth,) * channels, short)
    put(259, 8, short)  # Adobe deflate
    put(262, 1 if gray else 2, short)
    offsets, pos = [], 0
    for s in strips:
        offsets.append(pos)
        pos += len(s)
    put(273, tuple(offsets), long_)  # relative; Pillow rebases past the IFD
    put(277, channels, short)
    put(278, rows_per_strip, long_)
    put(279, tuple(len(s) for s in strips), long_)
    put(284, 1, short)
    put(317, 2, short)  # horizontal differencing
    if has_alpha:
        put(338, (2,), short)  # unassociated alpha
    put(339, (1,) * channels, short)
    if icc:
        put(34675, icc, undefined)
    if marker:
        put(305, marker, TiffTags.ASCII)  # Software: this app, in place of the camera's
    f.write(b"II\x2a\x00" + struct.pack("<I", 8))
    f.write(ifd.tobytes(8))
    for s in strips:
        f.write(s)


@dataclass(frozen=True)
class OutputFile:
    """What a file is written with besides its samples."""

    fmt: str  # "PNG", "JPEG", "TIFF", "WEBP" or "BMP"
    gray: bool
    has_alpha: bool
    quality: int
    icc: bytes | None
    exif: bytes | None
    jpeg: JpegEncoding | None  # a JPEG's tables and subsampling, in place of ``quality``
    marker: str


@dataclass(frozen=True)
class Encoder:
    """One of the encoders: ``write(f, samples, output)``; ``takes_bands``: its 8-bit samples may come as Bands
    (Pillow's picture is filled band by band: no whole 8-bit array beside it)."""

    write: Callable[[BinaryIO, np.ndarray | Bands, OutputFile], None]
    takes_bands: bool


_TIFF = Encoder(lambda f, samples, out: encode_tiff(f, samples, out.gray, out.has_alpha, out.icc, out.exif, out.marker),
                takes_bands=False)
_PNG16 = Encoder(lambda f, samples, out: encode_png16(f, samples, out.icc, out.exif, out.marker), takes_bands=False)
_PILLOW = Encoder(lambda f, samples, out: encode_pillow(f, samples, out.fmt, out.quality, out.icc, out.exif, out.jpeg,
                                                        out.marker), takes_bands=True)


def encoder_for(fmt: str, depth: int) -> Encoder:
    """The encoder of ``fmt`` at ``depth`` bits: the app's TIFF writer (8 or 16 bits), its 16-bit PNG writer (Pillow
    cannot write 16-bit colour), Pillow for the rest."""
    if fmt == "TIFF":
        return _TIFF
    if depth == 16:
        return _PNG16
    return _PILLOW
