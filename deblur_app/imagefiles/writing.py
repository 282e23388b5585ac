"""Writing pixels to a photo file: checks before any encoding (never over the input),
the source's metadata, bit depth, grayscale-ness and alpha carried over, and an atomic
write (hidden temporary file in the target folder, fsync, rename)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator

import cv2
import numpy as np

from .. import reasons
from . import encoders
from .errors import ImageFileError, PathLike, describe_exc, not_an_output_reason
from .formats import ALPHA_FORMATS, SIXTEEN_BIT_FORMATS, WRITE_FORMATS, normalise_format, output_format_for
from .metadata import JpegEncoding, exif_reset_orientation, icc_colour_space
from .reading import LoadedImage

#: JPEG/WebP quality when none is given and the source is not a JPEG to match.
DEFAULT_QUALITY = 95


def is_same_file(a: PathLike, b: PathLike) -> bool:
    """True when ``a`` and ``b`` name the same file (hard links and symlinks
    included).  Never raises."""
    try:
        return os.path.samefile(a, b)
    except (OSError, ValueError, TypeError):
        pass
    try:
        ra = os.path.normcase(os.path.realpath(os.fspath(a)))
        rb = os.path.normcase(os.path.realpath(os.fspath(b)))
        return ra == rb
    except (OSError, ValueError, TypeError):
        return False


# Samples are quantised this many rows at a time: every step is per pixel, and a whole 12 MP photo's float
# temporaries (some 430 MB) came on top of the photo, the result and the loaded network while saving
# (issue 21: 12 MP within 1.5 GB end to end; benchmarks/bench_12mp_memory.py).
QUANTISE_ROWS = 256


def _quantise(x: np.ndarray, depth: int) -> np.ndarray:
    x = np.asarray(x)
    out = np.empty(x.shape, np.uint16 if depth == 16 else np.uint8)
    for top, band in _quantised_bands(x, depth):
        out[top : top + len(band)] = band
    return out


def _quantised_bands(x: np.ndarray, depth: int) -> Iterator[tuple[int, np.ndarray]]:
    """(first row, the samples of QUANTISE_ROWS rows, whole numbers still in float32) from the top down."""
    scale = 65535.0 if depth == 16 else 255.0
    for top in range(0, x.shape[0], QUANTISE_ROWS):
        band = np.nan_to_num(np.asarray(x[top : top + QUANTISE_ROWS], dtype=np.float32), nan=0.0, posinf=1.0,
                             neginf=0.0)
        band = np.clip(band, 0.0, 1.0) * np.float32(scale)
        yield top, np.rint(band, out=band)


def _as_float_pixels(path: Path, pixels) -> np.ndarray:
    arr = np.asarray(pixels)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    elif arr.dtype == np.uint16:
        arr = arr.astype(np.float32) / 65535.0
    elif not np.issubdtype(arr.dtype, np.floating):
        raise ImageFileError(path, f"cannot save pixels of type {arr.dtype} (need float in [0, 1])")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] == 3)):
        raise ImageFileError(path, f"cannot save pixels of shape {arr.shape} (need HxWx3 or HxW)")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ImageFileError(path, f"cannot save an empty image of shape {arr.shape}")
    return arr


def _luma(rgb: np.ndarray) -> np.ndarray:
    """ITU-R 601 luma, the weights Pillow uses for RGB -> L."""
    return rgb[:, :, 0] * 0.299 + rgb[:, :, 1] * 0.587 + rgb[:, :, 2] * 0.114


def in_photo_colours(pixels: np.ndarray, grayscale: bool) -> np.ndarray:
    """A result as its photo's file holds it: a gray photo's result is the luma of the network's RGB
    output (the networks always answer in colour), replicated to 3 channels; a colour photo's is unchanged.

    The one rule for both what Save writes (``save_image`` with a grayscale ``like``) and what the window
    shows, so that the two agree (a gray photo came back gray on disk while the window showed colour)."""
    if not grayscale or pixels.ndim != 3 or pixels.shape[2] != 3:
        return pixels
    luma = _luma(np.asarray(pixels, dtype=np.float32)).astype(np.float32, copy=False)
    return np.repeat(luma[:, :, None], 3, axis=2)


def _jpeg_tables_fit(jpeg: JpegEncoding | None, gray: bool) -> bool:
    """Whether a source's tables can encode this output: colour needs a chroma table, and
    baseline JPEG holds 8-bit table entries only."""
    if jpeg is None or not jpeg.qtables:
        return False
    if not gray and len(jpeg.qtables) < 2:
        return False
    return all(0 < value <= 255 for table in jpeg.qtables for value in table)


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temporary_prefix(dest: Path) -> str:
    return f".{dest.name[:200]}.tmp-"


def remove_orphaned_temporaries(targets: Iterable[Path]) -> int:
    """Delete the temporary files that writers of ``targets`` left when they were killed mid-write.

    A process killed outright (the OOM killer, a lost cluster worker) cannot clean up
    after itself; call this once nothing writes those targets any more. Returns how
    many files were removed. One listing per folder, so it stays cheap for large batches.
    """
    prefixes: dict[Path, set[str]] = {}
    for target in targets:
        prefixes.setdefault(Path(target).parent, set()).add(_temporary_prefix(Path(target)))
    removed = 0
    for folder, wanted in prefixes.items():
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.startswith(".") and ".tmp-" in name and name[: name.rindex(".tmp-") + 5] in wanted:
                try:
                    os.unlink(folder / name)
                    removed += 1
                except OSError:
                    pass
    return removed


def _atomic_write(dest: Path, write: Callable[[BinaryIO], None], overwrite: bool) -> None:
    folder = dest.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = -1
    tmp = None
    for _ in range(100):
        tmp = folder / f"{_temporary_prefix(dest)}{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
        except PermissionError:
            raise ImageFileError(dest, reasons.reason(reasons.CANNOT_WRITE_IN_FOLDER, folder=folder)) from None
        except OSError as exc:
            raise ImageFileError(dest, reasons.reason(reasons.CANNOT_CREATE, cause=describe_exc(exc))) from None
    if fd < 0 or tmp is None:
        raise ImageFileError(dest, reasons.reason(reasons.NO_TEMPORARY_FILE))
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, dest)
        else:
            try:
                os.link(tmp, dest)  # atomic "create only if absent"
            except FileExistsError:
                raise ImageFileError(dest, reasons.reason(reasons.ALREADY_EXISTS)) from None
            except OSError:  # file system without hard links
                if os.path.lexists(dest):
                    raise ImageFileError(dest, reasons.reason(reasons.ALREADY_EXISTS)) from None
                os.replace(tmp, dest)
            else:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
        _fsync_dir(folder)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, ImageFileError) or not isinstance(exc, Exception):
            raise
        raise ImageFileError(dest, reasons.reason(reasons.COULD_NOT_WRITE, cause=describe_exc(exc))) from exc


def _output_format(dest: Path, format: str | None) -> str:
    """The format to write: the one asked for, else the one the extension names."""
    if format is None:
        return output_format_for(dest)
    fmt = normalise_format(format)
    if fmt not in WRITE_FORMATS:
        raise ImageFileError(dest, f"cannot write format {format!r}; use PNG, JPEG, TIFF, WEBP or BMP")
    return fmt


def _checked_quality(dest: Path, quality) -> int:
    if quality is None:
        return DEFAULT_QUALITY
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ImageFileError(dest, f"quality must be a whole number from 1 to 100, not {quality!r}")
    return int(quality)


def _output_depth(dest: Path, fmt: str, bit_depth: int | None, like: LoadedImage | None) -> int:
    """8 or 16 bits per channel: the one asked for, else the source's where the format has 16 bits."""
    if bit_depth is None:
        depth = like.bit_depth if (like is not None and fmt in SIXTEEN_BIT_FORMATS) else 8
    elif bit_depth not in (8, 16):
        raise ImageFileError(dest, f"bit depth must be 8 or 16, not {bit_depth!r}")
    elif bit_depth == 16 and fmt not in SIXTEEN_BIT_FORMATS:
        raise ImageFileError(dest, reasons.reason(reasons.SIXTEEN_BITS_NEED_PNG_OR_TIFF, format=fmt))
    else:
        depth = int(bit_depth)
    return depth if depth in (8, 16) else 8


