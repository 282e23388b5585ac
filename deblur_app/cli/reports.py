"""Where a command's text report goes (scan's --csv and --json, eval's --csv): one behaviour for all.

A report is text a command could as well print, so besides a file it goes where a shell's ">"
would put it: ``-`` is standard output, and a pipe, fifo or device (/dev/stdout) is written
into, never renamed over. Any other target follows the output policy of every written file
(options.written_file_problem: no folder, no input nor a link to one, a name its folder can
hold) and is written atomically (a hidden temporary beside it, then a rename: an interrupted
command leaves no half report). Both are asked before the slow work, with the folder tried
for writing (a read-only folder let a whole scan run, then crashed on the temporary file).
While a report goes into a stream, the command's own progress lines go to standard error,
so what a pipe reads is the report alone.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from .options import written_file_problem

STANDARD_OUTPUT = "-"


def is_standard_output(target: Path | None) -> bool:
    return target is not None and str(target) == STANDARD_OUTPUT


def into_stream(target: Path | None) -> bool:
    """Whether the report goes into what is at ``target`` rather than replacing it: ``-`` or anything there
    other than a regular file (a pipe, a device, a link such as /dev/stdout)."""
    if target is None:
        return False
    if is_standard_output(target):
        return True
    try:
        mode = os.lstat(target).st_mode
    except (OSError, ValueError):
        return False  # nothing there yet: written beside, then renamed
    return not stat.S_ISREG(mode)


def progress_stream(target: Path | None) -> TextIO:
    """Where a command prints its progress and summary: standard error while its report goes into a stream."""
    return sys.stderr if into_stream(target) else sys.stdout


def shown(target: Path) -> str:
    """The report's place as the summary line says it."""
    return "standard output" if is_standard_output(target) else str(Path(target).resolve())


def report_problem(option: str, target: Path | None, inputs: list[Path | None]) -> str | None:
    """Why the report cannot go to ``target``, in one line (None when it can), asked before the slow work."""
    if target is None or is_standard_output(target):
        return None
    problem = written_file_problem(option, target, inputs, into_streams=True)
    if problem or into_stream(target):
        return problem
    folder = Path(target).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)  # as writing the report would
    except OSError as error:
        return f"{option}: {folder}: cannot create the folder ({error.strerror or error})"
    from ..jobs import folder_problem

    problem = str(folder_problem(folder))
    return f"{option}: {problem}" if problem else None


def write_report(target: Path, text: str) -> None:
    """``text`` to standard output, into a stream, or atomically into a file; raises OSError (a full disk)."""
    if is_standard_output(target):
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if into_stream(target):
        with open(target, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        return
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def table_written(target: Path, fields: list[str], rows: list[dict]) -> bool:
    """``rows`` as a CSV table (LF lines, as scan's) to ``target`` by write_report; False, said in one line, when it
    cannot be written (the folder was tried before the work: a full disk is found only now)."""
    table = io.StringIO()
    writer = csv.DictWriter(table, fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    try:
        write_report(target, table.getvalue())
    except OSError as error:
        print(f"deblur-app: {error.filename or target}: cannot write the table ({error.strerror or error})",
              file=sys.stderr)
        return False
    return True
