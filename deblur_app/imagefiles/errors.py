"""The one error every image read or write raises, and the one-line wording it uses."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO, Union

from .. import reasons
from ..reasons import ReasonText, about, one_line

PathLike = Union[str, os.PathLike]


class ImageFileError(Exception):
    """Any failure to read or write an image file.  ``str()`` is one line:
    ``"<file>: <reason>"``."""

    def __init__(self, path: PathLike | None, reason: ReasonText):
        self.path = Path(os.fspath(path)) if path is not None else None
        said = one_line(reason)
        self.reason = said if str(said) else "unknown error"
        # str(): the English, "<file>: <reason>", the name on one line with its controls escaped (reasons.about)
        super().__init__(about(path if path is not None else "image", self.reason))


def describe_exc(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip()
    return text or type(exc).__name__


def not_a_file_reason(path: PathLike) -> ReasonText:
    """Why ``path`` is no file to read a photo from ('' for a regular file, or for none at all:
    reading it says so): a folder, or a device, pipe or socket, which every reader here would
    wait on for ever (a pipe with no writer) or read without end (/dev/zero, symlinked as a .png),
    or a symbolic link loop, which reading would call "file not found" (reasons.is_link_loop).
    Asked before anything opens the path; it follows symlinks and does not block."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return reasons.reason(reasons.SYMBOLIC_LINK_LOOP) if reasons.is_link_loop(path) else ""
    if stat.S_ISDIR(mode):
        return reasons.reason(reasons.IS_A_FOLDER)
    return "" if stat.S_ISREG(mode) else reasons.reason(reasons.NOT_A_REGULAR_FILE)


def open_regular(path: PathLike) -> BinaryIO:
    """``path`` opened for reading when it is a regular file; ImageFileError when it is a folder, a device, a pipe
    or a socket, OSError when it cannot be opened. The open never blocks and the check is of the open file, so a pipe
    put at a photo's name after any earlier check (between a batch's plan and its run) cannot stop the reader."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ImageFileError(path, reasons.reason(reasons.IS_A_FOLDER if stat.S_ISDIR(mode)
                                                      else reasons.NOT_A_REGULAR_FILE))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def not_an_output_reason(path: PathLike) -> ReasonText:
    """Why nothing may be saved at ``path`` whatever the flags ('' for a regular file or none at all):
    a folder, or a device, pipe or socket (``-o /dev/null --overwrite`` would rename a file over the
    device). The one answer the output policy (jobs.naming, before any work) and the writer (its last
    check) both give, in the same words."""
    if os.path.isdir(path):
        return reasons.reason(reasons.SAVE_TO_FOLDER)
    return not_a_file_reason(path)
