"""Finding weights for each variant and saying where they come from.

Each variant's weights are looked for under fixed names in the weights folders
(the app's own ``weights/`` and the user weights folder, see ``resources``):

- the paper's published name (``MIMO-UNet.pkl``);
- files the user installed (``mimo-unet.user.pth`` ...) or trained
  (``mimo-unet.safetensors`` outside the app's folder);
- the weights this project ships in its own ``weights/`` folder.

The first of these that exists is used, in that order. What a file is called is another
matter: ``published`` (the paper's weights) only when the weights manager downloaded it from
the authors' release (weights/origin.py: never from the name), ``starter`` for the shipped
file, ``user`` ("installed by you") for everything else.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__, reasons
from ..model.registry import ARCHITECTURES, VARIANTS, Variant
from ..resources import bundled_weights_dir, weights_search_dirs
from .origin import from_the_authors, origin_note

if TYPE_CHECKING:
    from ..model.checkpoints import Checkpoint

# the formats a weights file may have (a zip holding one is accepted on install)
WEIGHTS_SUFFIXES = (".safetensors", ".pth", ".pt", ".pkl")
PROVENANCES = ("published", "user", "starter")  # also the order of preference
# "<kind>: <what it means>", the head of a provenance line (describe)
PROVENANCE_LINE = {"published": reasons.PROVENANCE_PUBLISHED, "user": reasons.PROVENANCE_USER,
                   "starter": reasons.PROVENANCE_STARTER}


# The variants `weights download` fetches: every one whose authors publish weights (a Drive file, or a
# Drive folder from which one file is picked: pick_from_folder), their terms shown first (downloads()).
DOWNLOADABLE = tuple(key for key, variant in VARIANTS.items() if variant.published is not None)


class WeightsNotFound(Exception):
    """No weights file for a variant; str() says where to put one."""


@dataclass(frozen=True)
class WeightsFile:
    variant: Variant
    path: Path
    kind: str  # one of PROVENANCES


def user_file_name(variant: Variant, suffix: str) -> str:
    """The name a weights file installed by the user gets, keeping its format: mimo-unet.user.pth."""
    return f"{Path(variant.own_file).stem}.user{suffix}"


def candidate_files(variant: Variant) -> list[WeightsFile]:
    """Every place a variant's weights may be, in the order they are preferred."""
    folders = weights_search_dirs()
    bundled = bundled_weights_dir()
    published = [WeightsFile(variant, f / variant.published_file, "published") for f in folders]
    user = [WeightsFile(variant, f / user_file_name(variant, s), "user") for f in folders for s in WEIGHTS_SUFFIXES]
    user += [WeightsFile(variant, f / variant.own_file, "user") for f in folders if f != bundled]
    starter = [WeightsFile(variant, f / variant.own_file, "starter") for f in folders if f == bundled]
    return published + user + starter


def installed_files(variant_key: str) -> list[WeightsFile]:
    """The variant's weights files present, the one in use first, each called what its arrival proves."""
    return [_proven(c) for c in candidate_files(VARIANTS[variant_key]) if c.path.is_file()]


def _proven(candidate: WeightsFile) -> WeightsFile:
    """A file under the published name is the paper's only if it was downloaded from the authors' release."""
    if candidate.kind == "published" and not from_the_authors(candidate.path):
        return WeightsFile(candidate.variant, candidate.path, "user")
    return candidate


def find_weights(variant_key: str) -> WeightsFile:
    found = installed_files(variant_key)
    if not found:
        raise WeightsNotFound(missing_weights_message(VARIANTS[variant_key]))
    return found[0]


def classify(path: Path, variant: Variant) -> WeightsFile:
    """The provenance of any weights file, e.g. one given with --weights."""
    path = Path(path)
    for candidate in candidate_files(variant):
        if candidate.path == path:
            return _proven(candidate)
    return WeightsFile(variant, path, "user")  # e.g. --weights ~/Downloads/MIMO-UNet.pkl: its name proves nothing


def missing_weights_message(variant: Variant) -> reasons.Reason:
    folders = " or ".join(str(f) for f in weights_search_dirs())
    named = variant.published is not None and variant.published.file_name is not None
    if variant.key in DOWNLOADABLE:
        get = (reasons.reason(reasons.RUN_WEIGHTS_DOWNLOAD, key=variant.key, file=variant.published_file) if named
               else reasons.reason(reasons.RUN_WEIGHTS_DOWNLOAD_UNNAMED, key=variant.key))
    elif named:
        get = reasons.reason(reasons.GET_FROM_THE_AUTHORS, file=variant.published_file, url=variant.published.source_url)
    else:
        get = reasons.reason(reasons.GET_FROM_THE_AUTHORS_UNNAMED, url=variant.published.source_url)
    if not named:
        return reasons.reason(reasons.NO_WEIGHTS_FOUND_UNNAMED, network=variant.display_name, get=get,
                              own=variant.own_file, folders=folders)
    return reasons.reason(reasons.NO_WEIGHTS_FOUND, network=variant.display_name, get=get,
                          published=variant.published_file, own=variant.own_file, folders=folders)


