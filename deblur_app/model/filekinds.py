"""What a file that is no weights file is, told by its first bytes alone (nothing is unpickled or decoded).

torch's weights-only reader, given a PNG renamed ``photo.zip``, says "Unsupported operand 80" (the byte 'P'
read as a pickle opcode): true and useless. A file recognisably of another kind (an image, a zip archive that
holds no checkpoint, a web page, text) is named for what it is instead (model/checkpoints.py, after torch's
reader failed, so no checkpoint is ever judged by these guesses). No torch here: the weights store asks
whether a download is a web page before it loads torch.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .. import reasons

HEAD_BYTES = 4096  # enough for every signature below, and for text to look like text
# (signature, offset) -> format; a signature of a few bytes at the very start, as `file` reads them
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"WEBP", 8, "WebP"),  # after "RIFF" and its size
    (b"ftypheic", 4, "HEIC"),
    (b"ftypheix", 4, "HEIC"),
    (b"ftypmif1", 4, "HEIF"),
    (b"ftypavif", 4, "AVIF"),
)
_WEB_PAGE_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")


def is_web_page(head: bytes) -> bool:
    """Whether the first bytes of a file are HTML (a download that got a page, a saved page renamed)."""
    head = head.lstrip().lower()
    return head.startswith(_WEB_PAGE_STARTS) or b"<html" in head


def image_format(head: bytes) -> str | None:
    for signature, offset, name in _IMAGE_SIGNATURES:
        if head[offset:offset + len(signature)] == signature:
            return name
    if head[:2] == b"BM" and head[6:10] == b"\x00\x00\x00\x00":  # BMP: its reserved fields are zero
        return "BMP"
    return None


def _is_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if len(head) < HEAD_BYTES or error.start < len(head) - 3:  # not a character cut by the read's end
            return False
        text = head[:error.start].decode("utf-8")
    return bool(text.strip()) and all(char.isprintable() or char in "\t\r\n\f" for char in text)


def _is_zip_without_checkpoint(path: Path) -> bool:
    try:
        if not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as archive:
            return not any(name == "data.pkl" or name.endswith("/data.pkl") for name in archive.namelist())
    except (OSError, zipfile.BadZipFile, ValueError):
        return False


def other_kind(path: Path) -> reasons.Reason | None:
    """What ``path`` is, when it is recognisably no weights file ("a PNG image"); None when it is not clear."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    image = image_format(head)
    if image is not None:
        return reasons.reason(reasons.KIND_IMAGE, format=image)
    if is_web_page(head):
        return reasons.reason(reasons.KIND_WEB_PAGE)
    if _is_zip_without_checkpoint(path):
        return reasons.reason(reasons.KIND_ZIP_WITHOUT_CHECKPOINT)
    if _is_text(head):
        return reasons.reason(reasons.KIND_TEXT)
    return None
