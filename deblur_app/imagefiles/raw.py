"""Camera RAW files through LibRaw (rawpy): which files are RAW, their development into 16-bit
sRGB, and one-line errors for fake and damaged ones (their embedded previews: rawpreview.py).

Pillow must never get a RAW file: NEF, CR2, ARW, DNG, KDC, PEF... are TIFF containers whose
first image is often a small preview, which Pillow would read as "the photo" (a Kodak KDC once
came out as a 96x64 JPEG). A file is RAW when its extension says so or its content does
(:func:`looks_like_raw`), and then only this module (and rawpreview.py) reads it.

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

from .. import reasons
from .errors import ImageFileError, PathLike, not_a_file_reason
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
        raise ImageFileError(path, reasons.reason(reasons.RAW_NEEDS_RAWPY)) from None
    return rawpy


def rawpy_version() -> str:
    """"0.28.0 (LibRaw 0.22.2)", or "not installed": for deblur-app info."""
    try:
        import rawpy
    except ImportError:
        return "not installed"
    return f"{rawpy.__version__} (LibRaw {'.'.join(str(part) for part in rawpy.libraw_version)})"


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
    if not_a_file_reason(path):
        return False
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
_DNG_VERSION = 50706
SUB_IFDS, PHOTOMETRIC = 330, 262  # TIFF tags: sub-images, what the samples are
RAW_PHOTOMETRIC = (32803, 34892)  # CFA, LinearRaw


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
        tags = ifd_tags(data, order, ifd0)
        if _DNG_VERSION in tags or tags.get(PHOTOMETRIC) in RAW_PHOTOMETRIC:
            return True
        return any(ifd_tags(data, order, sub).get(PHOTOMETRIC) in RAW_PHOTOMETRIC
                   for sub in sub_ifd_offsets(data, order, tags.get(SUB_IFDS))[:8])
    except struct.error:
        return False


def ifd_tags(data: bytes, order: str, offset: int) -> dict[int, object]:
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


def sub_ifd_offsets(data: bytes, order: str, entry) -> list[int]:
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


# formats no camera RAW file is (RAW formats are TIFF containers or their own), by their first bytes
_OTHER_FORMATS = ((0, b"\xff\xd8\xff", "JPEG", ".jpg"), (0, b"\x89PNG\r\n\x1a\n", "PNG", ".png"),
                  (8, b"WEBP", "WebP", ".webp"), (0, b"GIF8", "GIF", ".gif"), (0, b"BM", "BMP", ".bmp"),
                  (4, b"ftypheic", "HEIC", ".heic"), (4, b"ftypheix", "HEIC", ".heic"),
                  (4, b"ftypmif1", "HEIF", ".heic"))


def _another_format(data: bytes) -> tuple[str, str] | None:
    """(format, extension) of a file that is plainly another kind of image than a camera RAW file (a JPEG renamed
    .cr2), from its first bytes; None otherwise (TIFF-like data may be a RAW LibRaw does not know)."""
    for offset, magic, name, suffix in _OTHER_FORMATS:
        if data[offset:offset + len(magic)] == magic:
            return name, suffix
    return None


def _error_for(path: Path, exc: BaseException, data: bytes = b"") -> ImageFileError:
    import rawpy

    if isinstance(exc, rawpy.LibRawFileUnsupportedError):
        other = _another_format(data)
        if other is not None:  # "not a RAW file, or a camera LibRaw does not support" left the user guessing
            return ImageFileError(path, reasons.reason(reasons.RAW_IS_ANOTHER_FORMAT, format=other[0], suffix=other[1]))
        return ImageFileError(path, reasons.reason(reasons.RAW_UNSUPPORTED))
    if isinstance(exc, (rawpy.LibRawIOError, rawpy.LibRawDataError, rawpy.LibRawTooBigError)):
        return ImageFileError(path, reasons.reason(reasons.RAW_DAMAGED))
    if isinstance(exc, (MemoryError, rawpy.LibRawUnsufficientMemoryError)):
        return ImageFileError(path, reasons.reason(reasons.RAW_NO_MEMORY))
    return ImageFileError(path, reasons.reason(reasons.RAW_CANNOT_DEVELOP, cause=exc or type(exc).__name__))


@contextmanager
def opened(path: Path, data: bytes, unpack: bool = True, before_unpack=None):
    """A rawpy.RawPy of ``data`` (the bytes of ``path``), unpacked; errors are ImageFileError.
    ``before_unpack(raw)`` may refuse the file from its header (e.g. its size) before the sensor
    data is read."""
    rawpy = load_rawpy(path)

    raw = rawpy.RawPy()
    try:
        with libraw_quiet():
            try:
                raw.open_buffer(io.BytesIO(data))
                if before_unpack is not None:
                    before_unpack(raw)
                if unpack:
                    raw.unpack()
            except (rawpy.LibRawError, MemoryError) as exc:
                raise _error_for(path, exc, data[:16]) from None
        yield raw
    finally:
        raw.close()


def raw_problem(path: PathLike) -> reasons.ReasonText:
    """Why a camera RAW file cannot be developed ('' when it can, or when it is no RAW file):
    opens and unpacks it (reads the sensor data, which finds fakes and truncated files)
    without the slow development, so a front end can say so before loading a model."""
    p = Path(os.fspath(path))
    if not is_raw(p) or not_a_file_reason(p):  # not a file: reported by whoever reads it
        return ""
    try:
        with opened(p, p.read_bytes()):
            return ""
    except ImageFileError as error:
        return reasons.of(error)  # the Reason, which the window translates (str(): the English of old)
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
