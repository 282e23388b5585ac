"""A Hypothesis state machine over the window's Qt-free session model (gui/session.py), issue 22.

Random sequences of open, close, select, preview, deblur, strength, a re-blend arriving (fresh or
stale), save and save as, and Compare Networks (start, a side's run ending in or out of turn,
cancel, keep a side) are run against a
plain reference model of what the window must show and what Save must write; after every step
the session agrees with it. tests/test_session_states.py runs it bounded in CI;
benchmarks/session_long_run.py runs it for as long as one asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from deblur_app.gui.session import PhotoRecord, PhotoSession, SessionEvent, same_strength

# two names: sequences that come back to the same photo (run, save, run again) are common
NAMES = st.sampled_from(["a.jpg", "b.png"])
STRENGTHS = st.integers(0, 100).map(lambda percent: percent / 100)


@dataclass
class Outcome:
    preview: bool
    run: int
    full: object = field(default_factory=object)  # the network's output a blend is made from
    strength: float = 1.0  # what a blend keeps of the correction


@dataclass
class ExpectedComparison:
    strength: float
    outcomes: dict[int, int] = field(default_factory=dict)  # side -> the run that made it
    running: int | None = 0
    ended: str = ""
    kept: int | None = None


@dataclass
class Expected:
    """What one photo must be in the window, kept by hand, step by step."""

    result: int | None = None  # the run that made the whole-photo result
    preview: int | None = None
    strength: float | None = None
    saved: tuple[Path, float] | None = None  # what file on disk holds this photo's result, at which strength
    save_target: Path | None = None
    comparison: ExpectedComparison | None = None


@dataclass
class Reference:
    photos: dict[str, Expected] = field(default_factory=dict)
    remembered_strength: float = 1.0
    selected: str | None = None


class SessionMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.session = PhotoSession()
        self.events: list[SessionEvent] = []
        self.session.observe(self.events.append)
        self.reference = Reference()
        self.runs = 0

    def _expect_event(self, kind: str, key: str) -> None:
        assert self.events and self.events[-1] == SessionEvent(kind, key), (kind, key, self.events[-3:])

    @rule(name=NAMES)
    def open_photo(self, name: str) -> None:
        before = len(self.events)
        added = self.session.add(PhotoRecord(name, Path("/photos") / name))
        assert added == (name not in self.reference.photos)
        if added:
            self.reference.photos[name] = Expected()
            self._expect_event("added", name)
        else:
            assert len(self.events) == before  # opening an open photo changes nothing

    @rule(name=NAMES)
    def close_photo(self, name: str) -> None:
        self.session.remove(name)
        if self.reference.photos.pop(name, None) is not None:
            self._expect_event("removed", name)
            if self.reference.selected == name:
                self.reference.selected = None  # none is selected until another is

    @rule(name=st.one_of(st.none(), NAMES))
    def select_photo(self, name: str | None) -> None:
        before = len(self.events)
        self.session.select(name)
        selected = name if name in self.reference.photos else None
        if selected != self.reference.selected:
            self.reference.selected = selected
            self._expect_event("selected", selected)
        else:
            assert len(self.events) == before  # selecting the selected photo again changes nothing

    @precondition(lambda self: any(e.result is not None for e in self.reference.photos.values()))
    @rule(data=st.data(), other=STRENGTHS, fresh=st.booleans(), at_its_strength=st.booleans())
    def a_blend_arrives(self, data, other: float, fresh: bool, at_its_strength: bool) -> None:
        """A re-blend of a photo's result: taken only if made from its result (not one a newer run
        replaced) and at its strength (not one the control has left). Closed photos: tests/test_session.py."""
        name = data.draw(st.sampled_from(sorted(k for k, e in self.reference.photos.items() if e.result is not None)))
        photo, expected = self.session.get(name), self.reference.photos[name]
        strength = photo.strength if at_its_strength else other
        made_from = photo.result.full if fresh else object()
        before = len(self.events)
        taken = self.session.take_blend(name, Outcome(False, expected.result, made_from, strength))
        must = fresh and same_strength(strength, expected.strength)
        assert taken == must
        if taken:
            self._expect_event("blended", name)  # the same run's result: what Save writes is unchanged
        else:
            assert len(self.events) == before

    @rule(name=NAMES, preview=st.booleans())
    def a_run_ends(self, name: str, preview: bool) -> None:
        self.runs += 1
        photo = self.session.take_outcome(name, Outcome(preview, self.runs), self.reference.remembered_strength)
        expected = self.reference.photos.get(name)
        assert (photo is None) == (expected is None)
        if expected is None:
            return
        if expected.strength is None:
            expected.strength = self.reference.remembered_strength
        if preview:
            expected.preview = self.runs
        else:
            expected.result, expected.preview, expected.saved = self.runs, None, None
        self._expect_event("outcome", name)

    @rule(name=NAMES, strength=STRENGTHS)
    def move_strength(self, name: str, strength: float) -> None:
        self.reference.remembered_strength = strength
        changed = self.session.set_strength(name, strength)
        expected = self.reference.photos.get(name)
        can = expected is not None and (expected.result is not None or expected.preview is not None)
        assert changed == can
        if can:
            expected.strength = strength
            self._expect_event("strength", name)

    @precondition(lambda self: any(e.result is not None for e in self.reference.photos.values()))
    @rule(data=st.data(), save_as=st.booleans())
    def save(self, data, save_as: bool) -> None:
        name = data.draw(st.sampled_from(sorted(k for k, e in self.reference.photos.items() if e.result is not None)))
        expected = self.reference.photos[name]
        photo = self.session.get(name)
        target = photo.save_target or Path("/photos") / f"{Path(name).stem}_deblurred{Path(name).suffix}"
        if save_as:
            target = Path("/elsewhere") / f"{self.runs}-{name}"
            self.session.choose_save_target(name, target)
            expected.save_target = target
            self._expect_event("save_target", name)
        self.session.mark_saved(name, target, photo.strength)
        expected.saved = (target, expected.strength)
        self._expect_event("saved", name)

    # -- Compare Networks (gui/compare.py): two sides, one after the other; a kept side is the result

    @rule(name=NAMES, strength=STRENGTHS)
    def start_comparison(self, name: str, strength: float) -> None:
        comparison = self.session.start_comparison(name, ("mimo-unet", "nafnet-64"), strength)
        expected = self.reference.photos.get(name)
        assert (comparison is None) == (expected is None)
        if expected is not None:
            expected.comparison = ExpectedComparison(strength)
            self._expect_event("comparison", name)

    @rule(name=NAMES, side=st.sampled_from([0, 1]))
    def a_compared_run_ends(self, name: str, side: int) -> None:
        """A side's run ends: taken only in turn and while the comparison runs (not after a cancel)."""
        self.runs += 1
        before = len(self.events)
        taken = self.session.take_compared(name, side, Outcome(False, self.runs))
        expected = self.reference.photos.get(name)
        comparison = expected.comparison if expected is not None else None
        assert taken == (comparison is not None and not comparison.ended and comparison.running == side)
        if not taken:
            assert len(self.events) == before
            return
        comparison.outcomes[side] = self.runs
        comparison.running = 1 if side == 0 else None
        comparison.ended = "done" if side == 1 else ""
        self._expect_event("comparison", name)

    @rule(name=NAMES)
    def cancel_comparison(self, name: str) -> None:
        self.session.end_comparison(name, "cancelled")
        expected = self.reference.photos.get(name)
        comparison = expected.comparison if expected is not None else None
        if comparison is not None and not comparison.ended:
            comparison.running, comparison.ended = None, "cancelled"
            self._expect_event("comparison", name)

    @rule(name=NAMES, side=st.sampled_from([0, 1]))
    def keep_compared(self, name: str, side: int) -> None:
        """A finished side becomes the result, as a run's would (a first one at the comparison's strength)."""
        photo = self.session.keep_compared(name, side)
        expected = self.reference.photos.get(name)
        comparison = expected.comparison if expected is not None else None
        can = comparison is not None and side in comparison.outcomes
        assert (photo is not None) == can
        if can:
            comparison.kept = side
            if expected.result == comparison.outcomes[side]:  # its own result kept again: the saved file still holds it
                self._expect_event("outcome", name)
                return
            if expected.strength is None:
                expected.strength = comparison.strength
            expected.result, expected.preview, expected.saved = comparison.outcomes[side], None, None
            self._expect_event("outcome", name)

    @invariant()
    def the_session_is_what_the_window_must_show(self) -> None:
        assert [photo.key for photo in self.session] == list(self.reference.photos)  # in the order opened
        assert self.session.current_key == self.reference.selected
        for key, expected in self.reference.photos.items():
            photo = self.session.get(key)
            assert (photo.result.run if photo.result else None) == expected.result
            assert (photo.preview.run if photo.preview else None) == expected.preview
            assert photo.strength == expected.strength
            assert photo.save_target == expected.save_target
            assert (photo.saved_path, photo.saved_strength) == (expected.saved or (None, None))
            # Save writes the result at the strength shown; unsaved exactly when the disk holds something else
            must_save = expected.result is not None and (
                expected.saved is None or not same_strength(expected.saved[1], expected.strength))
            assert photo.unsaved == must_save
            comparison, want = photo.comparison, expected.comparison
            assert (comparison is None) == (want is None)
            if want is not None:
                assert {side: o.run for side, o in comparison.outcomes.items()} == want.outcomes
                assert (comparison.running, comparison.ended, comparison.kept, comparison.strength) == (
                    want.running, want.ended, want.kept, want.strength)
        assert {p.key for p in self.session.unsaved()} == {
            key for key in self.reference.photos if self.session.get(key).unsaved}
