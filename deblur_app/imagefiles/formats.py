"""Which files the app reads and writes: extensions, format names, HEIC support."""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path

from .. import reasons
from .errors import ImageFileError, PathLike

#: Extensions of the camera RAW formats LibRaw reads (lower case).
RAW_EXTENSIONS: tuple[str, ...] = (
    ".3fr", ".ari", ".arw", ".bay", ".cr2", ".cr3", ".crw", ".dcr", ".dcs", ".dng", ".erf", ".fff",
    ".iiq", ".k25", ".kdc", ".mdc", ".mef", ".mos", ".mrw", ".nef", ".nrw", ".orf", ".pef", ".raf",
    ".raw", ".rw2", ".rwl", ".rwz", ".sr2", ".srf", ".srw", ".x3f",
)

#: Extensions a folder scan should pick up (lower case).  HEIC/HEIF are listed even
#: without pillow-heif so a batch reports them with a clear error instead of
#: silently skipping them.
SUPPORTED_EXTENSIONS: tuple[str, ...] = (
    ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".heic", ".heif", *RAW_EXTENSIONS,
)

_EXT_TO_FORMAT = {
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
    ".bmp": "BMP",
}
#: Extensions :func:`~deblur_app.imagefiles.save_image` can write.
WRITABLE_EXTENSIONS: tuple[str, ...] = tuple(_EXT_TO_FORMAT)

# Pillow format name -> the name reported in LoadedImage.format
READ_FORMATS = {
    "JPEG": "JPEG",
    "MPO": "JPEG",  # multi-picture JPEG straight from many cameras/phones
    "PNG": "PNG",
    "TIFF": "TIFF",
    "WEBP": "WEBP",
    "BMP": "BMP",
    "DIB": "BMP",
    "HEIF": "HEIF",
    "HEIC": "HEIF",
}
_FORMAT_ALIASES = {"JPG": "JPEG", "TIF": "TIFF"}
WRITE_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP", "BMP")
SIXTEEN_BIT_FORMATS = ("PNG", "TIFF")
ALPHA_FORMATS = ("PNG", "TIFF", "WEBP")
HEIF_EXTENSIONS = (".heic", ".heif", ".hif")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1")


def heif_available() -> bool:
    """True when HEIC/HEIF files can be read (pillow-heif installed); registers its
    Pillow opener on first use."""
    global _heif_registered
    if _heif_registered:
        return True
    try:
        import pillow_heif  # type: ignore[import-not-found]
    except Exception:
        return False
    try:
        pillow_heif.register_heif_opener()
    except Exception:
        return False
    _heif_registered = True
    return True


_heif_registered = False


def looks_like_heif(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def is_supported(path: PathLike) -> bool:
    """True when ``path`` has an extension a folder scan should process."""
    name = Path(os.fspath(path)).name
    if name.startswith("."):  # hidden files, including our own temporary files
        return False
    return Path(name).suffix.lower() in SUPPORTED_EXTENSIONS


def names_an_image_file(path: PathLike) -> bool:
    """True when the name ends in an image extension, ours or any the system knows (``single.jpg``, ``a.gif``)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    if not suffix:
        return False
    guessed, _ = mimetypes.guess_type(f"x{suffix}")
    return suffix in SUPPORTED_EXTENSIONS or suffix in HEIF_EXTENSIONS or (guessed or "").startswith("image/")


def normalise_format(fmt: str) -> str:
    f = fmt.upper().lstrip(".")
    return _FORMAT_ALIASES.get(f, f)


def sixteen_bit_problem(path: PathLike) -> reasons.ReasonText:
    """Why the output ``path`` cannot hold 16 bits per channel, '' when it can: checked before
    any slow work with the wording save_image uses when it meets the same file."""
    try:
        fmt = output_format_for(path)
    except ImageFileError:
        fmt = None
    if fmt in SIXTEEN_BIT_FORMATS:
        return ""
    return reasons.reason(reasons.SIXTEEN_BITS_NEED_PNG_OR_TIFF, format=fmt or Path(os.fspath(path)).suffix or "?")


def output_format_for(path: PathLike) -> str:
    """The file format :func:`save_image` writes for ``path``'s extension
    ("PNG", "JPEG", "TIFF", "WEBP" or "BMP").  Raises ImageFileError when the
    extension is not one we can write (e.g. .heic, .gif, none)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    fmt = _EXT_TO_FORMAT.get(suffix)
    if fmt is None:
        if suffix in HEIF_EXTENSIONS:
            why = reasons.reason(reasons.NO_HEIF_WRITING)
        elif suffix in RAW_EXTENSIONS:
            why = reasons.reason(reasons.NO_RAW_WRITING)
        elif suffix:
            why = reasons.reason(reasons.UNWRITABLE_EXTENSION, suffix=suffix, extensions=", ".join(WRITABLE_EXTENSIONS))
        else:
            why = reasons.reason(reasons.NO_EXTENSION, extensions=", ".join(WRITABLE_EXTENSIONS))
        raise ImageFileError(path, why)
    return fmt


def output_suffix_for(path: PathLike) -> str:
    """Extension to give the output made from input ``path``: the same one when we can
    write it (lower-cased); ".tif" for a camera RAW file (16 bits, nothing of its depth
    lost); else ".jpg" (e.g. for HEIC photos)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    if suffix in RAW_EXTENSIONS:
        return ".tif"
    return suffix if suffix in _EXT_TO_FORMAT else ".jpg"
