"""The previews cameras embed in RAW files, for thumbnails: the smallest big enough one of a TIFF
container, LibRaw's otherwise, turned upright; a half-size development when there is none."""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path

import numpy as np

from .errors import ImageFileError
from .raw import (PHOTOMETRIC, RAW_PHOTOMETRIC, SUB_IFDS, development_options, ifd_tags, libraw_quiet, load_rawpy,
                  orientation_of, sub_ifd_offsets)


def embedded_preview(path: Path, size: int) -> np.ndarray | None:
    """The camera's own preview inside a RAW file, upright, HxWx3 uint8 at most ``size`` on its
    long side (a half-size development when the file has none); None when LibRaw cannot read it.

    Cameras often embed several previews (a 160 px EXIF thumbnail, a medium one, a full-size
    JPEG); LibRaw hands out the largest, whose decoding alone takes 100+ ms at 24 MP. In a TIFF
    container the smallest JPEG at least ``size`` on its long side is decoded instead."""
    try:
        rawpy = load_rawpy(path)
    except ImageFileError:
        return None
    picture = _smallest_tiff_preview(path, size)
    if picture is not None:
        return _fit(picture, size)
    sensor = rawpy.RawPy()
    try:
        with libraw_quiet():
            try:
                sensor.open_file(os.fspath(path))
            except (rawpy.LibRawError, UnicodeError):
                sensor.open_buffer(io.BytesIO(path.read_bytes()))  # e.g. a name LibRaw cannot open
            try:
                picture = _thumbnail_pixels(sensor.extract_thumb(), size)
            except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
                picture = None
            if picture is None:
                sensor.unpack()
                picture = sensor.postprocess(**{**development_options(half_size=True), "output_bps": 8})
            else:
                picture = apply_flip(picture, orientation_of(sensor))
        return _fit(picture, size)
    except Exception:
        return None
    finally:
        sensor.close()


def _thumbnail_pixels(thumb, size: int) -> np.ndarray | None:
    import rawpy
    from PIL import Image

    if thumb.format == rawpy.ThumbFormat.BITMAP:
        return np.ascontiguousarray(thumb.data[..., :3]) if thumb.data.ndim == 3 else None
    with Image.open(io.BytesIO(thumb.data)) as im:
        im.draft("RGB", (size, size))  # libjpeg's DCT scaling: a 24 MP preview decodes at 1/8
        return np.asarray(im.convert("RGB"))


def apply_flip(picture: np.ndarray, orientation: int) -> np.ndarray:
    from .metadata import apply_orientation

    return np.ascontiguousarray(apply_orientation(picture, orientation))


def _fit(picture: np.ndarray, size: int) -> np.ndarray:
    import cv2

    height, width = picture.shape[:2]
    scale = size / max(height, width)
    if scale >= 1:
        return np.ascontiguousarray(picture)
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(picture, target, interpolation=cv2.INTER_AREA)


def _smallest_tiff_preview(path: Path, size: int) -> np.ndarray | None:
    """The smallest embedded JPEG of a TIFF-based RAW file at least ``size`` on its long side
    (else the largest), decoded and upright; None for other containers or when there is none."""
    import mmap

    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:4] not in (b"II*\0", b"MM\0*"):
                return None
            order = "<" if data[:2] == b"II" else ">"
            ifd0 = ifd_tags(data, order, struct.unpack_from(order + "I", data, 4)[0])
            jpegs = [bytes(data[offset:offset + length]) for offset, length in _tiff_jpegs(data, order)]
    except (OSError, ValueError, struct.error):
        return None
    orientation = ifd0.get(0x0112, 1) if isinstance(ifd0.get(0x0112, 1), int) else 1
    return _decode_smallest(jpegs, size, orientation)


def _tiff_jpegs(data, order: str) -> list[tuple[int, int]]:
    """(offset, length) of the JPEG previews in a TIFF container: the IFD chain, its sub-IFDs, and
    EXIF-style thumbnails (JPEGInterchangeFormat); sensor data compressed as JPEG is left out."""
    found, queue, seen = [], [struct.unpack_from(order + "I", data, 4)[0]], set()
    while queue and len(seen) < 32:
        offset = queue.pop(0)
        if offset in seen or not 8 <= offset < len(data) - 2:
            continue
        seen.add(offset)
        tags = ifd_tags(data, order, offset)
        queue += sub_ifd_offsets(data, order, tags.get(SUB_IFDS))
        (count,) = struct.unpack_from(order + "H", data, offset)
        queue.append(struct.unpack_from(order + "I", data, offset + 2 + 12 * count)[0])  # the next IFD
        if tags.get(PHOTOMETRIC) in RAW_PHOTOMETRIC:
            continue
        start, length = tags.get(0x0201), tags.get(0x0202)  # JPEGInterchangeFormat(Length)
        if not isinstance(start, int) and tags.get(0x0103) in (6, 7):
            start, length = tags.get(0x0111), tags.get(0x0117)  # one strip of JPEG
        if isinstance(start, int) and isinstance(length, int) and 0 < length and start + length <= len(data):
            found.append((start, length))
    return found


def _decode_smallest(jpegs: list[bytes], size: int, orientation: int) -> np.ndarray | None:
    from PIL import Image

    sized = []
    for blob in jpegs:
        try:
            with Image.open(io.BytesIO(blob)) as im:  # reads the header only
                if im.format == "JPEG":
                    sized.append((max(im.size), blob))
        except Exception:
            continue
    if not sized:
        return None
    big_enough = [entry for entry in sized if entry[0] >= size]
    _side, blob = min(big_enough, key=lambda e: e[0]) if big_enough else max(sized, key=lambda e: e[0])
    try:
        with Image.open(io.BytesIO(blob)) as im:
            im.draft("RGB", (size, size))
            picture = np.asarray(im.convert("RGB"))
    except Exception:
        return None
    return apply_flip(picture, orientation if 1 <= orientation <= 8 else 1)
