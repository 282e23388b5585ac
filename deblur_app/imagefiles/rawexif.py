"""The camera's EXIF (camera, lens, exposure, date, GPS) of a RAW file, as the EXIF block a
deblurred TIFF/PNG/JPEG carries.

Read with exifread: pure Python (one wheel for every platform rawpy has, nothing native to bundle),
maintained, and it reads the TIFF-based RAW containers (DNG, NEF, CR2, ARW, PEF, ORF, RW2, KDC...).
A Fujifilm RAF keeps its EXIF in the JPEG preview inside; that JPEG is handed to exifread. For a
container exifread cannot parse (e.g. Canon CR3), the exposure, lens and date that LibRaw itself
read are written instead. Maker notes are not carried (their offsets only mean something inside
the original file).
"""

from __future__ import annotations

import io
import logging
import struct
from fractions import Fraction

from PIL import Image, TiffImagePlugin

from .metadata import _EXIF_IFD0_KEEP

# exifread logs a damaged field as a warning; with no handler Python would print it to stderr,
# a second line beside the app's own. The app's logging configuration still receives it.
logging.getLogger("exifread").addHandler(logging.NullHandler())

_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
# MakerNote, pointers (rebuilt by Pillow), and the sensor's pixel dimensions, which the developed
# (possibly turned) picture does not have
_SKIPPED = {0x927C, 0xA005, 0x8769, 0x8825, 0xA002, 0xA003}
_IFD_GROUPS = {"Image": None, "EXIF": _EXIF_IFD, "GPS": _GPS_IFD}


def raw_exif(data: bytes, raw=None) -> bytes | None:
    """The EXIF block (``b"Exif\\0\\0"`` + TIFF, orientation 1) of a RAW file's bytes; ``raw``
    (an opened rawpy.RawPy) gives LibRaw's fields when the container has no EXIF exifread can read."""
    exif = _exif_from_exifread(_exif_container(data))
    if exif is None and raw is not None:
        exif = _exif_from_libraw(raw)
    if exif is None:
        return None
    exif[0x0112] = 1  # pixels are developed upright
    try:
        return exif.tobytes()
    except Exception:
        return None


def _exif_container(data: bytes) -> bytes:
    """The bytes exifread should read: the file itself, or a RAF's embedded JPEG."""
    if data.startswith(b"FUJIFILMCCD-RAW") and len(data) >= 92:
        offset, length = struct.unpack_from(">II", data, 84)
        if 0 < offset < len(data) and length > 0:
            return data[offset:offset + length]
    return data


def _exif_from_exifread(container: bytes) -> Image.Exif | None:
    import exifread

    try:
        tags = exifread.process_file(io.BytesIO(container), details=False, extract_thumbnail=False)
    except Exception:
        return None
    exif, groups = Image.Exif(), {_EXIF_IFD: {}, _GPS_IFD: {}}
    for key, tag in tags.items():
        group, _, _name = key.partition(" ")
        if group not in _IFD_GROUPS or not hasattr(tag, "tag") or tag.tag in _SKIPPED:
            continue
        value = _pillow_value(tag)
        if value is None:
            continue
        ifd = _IFD_GROUPS[group]
        if ifd is None:
            if tag.tag in _EXIF_IFD0_KEEP:
                exif[tag.tag] = value
        else:
            groups[ifd][tag.tag] = value
    for ifd, values in groups.items():
        if values:
            exif[ifd] = values
    return exif if len(exif) else None


def _pillow_value(tag):
    """An exifread tag's values as Pillow writes them: text, a number, a rational, bytes or a tuple."""
    values, field_type = tag.values, tag.field_type
    if field_type == 2:  # ASCII
        return str(values).strip("\0 ") or None
    if field_type in (1, 7):  # BYTE, UNDEFINED (e.g. GPSVersionID 2.3.0.0, ExifVersion "0231")
        return bytes(values) if isinstance(values, (list, bytes)) else None
    if not isinstance(values, list) or not values:
        return None
    if field_type in (5, 10):
        values = [TiffImagePlugin.IFDRational(Fraction(v).numerator, Fraction(v).denominator) for v in values]
    return values[0] if len(values) == 1 else tuple(values)


def _exif_from_libraw(raw) -> Image.Exif | None:
    try:
        other, lens = raw.other, raw.lens
    except Exception:
        return None
    exif, sub = Image.Exif(), {}
    if other.shutter_speed > 0:
        sub[0x829A] = _rational(other.shutter_speed)
    if other.aperture > 0:
        sub[0x829D] = _rational(other.aperture)
    if other.iso_speed > 0:
        sub[0x8827] = int(round(other.iso_speed))
    if other.focal_length > 0:
        sub[0x920A] = _rational(other.focal_length)
    if other.timestamp is not None:
        sub[0x9003] = other.timestamp.strftime("%Y:%m:%d %H:%M:%S")
    if lens.model:
        sub[0xA434] = lens.model
    if other.artist:
        exif[0x013B] = other.artist
    if sub:
        exif[_EXIF_IFD] = sub
    return exif if len(exif) else None


def _rational(value: float) -> TiffImagePlugin.IFDRational:
    fraction = Fraction(value).limit_denominator(100000)
    return TiffImagePlugin.IFDRational(fraction.numerator, fraction.denominator)