def available_weights() -> dict[str, WeightsFile | None]:
    found: dict[str, WeightsFile | None] = {}
    for key in VARIANTS:
        try:
            found[key] = find_weights(key)
        except WeightsNotFound:
            found[key] = None
    return found


def describe(weights: WeightsFile) -> reasons.ReasonText:
    """One line of provenance: the kind, then what the file's own metadata says where it has some, or why no run can
    use the file (unusable)."""
    kind = reasons.reason(PROVENANCE_LINE[weights.kind])
    metadata, problem = _judged(weights.path)
    parts = [kind] if weights.kind == "published" else [kind, origin_note(weights.path)]
    if problem is not None:  # a download from the authors cut or emptied later is said to be so as well
        return reasons.joined(*filter(None, parts), reasons.reason(reasons.UNREADABLE_WEIGHTS, cause=problem))
    if weights.kind == "published":
        return kind
    psnr = metadata.get("val_psnr")
    shown = reasons.reason(reasons.VALIDATION_PSNR, psnr=rounded_psnr(psnr)) if psnr else ""
    parts += [metadata.get("trained_by"), shown]
    return reasons.joined(*filter(None, parts))


def rounded_psnr(psnr: object) -> str:
    """A checkpoint's PSNR as a line shows it: 2 decimals of dB ("31.27"). Training writes the mean it measured
    as it is ("31.269874572753906"), digits far below what a validation set can tell apart; a value that is no
    number is shown as written."""
    try:
        value = float(psnr)
    except (TypeError, ValueError):
        return str(psnr)
    return f"{value:.2f}" if value == value and abs(value) != float("inf") else str(psnr)


def unusable(path: Path) -> reasons.ReasonText | None:
    """Why a run cannot use this weights file ("<file>: the file is empty"), None when it can.

    The one decision `weights list`, `info` (and the window's weights lines) and a run make of an installed file:
    the refusal of model.checkpoints.load_checkpoint, the reader a run loads it with (jobs/run.load_model). A cheaper
    test of its own here (the size, the first bytes) would let the list call "used" a cut file that runs refuse."""
    return _judged(Path(path))[1]


# (resolved path, size, mtime) -> (metadata, problem): a file is read once per change, though the list, info and the
# window's weights lines each ask (a full read: tens of MB and a network built, seconds). Kept between runs too, in
# the app's cache folder (verdicts_file): `weights list` and `info` read no weights file that did not change.
_JUDGED: dict[tuple[str, int, int], tuple[dict[str, str], reasons.ReasonText | None]] = {}
VERDICTS_FILE = "weights-verdicts.json"
KEPT_VERDICTS = 32  # the most recent; a file judged again after it was replaced leaves its old key behind


def verdicts_file() -> Path:
    """Where the verdicts on weights files are kept between runs: a small JSON file in the app's cache folder."""
    from platformdirs import user_cache_path

    return user_cache_path("deblur_app") / VERDICTS_FILE


def load_installed(path: Path) -> Checkpoint:
    """An installed weights file read as a run reads it (load_checkpoint; raises CheckpointError), its verdict
    kept for unusable and describe: the window describes the weights it has just loaded without a second read."""
    from ..model.checkpoints import CheckpointError, load_checkpoint

    key = _file_key(Path(path))
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError as error:
        _remember(key, {}, reasons.of(error))
        raise
    _remember(key, dict(checkpoint.metadata), None)
    return checkpoint


def _file_key(path: Path) -> tuple[str, int, int] | None:
    try:
        status = path.stat()
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None  # load_checkpoint says what is wrong (gone, a link loop, a name it cannot hold)
    return str(resolved), status.st_size, status.st_mtime_ns


def _judged(path: Path) -> tuple[dict[str, str], reasons.ReasonText | None]:
    key = _file_key(path)
    if key is not None and key not in _JUDGED:
        kept = _kept_verdicts().get(_stored_key(key))
        verdict = _decoded_verdict(kept) if kept is not None else None
        if verdict is not None:
            _JUDGED[key] = verdict
    if key in _JUDGED:
        return _JUDGED[key]
    from ..model.checkpoints import CheckpointError  # torch: seconds to import, only to read the file

    try:
        return load_installed(path).metadata, None
    except CheckpointError as error:
        return {}, reasons.of(error)