def _check_destination(dest: Path, like: LoadedImage | None, overwrite: bool) -> None:
    """Refuse a folder, a missing folder, the input and (unless ``overwrite``) an existing file,
    before any time is spent encoding."""
    not_an_output = not_an_output_reason(dest)  # /dev/null, a pipe: with overwrite the rename would replace it
    if not_an_output:
        raise ImageFileError(dest, not_an_output)
    folder = dest.parent
    if not folder.is_dir():
        raise ImageFileError(dest, reasons.reason(reasons.FOLDER_MISSING, folder=folder))
    if like is not None and not overwrite and (dest.exists() and is_same_file(dest, like.path)):
        raise ImageFileError(dest, reasons.reason(reasons.WOULD_REPLACE_INPUT))
    if not overwrite and os.path.lexists(dest):
        raise ImageFileError(dest, reasons.reason(reasons.ALREADY_EXISTS))


def _output_samples(dest: Path, pixels, like: LoadedImage | None, fmt: str, depth: int, takes_bands: bool
                    ) -> tuple[np.ndarray | encoders.Bands, bool, bool]:
    """The integer samples to encode, whether they are gray and whether they carry the source's alpha. For an
    encoder that ``takes_bands`` (Pillow's 8-bit formats), samples without alpha come as bands (encoders.Bands),
    which go straight into Pillow's picture: the whole 8-bit array beside Pillow's copy of it was 36 MB more of a
    12 MP Save (issue 26)."""
    arr = _as_float_pixels(dest, pixels)
    gray = arr.ndim == 2 or (like is not None and like.grayscale)
    if gray and arr.ndim == 3:
        arr = _luma(arr)  # in_photo_colours' rule, one channel
    if gray and fmt == "WEBP":  # WebP has no grayscale mode
        arr = np.repeat(arr[:, :, None], 3, axis=2)
        gray = False
    h, w = arr.shape[:2]
    carries_alpha = like is not None and like.alpha is not None and fmt in ALPHA_FORMATS
    if takes_bands and not carries_alpha:
        return encoders.Bands(arr.shape, lambda: ((top, band.astype(np.uint8))
                                                  for top, band in _quantised_bands(arr, depth))), gray, False
    samples = _quantise(arr, depth)
    if not carries_alpha:
        return samples, gray, False
    alpha = np.asarray(like.alpha, dtype=np.float32)
    if alpha.shape != (h, w):
        alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.dstack([samples, _quantise(alpha, depth)]), gray, True


