"""Reading and writing photo files: the only place in the app that touches image files.

Everything else (inference engine, GUI, CLI, batch, training evaluation) works on
arrays; this module turns files into :class:`LoadedImage` objects and arrays back
into files, keeping what a photographer cares about:

* 8-bit and 16-bit images come back at the same depth (PNG / TIFF).
* Grayscale images are fed to the network as three equal channels, but are written
  back as one channel.
* Alpha is carried past the network and written back exactly as read.
* The ICC profile and EXIF block are kept; pixels are delivered upright (the EXIF
  orientation is applied on load) so the saved EXIF says orientation 1.
* Writes are atomic: a hidden temporary file in the target folder, fsync, rename.
  A failed write leaves no partial file and does not touch an existing file.
* Every failure is an :class:`ImageFileError` whose message is one line naming
  the file and the reason.

No torch and no Qt here.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import struct
import threading
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Union

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageFile, TiffImagePlugin, TiffTags, UnidentifiedImageError

# A truncated JPEG/PNG must fail loudly instead of loading with a grey bottom half.
ImageFile.LOAD_TRUNCATED_IMAGES = False

PathLike = Union[str, os.PathLike]

__all__ = [
    "DEFAULT_MAX_PIXELS",
    "MAX_PIXELS",
    "SUPPORTED_EXTENSIONS",
    "WRITABLE_EXTENSIONS",
    "ImageFileError",
    "LoadedImage",
    "heif_available",
    "is_same_file",
    "is_supported",
    "load_image",
    "output_format_for",
    "output_suffix_for",
    "save_image",
    "set_max_megapixels",
]

#: Default decompression-bomb limit (pixels).
DEFAULT_MAX_PIXELS = 200_000_000
#: Current module-wide limit used when ``load_image(max_pixels=None)``; 0 means no limit.
MAX_PIXELS = DEFAULT_MAX_PIXELS

#: Extensions a folder scan should pick up (lower case).  HEIC/HEIF are listed even
#: without pillow-heif so a batch reports them with a clear error instead of
#: silently skipping them.
SUPPORTED_EXTENSIONS: tuple[str, ...] = (
    ".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".heic", ".heif",
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
#: Extensions :func:`save_image` can write.
WRITABLE_EXTENSIONS: tuple[str, ...] = tuple(_EXT_TO_FORMAT)

# Pillow format name -> the name reported in LoadedImage.format
_READ_FORMATS = {
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
_WRITE_FORMATS = ("PNG", "JPEG", "TIFF", "WEBP", "BMP")
_SIXTEEN_BIT_FORMATS = ("PNG", "TIFF")
_ALPHA_FORMATS = ("PNG", "TIFF", "WEBP")
_HEIF_EXTENSIONS = (".heic", ".heif", ".hif")
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1")

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

# Pillow's bomb limit is a module global; hold this lock while we change it.
_PIL_LOCK = threading.RLock()


class ImageFileError(Exception):
    """Any failure to read or write an image file.  ``str()`` is one line:
    ``"<file>: <reason>"``."""

    def __init__(self, path: PathLike | None, reason: str):
        self.path = Path(os.fspath(path)) if path is not None else None
        self.reason = _one_line(reason)
        name = _display_name(path) if path is not None else "image"
        super().__init__(f"{name}: {self.reason}")


@dataclass
class LoadedImage:
    """A decoded photo, ready for the network.

    pixels:      float32 HxWx3 RGB in [0, 1], upright (EXIF orientation applied).
    alpha:       float32 HxW in [0, 1] or None; exact at the source depth.
    bit_depth:   8 or 16 (the depth the file stored).
    grayscale:   True when the file was single-channel (pixels are replicated to 3).
    icc_profile: the embedded ICC profile (None when absent or after a CMYK->sRGB
                 conversion).
    exif:        raw EXIF block (``b"Exif\\0\\0"`` + TIFF data) with orientation set
                 to 1, or None.
    format:      "JPEG", "PNG", "TIFF", "WEBP", "BMP" or "HEIF".
    path:        the file that was read.
    mode:        the file's original colour mode, e.g. "RGB", "L", "P", "CMYK", "RGB;16".
    orientation: the EXIF orientation (1-8) that was applied while loading.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None
    bit_depth: int
    grayscale: bool
    icc_profile: bytes | None
    exif: bytes | None
    format: str
    path: Path
    mode: str
    orientation: int = 1

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None


