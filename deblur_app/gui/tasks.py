"""Reading and writing photos off the GUI thread (a one-thread pool).

Loading a 12 MP photo and encoding a 16-bit TIFF take long enough to stutter
the window, so both run here; results come back as plain data through queued
signals. The model has its own thread (worker.py), so files open and save
while a deblur runs.
"""

from __future__ import annotations

import threading
import traceback
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtGui import QImage

from .. import imagefiles, reasons
from ..engine.heap import return_freed_memory
from . import imaging, qtimage

THUMB_SIZE = 160
# The one thread's queue: the photo the user selected is read first, every thumbnail next, and the check of a
# RAW file whose preview showed (an unpack, a fraction of a second each) last, so neither waits behind the checks.
LOAD_PRIORITY, THUMBNAIL_PRIORITY, RAW_CHECK_PRIORITY = 1, 0, -1


@dataclass
class LoadOutcome:
    key: str
    path: Path
    image: imagefiles.LoadedImage | None = None
    levels: list[QImage] | None = None  # display pyramid, full size first
    thumb: QImage | None = None
    error: reasons.ReasonText = ""  # the core's reason (a Reason), or the window's own words
    details: str = ""


@dataclass
class SaveChoice:
    path: Path
    bit_depth: int | None = None  # None: as the original where the format allows
    quality: int | None = None  # None: a JPEG source's own tables and subsampling (imagefiles.save_image)
    save_scales: bool = False
    overwrite: bool = False


@dataclass
class SaveOutcome:
    key: str
    paths: list[Path]
    error: reasons.ReasonText = ""  # the core's reason (a Reason), or the window's own words
    details: str = ""
    strength: float = 1.0  # what the written file keeps of the correction
    written: object = None  # the result the file holds (outcomes.DeblurOutcome)


class FileTasks(QObject):
    loaded = Signal(object)  # LoadOutcome
    saved = Signal(object)  # SaveOutcome
    thumbnail = Signal(str, QImage)
    previewed = Signal(str, object)  # key, the LoadOutcome saying why it cannot be opened (None: it can)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)  # one photo in memory at a time while decoding
        self._stopping = False
        # held while a batch of thumbnails is queued: the pool thread, idle, starts the first one at once, and that
        # one queues its RAW check; a window thread slow to queue the rest (a loaded machine) saw the check run
        # ahead of them. A thumbnail waits here until its batch is queued whole, so the priorities order it all.
        self._queueing = threading.Lock()

    def load(self, key: str, path: Path) -> None:
        self._pool.start(lambda: self._load(key, Path(path)), LOAD_PRIORITY)

    def thumbnails_for(self, photos: list[tuple[str, Path]]) -> None:
        """Thumbnails (and checks) of several photos, queued as one: none starts before the last is queued."""
        with self._queueing:
            for key, path in photos:
                self._pool.start(lambda key=key, path=Path(path): self._thumbnail(key, path), THUMBNAIL_PRIORITY)

    def save(self, key: str, image: imagefiles.LoadedImage, result, choice: SaveChoice, strength: float = 1.0) -> None:
        self._pool.start(lambda: self._save(key, image, result, choice, strength))

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Wait for the reads and writes under way (a save always finishes); thumbnails and checks still queued
        are dropped: nobody will see them, and a folder of RAW files queues a check of a fraction of a second each."""
        self._stopping = True
        return self._pool.waitForDone(timeout_ms)

    # -- run in the pool thread

    def _load(self, key: str, path: Path) -> None:
        outcome = LoadOutcome(key, path)
        with self._refusals(outcome):
            image = imagefiles.load_image(path)
            display = imaging.to_u8(image.pixels)
            outcome.image, outcome.levels = image, qtimage.display_images(imaging.display_levels(display))
            outcome.thumb = qtimage.to_display_image(imaging.thumbnail(display, THUMB_SIZE))
        self.loaded.emit(outcome)

    @contextmanager
    def _refusals(self, outcome: LoadOutcome):
        """Why the photo of ``outcome`` cannot be opened, into it: any failure of the block, in one line."""
        path = outcome.path
        try:
            yield
        except imagefiles.ImageFileError as error:
            # A refusal is whole in its reason, which the dialog shows in the window's words (gui/reasons.py). Its
            # details used to repeat str(error): the command line's English, "(set --max-megapixels ...)" included.
            outcome.error = reasons.of(error)
        except MemoryError:
            # said here, not in the core: the window's own limit (the core raises ImageFileError); tr() is thread-safe
            outcome.error = f"{reasons.one_line_name(path)}: " + self.tr("not enough memory to open this photo")
            outcome.details = traceback.format_exc()
        except Exception as error:
            outcome.error = reasons.about(path, reasons.one_line(str(error)) or type(error).__name__)
            outcome.details = traceback.format_exc()

    def _thumbnail(self, key: str, path: Path) -> None:
        """The filmstrip's picture, and whether the photo can be opened at all: a file no preview was made of is
        read in full now, and let go; a RAW file is unpacked (raw_problem: its development takes seconds) even
        when the camera's preview showed, later (RAW_CHECK_PRIORITY): a file cut short keeps its preview intact.
        So a broken one is named when it is opened, not when it is selected (previewed: its LoadOutcome, or None)."""
        with self._queueing:  # the rest of its batch is queued (see __init__)
            pass
        if not shiboken6.isValid(self) or self._stopping:  # the window closed with thumbnails still queued
            return
        pixels = imagefiles.load_thumbnail(path, THUMB_SIZE)
        if pixels is not None:
            self._send(self.thumbnail, key, qtimage.to_display_image(pixels))
        if pixels is not None and imagefiles.is_raw(path):
            self._pool.start(lambda: self._check_raw(key, path), RAW_CHECK_PRIORITY)
        else:
            self._send(self.previewed, key, None if pixels is not None else self._why_unopenable(key, path))

    def _check_raw(self, key: str, path: Path) -> None:
        if shiboken6.isValid(self) and not self._stopping:
            self._send(self.previewed, key, self._why_unopenable(key, path))

    @staticmethod
    def _send(signal, *args) -> None:
        try:
            signal.emit(*args)
        except RuntimeError:  # "Signal source has been deleted" while it decoded: the same, a moment later
            pass

    def _why_unopenable(self, key: str, path: Path) -> LoadOutcome | None:
        """The outcome of opening a photo that failed, or None if it opens (read, then let go)."""
        outcome = LoadOutcome(key, path)
        if imagefiles.is_raw(path):
            outcome.error = imagefiles.raw_problem(path)  # unpacked, not developed (which takes seconds)
        else:
            with self._refusals(outcome):
                imagefiles.load_image(path)
        return outcome if outcome.error else None

    def _save(self, key: str, image: imagefiles.LoadedImage, result, choice: SaveChoice, strength: float) -> None:
        outcome = SaveOutcome(key, [], strength=strength, written=result)
        try:
            from ..jobs import JobError, SaveOptions, save_result

            options = SaveOptions(choice.save_scales, choice.bit_depth, choice.quality, choice.overwrite, strength)
            try:
                outcome.paths = save_result(result, image, Path(choice.path), options)
            except JobError as error:  # a refusal (a file that appeared since Save looked): no details, as above
                outcome.error = reasons.of(error)
        except Exception as error:
            outcome.error = reasons.about(choice.path, reasons.one_line(str(error)) or type(error).__name__)
            outcome.details = traceback.format_exc()
        return_freed_memory()  # Pillow's copy of the picture (48 MB at 12 MP) was freed into this thread's heap
        self.saved.emit(outcome)
