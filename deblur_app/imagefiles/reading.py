"""Reading a photo file into a :class:`LoadedImage`: decoding at full depth, the
decompression-bomb limit, and one-line errors for every way a file can be bad."""

from __future__ import annotations

import functools
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

import cv2
import numpy as np
from PIL import Image, ImageCms, ImageFile, TiffImagePlugin, UnidentifiedImageError

from .. import reasons
from . import raw as camera_raw
from . import rawexif
from .jpegend import data_ran_out, decode_full
from .completeness import cut_short_reason
from .errors import ImageFileError, PathLike, describe_exc, not_a_file_reason, open_regular
from .provenance import FileFacts, several_pictures_reason
from .formats import HEIF_EXTENSIONS, READ_FORMATS, heif_available, looks_like_heif
from .pillowlimit import with_limit
from .metadata import (
    JpegEncoding,
    apply_orientation,
    exif_from_tiff,
    exif_reset_orientation,
    icc_colour_space,
    jpeg_encoding_of,
    orientation_of,
)

# A truncated JPEG/PNG must fail loudly instead of loading with a grey bottom half.
ImageFile.LOAD_TRUNCATED_IMAGES = False

BITS_PER_SAMPLE, SAMPLE_FORMAT, ORIENTATION_TAG = 258, 339, 274  # TIFF tags

#: Default decompression-bomb limit (pixels).
DEFAULT_MAX_PIXELS = 200_000_000
#: Current module-wide limit used when ``load_image(max_pixels=None)``; 0 means no limit.
MAX_PIXELS = DEFAULT_MAX_PIXELS



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
    format:      "JPEG", "PNG", "TIFF", "WEBP", "BMP", "HEIF" or "RAW" (a camera RAW file,
                 developed by LibRaw into 16-bit sRGB: imagefiles/raw.py).
    path:        the file that was read.
    mode:        the file's original colour mode, e.g. "RGB", "L", "P", "CMYK", "RGB;16", or
                 "RAW" followed by the sensor's colour filter, e.g. "RAW RGBG".
    orientation: the EXIF orientation (1-8) that was applied while loading.
    jpeg:        for a JPEG, its quantisation tables and chroma subsampling, so a saved
                 JPEG can match its quality and size; None for other formats.
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
    jpeg: JpegEncoding | None = None

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def has_alpha(self) -> bool:
        return self.alpha is not None


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
        reasons.reason(reasons.TOO_MANY_PIXELS, megapixels=_fmt_megapixels(pixels), limit=_fmt_megapixels(limit)),
    )


def set_max_megapixels(megapixels: float | None) -> None:
    """Set the module-wide decompression-bomb limit; ``None`` or 0 disables it."""
    global MAX_PIXELS
    MAX_PIXELS = 0 if not megapixels else int(megapixels * 1_000_000)


def read_photo_bytes(path: PathLike) -> bytes:
    """The whole file's bytes, read once, for a decoder or a check to share. Raises
    :class:`ImageFileError` naming the file and the reason: not a file, missing, a folder,
    unreadable, or empty."""
    path = Path(os.fspath(path))
    problem = not_a_file_reason(path)
    if problem:
        raise ImageFileError(path, problem)
    try:
        with open_regular(path) as handle:  # a pipe put here since the check above is refused, never waited on
            data = handle.read()
    except FileNotFoundError:
        raise ImageFileError(path, reasons.reason(reasons.FILE_NOT_FOUND)) from None
    except IsADirectoryError:
        raise ImageFileError(path, reasons.reason(reasons.IS_A_FOLDER)) from None
    except PermissionError:
        raise ImageFileError(path, reasons.reason(reasons.CANNOT_READ_PERMISSION)) from None
    except OSError as exc:
        raise ImageFileError(path, reasons.reason(reasons.CANNOT_READ, cause=describe_exc(exc))) from None
    if not data:
        raise ImageFileError(path, reasons.reason(reasons.EMPTY_FILE))
    return data


def _pixels_from_bomb_message(exc: BaseException) -> int | None:
    m = re.search(r"\((\d+) pixels\)", str(exc))
    return int(m.group(1)) if m else None


def pillow_guarded(path: Path, limit: int, fn: Callable[[], object]) -> object:
    """Run a Pillow open/load with its bomb limit set to ours, turning Pillow's
    DecompressionBombWarning/Error into our ImageFileError."""
    try:
        return with_limit(limit, fn)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        pixels = _pixels_from_bomb_message(exc) or limit + 1
        raise _bomb_error(path, pixels, limit) from None


