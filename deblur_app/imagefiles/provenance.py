"""Which files this app made, and which files hold more than one picture.

Every file the app writes carries a marker, "deblur_app <version>", where its format has a
standard place for the program that made it: PNG's "Software" text chunk, TIFF's Software
tag (305), a JPEG comment (COM) segment and WebP's XMP (xmp:CreatorTool). The photo's own
EXIF is left byte for byte as it was (its maker notes included), so JPEG and WebP do not
use EXIF's Software tag. BMP has no such place: there only the output-name rule applies
(naming.batch_candidates).

A batch reads the marker, cheaply (headers only), to leave its own earlier outputs alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .. import reasons
from .errors import PathLike, not_a_file_reason
from .pillowlimit import with_limit
from .raw import is_raw

MARKER_PREFIX = "deblur_app "
_SOFTWARE_TAG = 305
_CREATOR_TOOL = re.compile(rb"<xmp:CreatorTool>([^<]*)</xmp:CreatorTool>|xmp:CreatorTool=\"([^\"]*)\"")
# Cameras write a second, smaller picture into an MPO (a preview, a stereo pair): the first is the photo
_ONE_PHOTO_WITH_PREVIEWS = ("MPO",)


def app_marker() -> str:
    from .. import __version__

    return f"{MARKER_PREFIX}{__version__}"


def xmp_packet(marker: str) -> bytes:
    return ('<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
            '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
            f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{marker}"/></rdf:RDF></x:xmpmeta>'
            '<?xpacket end="r"?>').encode()


def marker_of(im: Image.Image) -> str:
    """The "deblur_app <version>" an opened file carries ("" if none): where each format keeps it."""
    candidates = [im.info.get("Software"), im.info.get("comment")]
    tags = getattr(im, "tag_v2", None)
    if tags is not None:
        candidates.append(tags.get(_SOFTWARE_TAG))
    xmp = im.info.get("xmp")
    if isinstance(xmp, (bytes, str)):
        found = _CREATOR_TOOL.search(xmp.encode() if isinstance(xmp, str) else xmp)
        if found:
            candidates.append(found.group(1) or found.group(2))
    for value in candidates:
        text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
        if isinstance(text, str) and text.startswith(MARKER_PREFIX):
            return text.strip()
    return ""


@dataclass(frozen=True)
class FileFacts:
    marker: str  # "deblur_app <version>" if this app made the file, else ""
    frames: int  # pictures in the file: pages of a TIFF, frames of an animation
    format: str  # Pillow's name for it


def file_facts(path: PathLike) -> FileFacts | None:
    """What the header of an image file says (no pixels decoded); None where it cannot be read.

    A file that cannot be read is left to load_image, which says why in one line.
    """
    if not_a_file_reason(path):  # a pipe or a device: opening it would wait or read for ever
        return None
    if is_raw(path):  # Pillow must never read a camera RAW file (raw.py): one photo, no marker
        return FileFacts("", 1, "RAW")
    try:  # a header read: no pixels decoded, so no bomb limit (pillowlimit)
        with with_limit(0, lambda: Image.open(Path(os.fspath(path)))) as im:
            frames = 1 if im.format in _ONE_PHOTO_WITH_PREVIEWS else int(getattr(im, "n_frames", 1) or 1)
            return FileFacts(marker_of(im), frames, im.format or "")
    except Exception:  # unreadable, unsupported, a bomb: not this function's to report
        return None


def several_pictures_reason(facts: FileFacts) -> reasons.ReasonText:
    """Why a file with several pictures is not deblurred ("" for a single picture).

    Refused rather than deblurring the first: the output would be a single picture that
    silently drops the others, and which page or frame is the photo is not known.
    """
    if facts.frames <= 1:
        return ""
    kind = {"TIFF": reasons.MULTI_PAGE_TIFF, "GIF": reasons.ANIMATED_GIF, "WEBP": reasons.ANIMATED_WEBP,
            "PNG": reasons.ANIMATED_PNG}.get(facts.format)
    kind = reasons.reason(kind) if kind else reasons.reason(reasons.A_FORMAT_FILE, format=facts.format)
    unit, one = (reasons.PAGES, reasons.PAGE) if facts.format == "TIFF" else (reasons.FRAMES, reasons.FRAME)
    unit, one = reasons.reason(unit), reasons.reason(one)
    return reasons.reason(reasons.SEVERAL_PICTURES, kind=kind, count=facts.frames, unit=unit, one=one)