def _carried_metadata(like: LoadedImage | None, gray: bool) -> tuple[bytes | None, bytes | None]:
    """The source's ICC profile (where it describes the output's colours) and EXIF (orientation 1)."""
    if like is None:
        return None, None
    icc = like.icc_profile
    if icc and icc_colour_space(icc) != (b"GRAY" if gray else b"RGB "):
        icc = None  # e.g. an RGB profile cannot describe a grayscale file
    exif = exif_reset_orientation(like.exif) if like.exif else like.exif
    return icc, exif


def save_image(
    path: PathLike,
    pixels: np.ndarray,
    *,
    like: LoadedImage | None = None,
    bit_depth: int | None = None,
    quality: int | None = None,
    overwrite: bool = False,
    format: str | None = None,
    marker: str = "",
) -> Path:
    """Write ``pixels`` (float HxWx3 RGB or HxW gray in [0, 1]; uint8/uint16 accepted)
    to ``path`` atomically and return the path.

    like:      the LoadedImage the pixels came from: its ICC profile, EXIF (orientation
               1), alpha (when the format has alpha: PNG/TIFF/WebP), grayscale-ness and
               bit depth (when the format has 16 bits: PNG/TIFF) are carried over.  Its
               ``path`` is protected: writing over the input needs ``overwrite=True``.
    bit_depth: 8 or 16 (16 only for PNG/TIFF); default ``like.bit_depth`` where possible.
    quality:   JPEG/WebP quality 1-100 (WebP at 100 is lossless).  None: a JPEG made from
               a JPEG ``like`` reuses its quantisation tables and chroma subsampling
               (the same quality, so about the same size); otherwise 95.
    overwrite: replace an existing file (otherwise ImageFileError).
    format:    "PNG", "JPEG", "TIFF", "WEBP" or "BMP"; default from the extension.
    marker:    the program that made the file, written where the format keeps one (provenance.py):
               the app's outputs pass provenance.app_marker() so that no batch deblurs them again.
    """
    dest = Path(os.fspath(path))
    fmt = _output_format(dest, format)
    source_jpeg = like.jpeg if (quality is None and fmt == "JPEG" and like is not None) else None
    quality = _checked_quality(dest, quality)
    depth = _output_depth(dest, fmt, bit_depth, like)
    _check_destination(dest, like, overwrite)
    encoder = encoders.encoder_for(fmt, depth)
    samples, gray, has_alpha = _output_samples(dest, pixels, like, fmt, depth, encoder.takes_bands)
    icc, exif = _carried_metadata(like, gray)
    keep_jpeg = source_jpeg if _jpeg_tables_fit(source_jpeg, gray) else None

    output = encoders.OutputFile(fmt, gray, has_alpha, quality, icc, exif, keep_jpeg, marker)
    _atomic_write(dest, lambda fh: encoder.write(fh, samples, output), overwrite)
    return dest