def decode_error(path: Path, exc: BaseException) -> ImageFileError:
    """A decoder's exception as the file's one-line error: cut short, or damaged."""
    text = describe_exc(exc)
    low = text.lower()
    if "truncated" in low or "premature end" in low or isinstance(exc, EOFError):
        return ImageFileError(path, reasons.reason(reasons.TRUNCATED, cause=text))
    return ImageFileError(path, reasons.reason(reasons.CORRUPT, cause=text))


def _png_ihdr(data: bytes) -> tuple[int, int] | None:
    """(bit depth, colour type) from a PNG header."""
    if len(data) >= 26 and data[12:16] == b"IHDR":
        return data[24], data[25]
    return None


def tiff_tag_values(tags, tag: int, default) -> tuple:
    """A TIFF tag's values as a tuple: Pillow gives one value bare and several as a tuple."""
    value = tags.get(tag, default)
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


@dataclass(frozen=True)
class OpenCVReading:
    """How OpenCV's decode of a PNG or TIFF stands to the picture load_image reads (opencv_reading).

    grey:               the samples are grey (with or without alpha): decoded in colour they are three equal channels.
    load_image_decodes: load_image decodes the file with OpenCV (16-bit samples, which Pillow cannot hold at full
                        depth in colour).
    decodes_as_stored:  any decode by OpenCV, at any depth, with IMREAD_IGNORE_ORIENTATION, gives load_image's samples
                        (the colour under any alpha) before they are turned upright: a PNG, or a TIFF of 8- or 16-bit
                        samples in one plane, any alpha unassociated, stored upright (OpenCV turns a TIFF by its tag
                        whatever it is told).
    """

    grey: bool
    load_image_decodes: bool
    decodes_as_stored: bool


def opencv_reading(fmt: str, im: Image.Image, data: bytes) -> OpenCVReading | None:
    """Whether and how OpenCV decodes this photo (opened by open_photo; ``data`` its bytes) as load_image reads it:
    None where it does not: another format, a PNG without its header, a TIFF of CMYK, YCbCr, Lab or palette samples
    (load_image converts those itself) or of signed or floating-point ones."""
    if fmt == "PNG":
        header = _png_ihdr(data)
        if header is None:
            return None
        depth, colour_type = header
        return OpenCVReading(grey=colour_type in (0, 4), load_image_decodes=depth == 16, decodes_as_stored=True)
    if fmt != "TIFF":
        return None
    tags = getattr(im, "tag_v2", {})
    photometric = tags.get(262)  # PhotometricInterpretation: BlackIsZero (grey) or RGB
    if photometric not in (1, 2) or set(tiff_tag_values(tags, SAMPLE_FORMAT, 1)) != {1}:  # unsigned integers
        return None
    bits = tiff_tag_values(tags, BITS_PER_SAMPLE, 1)
    as_stored = (set(bits) in ({8}, {16}) and tags.get(284, 1) == 1  # PlanarConfiguration: one plane
                 and 1 not in tiff_tag_values(tags, 338, 0)  # ExtraSamples: no associated alpha
                 and tags.get(ORIENTATION_TAG, 1) == 1)
    return OpenCVReading(grey=photometric == 1, load_image_decodes=16 in bits, decodes_as_stored=as_stored)


def _decode_opencv(path: Path, data: bytes, grayscale: bool):
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if arr is None:
        return None
    if arr.dtype == np.uint16:
        depth = 16
    elif arr.dtype == np.uint8:
        depth = 8
    else:
        raise ImageFileError(path, reasons.reason(reasons.UNSUPPORTED_SAMPLE_TYPE, type=arr.dtype))
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
        raise ImageFileError(path, reasons.reason(reasons.UNSUPPORTED_CHANNELS, channels=arr.shape[2]))
    if grayscale and colour.ndim == 3:
        colour = colour[:, :, 0]
    gray = colour.ndim == 2
    base = "L" if gray else "RGB"
    mode = f"{base}{'A' if alpha is not None else ''};{depth}"
    return colour, alpha, depth, gray, mode


