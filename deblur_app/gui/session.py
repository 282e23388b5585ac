"""The photos open in the window and what the window knows of each, without Qt.

``PhotoRecord`` is one photo's state: its pixels once read, its last result and preview, the
strength its result keeps, where and at which strength it was saved, and where Save As last
wrote it. ``PhotoSession`` owns the open photos and which one is selected, and changes them only through
its commands (add, remove, select, start_loading, take_image, set_strength, take_outcome,
take_blend, mark_saved, choose_save_target), each of which tells the observers what changed (SessionEvent):
the filmstrip, the side panel's strength, the views and the status bar follow the events
instead of the window pushing each change into each of them. The window's Photo (photo_state.py) adds what is on
screen (pixmaps) to the record; this module knows nothing of that, so the rules are tested
without a window (tests/test_session.py).

A photo's ``Comparison`` is two networks' results on it side by side (the Compare window,
compare.py): started, filled side by side and ended through the session's commands
(start_comparison, take_compared, end_comparison); keep_compared makes one side the photo's
result, as a run's outcome would be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..reasons import file_name


def same_strength(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) < 1e-6


def same_picture(a: Any, b: Any) -> bool:
    """Whether two outcomes are one network result: a blend at another strength is (same ``full``), a new run is not."""
    if a is b:
        return True
    full = getattr(a, "full", None)
    return full is not None and full is getattr(b, "full", None)


@dataclass
class Comparison:
    """Two networks' whole-photo results on one photo, computed one after the other."""

    networks: tuple[str, str]  # the variant keys of side 0 and side 1
    strength: float  # the strength both sides are shown (and one kept) at
    outcomes: dict[int, Any] = field(default_factory=dict)  # side -> its DeblurOutcome once it finished
    running: int | None = 0  # the side being computed; None once the comparison ended
    ended: str = ""  # "" while it runs, then "done", "cancelled" or "failed"
    reason: str = ""  # why it failed
    kept: int | None = None  # the side that became the photo's result

    @property
    def done(self) -> bool:
        return self.ended == "done"


@dataclass
class PhotoRecord:
    key: str
    path: Path
    image: Any = None  # imagefiles.LoadedImage once read
    result: Any = None  # the last whole-photo result (outcomes.DeblurOutcome)
    preview: Any = None  # the last preview (shown when newer than the result)
    # the share of the correction this photo's result keeps (0..1); None until it has a result or
    # preview, then the window's remembered strength is the default
    strength: float | None = None
    saved_path: Path | None = None  # where the current result was saved
    saved_strength: float | None = None  # the strength of the saved file
    save_target: Path | None = None  # the last Save As choice
    run_note: str = ""  # how its last run ended ("Last run 3.2 s"), shown while it is selected
    loading: bool = False
    comparison: Comparison | None = None  # the last Compare Networks of this photo

    @property
    def loaded(self) -> bool:
        return self.image is not None

    @property
    def shown_name(self) -> str:
        """The file's name as the window writes it: a control or bidi character in it escaped (reasons.file_name)."""
        return file_name(self.path)

    @property
    def unsaved(self) -> bool:
        """A result whose file on disk (if any) is not what Save would write now."""
        if self.result is None:
            return False
        return self.saved_path is None or not same_strength(self.saved_strength, self.strength)

    def result_replaced(self) -> None:
        """A new network result: the file saved before holds another picture."""
        self.saved_path = self.saved_strength = None


@dataclass(frozen=True)
class SessionEvent:
    kind: str  # added | removed | selected | loaded | run_note | strength | outcome | blended | saved | save_target | comparison
    key: str | None  # None: "selected" with no photo selected


