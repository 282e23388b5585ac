"""How a weights file arrived, recorded when it is installed: the only ground for calling it the paper's weights.

A file's name says nothing about what it holds: any MIMO-UNet.pkl, random weights from a
mirror included, used to be labelled "the paper's weights". The name now decides only where
a file is looked for first (catalog.candidate_files); what it is called comes from the record
the weights manager writes beside it when it installs it, ``<file>.origin.json``:

- ``authors``: downloaded from the authors' own release (their Google Drive files, store.PUBLISHED_DRIVE_IDS);
- ``mirror``: downloaded from a URL given with --source;
- ``file``: installed from a file (a browser download, a copy from elsewhere).

Only ``authors`` makes a file "published". A record counts while the file is the one recorded
(same size and modification time, else the same SHA-256), so a file copied over an installed
one by hand loses it. The authors publish no checksum of their files (their README gives
Google Drive links only), so no SHA-256 can stand in for the way the file arrived.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from .. import reasons

ORIGIN_SUFFIX = ".origin.json"
AUTHORS, MIRROR, FILE = "authors", "mirror", "file"


def origin_path(weights: Path) -> Path:
    return Path(weights).with_name(Path(weights).name + ORIGIN_SUFFIX)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def record_origin(weights: Path, how: str, source: str) -> None:
    """Write the record beside an installed file (atomically); an unwritable folder leaves none."""
    weights = Path(weights)
    status = weights.stat()
    record = {"how": how, "source": source, "sha256": file_sha256(weights), "size": status.st_size,
              "mtime_ns": status.st_mtime_ns}
    target = origin_path(weights)
    handle, temporary = tempfile.mkstemp(prefix=".origin-", dir=weights.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record, out, indent=1)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_origin(weights: Path) -> dict | None:
    """The record of how this very file arrived; None when there is none or it is about another file."""
    weights = Path(weights)
    try:
        record = json.loads(origin_path(weights).read_text(encoding="utf-8"))
        status = weights.stat()
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("size") != status.st_size:
        return None
    if record.get("mtime_ns") != status.st_mtime_ns and record.get("sha256") != file_sha256(weights):
        return None
    return record


def forget_origin(weights: Path) -> None:
    origin_path(weights).unlink(missing_ok=True)


def from_the_authors(weights: Path) -> bool:
    record = read_origin(weights)
    return record is not None and record.get("how") == AUTHORS


def origin_note(weights: Path) -> reasons.ReasonText:
    """Where a file that is not the authors' came from, for its provenance line ("" if unknown)."""
    record = read_origin(weights)
    if record is None or record.get("how") == AUTHORS:
        return ""
    if record.get("how") == MIRROR:
        return reasons.reason(reasons.FROM_A_MIRROR, source=record.get("source"))
    return reasons.reason(reasons.INSTALLED_FROM, source=record.get("source"))