def _cmyk_to_srgb(im: Image.Image, icc: bytes | None) -> Image.Image:
    """A CMYK picture in sRGB: through its own CMYK profile where it has one, else Pillow's plain conversion."""
    if icc and icc_colour_space(icc) == b"CMYK":
        try:
            return ImageCms.profileToProfile(
                im,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
        except Exception:
            pass
    return im.convert("RGB")


def _plain_mode(path: Path, im: Image.Image, icc: bytes | None) -> tuple[Image.Image, bytes | None]:
    """The picture in one of the modes _decode_pillow reads (L, LA, RGB, RGBA, I, I;16), and the ICC
    profile that still describes it (None once the pixels were converted to sRGB)."""
    mode = im.mode
    if mode in ("P", "PA"):
        has_alpha = (
            mode == "PA"
            or "transparency" in im.info
            or (im.palette is not None and im.palette.mode == "RGBA")
        )
        return im.convert("RGBA" if has_alpha else "RGB"), icc
    if mode == "1":
        return im.convert("L"), icc
    if mode in ("L", "RGB") and "transparency" in im.info:
        return im.convert("LA" if mode == "L" else "RGBA"), icc
    if mode in ("La", "RGBa", "RGBX"):
        return im.convert({"La": "LA", "RGBa": "RGBA", "RGBX": "RGB"}[mode]), icc
    if mode == "CMYK":
        return _cmyk_to_srgb(im, icc), None  # pixels are sRGB now
    if mode in ("YCbCr", "LAB", "HSV"):
        try:
            converted = im.convert("RGB")
        except Exception:
            raise ImageFileError(path, reasons.reason(reasons.UNSUPPORTED_COLOUR_MODE, mode=mode)) from None
        return converted, None if mode == "LAB" else icc
    return im, icc


def _decode_pillow(path: Path, im: Image.Image, icc: bytes | None):
    """Pillow image (already loaded) -> (colour, alpha, depth, gray, icc)."""
    im, icc = _plain_mode(path, im, icc)
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
    raise ImageFileError(path, reasons.reason(reasons.UNSUPPORTED_COLOUR_MODE, mode=mode))


def _to_float(arr: np.ndarray, depth: int) -> np.ndarray:
    out = np.asarray(arr, dtype=np.float32).copy() if arr.dtype != np.float32 else arr.copy()
    out /= np.float32(65535.0 if depth == 16 else 255.0)
    return out


def _full_decode(p: Path, limit: int, im) -> None:
    """Decode every pixel with Pillow, turning any decoder failure into ImageFileError."""
    try:
        pillow_guarded(p, limit, im.load)
    except ImageFileError:
        raise
    except Exception as exc:
        raise decode_error(p, exc) from None


def open_photo(p: Path, data: bytes, limit: int) -> tuple[Image.Image, str]:
    """The file's header opened by Pillow (no pixels decoded) and the format load_image names it: refused with
    load_image's one-line error unless a format it reads, one picture, samples it reads, within ``limit`` pixels."""
    return _open_header(p, io.BytesIO(data), looks_like_heif(data), limit)


def header_problem(path: PathLike, *, max_pixels: int | None = None) -> reasons.ReasonText:
    """Why load_image would refuse the file from its header alone, with load_image's words ('' when the header
    is fine, or cannot be opened: load_image then says why): not an image, a format it does not read, HEIC
    without pillow-heif, several pictures, over the megapixel limit (``max_pixels`` as load_image's). No pixels
    decoded, the file not read whole: what a batch asks of every photo before the model loads. Not for camera
    RAW files (raw_problem)."""
    p = Path(os.fspath(path))
    limit = MAX_PIXELS if max_pixels is None else int(max_pixels)
    try:
        with open_regular(p) as handle:
            heif_like = looks_like_heif(handle.read(12))
            handle.seek(0)
            im, _ = _open_header(p, handle, heif_like, limit)
            im.close()
    except ImageFileError as error:
        return error.reason
    except OSError:
        return ""
    return ""


def _open_header(p: Path, source: BinaryIO, heif_content: bool, limit: int) -> tuple[Image.Image, str]:
    """The file opened by Pillow from ``source`` (seekable, at its start), its header checked."""
    heif_like = p.suffix.lower() in HEIF_EXTENSIONS or heif_content
    if heif_like:
        heif_available()
    try:
        im = pillow_guarded(p, limit, lambda: Image.open(source))
    except ImageFileError:
        raise
    except UnidentifiedImageError:
        if heif_like and not heif_available():
            raise ImageFileError(p, reasons.reason(reasons.HEIF_NEEDS_PACKAGE)) from None
        # Pillow opens no colour float TIFF, nor 16- or 64-bit float ones: their tags still say why
        raise ImageFileError(p, _tiff_samples_problem(_first_tiff_directory(source))
                             or reasons.reason(reasons.NOT_AN_IMAGE)) from None
    except Exception as exc:  # plugin errors on malformed headers
        raise decode_error(p, exc) from None

    assert isinstance(im, Image.Image)
    fmt = READ_FORMATS.get((im.format or "").upper())
    if fmt is None:
        raise ImageFileError(
            p, reasons.reason(reasons.UNSUPPORTED_FORMAT, format=im.format or 'unknown')
        )
    several = several_pictures_reason(FileFacts("", 1 if im.format == "MPO" else int(getattr(im, "n_frames", 1) or 1),
                                                im.format or ""))
    if several:
        raise ImageFileError(p, several)
    samples = _tiff_samples_problem(im.tag_v2) if im.format == "TIFF" else ""
    if samples:
        raise ImageFileError(p, samples)
    width, height = im.size
    if limit > 0 and width * height > limit:
        raise _bomb_error(p, width * height, limit)
    return im, fmt


def _tiff_samples_problem(tags) -> reasons.ReasonText:
    """Why a TIFF's samples are none the app reads, from its tags ('' where they are): floating-point
    (HDR merges, scientific cameras; Pillow opens the grey 32-bit ones as mode F) or integers wider than
    16 bits (Pillow's mode I, which would be clipped to 16 bits): said from the header, before a model loads."""
    formats = tiff_tag_values(tags, SAMPLE_FORMAT, 1)
    bits = max(tiff_tag_values(tags, BITS_PER_SAMPLE, 1))
    if 3 in formats:  # IEEE floating point
        return reasons.reason(reasons.FLOATING_POINT_PIXELS, bits=bits)
    if bits > 16:
        return reasons.reason(reasons.WIDE_INTEGER_PIXELS, bits=bits)
    return ""


def _first_tiff_directory(source: BinaryIO) -> dict:
    """The tags of a TIFF's first picture, read by Pillow's tag reader alone ({} for another file, or one whose
    tags cannot be read): for a TIFF Pillow cannot open."""
    try:
        source.seek(0)
        head = source.read(8)
        if head[:4] not in TiffImagePlugin.PREFIXES:
            return {}
        if head[2] == 43:  # BigTIFF: its first directory's offset takes 8 more bytes
            head += source.read(8)
        directory = TiffImagePlugin.ImageFileDirectory_v2(head)
        source.seek(directory.next)
        directory.load(source)
        return dict(directory)
    except Exception:  # noqa: BLE001 (a damaged file: not an image, as Pillow said)
        return {}


def verify_png(p: Path, data: bytes, limit: int) -> None:
    """Decoders do not check chunk CRCs; Pillow's verify() does (cheaply), so a damaged PNG is
    reported instead of loading with garbage in it."""
    try:
        pillow_guarded(p, limit, lambda: Image.open(io.BytesIO(data)).verify())
    except ImageFileError:
        raise
    except Exception as exc:
        raise decode_error(p, exc) from None


def refuse_data_ran_out(p: Path, data: bytes, decoded: Image.Image, decode: Callable[[bytes], object]) -> None:
    """A JPEG cut short and closed with an end-of-image marker decodes without an error, its last blocks grey
    (jpegend.py): refused, as a file cut short without the marker is, rather than deblurred and saved with a
    grey band (or a scan's verdict on a grey band)."""
    if data_ran_out(data, decoded, decode):
        raise ImageFileError(p, reasons.reason(reasons.JPEG_DATA_RAN_OUT))


def _decode(p: Path, data: bytes, limit: int, im: Image.Image, fmt: str, icc: bytes | None):
    """Every pixel: (colour, alpha, depth, gray, mode, icc); OpenCV for what Pillow reads
    poorly (16-bit), Pillow for the rest. ``mode`` is None where Pillow's mode stands."""
    opencv = opencv_reading(fmt, im, data)
    if opencv is not None and opencv.load_image_decodes:
        decoded = _decode_opencv(p, data, opencv.grey)
        if decoded is None:
            # OpenCV refused it: let Pillow's full decode report why (e.g. truncated)
            _full_decode(p, limit, im)
            raise ImageFileError(p, reasons.reason(reasons.CORRUPT_16_BIT))
        colour, alpha, depth, gray, mode = decoded
        return colour, alpha, depth, gray, mode, icc
    _full_decode(p, limit, im)
    if fmt == "JPEG":
        refuse_data_ran_out(p, data, im, lambda variant: pillow_guarded(p, limit, lambda: decode_full(variant)))
    try:
        colour, alpha, depth, gray, icc = _decode_pillow(p, im, icc)
    except ImageFileError:
        raise
    except Exception as exc:
        raise decode_error(p, exc) from None
    return colour, alpha, depth, gray, None, icc


def load_image(path: PathLike, *, max_pixels: int | None = None) -> LoadedImage:
    """Read a photo file.

    ``max_pixels`` is the decompression-bomb limit in pixels (None: the module's
    ``MAX_PIXELS``; 0: no limit).  Raises :class:`ImageFileError` for every failure.
    """
    p = Path(os.fspath(path))
    limit = MAX_PIXELS if max_pixels is None else int(max_pixels)
    return _load_image(p, read_photo_bytes(p), limit)


def _load_image(p: Path, data: bytes, limit: int) -> LoadedImage:
    """load_image of the file's bytes, read once (read_photo_bytes)."""
    if camera_raw.has_raw_extension(p) or camera_raw.looks_like_raw(data):  # never Pillow: it would read a preview
        return _load_raw(p, data, limit)
    im, fmt = open_photo(p, data, limit)  # the header alone: the megapixel limit is said first
    cut_short = cut_short_reason(p, data)  # a huge size over a few bytes: the JPEG decoder would fill it with grey
    if cut_short:
        raise ImageFileError(p, cut_short)

    orientation = orientation_of(im)
    icc = im.info.get("icc_profile") or None
    if fmt == "TIFF":
        exif = exif_from_tiff(im)
    else:
        raw = im.info.get("exif")
        exif = exif_reset_orientation(raw, drop_thumbnail=orientation != 1) if raw else None
    jpeg = jpeg_encoding_of(im) if fmt == "JPEG" else None
    if fmt == "PNG":
        verify_png(p, data, limit)

    original_mode = im.mode
    colour, alpha, depth, gray, decoded_mode, icc = _decode(p, data, limit, im, fmt, icc)
    if decoded_mode is None:
        turned = _pillow_turned_upright(im, orientation)
    else:
        turned = fmt == "TIFF" and orientation != 1 and _opencv_turns_tiffs()
    turn = 1 if turned else orientation
    colour = apply_orientation(colour, turn)
    pixels = _to_float(colour, depth)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    alpha_f = None
    if alpha is not None:
        alpha_f = np.ascontiguousarray(_to_float(apply_orientation(alpha, turn), depth))
    return LoadedImage(
        pixels=np.ascontiguousarray(pixels),
        alpha=alpha_f,
        bit_depth=depth,
        grayscale=bool(gray),
        icc_profile=bytes(icc) if icc else None,
        exif=exif,
        format=fmt,
        path=p,
        mode=decoded_mode or original_mode,
        orientation=orientation,
        jpeg=jpeg,
    )


def _pillow_turned_upright(im: Image.Image, orientation: int) -> bool:
    """Whether Pillow turned this loaded picture upright itself: Pillow 13 does for a TIFF (it drops the
    Orientation tag as it does), earlier versions did not; the app turns the pixels it decodes upright once."""
    return im.format == "TIFF" and orientation != 1 and ORIENTATION_TAG not in im.tag_v2


@functools.cache
def _opencv_turns_tiffs() -> bool:
    """Whether this OpenCV turns a TIFF upright by its Orientation tag as it decodes it (5.1 does, for every
    orientation and IMREAD_UNCHANGED too): asked once of a 3x2 TIFF turned upside down."""
    stored = np.array([[1, 2, 3], [4, 5, 6]], np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(stored).save(buffer, "TIFF", tiffinfo={ORIENTATION_TAG: 3})
    decoded = cv2.imdecode(np.frombuffer(buffer.getvalue(), np.uint8), cv2.IMREAD_UNCHANGED)
    return decoded is not None and np.array_equal(decoded, stored[::-1, ::-1])


def stored_size(im: Image.Image) -> tuple[int, int]:
    """(width, height) of the pixels as the file stores them, before any EXIF orientation: Pillow 13 gives a TIFF
    of orientation 5-8 the sides it has once upright, earlier versions and other formats the stored ones."""
    if im.format == "TIFF":
        width, height = im.tag_v2.get(256), im.tag_v2.get(257)
        if isinstance(width, int) and isinstance(height, int):
            return width, height
    return im.size


def photo_size(path: PathLike, *, max_pixels: int | None = None) -> tuple[int, int] | None:
    """(height, width) of the pixels load_image would return, from the file's header alone (no decoding), or None
    where the header does not say or load_image would refuse the file (camera raw, an unreadable file, one over
    ``max_pixels`` as load_image counts it: load_image then says why). What a batch knows of a photo before it
    decodes it (jobs/pipeline.py prepares the engine for a large one first)."""
    p = Path(os.fspath(path))
    if camera_raw.has_raw_extension(p):
        return None

    def header() -> tuple[tuple[int, int], int]:
        with open_regular(p) as handle, Image.open(handle) as im:  # a batch asks it of a photo planned earlier
            return stored_size(im), orientation_of(im)

    try:
        (width, height), orientation = pillow_guarded(p, MAX_PIXELS if max_pixels is None else int(max_pixels), header)
    except Exception:  # noqa: BLE001 (load_image reports a bad file, with its reason)
        return None
    return (width, height) if orientation >= 5 else (height, width)  # EXIF 5-8 swap the sides (apply_orientation)


def _check_raw_size(p: Path, sensor, limit: int) -> None:
    """The decompression-bomb limit, from the RAW file's header, before its sensor data is read."""
    width, height = sensor.sizes.width, sensor.sizes.height
    if limit > 0 and width * height > limit:
        raise _bomb_error(p, width * height, limit)


def _load_raw(p: Path, data: bytes, limit: int) -> LoadedImage:
    """Develop a camera RAW file with LibRaw (imagefiles/raw.py) into 16-bit sRGB, upright."""
    with camera_raw.opened(p, data, before_unpack=lambda sensor: _check_raw_size(p, sensor, limit)) as sensor:
        developed = camera_raw.develop(sensor, p)
        orientation = camera_raw.orientation_of(sensor)
        exif = rawexif.raw_exif(data, sensor)
        filters = sensor.color_desc.decode("ascii", "replace")
    return LoadedImage(
        pixels=np.ascontiguousarray(_to_float(developed, 16)),
        alpha=None,
        bit_depth=16,
        grayscale=False,
        icc_profile=None,  # sRGB, as untagged files are read
        exif=exif,
        format="RAW",
        path=p,
        mode=f"RAW {filters}",
        orientation=orientation,
    )


def load_reduced(path: PathLike, max_side: int = 1024, *, max_pixels: int | None = None) -> np.ndarray:
    """A smaller picture of a photo for quick measurements over many files (e.g. a folder
    scan for blur): float32 HxWx3 sRGB in [0, 1], upright, at most ``max_side`` on its long
    side. A camera RAW file is developed at half size from its sensor data (LibRaw's
    half_size: each 2x2 Bayer block is one pixel, no demosaicing, several times faster than
    the full development) and with the same white balance and tone curve as load_image;
    never its embedded preview, which the camera sharpened and compressed. Other photos
    are fully decoded. Raises ImageFileError like load_image.
    """
    p = Path(os.fspath(path))
    limit = MAX_PIXELS if max_pixels is None else int(max_pixels)
    return load_reduced_from_bytes(p, read_photo_bytes(p), max_side, limit)


def load_reduced_from_bytes(p: Path, data: bytes, max_side: int, limit: int) -> np.ndarray:
    """load_reduced of the file's bytes, read once (read_photo_bytes); ``limit`` in pixels, 0 for none."""
    if camera_raw.has_raw_extension(p) or camera_raw.looks_like_raw(data):
        with camera_raw.opened(p, data, before_unpack=lambda sensor: _check_raw_size(p, sensor, limit)) as sensor:
            pixels = _to_float(camera_raw.develop(sensor, p, half_size=True), 16)
    else:
        pixels = _load_image(p, data, limit).pixels
    return fit_within(pixels, max_side)


def fit_within(pixels: np.ndarray, max_side: int) -> np.ndarray:
    """The picture at most ``max_side`` px on its long side (area-averaged); a smaller one as it is."""
    height, width = pixels.shape[:2]
    if max(height, width) > max_side:
        scale = max_side / max(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(pixels)
