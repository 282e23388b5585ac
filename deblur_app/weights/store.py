"""The weights manager: download, install, list and remove weights files.

Shared by ``deblur-app weights`` and the window's Weights dialog; knows no Qt
and imports torch only to verify a file (listing needs none). Every file is treated as untrusted:
it lands in a private staging folder inside the user weights folder, is read
safely and strictly as the variant it claims to be (``model.checkpoints``),
and only then is moved into place with one atomic rename. Whatever goes
wrong (no network, a web page instead of the file, a truncated or wrong
file, a full disk, a cancel) raises ``WeightsError`` with one line and
leaves nothing behind.

Downloads use gdown: it handles Google Drive's virus-scan confirmation pages
and cookies, and offers progress and cancel, which hand-written HTTP would
have to re-implement.
"""

from __future__ import annotations

import dataclasses
import errno
import os
import shutil
import stat
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .catalog import (WEIGHTS_SUFFIXES, Download, downloads, find_weights, installed_files, pick_from_folder,
                      terms_notice, user_file_name)
from .. import reasons
from ..model import filekinds
from ..model.registry import VARIANTS, named_variant, variants_alike
from ..resources import user_weights_dir
from .origin import AUTHORS, FILE, MIRROR, file_sha256, forget_origin, record_origin

if TYPE_CHECKING:
    from ..model.checkpoints import Checkpoint

# The authors' releases, as the network registry read them from their READMEs (catalog.downloads):
# the Google Drive file ids of those published as single files; the others are Drive folders.
PUBLISHED_DRIVE_IDS = {key: entry.drive_file_id for key, entry in downloads().items() if entry.drive_file_id}
INSTALLABLE_SUFFIXES = WEIGHTS_SUFFIXES + (".zip",)
MAX_WEIGHTS_BYTES = 2 << 30  # the published MIMO-UNet+ is about 65 MB; this bounds a file and a zip member
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 20, 60
_DISK_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))

DownloadProgress = Callable[[int, "int | None"], None]  # (bytes so far, total bytes or None)


class WeightsError(Exception):
    """A weights file could not be downloaded, installed or removed; str() is one line."""


class WeightsCancelled(WeightsError):
    """The user stopped a download; nothing was installed."""


