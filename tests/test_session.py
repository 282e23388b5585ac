"""The window's photos and their state (gui/session.py), changed by commands and observed, without a window or Qt."""

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from deblur_app.gui.session import PhotoRecord, PhotoSession, SessionEvent


@dataclass
class Outcome:
    """Stands in for outcomes.DeblurOutcome: the session reads only whether it is a preview."""

    preview: bool = False


def session_with(*names: str) -> tuple[PhotoSession, list[SessionEvent]]:
    session, events = PhotoSession(), []
    session.observe(events.append)
    for name in names:
        session.add(PhotoRecord(name, Path(f"/photos/{name}")))
    return session, events


def test_photos_are_opened_once_and_closed_with_events():
    session, events = session_with("a.jpg", "b.jpg")
    assert not session.add(PhotoRecord("a.jpg", Path("/elsewhere/a.jpg"))), "already open"
    assert session.paths() == [Path("/photos/a.jpg"), Path("/photos/b.jpg")]
    session.remove("a.jpg")
    session.remove("a.jpg")  # closing twice changes nothing
    assert "a.jpg" not in session and [p.key for p in session] == ["b.jpg"]
    assert events == [SessionEvent("added", "a.jpg"), SessionEvent("added", "b.jpg"), SessionEvent("removed", "a.jpg")]


def test_a_first_result_starts_at_the_remembered_strength_and_is_unsaved():
    session, events = session_with("a.jpg")
    assert not session.set_strength("a.jpg", 0.5), "no result yet: nothing to blend"
    photo = session.take_outcome("a.jpg", Outcome(preview=True), remembered_strength=0.7)
    assert photo.strength == 0.7 and photo.preview is not None and photo.result is None and not photo.unsaved
    result = Outcome()
    session.take_outcome("a.jpg", result, remembered_strength=0.3)
    assert photo.strength == 0.7, "a photo keeps its own strength"
    assert photo.result is result and photo.preview is None and photo.unsaved
    assert session.unsaved() == [photo]
    assert [e.kind for e in events] == ["added", "outcome", "outcome"]


def test_saving_at_one_strength_and_moving_it_makes_the_photo_unsaved_again():
    session, events = session_with("a.jpg")
    photo = session.take_outcome("a.jpg", Outcome(), remembered_strength=1.0)
    session.choose_save_target("a.jpg", Path("/out/a_sharp.jpg"))
    session.mark_saved("a.jpg", Path("/out/a_sharp.jpg"), 1.0)
    assert not photo.unsaved and photo.save_target == Path("/out/a_sharp.jpg")
    assert session.set_strength("a.jpg", 0.6) and photo.unsaved, "the file holds another strength"
    assert session.set_strength("a.jpg", 1.0) and not photo.unsaved, "back at the saved strength"
    session.take_outcome("a.jpg", Outcome(), remembered_strength=1.0)
    assert photo.unsaved and photo.saved_path is None, "a new result is not the file saved before"
    assert [e.kind for e in events][1:] == ["outcome", "save_target", "saved", "strength", "strength", "outcome"]


def test_commands_on_a_closed_photo_change_nothing():
    session, events = session_with()
    assert session.take_outcome("gone.jpg", Outcome(), 1.0) is None and not session.set_strength("gone.jpg", 0.5)
    session.mark_saved("gone.jpg", Path("/out/x.jpg"), 1.0)
    session.choose_save_target("gone.jpg", Path("/out/x.jpg"))
    assert events == [] and session.get("gone.jpg") is None and session.get(None) is None


def test_the_session_imports_no_qt():
    code = "import sys, deblur_app.gui.session; sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent).returncode == 0


def test_one_photo_is_selected_and_closing_it_leaves_none_selected():
    session, events = session_with("a.jpg", "b.jpg")
    assert session.current() is None
    session.select("b.jpg")
    session.select("b.jpg")  # again: nothing changes
    session.select("gone.jpg")  # a closed photo: none selected
    session.select("a.jpg")
    assert session.current().key == "a.jpg"
    session.remove("a.jpg")
    assert session.current_key is None and session.current() is None
    assert [(e.kind, e.key) for e in events[2:]] == [("selected", "b.jpg"), ("selected", None),
                                                     ("selected", "a.jpg"), ("removed", "a.jpg")]