def _remember(key: tuple[str, int, int] | None, metadata: dict[str, str], problem: reasons.ReasonText | None) -> None:
    """Keep a verdict for this process and, best effort, for the next ones (written atomically: an unwritable
    cache folder only means judging the file again next time)."""
    if key is None:
        return
    _JUDGED[key] = metadata, problem
    path = verdicts_file()
    kept = _kept_verdicts()
    try:
        record = {"metadata": {str(k): str(v) for k, v in metadata.items()},
                  "problem": None if problem is None else reasons.as_plain(problem)}
        known = kept.get(_stored_key(key))
        if isinstance(known, dict) and all(known.get(k) == v for k, v in record.items()):
            return  # every run that loads the installed weights comes here: no write for what is kept already
        kept[_stored_key(key)] = {**record, "at": time.time()}
        newest = sorted(kept, key=lambda k: kept[k].get("at", 0) if isinstance(kept[k], dict) else 0)[-KEPT_VERDICTS:]
        text = json.dumps({k: kept[k] for k in newest}, indent=1, sort_keys=True) + "\n"
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except (OSError, TypeError, ValueError):
        pass


def _stored_key(key: tuple[str, int, int]) -> str:
    """The verdict's key in the cache file; the app's version is part of it: a new version may judge a file
    otherwise (a network it now knows)."""
    return json.dumps([*key, __version__])


def _kept_verdicts() -> dict:
    """The verdicts kept between runs; an unreadable or corrupt cache is an empty one (the files are judged again)."""
    try:
        data = json.loads(verdicts_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _decoded_verdict(kept: object) -> tuple[dict[str, str], reasons.ReasonText | None] | None:
    """A kept verdict as _judged gives it; None for anything a corrupt or foreign cache may hold."""
    try:
        metadata, problem = kept["metadata"], kept["problem"]
        if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
            return None
        return dict(metadata), None if problem is None else reasons.from_plain(problem)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        return None


# ----------------------------------------------------------------------------- what can be downloaded


@dataclass(frozen=True)
class Download:
    """One published release the weights manager fetches, as the registry read it from the authors' README."""

    variant: str  # a key of VARIANTS
    display_name: str
    link: str  # the page a browser opens: a Drive file, or a Drive folder holding several releases
    file_name: str | None  # the file to take (None: the README names none; see FOLDER_NAME_HINTS)
    checkpoint_format: str
    terms: str
    paper: str
    training_data: str
    psnr: str
    drive_file_id: str | None  # None: the link is a folder, listed first (gdown.download_folder)

    @property
    def is_folder(self) -> bool:
        return self.drive_file_id is None

    @property
    def install_name(self) -> str:
        """The name it is installed under: the authors' own, or one no release uses (variant.published_file)."""
        return VARIANTS[self.variant].published_file


# A folder whose README names no file for a variant: the one weights file whose name contains this word
# (case-insensitive) is taken; none or several, and the download stops with the names it saw rather
# than guess (FFTformer's folder holds its GoPro and its RealBlur release side by side).
FOLDER_NAME_HINTS = {"fftformer": "gopro", "fftformer-realblur": "realblur"}


def downloads() -> dict[str, Download]:
    """Every variant with published weights, in the registry's order."""
    found = {}
    for key, variant in VARIANTS.items():
        published = getattr(variant, "published", None)
        if published is None:
            continue
        found[key] = Download(key, variant.display_name, published.source_url, published.file_name,
                              published.checkpoint_format, published.terms,
                              ARCHITECTURES[variant.architecture].paper, published.training_data,
                              published.psnr, published.drive_file_id)
    return found


def terms_notice(entry: Download) -> str:
    """What is said before a download: whose weights, under which terms, trained on what."""
    return (f"{entry.display_name}: weights by the authors of {entry.paper}; trained on {entry.training_data} "
            f"({entry.psnr}). Terms: {entry.terms}. Source: {entry.link}")


def pick_from_folder(entry: Download, names: list[str]) -> str:
    """The one file of a Drive folder listing (paths inside the folder) that is this variant's weights.

    Raises LookupError with a one-line Reason naming what the folder holds.
    """
    weights = [n for n in names if Path(n).suffix.lower() in WEIGHTS_SUFFIXES]
    if entry.file_name:
        exact = [n for n in weights if Path(n).name == entry.file_name]
        if len(exact) == 1:
            return exact[0]
    hint = FOLDER_NAME_HINTS.get(entry.variant, "")
    hinted = [n for n in weights if hint and hint in Path(n).name.lower()]
    if len(hinted) == 1:
        return hinted[0]
    listed = ", ".join(Path(n).name for n in weights[:6]) or reasons.reason(reasons.NO_WEIGHTS_FILES)
    wanted = entry.file_name or reasons.reason(reasons.A_FILE_NAMED_LIKE, hint=hint)
    raise LookupError(reasons.reason(reasons.UNCLEAR_FOLDER_FILE, link=entry.link, listed=listed, wanted=wanted))
