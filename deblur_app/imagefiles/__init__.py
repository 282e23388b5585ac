"""Reading and writing photo files: the only place in the app that touches image files.

Everything else (inference engine, GUI, CLI, batch, training evaluation) works on
arrays; this package turns files into :class:`LoadedImage` objects and arrays back
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
* Camera RAW files (NEF, CR2, CR3, ARW, DNG, RAF, ORF, RW2...; by extension or content)
  are developed by LibRaw into 16-bit sRGB with the camera's white balance and EXIF
  (``raw``, ``rawexif``, ``rawpreview``); Pillow never reads them. Their output is a 16-bit TIFF.

Modules: ``formats`` (which extensions and formats), ``completeness`` (a JPEG cut short, told without decoding), ``metadata`` (EXIF, ICC,
orientation, JPEG compression), ``reading`` (decode, bomb limit), ``thumbnails``
(quick previews), ``scanning`` (small 8-bit pictures for measuring many photos),
``raw``, ``rawexif`` and ``rawpreview`` (camera RAW), ``encoders`` (Pillow, 16-bit PNG,
TIFF) and ``writing`` (checks, atomic write).  No torch and no Qt here.
"""

from __future__ import annotations

import importlib

from .errors import ImageFileError, not_a_file_reason, not_an_output_reason
from .formats import (
    RAW_EXTENSIONS,
    SUPPORTED_EXTENSIONS,
    WRITABLE_EXTENSIONS,
    heif_available,
    is_supported,
    names_an_image_file,
    output_format_for,
    output_suffix_for,
    sixteen_bit_problem,
)

# The other modules' names load on first use (PEP 562): ``formats`` and ``errors`` need neither
# numpy, Pillow nor OpenCV, so naming an output (jobs.naming) or building the command line's
# parsers (--help) stays free of the image stack (cv2 alone took 0.15 s of --help's 0.33 s imports).
_LAZY_NAMES = {
    "completeness": ("cut_short_reason",),
    "provenance": ("FileFacts", "app_marker", "file_facts", "several_pictures_reason"),
    "raw": ("is_raw", "raw_problem", "rawpy_version"),
    "reading": ("DEFAULT_MAX_PIXELS", "LoadedImage", "header_problem", "load_image", "load_reduced", "photo_size",
                "read_photo_bytes", "set_max_megapixels"),
    "scanning": ("load_for_measuring",),
    "thumbnails": ("load_thumbnail", "thumbnail_crop", "thumbnail_size"),
    "writing": ("DEFAULT_QUALITY", "in_photo_colours", "is_same_file", "remove_orphaned_temporaries", "save_image"),
}
_MODULE_OF = {name: module for module, names in _LAZY_NAMES.items() for name in names}


def __getattr__(name: str):
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULE_OF))


__all__ = [
    "DEFAULT_MAX_PIXELS",
    "DEFAULT_QUALITY",
    "RAW_EXTENSIONS",
    "SUPPORTED_EXTENSIONS",
    "WRITABLE_EXTENSIONS",
    "FileFacts",
    "ImageFileError",
    "LoadedImage",
    "app_marker",
    "file_facts",
    "header_problem",
    "heif_available",
    "is_raw",
    "not_a_file_reason",
    "not_an_output_reason",
    "in_photo_colours",
    "is_same_file",
    "is_supported",
    "names_an_image_file",
    "load_for_measuring",
    "load_image",
    "load_reduced",
    "load_thumbnail",
    "thumbnail_crop",
    "thumbnail_size",
    "output_format_for",
    "output_suffix_for",
    "raw_problem",
    "read_photo_bytes",
    "rawpy_version",
    "remove_orphaned_temporaries",
    "save_image",
    "set_max_megapixels",
    "several_pictures_reason",
    "sixteen_bit_problem",
]
