"""Camera RAW files through LibRaw (rawpy): which files are RAW, their development into 16-bit
sRGB, their embedded previews, and one-line errors for fake and damaged ones.

Pillow must never get a RAW file: NEF, CR2, ARW, DNG, KDC, PEF... are TIFF containers whose
first image is often a small preview, which Pillow would read as "the photo" (a Kodak KDC once
came out as a 96x64 JPEG). A file is RAW when its extension says so or its content does
(:func:`looks_like_raw`), and then only this module reads it.

The development is one set of LibRaw options (:data:`DEVELOPMENT`): the white balance the camera
recorded, sRGB primaries and the sRGB tone curve, 16 bits per channel, LibRaw's default
brightness, and the camera's orientation applied. weights/README.md says why the network gets
these sRGB pixels rather than the linear data (measured: benchmarks/bench_raw_linear.py).
"""

from __future__ import annotations

import io
import os
import struct
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import ImageFileError, PathLike
from .formats import RAW_EXTENSIONS

#: LibRaw's development of every RAW file the app reads (rawpy.RawPy.postprocess options);
#: the colour space and the curve are added in :func:`development_options` (they need rawpy).
DEVELOPMENT = {
    "use_camera_wb": True,  # the white balance the camera recorded, not LibRaw's guess
    "output_bps": 16,
    "gamma": (2.4, 12.92),  # the sRGB tone curve (LibRaw's default is BT.709's 2.222 / 4.5)
}

# LibRaw's flip -> the EXIF orientation it applies while developing
_FLIP_TO_ORIENTATION = {0: 1, 3: 3, 5: 8, 6: 6}


def load_rawpy(path: Path):
    """The rawpy module, or ImageFileError where it is not installed (it is a default dependency
    wherever rawpy publishes wheels: Linux x86_64/aarch64, Windows, macOS on Apple silicon)."""
    try:
        import rawpy
    except ImportError:
        raise ImageFileError(path, "camera RAW files need the package rawpy (pip install rawpy)") from None
    return rawpy


def development_options(half_size: bool = False) -> dict:
    import rawpy

    return {**DEVELOPMENT, "output_color": rawpy.ColorSpace.sRGB, "half_size": half_size}


# ----------------------------------------------------------------------------- which files are RAW


def has_raw_extension(path: PathLike) -> bool:
    return Path(os.fspath(path)).suffix.lower() in RAW_EXTENSIONS


_SNIFF_BYTES = 1 << 16  # enough for a TIFF container's first IFDs


def is_raw(path: PathLike) -> bool:
    """True when ``path`` is a camera RAW file, by its extension or its first bytes."""
    if has_raw_extension(path):
        return True
    try:
        with open(os.fspath(path), "rb") as handle:
            return looks_like_raw(handle.read(_SNIFF_BYTES))
    except (OSError, ValueError):
        return False


_RAW_MAGIC = (
    (0, b"FUJIFILMCCD-RAW"),  # RAF
    (0, b"IIRO"), (0, b"MMOR"), (0, b"IIRS"),  # Olympus ORF
    (0, b"IIU\0"),  # Panasonic RW2
    (0, b"\0MRM"),  # Minolta MRW
    (0, b"FOVb"),  # Sigma X3F
    (6, b"HEAPCCDR"),  # Canon CRW
    (4, b"ftypcrx "),  # Canon CR3
    (8, b"CR\x02\0"),  # Canon CR2 (TIFF header + "CR")
)
_DNG_VERSION, _SUB_IFDS, _PHOTOMETRIC = 50706, 330, 262
_RAW_PHOTOMETRIC = (32803, 34892)  # CFA, LinearRaw


def looks_like_raw(data: bytes) -> bool:
    """True when a file's bytes are a camera RAW whatever its name: a RAW format's signature, or
    a TIFF whose first image or one of its sub-images is sensor data (DNG, NEF, ARW, PEF...)."""
    if any(data[offset:offset + len(magic)] == magic for offset, magic in _RAW_MAGIC):
        return True
    if data[:4] not in (b"II*\0", b"MM\0*"):
        return False
    order = "<" if data[:2] == b"II" else ">"
    try:
        (ifd0,) = struct.unpack_from(order + "I", data, 4)
        tags = _ifd_tags(data, order, ifd0)
        if _DNG_VERSION in tags or tags.get(_PHOTOMETRIC) in _RAW_PHOTOMETRIC:
            return True
        return any(_ifd_tags(data, order, sub).get(_PHOTOMETRIC) in _RAW_PHOTOMETRIC
                   for sub in _sub_ifd_offsets(data, order, tags.get(_SUB_IFDS))[:8])
    except struct.error:
        return False


def _ifd_tags(data: bytes, order: str, offset: int) -> dict[int, object]:
    """Tag -> first value (SHORT/LONG) or (type, count, value offset) of one IFD."""
    (count,) = struct.unpack_from(order + "H", data, offset)
    tags: dict[int, object] = {}
    for index in range(min(count, 512)):
        tag, typ, n = struct.unpack_from(order + "HHI", data, offset + 2 + 12 * index)
        value_at = offset + 2 + 12 * index + 8
        if typ == 3 and n == 1:
            tags[tag] = struct.unpack_from(order + "H", data, value_at)[0]
        elif typ in (4, 13) and n == 1:
            tags[tag] = struct.unpack_from(order + "I", data, value_at)[0]
        else:
            tags[tag] = (typ, n, struct.unpack_from(order + "I", data, value_at)[0])
    return tags