class PhotoSession:
    """The open photos, by key, in the order they were opened; changed only by the commands below."""

    def __init__(self) -> None:
        self.photos: dict[str, PhotoRecord] = {}
        self.current_key: str | None = None  # the selected photo, shown in the views
        self._observers: list[Callable[[SessionEvent], None]] = []

    def observe(self, observer: Callable[[SessionEvent], None]) -> None:
        self._observers.append(observer)

    def _changed(self, kind: str, key: str | None) -> None:
        event = SessionEvent(kind, key)
        for observer in list(self._observers):
            observer(event)

    # -- reading

    def get(self, key: str | None) -> PhotoRecord | None:
        return self.photos.get(key) if key is not None else None

    def current(self) -> PhotoRecord | None:
        return self.get(self.current_key)

    def __contains__(self, key: str) -> bool:
        return key in self.photos

    def __iter__(self) -> Iterator[PhotoRecord]:
        return iter(list(self.photos.values()))

    def unsaved(self) -> list[PhotoRecord]:
        return [photo for photo in self.photos.values() if photo.unsaved]

    def paths(self) -> list[Path]:
        return [photo.path for photo in self.photos.values()]

    # -- commands

    def add(self, photo: PhotoRecord) -> bool:
        """Open a photo; False (and nothing changes) if one with its key is open already."""
        if photo.key in self.photos:
            return False
        self.photos[photo.key] = photo
        self._changed("added", photo.key)
        return True

    def remove(self, key: str) -> None:
        """Close a photo; if it was selected, none is until another is selected."""
        if self.photos.pop(key, None) is not None:
            if self.current_key == key:
                self.current_key = None
            self._changed("removed", key)

    def select(self, key: str | None) -> None:
        """Show another photo (None: none); selecting the selected one again changes nothing."""
        if key is not None and key not in self.photos:
            key = None
        if key != self.current_key:
            self.current_key = key
            self._changed("selected", key)

    def start_loading(self, key: str) -> bool:
        """The photo's pixels are to be read; False if they are read or being read already."""
        photo = self.photos.get(key)
        if photo is None or photo.loaded or photo.loading:
            return False
        photo.loading = True
        return True

    def take_image(self, key: str, image) -> PhotoRecord | None:
        """The photo's pixels arrived (imagefiles.LoadedImage); None if it was closed meanwhile."""
        photo = self.photos.get(key)
        if photo is None:
            return None
        photo.image, photo.loading = image, False
        self._changed("loaded", key)
        return photo

    def set_strength(self, key: str, strength: float) -> bool:
        """The share of the correction the photo's result keeps; only a photo with a result or a
        preview has one (False, and nothing changes, for the others)."""
        photo = self.photos.get(key)
        if photo is None or (photo.result is None and photo.preview is None):
            return False
        photo.strength = strength
        self._changed("strength", key)
        return True

    def take_outcome(self, key: str, outcome, remembered_strength: float) -> PhotoRecord | None:
        """A run's outcome arrived: a preview, or a new whole-photo result (which the file saved
        before no longer holds). A first result starts at the strength chosen last."""
        photo = self.photos.get(key)
        if photo is None:
            return None
        if photo.strength is None:
            photo.strength = remembered_strength
        if outcome.preview:
            photo.preview = outcome
        else:
            photo.result, photo.preview = outcome, None
            photo.result_replaced()
        self._changed("outcome", key)
        return photo

    def note_run(self, key: str, note: str) -> bool:
        """How the photo's last run ended ("Last run 3.2 s"); False if the photo was closed meanwhile."""
        photo = self.photos.get(key)
        if photo is None:
            return False
        photo.run_note = note
        self._changed("run_note", key)
        return True

    def take_blend(self, key: str, outcome) -> bool:
        """The photo's result (or preview) re-made at its strength without a network run; False, and nothing
        changes, if the photo was closed, its strength moved on (a newer blend is on its way) or a new run
        replaced what the blend was made from."""
        photo = self.photos.get(key)
        if photo is None or not same_strength(outcome.strength, photo.strength):
            return False
        slot = "preview" if outcome.preview else "result"
        made_from = getattr(photo, slot)
        if made_from is None or made_from.full is not outcome.full:
            return False
        setattr(photo, slot, outcome)
        self._changed("blended", key)
        return True

    def mark_saved(self, key: str, path: Path, strength: float, written: Any = None) -> bool:
        """The photo's result is in ``path`` at ``strength``; False, and nothing changes, if the photo was closed or
        ``written`` (the result the file holds) is no longer its result: a run, or Keep in Compare, ended while
        the file was written, and the new result was called saved."""
        photo = self.photos.get(key)
        if photo is None or (written is not None and not same_picture(photo.result, written)):
            return False
        photo.saved_path, photo.saved_strength = path, strength
        self._changed("saved", key)
        return True

    def choose_save_target(self, key: str, path: Path) -> None:
        photo = self.photos.get(key)
        if photo is not None:
            photo.save_target = path
            self._changed("save_target", key)

    # -- comparing two networks (compare.py)

    def start_comparison(self, key: str, networks: tuple[str, str], strength: float) -> Comparison | None:
        """A new comparison replaces the photo's last one; its result (if any) stays the photo's."""
        photo = self.photos.get(key)
        if photo is None:
            return None
        photo.comparison = Comparison(tuple(networks), strength)
        self._changed("comparison", key)
        return photo.comparison

    def take_compared(self, key: str, side: int, outcome) -> bool:
        """One side finished; the next one runs. False (nothing changes) if the comparison ended meanwhile."""
        comparison = self._comparison(key)
        if comparison is None or comparison.ended or comparison.running != side:
            return False
        comparison.outcomes[side] = outcome
        comparison.running = side + 1 if side + 1 < len(comparison.networks) else None
        if comparison.running is None:
            comparison.ended = "done"
        self._changed("comparison", key)
        return True

    def end_comparison(self, key: str, how: str, reason: str = "") -> None:
        """Cancelled or failed: the side that runs gets no result; a finished side stays to be seen."""
        comparison = self._comparison(key)
        if comparison is not None and not comparison.ended:
            comparison.running, comparison.ended, comparison.reason = None, how, reason
            self._changed("comparison", key)

    def keep_compared(self, key: str, side: int) -> PhotoRecord | None:
        """A finished side becomes the photo's result (Save writes it); None if it has not finished.
        A photo without a strength yet takes the one the comparison was shown at."""
        comparison = self._comparison(key)
        if comparison is None or side not in comparison.outcomes:
            return None
        comparison.kept = side
        photo = self.photos[key]
        if same_picture(photo.result, comparison.outcomes[side]):  # a side taken from the photo's own result: the
            photo.result = comparison.outcomes[side]               # file saved of it still holds this picture
            self._changed("outcome", key)
            return photo
        return self.take_outcome(key, comparison.outcomes[side], comparison.strength)

    def _comparison(self, key: str) -> Comparison | None:
        photo = self.photos.get(key)
        return photo.comparison if photo is not None else None