# ----------------------------------------------------------------------------- helpers


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text or "unknown error"


def _display_name(path: PathLike) -> str:
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    # undecodable file-name bytes become \udcXX escapes instead of crashing a print()
    name = name.encode("utf-8", "backslashreplace").decode("utf-8")
    return name.replace("\r", " ").replace("\n", " ")


def _describe_exc(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text or type(exc).__name__


def _fmt_megapixels(pixels: float) -> str:
    mp = pixels / 1e6
    if mp >= 100:
        return f"{mp:.0f}"
    if mp >= 1:
        return f"{mp:.1f}".rstrip("0").rstrip(".")
    return f"{mp:.3g}"


def _bomb_error(path: PathLike, pixels: int, limit: int) -> ImageFileError:
    return ImageFileError(
        path,
        f"{_fmt_megapixels(pixels)} megapixels exceeds the limit of "
        f"{_fmt_megapixels(limit)} megapixels (set --max-megapixels to raise it)",
    )


def set_max_megapixels(megapixels: float | None) -> None:
    """Set the module-wide decompression-bomb limit; ``None`` or 0 disables it."""
    global MAX_PIXELS
    MAX_PIXELS = 0 if not megapixels else int(megapixels * 1_000_000)


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


def is_supported(path: PathLike) -> bool:
    """True when ``path`` has an extension a folder scan should process."""
    name = Path(os.fspath(path)).name
    if name.startswith("."):  # hidden files, including our own temporary files
        return False
    return Path(name).suffix.lower() in SUPPORTED_EXTENSIONS


def _normalise_format(fmt: str) -> str:
    f = fmt.upper().lstrip(".")
    return _FORMAT_ALIASES.get(f, f)


def output_format_for(path: PathLike) -> str:
    """The file format :func:`save_image` writes for ``path``'s extension
    ("PNG", "JPEG", "TIFF", "WEBP" or "BMP").  Raises ImageFileError when the
    extension is not one we can write (e.g. .heic, .gif, none)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    fmt = _EXT_TO_FORMAT.get(suffix)
    if fmt is None:
        if suffix in _HEIF_EXTENSIONS:
            why = "HEIC/HEIF files cannot be written; save as .jpg, .png or .tif instead"
        elif suffix:
            why = f"cannot write '{suffix}' files; use one of {', '.join(WRITABLE_EXTENSIONS)}"
        else:
            why = f"no file extension; use one of {', '.join(WRITABLE_EXTENSIONS)}"
        raise ImageFileError(path, why)
    return fmt


def output_suffix_for(path: PathLike) -> str:
    """Extension to give the output made from input ``path``: the same one when we can
    write it (lower-cased), else ".jpg" (e.g. for HEIC photos)."""
    suffix = Path(os.fspath(path)).suffix.lower()
    return suffix if suffix in _EXT_TO_FORMAT else ".jpg"


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


# ----------------------------------------------------------------------------- EXIF


def _exif_body(raw: bytes) -> bytes:
    return raw[len(_EXIF_HEADER):] if raw.startswith(_EXIF_HEADER) else raw


def _exif_reset_orientation(raw: bytes, drop_thumbnail: bool = False) -> bytes:
    """Return the EXIF block with IFD0 Orientation set to 1, patched in place so every
    other byte (maker notes included) is preserved.  ``drop_thumbnail`` unlinks IFD1,
    whose thumbnail would show the old orientation."""
    body = bytearray(_exif_body(raw))
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


def _exif_subset(exif: Image.Exif) -> dict:
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


def _exif_from_tiff(im: Image.Image) -> bytes | None:
    try:
        tags = _exif_subset(im.getexif())
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


def _orientation_of(im: Image.Image) -> int:
    try:
        value = int(im.getexif().get(_ORIENTATION, 1))
    except Exception:
        return 1
    return value if 1 <= value <= 8 else 1


def _apply_orientation(arr: np.ndarray, orientation: int) -> np.ndarray:
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


def _icc_colour_space(icc: bytes | None) -> bytes | None:
    if not icc or len(icc) < 20:
        return None
    return bytes(icc[16:20])


# ----------------------------------------------------------------------------- reading


def _looks_like_heif(data: bytes) -> bool:
    return len(data) >= 12 and data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise ImageFileError(path, "is a folder, not an image file")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImageFileError(path, "file not found") from None
    except IsADirectoryError:
        raise ImageFileError(path, "is a folder, not an image file") from None
    except PermissionError:
        raise ImageFileError(path, "permission denied (cannot read the file)") from None
    except OSError as exc:
        raise ImageFileError(path, f"cannot read the file ({_describe_exc(exc)})") from None
    if not data:
        raise ImageFileError(path, "file is empty (0 bytes)")
    return data


def _pixels_from_bomb_message(exc: BaseException) -> int | None:
    m = re.search(r"\((\d+) pixels\)", str(exc))
    return int(m.group(1)) if m else None


def _pil_guarded(path: Path, limit: int, fn: Callable[[], object]) -> object:
    """Run a Pillow open/load with its bomb limit set to ours, turning Pillow's
    DecompressionBombWarning/Error into our ImageFileError."""
    with _PIL_LOCK:
        saved = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = limit if limit > 0 else None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                return fn()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            pixels = _pixels_from_bomb_message(exc) or limit + 1
            raise _bomb_error(path, pixels, limit) from None
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _decode_error(path: Path, exc: BaseException) -> ImageFileError:
    text = _describe_exc(exc)
    low = text.lower()
    if "truncated" in low or "premature end" in low or isinstance(exc, EOFError):
        return ImageFileError(path, f"file is truncated or damaged ({text})")
    return ImageFileError(path, f"corrupt or unreadable image ({text})")


def _png_ihdr(data: bytes) -> tuple[int, int] | None:
    """(bit depth, colour type) from a PNG header."""
    if len(data) >= 26 and data[12:16] == b"IHDR":
        return data[24], data[25]
    return None


def _wants_opencv(fmt: str, im: Image.Image, data: bytes) -> tuple[bool, bool]:
    """(decode with OpenCV?, grayscale?) for 16-bit PNG/TIFF, which Pillow cannot
    hold at full depth in colour."""
    if fmt == "PNG":
        ihdr = _png_ihdr(data)
        if ihdr and ihdr[0] == 16:
            return True, ihdr[1] in (0, 4)
    elif fmt == "TIFF":
        tags = getattr(im, "tag_v2", {})
        bits = tags.get(258)
        bits = tuple(bits) if isinstance(bits, (tuple, list)) else (bits,)
        photometric = tags.get(262)
        if 16 in bits and photometric in (1, 2) and tags.get(339, 1) in (1, (1,) * len(bits)):
            return True, photometric == 1
    return False, False


def _decode_opencv(path: Path, data: bytes, grayscale: bool):
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        return None
    if arr.dtype == np.uint16:
        depth = 16
    elif arr.dtype == np.uint8:
        depth = 8
    else:
        raise ImageFileError(path, f"unsupported sample type {arr.dtype} (only 8- and 16-bit images)")
    alpha = None
    if arr.ndim == 2:
        colour = arr
    elif arr.shape[2] == 1:
        colour = arr[:, :, 0]
    elif arr.shape[2] == 2:
        colour, alpha = arr[:, :, 0], arr[:, :, 1]
    elif arr.shape[2] == 3:
        colour = arr[:, :, ::-1]
    elif arr.shape[2] == 4:
        colour, alpha = arr[:, :, 2::-1], arr[:, :, 3]
    else:
        raise ImageFileError(path, f"unsupported number of channels ({arr.shape[2]})")
    if grayscale and colour.ndim == 3:
        colour = colour[:, :, 0]
    gray = colour.ndim == 2
    base = "L" if gray else "RGB"
    mode = f"{base}{'A' if alpha is not None else ''};{depth}"
    return colour, alpha, depth, gray, mode


def _decode_pillow(path: Path, im: Image.Image, icc: bytes | None):
    """Pillow image (already loaded) -> (colour, alpha, depth, gray, icc)."""
    mode = im.mode
    if mode in ("P", "PA"):
        has_alpha = (
            mode == "PA"
            or "transparency" in im.info
            or (im.palette is not None and im.palette.mode == "RGBA")
        )
        im = im.convert("RGBA" if has_alpha else "RGB")
    elif mode == "1":
        im = im.convert("L")
    elif mode in ("L", "RGB") and "transparency" in im.info:
        im = im.convert("LA" if mode == "L" else "RGBA")
    elif mode == "La":
        im = im.convert("LA")
    elif mode == "RGBa":
        im = im.convert("RGBA")
    elif mode == "RGBX":
        im = im.convert("RGB")
    elif mode == "CMYK":
        converted = None
        if icc and _icc_colour_space(icc) == b"CMYK":
            try:
                converted = ImageCms.profileToProfile(
                    im,
                    ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                    ImageCms.createProfile("sRGB"),
                    outputMode="RGB",
                )
            except Exception:
                converted = None
        im = converted if converted is not None else im.convert("RGB")
        icc = None  # pixels are sRGB now
    elif mode in ("YCbCr", "LAB", "HSV"):
        try:
            im = im.convert("RGB")
        except Exception:
            raise ImageFileError(path, f"unsupported colour mode {mode}") from None
        if mode == "LAB":
            icc = None

    mode = im.mode
    if mode.startswith("I;16"):
        arr = np.asarray(im).astype(np.uint16)
        return arr, None, 16, True, icc
    if mode == "I":
        arr = np.clip(np.asarray(im), 0, 65535).astype(np.uint16)
        return arr, None, 16, True, icc
    if mode == "L":
        return np.asarray(im), None, 8, True, icc
    if mode == "LA":
        arr = np.asarray(im)
        return arr[:, :, 0], arr[:, :, 1], 8, True, icc
    if mode == "RGB":
        return np.asarray(im), None, 8, False, icc
    if mode == "RGBA":
        arr = np.asarray(im)
        return arr[:, :, :3], arr[:, :, 3], 8, False, icc
    raise ImageFileError(path, f"unsupported colour mode {mode}")


def _to_float(arr: np.ndarray, depth: int) -> np.ndarray:
    out = np.asarray(arr, dtype=np.float32).copy() if arr.dtype != np.float32 else arr.copy()
    out /= np.float32(65535.0 if depth == 16 else 255.0)
    return out


def _full_decode(p: Path, limit: int, im) -> None:
    """Decode every pixel with Pillow, turning any decoder failure into ImageFileError."""
    try:
        _pil_guarded(p, limit, im.load)
    except ImageFileError:
        raise
    except Exception as exc:
        raise _decode_error(p, exc) from None


def load_image(path: PathLike, *, max_pixels: int | None = None) -> LoadedImage:
    """Read a photo file.

    ``max_pixels`` is the decompression-bomb limit in pixels (None: the module's
    ``MAX_PIXELS``; 0: no limit).  Raises :class:`ImageFileError` for every failure.
    """
    p = Path(os.fspath(path))
    limit = MAX_PIXELS if max_pixels is None else int(max_pixels)
    data = _read_bytes(p)

    heif_like = p.suffix.lower() in _HEIF_EXTENSIONS or _looks_like_heif(data)
    if heif_like:
        heif_available()

    try:
        im = _pil_guarded(p, limit, lambda: Image.open(io.BytesIO(data)))
    except ImageFileError:
        raise
    except UnidentifiedImageError:
        if heif_like and not heif_available():
            raise ImageFileError(
                p, "HEIC/HEIF photos need the optional package pillow-heif (pip install pillow-heif)"
            ) from None
        raise ImageFileError(p, "not an image file, or an unsupported format") from None
    except Exception as exc:  # plugin errors on malformed headers
        raise _decode_error(p, exc) from None

    assert isinstance(im, Image.Image)
    fmt = _READ_FORMATS.get((im.format or "").upper())
    if fmt is None:
        raise ImageFileError(
            p, f"unsupported image format {im.format or 'unknown'} (use JPEG, PNG, TIFF, WebP, BMP or HEIC)"
        )

    width, height = im.size
    if limit > 0 and width * height > limit:
        raise _bomb_error(p, width * height, limit)

    orientation = _orientation_of(im)
    icc = im.info.get("icc_profile") or None
    if fmt == "TIFF":
        exif = _exif_from_tiff(im)
    else:
        raw = im.info.get("exif")
        exif = _exif_reset_orientation(raw, drop_thumbnail=orientation != 1) if raw else None
    original_mode = im.mode

    if fmt == "PNG":
        # Decoders do not check chunk CRCs; Pillow's verify() does (cheaply), so a
        # damaged PNG is reported instead of loading with garbage in it.
        try:
            _pil_guarded(p, limit, lambda: Image.open(io.BytesIO(data)).verify())
        except ImageFileError:
            raise
        except Exception as exc:
            raise _decode_error(p, exc) from None

    decoded = None
    use_cv, cv_gray = _wants_opencv(fmt, im, data)
    if use_cv:
        decoded = _decode_opencv(p, data, cv_gray)
        if decoded is None:
            # OpenCV refused it: let Pillow's full decode report why (e.g. truncated)
            _full_decode(p, limit, im)
            raise ImageFileError(p, "corrupt or unreadable 16-bit image")
        colour, alpha, depth, gray, original_mode = decoded
    else:
        _full_decode(p, limit, im)
        try:
            colour, alpha, depth, gray, icc = _decode_pillow(p, im, icc)
        except ImageFileError:
            raise
        except Exception as exc:
            raise _decode_error(p, exc) from None

    colour = _apply_orientation(colour, orientation)
    if alpha is not None:
        alpha = _apply_orientation(alpha, orientation)

    pixels = _to_float(colour, depth)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    pixels = np.ascontiguousarray(pixels)
    alpha_f = np.ascontiguousarray(_to_float(alpha, depth)) if alpha is not None else None

    return LoadedImage(
        pixels=pixels,
        alpha=alpha_f,
        bit_depth=depth,
        grayscale=bool(gray),
        icc_profile=bytes(icc) if icc else None,
        exif=exif,
        format=fmt,
        path=p,
        mode=original_mode,
        orientation=orientation,
    )


# ----------------------------------------------------------------------------- writing


def _quantise(x: np.ndarray, depth: int) -> np.ndarray:
    scale = 65535.0 if depth == 16 else 255.0
    x = np.nan_to_num(np.asarray(x, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    x = np.clip(x, 0.0, 1.0) * np.float32(scale)
    np.rint(x, out=x)
    return x.astype(np.uint16 if depth == 16 else np.uint8)


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


def _pil_image(arr: np.ndarray) -> Image.Image:
    if arr.ndim == 2:
        return Image.fromarray(np.ascontiguousarray(arr))
    if arr.shape[2] == 2:
        return Image.merge("LA", [Image.fromarray(np.ascontiguousarray(arr[:, :, i])) for i in (0, 1)])
    return Image.fromarray(np.ascontiguousarray(arr))


def _encode_pillow(f: BinaryIO, arr: np.ndarray, fmt: str, quality: int,
                   icc: bytes | None, exif: bytes | None) -> None:
    im = _pil_image(arr)
    kwargs: dict = {}
    if fmt == "JPEG":
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
    im.save(f, format=fmt, **kwargs)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def _encode_png16(f: BinaryIO, arr: np.ndarray, icc: bytes | None, exif: bytes | None) -> None:
    """16-bit PNG (gray, gray+alpha, RGB, RGBA) with 'Sub' filtered rows."""
    h, w = arr.shape[:2]
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    f.write(b"\x89PNG\r\n\x1a\n")
    f.write(_png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0)))
    if icc:
        f.write(_png_chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc)))
    if exif:
        f.write(_png_chunk(b"eXIf", _exif_body(exif)))
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


def _encode_tiff(f: BinaryIO, arr: np.ndarray, gray: bool, has_alpha: bool,
                 icc: bytes | None, exif: bytes | None) -> None:
    """Baseline little-endian TIFF, 8 or 16 bits per sample, Adobe-deflate with
    horizontal predictor, ICC profile and EXIF (descriptive tags + Exif/GPS IFDs)."""
    if arr.ndim == 2:
        arr = arr[:, :, None]
    h, w, channels = arr.shape
    depth = 16 if arr.dtype == np.uint16 else 8
    row_bytes = w * channels * (depth // 8)
    rows_per_strip = max(1, min(h, (256 << 10) // max(1, row_bytes)))
    strips: list[bytes] = []
    for y0 in range(0, h, rows_per_strip):
        blk = np.ascontiguousarray(arr[y0:y0 + rows_per_strip])
        diff = blk.copy()
        np.subtract(blk[:, 1:], blk[:, :-1], out=diff[:, 1:])  # predictor 2, wraps
        strips.append(zlib.compress(diff.astype("<u2" if depth == 16 else np.uint8).tobytes(), 6))

    ifd = TiffImagePlugin.ImageFileDirectory_v2(ifh=b"II\x2a\x00\x08\x00\x00\x00")
    short, long_, undefined = TiffTags.SHORT, TiffTags.LONG, TiffTags.UNDEFINED
    if exif:
        try:
            ex = Image.Exif()
            ex.load(exif)
            for tag, value in _exif_subset(ex).items():
                ifd[tag] = value
        except Exception:
            pass  # unreadable EXIF is dropped rather than failing the save

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
    f.write(b"II\x2a\x00" + struct.pack("<I", 8))
    f.write(ifd.tobytes(8))
    for s in strips:
        f.write(s)


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


def _atomic_write(dest: Path, write: Callable[[BinaryIO], None], overwrite: bool) -> None:
    folder = dest.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    stem = dest.name[:200]
    fd = -1
    tmp = None
    for _ in range(100):
        tmp = folder / f".{stem}.tmp-{secrets.token_hex(4)}"
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:
            continue
        except PermissionError:
            raise ImageFileError(dest, f"permission denied (cannot write in folder {_display_name(folder)})") from None
        except OSError as exc:
            raise ImageFileError(dest, f"cannot create the file ({_describe_exc(exc)})") from None
    if fd < 0 or tmp is None:
        raise ImageFileError(dest, "cannot create a temporary file next to it")
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
                raise ImageFileError(dest, "already exists (not overwriting it)") from None
            except OSError:  # file system without hard links
                if os.path.lexists(dest):
                    raise ImageFileError(dest, "already exists (not overwriting it)") from None
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
        raise ImageFileError(dest, f"could not write the image ({_describe_exc(exc)})") from exc


def save_image(
    path: PathLike,
    pixels: np.ndarray,
    *,
    like: LoadedImage | None = None,
    bit_depth: int | None = None,
    quality: int = 95,
    overwrite: bool = False,
    format: str | None = None,
) -> Path:
    """Write ``pixels`` (float HxWx3 RGB or HxW gray in [0, 1]; uint8/uint16 accepted)
    to ``path`` atomically and return the path.

    like:      the LoadedImage the pixels came from: its ICC profile, EXIF (orientation
               1), alpha (when the format has alpha: PNG/TIFF/WebP), grayscale-ness and
               bit depth (when the format has 16 bits: PNG/TIFF) are carried over.  Its
               ``path`` is protected: writing over the input needs ``overwrite=True``.
    bit_depth: 8 or 16 (16 only for PNG/TIFF); default ``like.bit_depth`` where possible.
    quality:   JPEG/WebP quality 1-100 (WebP at 100 is lossless).
    overwrite: replace an existing file (otherwise ImageFileError).
    format:    "PNG", "JPEG", "TIFF", "WEBP" or "BMP"; default from the extension.
    """
    dest = Path(os.fspath(path))
    if format is not None:
        fmt = _normalise_format(format)
        if fmt not in _WRITE_FORMATS:
            raise ImageFileError(dest, f"cannot write format {format!r}; use PNG, JPEG, TIFF, WEBP or BMP")
    else:
        fmt = output_format_for(dest)

    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise ImageFileError(dest, f"quality must be a whole number from 1 to 100, not {quality!r}")
    quality = int(quality)

    if bit_depth is None:
        depth = like.bit_depth if (like is not None and fmt in _SIXTEEN_BIT_FORMATS) else 8
    elif bit_depth not in (8, 16):
        raise ImageFileError(dest, f"bit depth must be 8 or 16, not {bit_depth!r}")
    elif bit_depth == 16 and fmt not in _SIXTEEN_BIT_FORMATS:
        raise ImageFileError(dest, f"{fmt} cannot store 16 bits per channel; use PNG or TIFF for 16-bit output")
    else:
        depth = int(bit_depth)
    if depth not in (8, 16):
        depth = 8

    # --- destination checks (before spending time encoding)
    if dest.is_dir():
        raise ImageFileError(dest, "is a folder; give a file name to save to")
    folder = dest.parent
    if not folder.is_dir():
        raise ImageFileError(dest, f"folder {_display_name(folder)} does not exist")
    if like is not None and not overwrite and (dest.exists() and is_same_file(dest, like.path)):
        raise ImageFileError(dest, "refusing to overwrite the input file (enable overwrite to replace it)")
    if not overwrite and os.path.lexists(dest):
        raise ImageFileError(dest, "already exists (not overwriting it)")

    # --- pixels
    arr = _as_float_pixels(dest, pixels)
    gray = arr.ndim == 2 or (like is not None and like.grayscale)
    if gray and arr.ndim == 3:
        arr = _luma(arr)
    if gray and fmt == "WEBP":  # WebP has no grayscale mode
        arr = np.repeat(arr[:, :, None], 3, axis=2)
        gray = False
    h, w = arr.shape[:2]

    alpha = None
    if like is not None and like.alpha is not None and fmt in _ALPHA_FORMATS:
        alpha = np.asarray(like.alpha, dtype=np.float32)
        if alpha.shape != (h, w):
            alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)

    q = _quantise(arr, depth)
    if alpha is not None:
        qa = _quantise(alpha, depth)
        q = np.dstack([q, qa])

    # --- metadata
    icc = like.icc_profile if like is not None else None
    wanted_space = b"GRAY" if gray else b"RGB "
    if icc and _icc_colour_space(icc) != wanted_space:
        icc = None  # e.g. an RGB profile cannot describe a grayscale file
    exif = like.exif if like is not None else None
    if exif:
        exif = _exif_reset_orientation(exif)

    if fmt == "TIFF":
        def write(fh: BinaryIO) -> None:
            _encode_tiff(fh, q, gray, alpha is not None, icc, exif)
    elif depth == 16:  # PNG
        def write(fh: BinaryIO) -> None:
            _encode_png16(fh, q, icc, exif)
    else:
        def write(fh: BinaryIO) -> None:
            _encode_pillow(fh, q, fmt, quality, icc, exif)

    _atomic_write(dest, write, overwrite)
    return dest