def _sub_ifd_offsets(data: bytes, order: str, entry) -> list[int]:
    if isinstance(entry, int):
        return [entry]
    if isinstance(entry, tuple) and entry[0] in (4, 13):
        return list(struct.unpack_from(order + "I" * min(entry[1], 8), data, entry[2]))
    return []


# ----------------------------------------------------------------------------- LibRaw's messages

_QUIET_LOCK = threading.Lock()
_quiet_users = 0
_quiet_state: tuple[int, object] | None = None  # (saved stderr fd, capture file)


@contextmanager
def libraw_quiet():
    """Keep LibRaw's own complaints ("unknown file: Unexpected end of file", printed by C code
    straight to stderr) out of the terminal: the app reports a bad file in one line of its own.
    Whatever else was written to stderr meanwhile is passed on afterwards. Nests across threads."""
    global _quiet_users, _quiet_state
    with _QUIET_LOCK:
        if _quiet_users == 0:
            _quiet_state = _capture_stderr()
        _quiet_users += 1
    try:
        yield
    finally:
        with _QUIET_LOCK:
            _quiet_users -= 1
            if _quiet_users == 0 and _quiet_state is not None:
                _release_stderr(*_quiet_state)
                _quiet_state = None


def _capture_stderr() -> tuple[int, object] | None:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # no stderr at all (a windowed program)
        return None
    capture = tempfile.TemporaryFile()
    os.dup2(capture.fileno(), 2)
    return saved, capture


def _release_stderr(saved: int, capture) -> None:
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os.dup2(saved, 2)
    os.close(saved)
    capture.seek(0)
    others = [line for line in capture.read().decode("utf-8", "replace").splitlines(keepends=True)
              if not _is_libraw_message(line)]
    capture.close()
    if others:
        os.write(2, "".join(others).encode("utf-8"))


def _is_libraw_message(line: str) -> bool:
    return ": Unexpected end of file" in line or ": Corrupt data near 0x" in line or "decoder table overflow" in line


def _error_for(path: Path, exc: BaseException) -> ImageFileError:
    import rawpy

    if isinstance(exc, rawpy.LibRawFileUnsupportedError):
        return ImageFileError(path, "not a camera RAW file, or a camera LibRaw does not support")
    if isinstance(exc, (rawpy.LibRawIOError, rawpy.LibRawDataError, rawpy.LibRawTooBigError)):
        return ImageFileError(path, "RAW file is truncated or damaged (LibRaw could not read its image data)")
    if isinstance(exc, (MemoryError, rawpy.LibRawUnsufficientMemoryError)):
        return ImageFileError(path, "not enough memory to develop this RAW file")
    return ImageFileError(path, f"cannot develop this RAW file ({exc or type(exc).__name__})")


@contextmanager
def opened(path: Path, data: bytes, unpack: bool = True):
    """A rawpy.RawPy of ``data`` (the bytes of ``path``), unpacked; errors are ImageFileError."""
    rawpy = load_rawpy(path)

    raw = rawpy.RawPy()
    try:
        with libraw_quiet():
            try:
                raw.open_buffer(io.BytesIO(data))
                if unpack:
                    raw.unpack()
            except (rawpy.LibRawError, MemoryError) as exc:
                raise _error_for(path, exc) from None
        yield raw
    finally:
        raw.close()


def raw_problem(path: PathLike) -> str:
    """Why a camera RAW file cannot be developed ('' when it can, or when it is no RAW file):
    opens and unpacks it (reads the sensor data, which finds fakes and truncated files)
    without the slow development, so a front end can say so before loading a model."""
    p = Path(os.fspath(path))
    if not is_raw(p):
        return ""
    try:
        with opened(p, p.read_bytes()):
            return ""
    except ImageFileError as error:
        return str(error)
    except OSError:
        return ""  # unreadable files are reported by whoever reads them


def orientation_of(raw) -> int:
    return _FLIP_TO_ORIENTATION.get(int(raw.sizes.flip), 1)


def develop(raw, path: Path, half_size: bool = False) -> np.ndarray:
    """The developed HxWx3 uint16 sRGB image (orientation applied) of an unpacked RawPy."""
    import rawpy

    try:
        with libraw_quiet():
            return raw.postprocess(**development_options(half_size))
    except (rawpy.LibRawError, MemoryError) as exc:
        raise _error_for(path, exc) from None


# ----------------------------------------------------------------------------- previews


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
            ifd0 = _ifd_tags(data, order, struct.unpack_from(order + "I", data, 4)[0])
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
        tags = _ifd_tags(data, order, offset)
        queue += _sub_ifd_offsets(data, order, tags.get(_SUB_IFDS))
        (count,) = struct.unpack_from(order + "H", data, offset)
        queue.append(struct.unpack_from(order + "I", data, offset + 2 + 12 * count)[0])  # the next IFD
        if tags.get(_PHOTOMETRIC) in _RAW_PHOTOMETRIC:
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
