"""The licence of each photo: from a Debian package's machine-readable copyright file,
or from the notes shipped inside a wheel."""

from __future__ import annotations

import fnmatch
import os
import re
import zipfile
from pathlib import Path


def parse_dep5(text: str) -> list[tuple[list[str], str]]:
    """Parse a machine-readable debian/copyright into [(file_globs, licence)]."""
    stanzas: list[tuple[list[str], str]] = []
    for para in re.split(r"\n\s*\n", text):
        files: list[str] = []
        lic = None
        cur = None
        for line in para.splitlines():
            if not line.strip():
                continue
            if line[0] in " \t":
                if cur == "files":
                    files.extend(line.split())
                continue
            key, _, val = line.partition(":")
            key = key.strip().lower()
            cur = key
            if key in ("files", "file"):
                files.extend(val.split())
            elif key == "license" and lic is None:
                lic = val.strip()
        if files and lic:
            stanzas.append((files, lic))
    return stanzas


def guess_license(text: str) -> str:
    """Very rough licence name for non-DEP-5 copyright texts."""
    t = " ".join(text.split())
    if "GNU General Public License" in t or re.search(r"\bGPL\b", t):
        m = re.search(r"version (\d)", t)
        v = m.group(1) if m else ""
        later = "or (at your option) any later" in t or "or any later" in t
        return f"GPL-{v}{'+' if later else ''}" if v else "GPL"
    if "Apache License" in t:
        return "Apache-2.0"
    if "BSD" in t:
        return "BSD"
    return "see copyright"


def license_for(relpath: str, stanzas: list[tuple[list[str], str]], default: str) -> str:
    """Pick the last DEP-5 stanza whose glob matches the (installed) path.

    Source-tree paths rarely equal installed paths, so a glob also matches when
    its basename matches the file's basename (or the wallpaper's directory for
    KDE-style ``Name/contents/images/WxH.ext`` packages).
    """
    rel = relpath.replace(os.sep, "/")
    base = rel.rsplit("/", 1)[-1]
    parts = rel.split("/")
    best = None
    for files, lic in stanzas:
        for pat in files:
            if pat == "*":
                continue
            pbase = pat.rsplit("/", 1)[-1]
            if (fnmatch.fnmatchcase(rel, "*" + pat.lstrip("*"))
                    or (pbase not in ("*", "") and fnmatch.fnmatchcase(base, pbase))
                    or (pat.endswith("/*") and pat[:-2].rsplit("/", 1)[-1] in parts[:-1]
                        and pat[:-2].rsplit("/", 1)[-1] not in ("usr", "share", "debian"))):
                best = lic
    return best or default


def deb_license_info(root: Path, pkg: str) -> tuple[list[tuple[list[str], str]], str]:
    cfile = root / "usr/share/doc" / pkg / "copyright"
    if not cfile.exists():
        return [], "unknown"
    text = cfile.read_text(errors="replace")
    if text.lstrip().lower().startswith("format:"):
        st = parse_dep5(text)
        main = next((lic for files, lic in st if "*" in files), None)
        main = main or (st[0][1] if st else guess_license(text))
        return st, main
    return [], guess_license(text)


def skimage_license(z: zipfile.ZipFile, member: str, default: str) -> str:
    """Read the licence note from skimage/data/_fetchers.py docstrings."""
    try:
        src = z.read("skimage/data/_fetchers.py").decode("utf-8", "replace")
    except KeyError:
        return default
    fname = member.rsplit("/", 1)[-1]
    for m in re.finditer(r"\ndef (\w+)\(.*?(?=\ndef |\Z)", src, re.S):
        body = m.group(0)
        if f"data/{fname}" not in body:
            continue
        low = body.lower()
        if "cc0" in low:
            return "CC0-1.0"
        if "public domain" in low:
            return "public-domain"
        mm = re.search(r"creativecommons\.org/licenses/([a-z-]+)/([\d.]+)", low)
        if mm:
            return f"CC-{mm.group(1).upper()}-{mm.group(2)}"
        if "no copyright" in low or "no known copyright" in low:
            return "public-domain"
        return default
    return default


def sklearn_license(z: zipfile.ZipFile, member: str, default: str) -> str:
    try:
        txt = z.read("sklearn/datasets/images/README.txt").decode("utf-8", "replace")
    except KeyError:
        return default
    fname = member.rsplit("/", 1)[-1]
    for block in re.split(r"\n(?=Image:)", txt):
        if block.startswith(f"Image: {fname}"):
            mm = re.search(r"creativecommons\.org/licenses/([a-z-]+)/([\d.]+)", block)
            if mm:
                return f"CC-{mm.group(1).upper()}-{mm.group(2)}"
    return default


def wheel_main_license(z: zipfile.ZipFile) -> str:
    for n in z.namelist():
        if n.endswith(".dist-info/METADATA"):
            meta = z.read(n).decode("utf-8", "replace")
            m = re.search(r"^License-Expression:\s*(.+)$", meta, re.M)
            if m:
                return m.group(1).strip()
            m = re.search(r"^License:\s*(.+)$", meta, re.M)
            if m and not m.group(1).strip().lower().startswith("files:"):
                return m.group(1).strip()
            # License field holds a DEP-5 text (scikit-image): use its "*" stanza
            lic_files = [x for x in z.namelist() if ".dist-info/" in x
                         and re.search(r"/(licen[cs]e|copying)[^/]*$", x, re.I)]
            for lf in sorted(lic_files):
                st = parse_dep5(z.read(lf).decode("utf-8", "replace"))
                main = next((lic for files, lic in st if "*" in files), None)
                if main:
                    return main
    return "unknown"