def test_a_photo_is_read_once_and_its_pixels_are_announced():
    session, events = session_with("a.jpg")
    assert session.start_loading("a.jpg") and not session.start_loading("a.jpg"), "being read already"
    image = object()
    photo = session.take_image("a.jpg", image)
    assert photo.image is image and photo.loaded and not photo.loading
    assert not session.start_loading("a.jpg"), "read already"
    assert session.take_image("gone.jpg", image) is None and not session.start_loading("gone.jpg")
    assert events[-1] == SessionEvent("loaded", "a.jpg")


@dataclass
class Blend:
    """Stands in for a re-blended outcome: the session reads its strength, kind and the full result it came from."""

    strength: float
    full: object
    preview: bool = False


def test_a_blend_replaces_the_result_only_while_it_is_the_result_and_strength_it_was_made_for():
    session, events = session_with("a.jpg")
    full = object()
    result = session.take_outcome("a.jpg", Outcome(), remembered_strength=1.0).result
    result.full = full
    session.set_strength("a.jpg", 0.5)
    assert not session.take_blend("a.jpg", Blend(0.7, full)), "the strength moved on: a newer blend is coming"
    assert not session.take_blend("a.jpg", Blend(0.5, object())), "made from a result a new run replaced"
    assert not session.take_blend("gone.jpg", Blend(0.5, full))
    blend = Blend(0.5, full)
    assert session.take_blend("a.jpg", blend) and session.get("a.jpg").result is blend
    assert events[-1] == SessionEvent("blended", "a.jpg")
    assert not session.take_blend("a.jpg", Blend(0.5, full, preview=True)), "no preview to replace"


def test_a_comparison_fills_side_by_side_and_a_kept_side_becomes_the_result():
    session, events = session_with("a.jpg")
    comparison = session.start_comparison("a.jpg", ("mimo-unet", "nafnet-64"), strength=0.8)
    assert comparison.running == 0 and not comparison.ended
    assert session.keep_compared("a.jpg", 0) is None, "nothing finished yet: nothing to keep"
    first, second = Outcome(), Outcome()
    assert not session.take_compared("a.jpg", 1, second), "side 1 waits for side 0"
    assert session.take_compared("a.jpg", 0, first) and comparison.running == 1
    assert session.take_compared("a.jpg", 1, second) and comparison.done and comparison.running is None
    photo = session.get("a.jpg")
    assert photo.result is None and not photo.unsaved, "comparing leaves the photo's result alone"
    assert session.keep_compared("a.jpg", 1) is photo
    assert photo.result is second and photo.unsaved and comparison.kept == 1
    assert photo.strength == 0.8, "a first result takes the strength the comparison was shown at"
    assert [e.kind for e in events[1:]] == ["comparison"] * 3 + ["outcome"]


def test_a_cancelled_comparison_keeps_its_finished_side_and_takes_nothing_late():
    session, _events = session_with("a.jpg")
    comparison = session.start_comparison("a.jpg", ("mimo-unet", "fftformer"), strength=1.0)
    session.take_compared("a.jpg", 0, Outcome())
    session.end_comparison("a.jpg", "cancelled")
    assert comparison.ended == "cancelled" and comparison.running is None and list(comparison.outcomes) == [0]
    assert not session.take_compared("a.jpg", 1, Outcome()), "a run that ends after the cancel brings nothing"
    session.end_comparison("a.jpg", "failed", "late")  # an ended comparison stays as it ended
    assert comparison.ended == "cancelled" and session.get("a.jpg").result is None


def test_how_a_run_ended_is_noted_on_its_photo_unless_it_was_closed():
    session, events = session_with("a.jpg")
    assert session.note_run("a.jpg", "Last run 3.2 s") and session.get("a.jpg").run_note == "Last run 3.2 s"
    assert events[-1] == SessionEvent("run_note", "a.jpg")
    assert not session.note_run("gone.jpg", "Last run 1.0 s") and events[-1] == SessionEvent("run_note", "a.jpg")
