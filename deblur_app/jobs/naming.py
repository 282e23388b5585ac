"""Output file names and the one output policy, shared by the command line and the window (no torch, no Qt).

``plan_outputs`` answers "may this run write here?" for every front end: the CLI's
deblur and batch, the window's Save/Save As and the batch dialog. An output that
is the same file as an input photo is refused whatever the flags, however the
path is spelled (``..``, relative or absolute, another case on a case-insensitive
disk) and through symlinks and hard links: files are compared by identity
(device and inode), not by name. Existing outputs are reported; replacing them
is the caller's decision (--overwrite, a confirmation, skip-existing).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import imagefiles, reasons

DEFAULT_NAME = "{stem}_deblurred{ext}"


class NotAFileName(ValueError):
    """A name template that gives a path (a folder in it, ``..``) or nothing, not a plain file name."""

    def __init__(self, template: str, name: str) -> None:
        super().__init__(f"{template!r} gives {name!r}, not a plain file name (no / or \\, not empty, . or ..)")
        self.template, self.name = template, name


def output_name(source: Path, template: str = DEFAULT_NAME) -> str:
    """The output name for a photo; HEIC and other read-only formats become JPEG.

    Raises KeyError/IndexError/ValueError for a template with unknown placeholders, and
    NotAFileName (a ValueError) for one that names a path: "../{name}" or "/tmp/{name}" would
    write outside the output folder the user chose (and past its checks), whatever the front end.
    """
    name = template.format(stem=source.stem, ext=imagefiles.output_suffix_for(source), name=source.name)
    if name in ("", ".", "..") or "/" in name or "\\" in name:
        raise NotAFileName(template, name)
    return name


def default_output(source: Path, folder: Path | None = None, template: str = DEFAULT_NAME) -> Path:
    return (folder or source.parent) / output_name(source, template)


#: The batch's output folder until one is chosen: a sub-folder of the input folder, which batch_candidates never
#: looks into (a batch with sub-folders does not deblur its own outputs) and whose files never replace an original.
BATCH_FOLDER = "deblurred"


def default_batch_output(input_dir: Path) -> Path:
    """Where a batch of ``input_dir`` writes until its user chooses another folder."""
    return Path(input_dir) / BATCH_FOLDER


def scale_paths(output: Path) -> dict[str, Path]:
    """Where the ½ and ¼ outputs of ``output`` go."""
    return {
        "half": output.with_name(f"{output.stem}_half{output.suffix}"),
        "quarter": output.with_name(f"{output.stem}_quarter{output.suffix}"),
    }


def input_folder_problem(folder: Path) -> reasons.ReasonText:
    """Why a batch or a scan cannot read ``folder`` ('' when it is a folder): "no such folder" for a name that is
    nothing (a typo), "not a folder" for a file."""
    folder = Path(folder)
    if folder.is_dir():
        return ""
    return reasons.about(folder, reasons.reason(reasons.NOT_A_FOLDER if folder.exists() else reasons.NO_SUCH_FOLDER))


def batch_pairs(input_dir: Path, output_dir: Path, recursive: bool, template: str = DEFAULT_NAME) -> list[tuple[Path, Path]]:
    """(photo, output) pairs; sub-folders are mirrored; outputs inside the input are never re-read."""
    return batch_candidates(input_dir, output_dir, recursive, template).pairs


@dataclass
class BatchCandidates:
    """What a batch (or a scan) of a folder deblurs, and every file it leaves alone with the reason."""

    pairs: list[tuple[Path, Path]]  # (photo, output); sub-folders are mirrored
    left_out: list[tuple[Path, str]]  # (file, one-line reason naming it)
    # files left out for their output name alone, which carry no marker of this app where their format has a
    # place for one: maybe photos of the user's; no output may replace them (plan_outputs' ``unmarked``)
    unmarked: list[Path] = field(default_factory=list)


def batch_candidates(input_dir: Path, output_dir: Path, recursive: bool,
                     template: str = DEFAULT_NAME) -> BatchCandidates:
    """Every visible file of the folder, either paired with its output or left out with a reason.

    Left out: files that are not photos the app reads (other formats, multi-picture files, pipes
    and devices)
    and files this app made: by name (the output name of a photo beside it, under this run's
    template or the default one, with the ½ and ¼ outputs) or by the marker every output
    carries (imagefiles.provenance). Hidden files (dot files: our temporaries, .DS_Store)
    and the contents of an output folder inside the input folder are not looked at.
    """
    input_dir = Path(input_dir)
    pattern = "**/*" if recursive else "*"
    output_resolved = Path(output_dir).resolve()
    files = []
    for path in sorted(input_dir.glob(pattern)):
        if path.name.startswith(".") or path.is_dir():
            continue
        if not path.exists() and not reasons.is_link_loop(path):  # a broken symlink reaches nothing; a loop is said
            continue
        # realpath: Path.resolve raises on a symbolic link loop (Python 3.11)
        if output_resolved in Path(os.path.realpath(path)).parents and output_resolved != input_dir.resolve():
            continue
        files.append(path)
    outputs_beside = _outputs_of_photos(files, template)
    candidates = BatchCandidates([], [])
    for path in files:
        reason = _left_out_reason(path, outputs_beside)
        if reason:
            candidates.left_out.append((path, reasons.about(path, reason)))
            if outputs_beside.get(path) not in (None, path) and not _marked_as_ours(path):  # left out by its name
                candidates.unmarked.append(path)
        else:
            relative = path.parent.relative_to(input_dir)
            candidates.pairs.append((path, Path(output_dir) / relative / output_name(path, template)))
    return candidates


def _outputs_of_photos(files: list[Path], template: str) -> dict[Path, Path]:
    """Output path -> its photo, for the outputs a save beside each photo would make (the window's and deblur's)."""
    outputs = {}
    for photo in files:
        if not imagefiles.is_supported(photo):
            continue
        for name in {template, DEFAULT_NAME}:
            try:
                target = photo.with_name(output_name(photo, name))
            except (KeyError, IndexError, ValueError):
                continue
            if target != photo:  # a template such as "{name}" names the photo itself
                for path in (target, *scale_paths(target).values()):
                    outputs.setdefault(path, photo)
    return outputs


def own_earlier_outputs(plan: "PlannedOutput") -> tuple[Path, ...]:
    """The existing files of ``plan`` that carry this app's marker (provenance.app_marker): outputs the app wrote,
    which Save of the same photo to the same name replaces without asking (the window's Save asked "Replace
    Files?" of the photo's own earlier result). Nothing for a refused plan (an original is never replaced), and
    a file without the marker (a BMP, or one another program rewrote) is not counted: it is asked about."""
    if plan.refusal:
        return ()
    return tuple(path for path in plan.existing if _marked_as_ours(path, bmp_counts=False))


def _marked_as_ours(path: Path, bmp_counts: bool = True) -> bool:
    """Whether the file carries this app's marker; with ``bmp_counts``, a BMP counts too (no place for one: its
    name is all there is)."""
    facts = imagefiles.file_facts(path)
    return facts is not None and (bool(facts.marker) or (bmp_counts and facts.format == "BMP"))


def _left_out_reason(path: Path, outputs_beside: dict[Path, Path]) -> reasons.ReasonText:
    not_a_file = imagefiles.not_a_file_reason(path)  # a pipe or a device: said, and never opened
    if not_a_file:
        return not_a_file
    photo = outputs_beside.get(path)
    if photo is not None and photo != path:
        return reasons.reason(reasons.OUR_OUTPUT_BESIDE, photo=photo.name)
    facts = imagefiles.file_facts(path) if imagefiles.names_an_image_file(path) else None
    if facts is not None and facts.marker:
        return reasons.reason(reasons.OUR_OUTPUT_MARKED, marker=facts.marker)
    if facts is not None and imagefiles.several_pictures_reason(facts):
        return imagefiles.several_pictures_reason(facts)
    if not imagefiles.is_supported(path):
        if imagefiles.names_an_image_file(path):
            return reasons.reason(reasons.UNSUPPORTED_EXTENSION, suffix=path.suffix.lower())
        return reasons.reason(reasons.NOT_AN_IMAGE_FILE)
    return ""


# ----------------------------------------------------------------------------- the output policy


@dataclass(frozen=True)
class PlannedOutput:
    source: Path
    target: Path
    paths: tuple[Path, ...]  # every file the save writes: the target, then the ½ and ¼ outputs if asked for
    existing: tuple[Path, ...]  # those of ``paths`` already on disk
    refusal: reasons.ReasonText = ""  # one line: why nothing may be written here (it would replace an input), whatever the flags

    def problem(self, overwrite: bool) -> reasons.ReasonText:
        """The one-line reason not to write, '' when writing is fine."""
        if self.refusal:
            return self.refusal
        if self.existing and not overwrite:
            return reasons.about(self.existing[0], reasons.reason(reasons.EXISTS))
        return ""


def _identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the file a path reaches (symlinks followed); None if there is none."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return status.st_dev, status.st_ino


def _name_too_long(path: Path) -> reasons.ReasonText:
    """Why the file system cannot hold an output of that name ('' if it can): a long photo name plus
    "_deblurred" passes the limit (255 bytes on most), which only the final rename found, after the deblurring."""
    length = len(os.fsencode(path.name))
    try:
        limit = os.pathconf(path.parent, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # no such folder yet; Windows has no pathconf
        limit = 255
    if limit is None or length <= limit:
        return ""
    return reasons.about(path, reasons.reason(reasons.NAME_TOO_LONG, length=length, limit=limit))


def _spelling(path: Path) -> str:
    """One spelling per path for files that do not exist yet (``..``, relative, case where the OS folds it)."""
    return os.path.normcase(os.path.realpath(os.fspath(path)))


def distinct_pairs(pairs: Iterable[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
    """``pairs`` without the repeats of an earlier (photo, output) pair, however the paths are spelt (``a.jpg ./a.jpg``,
    a symlink to it): a photo named twice (`deblur *.jpg a.jpg`) is deblurred once, where its second naming failed as
    'its output is also the output of' itself. A photo reached by two names with two outputs keeps both."""
    seen, kept = set(), []
    for source, target in pairs:
        key = (_identity(Path(source)) or _spelling(Path(source)), _spelling(Path(target)))
        if key not in seen:
            seen.add(key)
            kept.append((source, target))
    return kept


def plan_outputs(pairs: Sequence[tuple[Path, Path]], save_scales: bool = False,
                 inputs: Iterable[Path] = (), unmarked: Iterable[Path] = ()) -> list[PlannedOutput]:
    """Where each (photo, output) pair would write, what exists there and what must never be written.

    ``inputs``: more originals to protect besides the pairs' photos (e.g. every photo of the run).
    ``unmarked``: files of the input folder named like outputs but not marked as this app's
    (BatchCandidates.unmarked): never replaced either, --overwrite or not.
    An output is refused when it is the same file as any of them, when an earlier pair of the
    same run already writes it, when it is no file (a folder, a device, a pipe) or when no
    file of its name can be written (an extension the app cannot write, a name too long).
    """
    originals = _originals([*inputs, *(source for source, _target in pairs)])
    foreign = _originals(unmarked)
    written: dict[object, Path] = {}  # identity or spelling of each planned path -> its photo
    plans = []
    for source, target in pairs:
        source, target = Path(source), Path(target)
        paths = (target, *(scale_paths(target).values() if save_scales else ()))
        existing, refusal = [], ""
        for path in paths:
            identity = _identity(path)
            if identity is not None or os.path.islink(path):  # a broken symlink too: the save's rename would replace it
                existing.append(path)
            refusal = refusal or _refusal(path, identity, source, originals)
            if not refusal and identity is not None and identity in foreign:
                refusal = reasons.about(path, reasons.reason(reasons.NOT_MARKED_AS_OURS))
            key = identity or _spelling(path)
            if key in written and not refusal:
                # named by the photo left out: the output's name alone said only which photo got it
                refusal = reasons.about(source, reasons.reason(reasons.ALSO_THE_OUTPUT_OF, output=path,
                                                               photo=written[key]))
            written.setdefault(key, source)
        plans.append(PlannedOutput(source, target, paths, tuple(existing), refusal))
    return plans


def _originals(inputs: Iterable[Path]) -> dict[tuple[int, int], Path]:
    """(device, inode) -> the input path, for every input that exists."""
    originals: dict[tuple[int, int], Path] = {}
    for source in inputs:
        identity = _identity(Path(source))
        if identity is not None:
            originals.setdefault(identity, Path(source))
    return originals


def _refusal(path: Path, identity: tuple[int, int] | None, source: Path | None,
             originals: dict[tuple[int, int], Path]) -> reasons.ReasonText:
    """Why no flag lets ``path`` be written ('' when it may be): it is no file, it is an input, or no file
    of its name can be written there. All of it is known before any photo is read."""
    return _never_over(path, identity, source, originals) or _unwritable_format(path) or _name_too_long(path)


def _never_over(path: Path, identity: tuple[int, int] | None, source: Path | None,
                originals: dict[tuple[int, int], Path]) -> reasons.ReasonText:
    """Why the file at ``path`` must not be replaced ('' when there is none, or it may be): a folder, a
    device or a pipe (-o /dev/null), a symbolic link loop (which has no identity), or one of the originals."""
    not_an_output = imagefiles.not_an_output_reason(path)
    if not_an_output:
        return reasons.about(path, not_an_output)
    if identity is None:
        return ""
    original = originals.get(identity)
    if original is None:
        return ""
    replaced = (reasons.reason(reasons.IS_THE_INPUT) if source is not None and _identity(source) == identity
                else reasons.reason(reasons.IS_ANOTHER_INPUT, original=original))
    return reasons.about(path, replaced)


def _unwritable_format(path: Path) -> reasons.ReasonText:
    """Why no output can be written under this extension ('' when one can): said before the model loads, not
    after the photo was deblurred (.gif, .heic, a RAW extension, none)."""
    try:
        imagefiles.output_format_for(path)
    except imagefiles.ImageFileError as error:
        return reasons.of(error)
    return ""


def output_refusal(target: Path, inputs: Iterable[Path] = (), into_streams: bool = False) -> reasons.ReasonText:
    """The policy's refusal for one file a command writes that is no photo (a validation set, calibration
    crops, a verdicts file, a scan's report): no folder, device or pipe, none of ``inputs`` (nor a link to
    one), a name its folder can hold. Its format is the caller's; an existing file is replaced (these
    commands regenerate their files). ``into_streams``: a text a command could as well print (scan's
    --csv/--json) goes into a device, pipe or socket as a shell's ">" does (/dev/stdout, a fifo), which
    then is no refusal; the caller writes into it, never renames over it."""
    target = Path(target)
    if into_streams and not os.path.isdir(target) and imagefiles.not_a_file_reason(target):  # a device, pipe or socket
        return ""
    return _never_over(target, _identity(target), None, _originals(inputs)) or _name_too_long(target)

