"""The Linux desktop integration files (resources/linux/): they validate, and they say what the app does.

The validators are Debian's desktop-file-utils and appstream (.ci/run installs them); those two
tests skip only where the tools are absent. The rest reads the files themselves.
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import deblur_app
from deblur_app.imagefiles import formats

REPO = Path(__file__).resolve().parent.parent
LINUX = REPO / "resources" / "linux"
APP_ID = "io.github.deblur_app.Deblur"
DESKTOP_FILE = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)

# freedesktop.org shared-mime-info's type for each extension the app reads (formats.py).
MIME_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".tif": "image/tiff",
    ".tiff": "image/tiff", ".webp": "image/webp", ".bmp": "image/bmp", ".heic": "image/heif",
    ".heif": "image/heif", ".hif": "image/heif",
    # camera RAW (LibRaw)
    ".dng": "image/x-adobe-dng", ".cr2": "image/x-canon-cr2", ".cr3": "image/x-canon-cr3",
    ".crw": "image/x-canon-crw", ".nef": "image/x-nikon-nef", ".nrw": "image/x-nikon-nrw",
    ".arw": "image/x-sony-arw", ".sr2": "image/x-sony-sr2", ".srf": "image/x-sony-srf",
    ".raf": "image/x-fuji-raf", ".orf": "image/x-olympus-orf", ".rw2": "image/x-panasonic-rw2",
    ".raw": "image/x-panasonic-rw", ".pef": "image/x-pentax-pef", ".mrw": "image/x-minolta-mrw",
    ".dcr": "image/x-kodak-dcr", ".k25": "image/x-kodak-k25", ".kdc": "image/x-kodak-kdc",
    ".x3f": "image/x-sigma-x3f",
}
# RAW extensions shared-mime-info (2.2, Debian 12) gives no type: a file manager cannot offer the app
# for them, whatever the entry lists; File > Open, drag and drop and the command line still take them.
NO_FREEDESKTOP_TYPE = {".3fr", ".ari", ".bay", ".dcs", ".erf", ".fff", ".iiq", ".mdc", ".mef", ".mos",
                       ".rwl", ".rwz", ".srw"}
# also listed: newer shared-mime-info's name for HEIF, and the parent of every RAW type, which
# desktops match for RAW types newer than this table
EXTRA_TYPES = {"image/heic", "image/x-dcraw"}
def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]


def listed_mime_types() -> set[str]:
    return {entry for entry in desktop_entry()["MimeType"].split(";") if entry}


def run_validator(*command: str) -> subprocess.CompletedProcess:
    if shutil.which(command[0]) is None:
        pytest.skip(f"{command[0]} is not installed (Debian: desktop-file-utils, appstream)")
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def test_desktop_file_validates():
    result = run_validator("desktop-file-validate", str(DESKTOP_FILE))
    assert result.returncode == 0 and "error" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr


def test_metainfo_validates():
    result = run_validator("appstreamcli", "validate", "--no-net", "--no-color", str(METAINFO))
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert not [line for line in report.splitlines() if line.startswith(("E:", "W:"))], report


def test_desktop_entry_opens_several_photos_and_has_chinese_texts():
    entry = desktop_entry()
    assert entry["Exec"].split() == ["deblur-app", "%F"]  # several files, as local paths
    assert entry["Categories"].split(";")[:2] == ["Graphics", "Photography"]
    assert entry["Icon"] == APP_ID
    for key in ("Name", "GenericName", "Comment"):
        assert entry[key] and entry[f"{key}[zh_CN]"], key
    assert any("\u4e00" <= char <= "\u9fff" for char in entry["Comment[zh_CN]"])


def test_desktop_entry_lists_every_format_the_app_reads():
    listed = listed_mime_types()
    unknown = [ext for ext in formats.SUPPORTED_EXTENSIONS if ext not in MIME_TYPES and ext not in NO_FREEDESKTOP_TYPE]
    assert not unknown, f"add the MIME type of {unknown} here and to the desktop entry"
    wanted = {MIME_TYPES[ext] for ext in formats.SUPPORTED_EXTENSIONS if ext in MIME_TYPES}
    assert wanted <= listed, sorted(wanted - listed)
    # and nothing the app cannot open
    readable = {MIME_TYPES[ext] for ext in formats.SUPPORTED_EXTENSIONS if ext in MIME_TYPES}
    assert listed <= readable | EXTRA_TYPES, sorted(listed - readable - EXTRA_TYPES)


def test_one_id_names_the_desktop_entry_the_metainfo_the_icon_and_the_window():
    from deblur_app.gui import app

    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID == app.DESKTOP_ID
    assert root.find("launchable").text == DESKTOP_FILE.name
    assert root.findtext("icon") == desktop_entry()["Icon"] == APP_ID
    assert root.findtext("project_license") == "MIT"
    assert 'license = { text = "MIT" }' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_metainfo_release_is_this_version_and_its_screenshots_are_in_docs():
    root = ET.parse(METAINFO).getroot()
    newest = root.find("releases/release")
    assert newest.get("version") == deblur_app.__version__, "add a <release> for the new version"
    images = [image.text for image in root.iter("image")]
    assert images
    for url in images:
        assert (REPO / "docs" / url.rsplit("/docs/", 1)[1]).is_file(), url


def test_icons_at_the_hicolor_sizes_render_the_svg():
    from PIL import Image

    for size in ICON_SIZES:
        path = LINUX / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        with Image.open(path) as image:
            assert image.size == (size, size) and image.mode == "RGBA", path
            alpha = image.getchannel("A")
            # the rounded square: opaque in the middle, transparent in the corner
            assert alpha.getpixel((size // 2, size // 2)) == 255 and alpha.getpixel((0, 0)) == 0, path
    assert (REPO / "resources" / "icons" / "deblur-app.svg").is_file()  # installed as hicolor/scalable