class AlreadyInstalled(WeightsError):
    """The destination exists and replacing it was not allowed."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


def _refused(subject: object, template: str, **fields: object) -> WeightsError:
    """The error about ``subject`` (a file, a network) with a reason of the catalogue: "<subject>: <reason>"."""
    return WeightsError(reasons.about(subject, reasons.reason(template, **fields)))


@dataclass(frozen=True)
class InstalledWeights:
    variant: str  # a key of VARIANTS
    display_name: str
    path: Path
    provenance: str  # "published", "user" or "starter"
    size: int
    in_use: bool
    already_installed: bool = False  # install_file found this very file installed: nothing was changed
    unpublished: str = ""  # install_file: the network the file holds where no published variant has its configuration
    # install_file: the variants of the same shapes that the file's name did not tell apart (it went to the first)
    unnamed_among: tuple[str, ...] = ()

    @property
    def removable(self) -> bool:
        return self.path.parent == user_weights_dir()

    def sha256(self) -> str:
        return file_sha256(self.path)


def install_notes(weights: InstalledWeights) -> list[reasons.Reason]:
    """What an install says beside "installed" (the command line's `weights install` and the Weights window's
    Install from File alike, each in its own words: gui/reasons.py): a file of a configuration its authors never
    published (which network it holds), and a file taken for the first of variants of the same shapes because its
    name is none of theirs (how to install it as the other)."""
    notes = []
    if weights.unpublished:  # counted under the variant's name, but a network of its own width or depth
        notes.append(reasons.reason(reasons.HOLDS_UNPUBLISHED_CONFIG, network=weights.unpublished,
                                    model=weights.display_name))
    for other in (VARIANTS[key] for key in weights.unnamed_among if key != weights.variant):
        if other.published is not None and other.published.file_name:
            notes.append(reasons.reason(reasons.TAKEN_FOR_FIRST_ALIKE_RENAME, model=weights.display_name,
                                        other=other.display_name, file=other.published_file,
                                        installed=weights.path.name))
        else:
            notes.append(reasons.reason(reasons.TAKEN_FOR_FIRST_ALIKE, model=weights.display_name,
                                        other=other.display_name))
    return notes


# ----------------------------------------------------------------------------- looking


def browser_link(variant_key: str) -> str:
    return downloads()[variant_key].link


def download_terms(variant_key: str) -> str:
    """Said before a download (the CLI prints it, the dialog shows it): whose weights and their terms."""
    return terms_notice(downloads()[variant_key])


def is_weights_file(path: Path) -> bool:
    return Path(path).suffix.lower() in INSTALLABLE_SUFFIXES and Path(path).is_file()


def installed() -> list[InstalledWeights]:
    """Every weights file the app can see, variant by variant, the one in use first."""
    found = []
    for key, variant in VARIANTS.items():
        for index, weights in enumerate(installed_files(key)):
            found.append(InstalledWeights(key, variant.display_name, weights.path, weights.kind,
                                          weights.path.stat().st_size, in_use=index == 0))
    return found


def variant_display_name(variant_key: str) -> str:
    return VARIANTS[variant_key].display_name


# ----------------------------------------------------------------------------- downloading


def download(
    variant_key: str,
    source: str | None = None,
    progress: DownloadProgress | None = None,
    cancel: threading.Event | None = None,
    overwrite: bool = False,
) -> Path:
    """Download a variant's published weights (or a mirror's copy at ``source``), verify, install.

    Returns the installed path. Raises AlreadyInstalled before any download when
    the file is there and ``overwrite`` is false, WeightsCancelled when ``cancel``
    is set, WeightsError for everything else.
    """
    variant = VARIANTS[variant_key]
    if variant_key not in downloads():
        raise _refused(variant.display_name, reasons.NO_PUBLISHED_WEIGHTS)
    link = browser_link(variant_key)
    advice = reasons.reason(reasons.DOWNLOAD_IN_A_BROWSER, link=link)
    folder = user_weights_dir()
    destination = folder / variant.published_file
    if destination.exists() and not overwrite:
        raise AlreadyInstalled(reasons.about(variant.display_name, reasons.reason(reasons.ALREADY_INSTALLED_AT, destination=destination)),
                               destination)
    if source is not None and not source.lower().startswith(("http://", "https://")):
        raise WeightsError(f"--source must be an http(s) URL, not {source!r}")
    with _staging(folder, variant.display_name) as staging:
        try:
            downloaded = _fetch(variant_key, source, staging, folder, progress, cancel)
            _refuse_web_page(downloaded)
            checkpoint_file, _name, member = _unpack(downloaded, downloaded.name, staging,
                                                     prefer_name=variant.published_file)
            _verify(checkpoint_file, expected_variant=variant_key, member=member)
            _put_in_place(checkpoint_file, destination, overwrite)
            _record(destination, MIRROR if source else AUTHORS, source or link)
        except WeightsCancelled:
            raise WeightsCancelled(f"{variant.display_name}: download cancelled; nothing was installed") from None
        except WeightsError as error:
            raise WeightsError(reasons.about(variant.display_name, reasons.joined(reasons.of(error), advice))) from None
    return destination


def _fetch(variant_key: str, source: str | None, staging: Path, folder: Path,
           progress: DownloadProgress | None, cancel: threading.Event | None) -> Path:
    import gdown
    import requests
    from gdown.exceptions import DownloadCancelled, DownloadError, FileURLRetrievalError

    target = staging / "download"
    checked_space = False

    def on_chunk(done: int, total: int | None) -> None:
        nonlocal checked_space
        if not checked_space and total:
            checked_space = True
            free = shutil.disk_usage(folder).free
            if free < 2 * total:  # the download and, for a zip, its unpacked copy
                raise WeightsError(reasons.reason(reasons.NO_SPACE_FOR_DOWNLOAD, folder=folder, free=_mb(free), needed=_mb(2 * total)))
        if progress is not None:
            progress(done, total)

    where = source or "Google Drive"
    try:
        file_id = None if source else _drive_file_id(downloads()[variant_key])
        gdown.download(
            url=source, id=file_id, output=str(target),
            quiet=True, progress=on_chunk, cancel=cancel, use_cookies=source is None,
            timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
        )
    except DownloadCancelled:
        raise WeightsCancelled("cancelled") from None
    except FileURLRetrievalError:
        raise WeightsError(reasons.reason(reasons.DRIVE_REFUSED)) from None
    except DownloadError as error:
        raise WeightsError(reasons.reason(reasons.DOWNLOAD_FAILED, cause=reasons.first_line(error))) from None
    except requests.exceptions.HTTPError as error:
        status = error.response.status_code if error.response is not None else "an error"
        raise WeightsError(reasons.reason(reasons.SERVER_ANSWERED, server=where, status=status)) from None
    except requests.exceptions.Timeout:
        raise WeightsError(reasons.reason(reasons.SERVER_TOO_SLOW, server=where)) from None
    except requests.exceptions.ConnectionError:
        raise WeightsError(reasons.reason(reasons.CANNOT_CONNECT, server=where)) from None
    except requests.exceptions.RequestException as error:
        raise WeightsError(reasons.reason(reasons.DOWNLOAD_FAILED, cause=reasons.first_line(error))) from None
    except OSError as error:
        raise _os_error(error, folder) from None
    if cancel is not None and cancel.is_set():
        raise WeightsCancelled("cancelled")
    if not target.is_file():
        raise WeightsError(reasons.reason(reasons.SENT_NO_FILE, server=where))
    return target


def _drive_file_id(entry: Download) -> str:
    """The Drive file to fetch: the release's own, or the one file of its folder that is this variant's.

    A folder is listed without downloading (gdown.download_folder(skip_download=True)) and one file is
    picked by name (catalog.pick_from_folder): downloading a whole folder would fetch every release in it.
    Errors propagate to _fetch, which turns them into one line.
    """
    import gdown

    if not entry.is_folder:
        return entry.drive_file_id
    listing = gdown.download_folder(url=entry.link, skip_download=True, quiet=True, use_cookies=True,
                                    timeout=(CONNECT_TIMEOUT_S, READ_TIMEOUT_S))
    by_path = {item.path: item.id for item in listing or []}
    try:
        return by_path[pick_from_folder(entry, list(by_path))]
    except LookupError as error:
        raise WeightsError(reasons.of(error)) from None


# ----------------------------------------------------------------------------- installing from a file


def install_file(path: Path, overwrite: bool = False) -> InstalledWeights:
    """Install a .pkl/.pth/.pt/.safetensors file (or a zip holding one) into the user weights folder.

    The variant is read from the file's keys; a file under the published name of
    that variant is installed under that name (first in line), anything else as
    the user's own; either way it is "installed by you" (weights/origin.py). Raises AlreadyInstalled if that would replace a file and
    ``overwrite`` is false, WeightsError if the file is unsafe or unknown.
    """
    path = Path(path)
    _check_source(path)
    folder = user_weights_dir()
    with _staging(folder, path) as staging:
        try:
            copied = _copy_in(path, staging / f"incoming{path.suffix.lower()}", folder)
            checkpoint_file, inner_name, member = _unpack(copied, path.name, staging)
            checkpoint = _verify(checkpoint_file, file_name=inner_name, member=member)
        except WeightsError as error:
            raise WeightsError(reasons.about(path, reasons.of(error))) from None
        variant, unpublished = checkpoint.variant, "" if checkpoint.published_config else checkpoint.display_name
        del checkpoint
        alike = variants_alike(variant.architecture, variant.config_dict)
        unnamed = (tuple(v.key for v in alike) if not unpublished and len(alike) > 1
                   and named_variant(alike, inner_name) is None else ())
        # the published name keeps its place first in line, but a file from a file is "installed by you"
        published_name = inner_name == variant.published_file
        if published_name:
            destination = folder / variant.published_file
        else:
            destination = folder / user_file_name(variant, checkpoint_file.suffix.lower())
        replaced = [] if published_name else [folder / user_file_name(variant, s) for s in WEIGHTS_SUFFIXES]
        existing = [p for p in {destination, *replaced} if p.exists()]
        if destination in existing and file_sha256(destination) == file_sha256(checkpoint_file):
            # the same file again: done already ("already installed" is success, as for download);
            # its record of origin stays, so the authors' download is not demoted to "installed by you"
            return dataclasses.replace(_installed_entry(variant, destination), already_installed=True,
                                       unpublished=unpublished, unnamed_among=unnamed)
        if existing and not overwrite:
            raise AlreadyInstalled(
                reasons.about(path, reasons.reason(reasons.ALREADY_INSTALLED_REPLACE, name=variant.display_name,
                                                   destination=existing[0])),
                existing[0])
        try:
            _put_in_place(checkpoint_file, destination, overwrite=True)
            _record(destination, FILE, str(path.resolve()))
        except WeightsError as error:
            raise WeightsError(reasons.about(path, reasons.of(error))) from None
    for other in existing:  # the user's file in another format would shadow or duplicate the new one
        if other != destination:
            other.unlink(missing_ok=True)
            forget_origin(other)
    return dataclasses.replace(_installed_entry(variant, destination), unpublished=unpublished, unnamed_among=unnamed)


def _check_source(path: Path) -> None:
    """Refuse, before anything is copied, what is no weights file: a folder, a pipe (copying it waited for a
    writer) or device (/dev/zero copied without end), a name of another kind, a file too large to be weights."""
    try:
        status = path.stat()
    except (OSError, ValueError):
        raise _refused(path, reasons.not_found_template(path)) from None
    if stat.S_ISDIR(status.st_mode):
        raise _refused(path, reasons.WEIGHTS_IS_A_FOLDER)
    if not stat.S_ISREG(status.st_mode):
        raise _refused(path, reasons.WEIGHTS_NOT_A_REGULAR_FILE)
    if path.suffix.lower() not in INSTALLABLE_SUFFIXES:
        raise _refused(path, reasons.NOT_A_WEIGHTS_FILE)
    if status.st_size > MAX_WEIGHTS_BYTES:
        raise _refused(path, reasons.WEIGHTS_FILE_TOO_LARGE, size=_mb(status.st_size), limit=_mb(MAX_WEIGHTS_BYTES))


def _installed_entry(variant, path: Path) -> InstalledWeights:
    kind = next((w.kind for w in installed_files(variant.key) if w.path == path), "user")
    return InstalledWeights(variant.key, variant.display_name, path, kind, path.stat().st_size,
                            in_use=_in_use(variant.key, path))


def remove(name: str) -> Path:
    """Remove an installed weights file, named by its file name or by variant (when it has one file)."""
    everything = installed()
    matches = [w for w in everything if w.path.name == name]
    if not matches and name.lower() in VARIANTS:
        matches = [w for w in everything if w.variant == name.lower() and w.removable]
        if len(matches) > 1:
            names = ", ".join(w.path.name for w in matches)
            raise _refused(name, reasons.SEVERAL_INSTALLED, files=names)
    if not matches:
        raise _refused(name, reasons.NO_SUCH_WEIGHTS)
    weights = matches[0]
    if not weights.removable:
        raise _refused(weights.path, reasons.SHIPS_WITH_THE_APP)
    try:
        weights.path.unlink()
        forget_origin(weights.path)
    except OSError as error:
        raise _refused(weights.path, reasons.CANNOT_REMOVE, cause=error.strerror or error) from None
    return weights.path


# ----------------------------------------------------------------------------- shared steps


def _staging(folder: Path, installing: str | Path):
    """A private folder beside the destination (so the final rename is atomic), always removed.
    ``installing``: what the error names in front (the variant or the user's file)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=folder))
    except OSError as error:
        cause = error.strerror or error
        raise _refused(installing, reasons.CANNOT_CREATE_WEIGHTS_FOLDER, folder=folder, cause=cause) from None
    return _RemovedAfter(staging)


class _RemovedAfter:
    def __init__(self, staging: Path) -> None:
        self.staging = staging

    def __enter__(self) -> Path:
        return self.staging

    def __exit__(self, *_exc) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _copy_in(source: Path, target: Path, folder: Path) -> Path:
    try:
        shutil.copyfile(source, target)
    except OSError as error:
        raise _os_error(error, folder) from None
    return target


def _unpack(path: Path, name: str, staging: Path, prefer_name: str = "") -> tuple[Path, str, str | None]:
    """The checkpoint file, its own name, and the zip member it came from (None for ``path`` itself): ``path``,
    or the weights file a zip holds, extracted. A member refused while it is extracted is named (_member_refused)."""
    if not zipfile.is_zipfile(path):
        return path, name, None
    member = None
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
                return path, name, None  # torch.save's own format is a zip: the file is the checkpoint
            members = [i for i in archive.infolist() if not i.is_dir() and "__MACOSX" not in i.filename
                       and Path(i.filename).suffix.lower() in WEIGHTS_SUFFIXES]
            chosen = [m for m in members if Path(m.filename).name == prefer_name] or members
            if not chosen:
                raise WeightsError(reasons.reason(reasons.ZIP_HOLDS_NO_WEIGHTS))
            if len(chosen) > 1:
                listed = ", ".join(Path(m.filename).name for m in chosen[:4])
                raise WeightsError(reasons.reason(reasons.ZIP_HOLDS_SEVERAL, files=listed))
            member = chosen[0]
            if member.file_size > MAX_WEIGHTS_BYTES:
                raise WeightsError(reasons.reason(reasons.ZIP_MEMBER_TOO_LARGE, member=member.filename, size=_mb(member.file_size)))
            target = staging / f"unpacked{Path(member.filename).suffix.lower()}"
            with archive.open(member) as inner, open(target, "wb") as out:
                shutil.copyfileobj(inner, out, 1 << 20)
            return target, Path(member.filename).name, member.filename
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as error:
        # a damaged, encrypted or oddly compressed member is named; a zip whose directory is damaged is not
        damaged = WeightsError(reasons.reason(reasons.DAMAGED_ZIP, cause=reasons.first_line(error)))
        raise (_member_refused(damaged, member.filename) if member is not None else damaged) from None
    except OSError as error:
        raise _os_error(error, staging.parent) from None


def _member_refused(error: WeightsError, member: str | None) -> WeightsError:
    """``error`` about the zip member ``member`` ("release/model.pth in the zip: ..."); itself without a member."""
    if member is None:
        return error
    return WeightsError(reasons.reason(reasons.ZIP_MEMBER_REFUSED, member=member, reason=reasons.of(error)))


def _refuse_web_page(path: Path) -> None:
    """A download that got a web page is said to be one, with why (Drive's quota or sign-in), before torch loads.
    A file of the user's is judged by the checkpoint reader, which names any other kind of file in one place
    (model/filekinds.py: "not a weights file but a web page (HTML)"); no download explanation there."""
    with open(path, "rb") as handle:
        head = handle.read(1024)
    if filekinds.is_web_page(head):
        raise WeightsError(reasons.reason(reasons.WEB_PAGE_NOT_WEIGHTS))


def _verify(path: Path, expected_variant: str | None = None, file_name: str | None = None,
            member: str | None = None) -> Checkpoint:
    """Read the file safely and strictly as a known variant; returns it read.

    ``file_name``: the user's name of the file, which tells apart variants of one configuration. ``member``: the
    zip member the file was unpacked from, named in a refusal."""
    from ..model.checkpoints import CheckpointError, load_checkpoint

    try:
        checkpoint = load_checkpoint(path, expected_variant=expected_variant, file_name=file_name)
    except CheckpointError as error:
        raise _member_refused(WeightsError(reasons.without_subject(reasons.of(error), path)), member) from None
    return checkpoint


def _put_in_place(staged: Path, destination: Path, overwrite: bool) -> None:
    if destination.exists() and not overwrite:
        raise AlreadyInstalled(reasons.reason(reasons.APPEARED_MEANWHILE, destination=destination), destination)
    try:
        # readable by all, like any installed file: a download arrives 0600 (a private temporary file)
        os.chmod(staged, 0o644)
        os.replace(staged, destination)
    except OSError as error:
        raise _os_error(error, destination.parent) from None


def _record(destination: Path, how: str, source: str) -> None:
    """Say beside the installed file how it arrived (weights/origin.py): what its provenance is read from."""
    try:
        record_origin(destination, how, source)
    except OSError as error:
        raise _os_error(error, destination.parent) from None


def _in_use(variant_key: str, path: Path) -> bool:

    return find_weights(variant_key).path == path


def _os_error(error: OSError, folder: Path) -> WeightsError:
    if error.errno in _DISK_FULL:
        return WeightsError(reasons.reason(reasons.DISK_FULL, folder=folder))
    where = getattr(error, "filename", None) or folder
    cause = error.strerror or reasons.first_line(error)
    return WeightsError(reasons.reason(reasons.CANNOT_READ_OR_WRITE, path=where, cause=cause))


def _mb(size: int) -> str:
    return f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e6:.1f} MB"
