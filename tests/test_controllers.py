"""Opening, saving, scanning, strength, the run commands and Compare Networks as controllers over the session
(gui/opening.py, saving.py, scanning.py, strength.py, run_commands.py, compare.py),
and the display of the selected photo following it (gui/photo_display.py), without a window.

Each controller gets the Qt-free session, a stand-in for the narrow part of the window it declares
(OpeningWindow, SavingWindow), a stand-in file pool that records what it was asked to read and
write, and scripted prompts. The widgets' side is covered by following the session's events.
"""

import os
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QObject, QSettings, Signal  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QMainWindow  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from deblur_app.gui.blur_badges import BLUR_ROLE  # noqa: E402
from deblur_app.gui.compare import CompareNetworks  # noqa: E402
from deblur_app.gui.filmstrip import KEY_ROLE, Filmstrip  # noqa: E402
from deblur_app.gui.image_view import Layer  # noqa: E402
from deblur_app.gui.opening import PhotoOpener, photo_key  # noqa: E402
from deblur_app.gui.photo_display import PhotoDisplay  # noqa: E402
from deblur_app.gui.photo_state import Photo  # noqa: E402
from deblur_app.gui.messages import EngineInfo, RunSettings, WeightsInfo  # noqa: E402
from deblur_app.gui.outcomes import DeblurOutcome, RunFacts  # noqa: E402
from deblur_app.gui.qtimage import pixmaps  # noqa: E402
from deblur_app.gui.run_tracking import RunTracker  # noqa: E402
from deblur_app.gui.run_commands import RunCommands  # noqa: E402
from deblur_app.gui.saving import PhotoSaver  # noqa: E402
from deblur_app.gui.scanning import FolderScanner  # noqa: E402
from deblur_app.gui.session import PhotoSession, SessionEvent  # noqa: E402
from deblur_app.gui.settings import AppSettings  # noqa: E402
from deblur_app.gui.side_panel import SidePanel  # noqa: E402
from deblur_app.gui.status_bar import WindowStatusBar  # noqa: E402
from deblur_app.gui.strength import StrengthControl  # noqa: E402
from deblur_app.gui.tasks import LoadOutcome, SaveChoice, SaveOutcome  # noqa: E402
from deblur_app.gui.viewers import Viewers  # noqa: E402
from deblur_app.jobs import default_output  # noqa: E402
from test_blur_score import blurred, horizontal_shake, scene  # noqa: E402


@dataclass
class Window:
    """The window as the controllers see it (OpeningWindow and SavingWindow)."""

    on_cpu: bool = True
    messages: list[str] = field(default_factory=list)
    thumbnails: list[str] = field(default_factory=list)
    weights_offered: list[list[Path]] = field(default_factory=list)
    closed: int = 0

    def show_message(self, text: str, timeout_ms: int = 0) -> None:
        self.messages.append(text)

    def show_thumbnail(self, key: str, image: QImage) -> None:
        self.thumbnails.append(key)

    def runs_on_cpu(self) -> bool:
        return self.on_cpu

    def offer_weights(self, files: list[Path]) -> None:
        self.weights_offered.append(files)

    def close(self) -> bool:
        self.closed += 1
        return True


@dataclass
class Files:
    """The file pool: records what it is asked to do; the test hands back the outcomes."""

    loads: list[str] = field(default_factory=list)
    thumbnails: list[str] = field(default_factory=list)
    saves: list[tuple[str, SaveChoice, float]] = field(default_factory=list)

    def load(self, key: str, path: Path) -> None:
        self.loads.append(key)

    def thumbnails_for(self, photos: list[tuple[str, Path]]) -> None:
        self.thumbnails.extend(key for key, _path in photos)

    def save(self, key, image, result, choice: SaveChoice, strength: float = 1.0) -> None:
        self.saves.append((key, choice, strength))


@dataclass
class Prompts:
    """The user, scripted: each answer is taken in turn; every question is recorded."""

    confirms: list[bool] = field(default_factory=list)
    save_choices: list[SaveChoice | None] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def error(self, title: str, reason: str, details: str = "") -> None:
        self.errors.append(reason)

    def confirm(self, title: str, text: str, action: str) -> bool:
        self.asked.append(title)
        return self.confirms.pop(0)

    def photos_to_open(self, title: str, folder: str, filters: str) -> list[str]:
        return []

    def save_choice(self, default: Path, bit_depth: int, source_is_jpeg: bool, scales: bool = True) -> SaveChoice | None:
        self.asked.append(f"Save As {default.name}" + ("" if scales else " (no scales)"))
        return self.save_choices.pop(0)


@pytest.fixture
def settings(tmp_path):
    return AppSettings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def opening(qapp, settings):
    session, window, files, prompts = PhotoSession(), Window(), Files(), Prompts()
    events: list[SessionEvent] = []
    session.observe(events.append)
    opener = PhotoOpener(session, window, settings, files, prompts)
    return SimpleNamespace(session=session, window=window, files=files, prompts=prompts, events=events,
                           opener=opener, settings=settings)


def photos_in(folder: Path, *names: str) -> list[Path]:
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"not read here")
    return [folder / name for name in names]


def loaded(key: str, width: int = 640, height: int = 480, error: str = "") -> LoadOutcome:
    image = SimpleNamespace(width=width, height=height)
    if error:
        return LoadOutcome(key, Path(key), error=error, details="details")
    level = QImage(8, 6, QImage.Format.Format_RGB32)
    return LoadOutcome(key, Path(key), image=image, levels=[level], thumb=level)


def test_opening_a_folder_adds_its_photos_once_selects_the_first_and_reads_only_that_one(opening, tmp_path):
    a, b = photos_in(tmp_path / "trip", "b.jpg", "a.png")[::-1]
    photos_in(tmp_path / "trip", "notes.txt")
    assert opening.opener.open_paths([tmp_path / "trip"]) == 2
    assert [p.path for p in opening.session] == [a, b], "a folder's photos, sorted; other files left out"
    assert opening.session.current_key == photo_key(a)
    assert opening.files.loads == [photo_key(a)], "the selected photo is read, the other only when selected"
    assert opening.files.thumbnails == [photo_key(a), photo_key(b)]
    assert opening.settings.folder("open") == str(tmp_path / "trip")
    assert opening.opener.open_paths([b]) == 0, "open already: selected, not added again"
    assert opening.session.current_key == photo_key(b) and len(list(opening.session)) == 2
    assert [e.kind for e in opening.events] == ["added", "added", "selected", "selected"]
    assert opening.files.loads == [photo_key(a), photo_key(b)]
    opening.session.select(photo_key(a))
    assert opening.files.loads == [photo_key(a), photo_key(b)], "a photo being read is not read twice"


def test_a_photo_that_cannot_be_read_is_closed_forgotten_and_named_in_one_line(opening, tmp_path):
    (broken,) = photos_in(tmp_path, "broken.jpg")
    opening.settings.add_recent(broken)
    opening.opener.open_paths([broken])
    key = photo_key(broken)
    opening.opener.take_loaded(loaded(key, error=f"{broken}: not an image file"))
    assert key not in opening.session and opening.events[-1] == SessionEvent("removed", key)
    assert opening.prompts.errors == [f"{broken}: not an image file"]
    assert str(broken) not in opening.settings.recent_files()
    assert opening.window.messages[-1] == "Could not open broken.jpg"


@pytest.fixture
def english(window_language):
    """The window's English translation: its plural forms ("3 photos", not "3 photo(s)")."""
    window_language("en")


def test_several_unreadable_photos_are_named_in_one_dialog_and_the_readable_ones_stay_open(opening, tmp_path,
                                                                                             english):
    """Opening several broken files stacked one modal dialog per file; now one lists them all, once the
    thumbnails' checks (tasks.FileTasks: a file no preview was made of is read) and the reads have come back."""
    bad1, bad2, good, bad3 = photos_in(tmp_path, "bad1.jpg", "bad2.png", "good.jpg", "bad3.tif")
    assert opening.opener.open_paths([bad1, bad2, good, bad3]) == 4
    keys = [photo_key(p) for p in (bad1, bad2, good, bad3)]
    assert opening.files.thumbnails == keys and opening.files.loads == [keys[0]]
    refused = {key: loaded(key, error=f"{key}: not an image file") for key in (keys[0], keys[1], keys[3])}
    for key in keys[:3]:
        opening.opener.take_previewed(key, refused.get(key))
        assert not opening.prompts.errors, "no dialog while other photos are still being checked"
    assert [p.key for p in opening.session] == [keys[2], keys[3]], "a refused photo leaves the filmstrip at once"
    opening.opener.take_loaded(refused[keys[0]])  # the first one's read, asked for before its check came back
    assert not opening.prompts.errors
    opening.opener.take_previewed(keys[3], refused[keys[3]])
    assert len(opening.prompts.errors) == 1, opening.prompts.errors
    text = opening.prompts.errors[0]
    assert text.splitlines() == ["3 photos could not be opened:", *(f"• {k}: not an image file" for k in (keys[0], keys[1], keys[3]))]
    assert [p.key for p in opening.session] == [keys[2]]
    assert opening.window.messages[-1] == "Could not open 3 photos"


def test_reads_that_fail_one_after_another_end_in_one_dialog(opening, tmp_path):
    """Photos whose thumbnail was made but whose read fails: removing one selects the next (as the filmstrip
    does), whose read fails too; the dialog comes when a read succeeds, naming both."""
    bad1, bad2, good = photos_in(tmp_path, "bad1.jpg", "bad2.jpg", "good.jpg")
    opening.session.observe(lambda event: event.kind == "removed" and opening.session.select(
        next((p.key for p in opening.session), None)))  # the filmstrip's neighbour becomes current
    opening.opener.open_paths([bad1, bad2, good])
    keys = [photo_key(p) for p in (bad1, bad2, good)]
    for key in keys:
        opening.opener.take_previewed(key, None)
    for key in keys[:2]:
        opening.opener.take_loaded(loaded(key, error=f"{key}: file is truncated or damaged"))
        assert not opening.prompts.errors
    assert opening.files.loads == keys
    opening.opener.take_loaded(loaded(keys[2]))
    assert len(opening.prompts.errors) == 1 and opening.prompts.errors[0].count("truncated") == 2
    assert [p.key for p in opening.session] == [keys[2]] and opening.session.get(keys[2]).loaded


def test_a_long_list_of_unopened_photos_names_the_first_ten_and_the_rest_in_the_details(opening, tmp_path, english):
    paths = photos_in(tmp_path, *(f"bad{i:02d}.jpg" for i in range(14)))
    opening.opener.open_paths(paths)
    seen = []
    opening.prompts.error = lambda title, reason, details="": seen.append((title, reason, details))
    for path in paths:
        opening.opener.take_previewed(photo_key(path), loaded(photo_key(path), error=f"{path}: not an image file"))
    ((title, text, details),) = seen
    assert title == "Cannot Open Photos"
    assert len(text.splitlines()) == 12 and text.splitlines()[-1] == "… and 4 more (Show Details…)"
    assert all(f"{path}: not an image file" in details for path in paths)


def test_a_read_photo_tells_the_views_and_a_large_one_on_the_cpu_suggests_a_preview(opening, tmp_path, qtbot):
    small, large = photos_in(tmp_path, "small.jpg", "large.jpg")
    opening.opener.open_paths([small, large])
    with qtbot.waitSignal(opening.opener.photo_loaded) as signal:
        opening.opener.take_loaded(loaded(photo_key(small)))
    assert signal.args == [photo_key(small)]
    photo = opening.session.get(photo_key(small))
    assert photo.loaded and not photo.loading and photo.original is not None
    assert opening.events[-1] == SessionEvent("loaded", photo_key(small))
    assert opening.window.messages[-1] == "Opened small.jpg" and opening.window.thumbnails == [photo_key(small)]
    assert opening.settings.recent_files()[0] == str(small)
    opening.opener.take_loaded(loaded(photo_key(large), 3000, 2000))
    assert "6 MP on the CPU: try Preview" in opening.window.messages[-1]
    opening.window.on_cpu = False
    opening.opener.take_loaded(loaded(photo_key(large), 3000, 2000))
    assert opening.window.messages[-1] == "Opened large.jpg", "on a GPU a whole run is quick"


def test_a_late_thumbnail_never_covers_the_read_photo_and_a_closed_photos_outcome_is_dropped(opening, tmp_path):
    (path,) = photos_in(tmp_path, "a.jpg")
    opening.opener.open_paths([path])
    key = photo_key(path)
    opening.opener.take_thumbnail(key, QImage(4, 4, QImage.Format.Format_RGB32))
    opening.opener.take_loaded(loaded(key))
    opening.opener.take_thumbnail(key, QImage(4, 4, QImage.Format.Format_RGB32))
    assert opening.window.thumbnails == [key, key], "the quick thumbnail, then the read photo's; not the late one"
    opening.session.remove(key)
    events = len(opening.events)
    opening.opener.take_loaded(loaded(key))
    assert len(opening.events) == events and key not in opening.session


def test_closing_an_unsaved_result_asks_first(opening, tmp_path):
    (path,) = photos_in(tmp_path, "a.jpg")
    opening.opener.open_paths([path])
    key = photo_key(path)
    opening.session.take_outcome(key, SimpleNamespace(preview=False), 1.0)
    opening.prompts.confirms = [False, True]
    opening.opener.close_current()
    assert key in opening.session, "declined: nothing changes"
    opening.opener.close_current()
    assert key not in opening.session
    assert opening.prompts.asked == ["Close Photo", "Close Photo"]
    opening.opener.close_current()  # nothing selected: nothing to close
    assert opening.prompts.asked == ["Close Photo", "Close Photo"]


@pytest.fixture
def saving(qapp, tmp_path):
    session, window, files, prompts = PhotoSession(), Window(), Files(), Prompts()
    events: list[SessionEvent] = []
    session.observe(events.append)
    saver = PhotoSaver(session, window, files, prompts)
    originals = photos_in(tmp_path / "photos", "a.jpg", "b.png")
    for path in originals:
        session.add(Photo(str(path), path, image=SimpleNamespace(bit_depth=8, jpeg=None)))
        session.take_outcome(str(path), SimpleNamespace(preview=False, has_scales=True), 0.6)  # MIMO-UNet's
    session.select(str(originals[0]))
    return SimpleNamespace(session=session, window=window, files=files, prompts=prompts, events=events,
                           saver=saver, originals=originals)


def test_save_writes_the_result_at_its_strength_beside_the_original_and_records_it(saving):
    a = saving.originals[0]
    saving.saver.save()
    ((key, choice, strength),) = saving.files.saves
    assert (key, choice.path, strength) == (str(a), default_output(a), 0.6)
    assert not choice.overwrite and not choice.save_scales
    assert saving.session.get(str(a)).unsaved, "unsaved until the file is written"
    saving.saver.take_saved(SaveOutcome(str(a), [choice.path], strength=0.6))
    photo = saving.session.get(str(a))
    assert not photo.unsaved and photo.saved_path == choice.path
    assert saving.events[-1] == SessionEvent("saved", str(a))
    assert saving.window.messages[-1] == f"Saved {choice.path.name}"


def test_an_original_is_never_a_save_target_and_an_existing_file_is_replaced_only_when_confirmed(saving, tmp_path):
    a, b = saving.originals
    photo = saving.session.get(str(a))
    assert not saving.saver.save_photo(photo, SaveChoice(b)), "another open photo's original"
    assert saving.prompts.errors and saving.files.saves == [] and saving.prompts.asked == [], "refused, not asked"
    existing = tmp_path / "photos" / "taken.png"
    existing.write_bytes(b"someone's file")
    saving.prompts.confirms = [False, True]
    assert not saving.saver.save_photo(photo, SaveChoice(existing)) and saving.files.saves == []
    assert saving.saver.save_photo(photo, SaveChoice(existing))
    assert saving.prompts.asked == ["Replace Files?", "Replace Files?"]
    assert saving.files.saves[0][1].overwrite


def test_save_as_returns_to_the_dialog_after_a_declined_replace_and_remembers_the_choice(saving, tmp_path):
    a = saving.originals[0]
    taken = tmp_path / "photos" / "taken.png"
    taken.write_bytes(b"someone's file")
    fresh = tmp_path / "photos" / "fresh.tif"
    saving.prompts.confirms = [False]
    saving.prompts.save_choices = [SaveChoice(taken), SaveChoice(fresh, 16)]
    saving.saver.save_as()
    assert saving.prompts.asked == [f"Save As {default_output(a).name}", "Replace Files?", "Save As taken.png"]
    assert [(c.path, c.bit_depth) for _k, c, _s in saving.files.saves] == [(fresh, 16)]
    assert saving.session.get(str(a)).save_target == fresh
    saving.saver.save()
    assert saving.files.saves[-1][1].path == fresh and saving.files.saves[-1][1].bit_depth is None, \
        "Save goes where Save As last put the photo; Save As's bit depth was for that save only"
    saving.prompts.save_choices = [None]
    saving.saver.save_as()  # cancelled
    assert len(saving.files.saves) == 2


def test_save_as_offers_the_half_and_quarter_outputs_only_for_a_result_that_has_them(saving):
    """A NAFNet or FFTformer result has no ½ and ¼ outputs: Save As offered them anyway, and the save failed
    once the dialog had closed. The dialog is told, and its checkbox is off and disabled."""
    from deblur_app.gui.save_dialog import SaveDialog

    a = saving.originals[0]
    saving.prompts.save_choices = [None, None]
    saving.saver.save_as()
    saving.session.take_outcome(str(a), SimpleNamespace(preview=False, has_scales=False), 0.6)  # NAFNet's
    saving.saver.save_as()
    name = default_output(a).name
    assert saving.prompts.asked == [f"Save As {name}", f"Save As {name} (no scales)"]
    for scales in (True, False):
        dialog = SaveDialog(default_output(a), 8, False, scales=scales)
        assert dialog.scales_check.isEnabled() == scales and not dialog.choice().save_scales
        dialog.deleteLater()


def test_a_result_says_once_whether_it_has_the_half_and_quarter_outputs(qapp):
    """Save As asked the result's half/quarter arrays and the Scales action its scale images: two answers for one
    question. DeblurOutcome.has_scales is the one, and a re-blend at another strength keeps it."""
    import numpy as np

    from deblur_app.gui.outcomes import RunFacts, compose_outcome, reblend

    pixels = np.full((16, 24, 3), 0.5, np.float32)
    facts = RunFacts(seconds=1.0, tiles=1, passes=1, device="cpu", precision="float32", model_name="m")
    mimo = compose_outcome("a", pixels, None, pixels, pixels[::2, ::2], pixels[::4, ::4], 1.0, facts)
    nafnet = compose_outcome("a", pixels, None, pixels, None, None, 1.0, facts)
    assert mimo.has_scales and mimo.scales and not nafnet.has_scales and not nafnet.scales
    assert reblend(mimo, pixels, 0.5).has_scales and not reblend(nafnet, pixels, 0.5).has_scales


def test_save_all_before_quitting_closes_once_every_file_is_written_and_stays_open_on_a_failure(saving):
    a, b = saving.originals
    saving.saver.save_all_then_close()
    assert sorted(k for k, _c, _s in saving.files.saves) == sorted([str(a), str(b)])
    saving.saver.take_saved(SaveOutcome(str(a), [default_output(a)], strength=0.6))
    assert saving.window.closed == 0, "one file still being written"
    saving.saver.take_saved(SaveOutcome(str(b), [default_output(b)], strength=0.6))
    assert saving.window.closed == 1 and saving.session.unsaved() == []
    saving.session.take_outcome(str(a), SimpleNamespace(preview=False), 0.6)
    saving.session.take_outcome(str(b), SimpleNamespace(preview=False), 0.6)
    saving.saver.save_all_then_close()
    saving.saver.take_saved(SaveOutcome(str(a), [], error="disk full"))
    saving.saver.take_saved(SaveOutcome(str(b), [default_output(b)], strength=0.6))
    assert saving.window.closed == 1 and saving.prompts.errors == ["disk full"], "the user sees what was not saved"


def test_no_result_nothing_to_save(saving):
    a = saving.originals[0]
    saving.session.add(Photo("new", a.with_name("new.jpg")))
    saving.session.select("new")
    saving.saver.save()
    saving.saver.save_as()
    assert saving.files.saves == [] and saving.prompts.asked == []


class Runs(QObject):
    """The run controller as the display reads it: no run under way."""

    partial = Signal(object)
    ticked = Signal(str)
    ended = Signal(str, str)
    running = False

    def running_for(self, key: str) -> bool:
        return False

    def partial_for(self, key: str):
        return None

    def progress_text(self) -> str:
        return ""


def test_the_views_title_size_and_strength_follow_the_selected_photo_through_the_session(qtbot, tmp_path):
    session, runs = PhotoSession(), Runs()
    window, viewers, panel, status = QMainWindow(), Viewers(), SidePanel(), WindowStatusBar()
    qtbot.addWidget(window)
    PhotoDisplay(session, window, viewers, panel, status, runs, default_strength=lambda: 0.8)
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    session.add(Photo("a", a))
    session.add(Photo("b", b, strength=0.3))
    session.select("a")
    assert viewers.compare.right.message == "Opening a.jpg…" and window.windowTitle() == "Deblur[*]"
    assert panel.strength_spin.value() == 80, "no result yet: the strength its result will get"
    photo = session.get("a")
    photo.original = Layer(pixmaps([QImage(8, 6, QImage.Format.Format_RGB32)]))
    session.take_image("a", SimpleNamespace(width=8, height=6, bit_depth=16))
    assert window.windowTitle() == "a.jpg[*] — Deblur" and status.size_label.text().startswith("8 × 6")
    assert panel.result_label.text() == "No result yet"
    session.select("b")
    assert panel.strength_spin.value() == 30 and status.size_label.text() == "", "b's own strength, not read yet"
    session.select("a")
    runs.ticked.emit("3 s elapsed")
    assert status.elapsed_label.text() == "3 s elapsed"
    session.note_run("b", "Last run 9.0 s")
    assert status.elapsed_label.text() == "3 s elapsed", "another photo's note waits until it is selected"
    session.note_run("a", "Last run 3.2 s")
    assert status.elapsed_label.text() == "Last run 3.2 s"
    session.select("b")
    assert status.elapsed_label.text() == "Last run 9.0 s"
    session.select("a")
    session.remove("a")
    assert window.windowTitle() == "Deblur[*]" and status.size_label.text() == "" and session.current() is None


def test_a_folder_scan_lists_scored_photos_through_the_session_without_reading_them(qtbot, tmp_path, settings):
    sharp = scene(96, 128, seed=7, shapes=20)
    imagefiles.save_image(tmp_path / "a_sharp.png", sharp / 255)
    imagefiles.save_image(tmp_path / "b_shaken.png", blurred(sharp, horizontal_shake(13)) / 255)

    class ScanWindow(Window):
        changes = 0
        batch = SimpleNamespace(asked=[], only_blurred=lambda folder, threshold: ScanWindow.batch.asked.append(folder))

        def scan_changed(self) -> None:
            ScanWindow.changes += 1

        def show_batch(self):
            return self.batch

    session, window, files, strip = PhotoSession(), ScanWindow(), Files(), Filmstrip()
    qtbot.addWidget(strip)
    strip.follow(session)
    scanner = FolderScanner(session, window, strip, settings, files, Prompts())
    scanner.processes = 1
    scanner.start(tmp_path)
    assert scanner.start(tmp_path) is None, "one scan at a time"
    qtbot.waitUntil(lambda: scanner.thread is None, timeout=60_000)
    keys = [str((tmp_path / name).resolve()) for name in ("a_sharp.png", "b_shaken.png")]
    assert sorted(p.key for p in session) == keys and files.loads == [], "listed, not read"
    assert [strip.item(row).data(BLUR_ROLE)[1] for row in range(2)] == \
        [scanner.blur_scores[strip.item(row).data(KEY_ROLE)][1] for row in range(2)]
    verdicts = {Path(k).name: v for k, (_s, v) in scanner.blur_scores.items()}
    assert verdicts["a_sharp.png"] == "sharp" and verdicts["b_shaken.png"] != "sharp"
    assert window.changes == 2 and window.messages[-1].startswith("Scanned 2 photos")
    scanner.show_only_blurred(True)
    assert [strip.isRowHidden(row) for row in range(2)] == [Path(strip.item(r).data(KEY_ROLE)).name == "a_sharp.png"
                                                            for r in range(2)]
    scanner.select_blurred()
    assert session.current_key == keys[1], "the first blurred photo is selected in the session too"
    scanner.batch_blurred()
    assert ScanWindow.batch.asked == [tmp_path]


@dataclass
class Blender:
    """The re-blending pool: records what it is asked; the test hands back the blends."""

    asked: list[tuple[object, float]] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)

    def request(self, outcome, photo_pixels, strength: float) -> int:
        self.asked.append((outcome, strength))
        return len(self.asked)

    def forget(self, photo_key: str) -> None:
        self.forgotten.append(photo_key)


def test_the_strength_control_sets_the_selected_photos_strength_and_reblends_once_it_rests(qtbot, settings):
    session, window, blender = PhotoSession(), Window(), Blender()
    strength = StrengthControl(session, window, settings, blender)
    strength.choose(70)
    assert settings.strength == 70 and strength.remembered() == 0.7 and blender.asked == [], "no photo: remembered"
    photo = Photo("a", Path("/photos/a.jpg"), image=SimpleNamespace(pixels="pixels", grayscale=False))
    photo.original = object()
    session.add(photo)
    session.select("a")
    result = SimpleNamespace(preview=False, strength=0.7, full="full", photo_key="a")
    session.take_outcome("a", result, strength.remembered())
    strength.choose(40)
    strength.choose(30)
    assert photo.strength == 0.3 and photo.unsaved
    qtbot.waitUntil(lambda: bool(blender.asked), timeout=2000)
    qtbot.wait(200)
    assert blender.asked == [(result, 0.3)], "one blend once the control rests, at the last value"
    strength.take_blend(SimpleNamespace(preview=False, strength=0.4, full="full", photo_key="a"))
    assert photo.result is result, "a blend for a strength the photo has left is dropped"
    blend = SimpleNamespace(preview=False, strength=0.3, full="full", photo_key="a")
    with qtbot.waitSignal(strength.reblended):
        strength.take_blend(blend)
    assert photo.result is blend and window.messages[-1] == "Showing 30 % of the correction"
    strength.reblend_if_needed(photo)
    assert len(blender.asked) == 1, "shown at its strength already: no blend"
    session.remove("a")
    assert blender.forgotten == ["a"], "a closed photo's blends are not waited for"


def test_a_strength_moved_just_before_another_photo_is_selected_is_shown_on_the_photo_it_was_moved_for(qtbot, settings):
    """Typing 40, Enter and Alt+Down at once: the control rested after the next photo was selected, and the blend
    was asked for that one; the first stayed shown at 100 % while its Strength said 40 % and Save wrote 40 %."""
    session, window, blender = PhotoSession(), Window(), Blender()
    strength = StrengthControl(session, window, settings, blender)
    results = {}
    for key in ("a", "b"):
        photo = Photo(key, Path(f"/photos/{key}.jpg"), image=SimpleNamespace(pixels="pixels", grayscale=False))
        photo.original = object()
        session.add(photo)
        results[key] = SimpleNamespace(preview=False, strength=1.0, full=f"full {key}", photo_key=key)
        session.take_outcome(key, results[key], 1.0)
    session.select("a")
    strength.choose(40)
    session.select("b")  # before the control rests
    qtbot.waitUntil(lambda: bool(blender.asked), timeout=2000)
    assert blender.asked == [(results["a"], 0.4)], "the photo whose strength moved is re-shown at it"


class Engine(QObject):
    """The worker client (client.EngineClient) as the run controller uses it: records what it is asked."""

    progress = Signal(int, int, int, str)
    info_ready = Signal(object)
    partial = Signal(int, object)
    finished = Signal(int, object)
    failed = Signal(int, str, str)
    cancelled = Signal(int)
    preparation_changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.requests, self.cancels = [], 0
        self.busy_kind = ""
        self.preparation_kind, self.preparation_started = "", None  # the worker prepares nothing
        self.loaded_model = None  # no model loaded: the estimates count the photo's own pixels

    def submit(self, request) -> int:
        self.requests.append(request)
        return len(self.requests)

    def cancel(self) -> None:
        self.cancels += 1


@dataclass
class RunWindow:
    """The window, the side panel, the status bar and the display as the run commands see them."""

    visible: tuple[int, int, int, int] | None = None
    settings: RunSettings = field(default_factory=RunSettings)
    messages: list[str] = field(default_factory=list)
    refreshed: list[str | None] = field(default_factory=list)
    updates: int = 0

    def update_actions(self) -> None:
        self.updates += 1

    def visible_region_at_actual_size(self):
        return self.visible

    def run_settings(self) -> RunSettings:
        return self.settings

    def showMessage(self, text: str, timeout: int = 0) -> None:
        self.messages.append(text)

    def show_starting(self) -> None:
        pass

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.messages.append(text)

    def refresh(self, key: str | None = None) -> None:
        self.refreshed.append(key)


def outcome_of(request, seconds: float = 2.0) -> DeblurOutcome:
    full = request.pixels.astype("float32") / 255
    return DeblurOutcome(request.photo_key, request.region, full, None, None, [], [], 0.0, {},
                         RunFacts(seconds, 1, 1, "cpu", "fp32", "MIMO-UNet"), strength=request.settings.strength)


@pytest.fixture
def running(qapp, settings):
    import numpy as np

    session, window, engine, prompts = PhotoSession(), RunWindow(), Engine(), Prompts()
    runs = RunTracker(engine)
    strength = StrengthControl(session, window, settings, Blender())
    commands = RunCommands(session, window, runs, window, strength, window, window, prompts)
    photo = Photo("a", Path("/photos/a.jpg"), image=SimpleNamespace(pixels=np.zeros((60, 80, 3), np.uint8),
                                                                    width=80, height=60, grayscale=False))
    photo.original = object()
    session.add(photo)
    session.select("a")
    return SimpleNamespace(session=session, window=window, engine=engine, prompts=prompts, runs=runs,
                           commands=commands, photo=photo, settings=settings, strength=strength)


def test_deblur_runs_the_selected_photo_at_the_strength_chosen_last_and_the_session_takes_its_result(running, qtbot):
    running.settings.strength = 60
    running.commands.deblur()
    (request,) = running.engine.requests
    assert request.photo_key == "a" and request.region is None and request.settings.strength == 0.6
    assert running.commands.running and running.window.messages[-1] == "Deblurring a.jpg with MIMO-UNet…"
    outcome = outcome_of(request)
    with qtbot.waitSignal(running.commands.finished) as finished:
        running.engine.finished.emit(1, outcome)
    assert finished.args == [outcome] and not running.commands.running
    assert running.photo.result is outcome and running.photo.strength == 0.6 and running.photo.unsaved
    assert running.photo.run_note == "Last run 2.0 s", "how the run ended is the session's, for the display"
    assert running.window.messages[-1] == "Deblurred a.jpg in 2.0 s (1 tile(s) on CPU)", "the status bar's word"
    facts = dataclasses.replace(outcome.facts, backend="openvino")
    running.photo.result = dataclasses.replace(outcome, facts=facts)
    assert "MIMO-UNet on CPU (fp32, OpenVINO)" in running.photo.describe().splitlines(), "not 'on cpu (fp32, openvino)'"


def test_preview_runs_the_region_in_view_and_a_whole_photo_in_view_runs_it_whole(running):
    running.commands.preview()
    assert running.engine.requests == [], "no part of the photo in view: nothing to preview"
    running.window.visible = (0, 0, 80, 60)
    running.commands.preview()
    assert running.engine.requests[-1].region is None, "the whole photo is in view: a full run"
    running.window.visible = (10, 10, 20, 20)
    running.commands.preview()
    region = running.engine.requests[-1].region
    assert region is not None and region[2] < 80 and running.window.messages[-1].startswith("Previewing a.jpg")


def test_cancel_keeps_the_previous_result_a_late_result_is_dropped_and_a_failure_is_told_once(running):
    running.commands.deblur()
    first = outcome_of(running.engine.requests[0])
    running.engine.finished.emit(1, first)
    running.commands.deblur_or_cancel()  # not running: Deblur
    assert len(running.engine.requests) == 2 and running.commands.running
    running.commands.deblur_or_cancel()  # running: Cancel
    assert running.engine.cancels == 1 and running.window.messages[-1] == "Cancelling…"
    running.engine.cancelled.emit(2)
    running.engine.finished.emit(2, outcome_of(running.engine.requests[1]))  # too late: the run was cancelled
    assert running.photo.result is first and not running.commands.running
    assert running.window.messages[-1] == "Cancelled; the previous result is kept"
    assert running.photo.run_note.startswith("Cancelled after")
    running.commands.deblur()
    running.engine.failed.emit(3, "Out of memory", "details")
    assert running.prompts.errors == ["Out of memory"] and running.photo.result is first
    assert running.window.messages[-1] == "Deblurring failed" and running.photo.run_note.startswith("Failed after")


def test_closing_a_photo_while_it_runs_cancels_its_run_and_closing_another_does_not(running):
    running.session.add(Photo("b", Path("/photos/b.jpg")))
    running.session.remove("b")
    assert running.engine.cancels == 0, "no run: nothing to cancel"
    running.commands.deblur()
    running.session.add(Photo("b", Path("/photos/b.jpg")))
    running.session.remove("b")
    assert running.engine.cancels == 0 and running.commands.running, "another photo's run goes on"
    running.session.remove("a")  # however it is closed: Close, a photo that could not be read
    assert running.engine.cancels == 1 and running.window.messages[-1] == "Cancelling…"
    running.engine.cancelled.emit(1)
    assert not running.commands.running and running.window.messages[-1] == "Cancelled; no result yet"


def test_a_changed_setting_restarts_the_run_with_it_on_the_same_photo_and_region(running):
    running.window.visible = (10, 10, 20, 20)
    running.commands.preview()
    region = running.engine.requests[-1].region
    running.session.add(Photo("b", Path("/photos/b.jpg")))
    running.session.select("b")
    running.window.settings = RunSettings(ensemble=True)
    running.commands.restart()
    restarted = running.engine.requests[-1]
    assert len(running.engine.requests) == 2 and restarted.photo_key == "a" and restarted.region == region
    assert restarted.settings.ensemble and running.runs.running_for("a")


@dataclass
class CompareHost(RunWindow):
    """The window and the side panel as Compare Networks sees them (ComparingWindow, CompareOptions)."""

    engine_info: EngineInfo | None = None
    chosen: list[str] = field(default_factory=list)

    def show_message(self, text: str, timeout_ms: int = 0) -> None:
        self.messages.append(text)

    def choose_network(self, variant: str) -> None:
        self.chosen.append(variant)


def shown_outcome(request) -> DeblurOutcome:
    """A result with a picture to show, as a pane shows it."""
    import dataclasses

    return dataclasses.replace(outcome_of(request), display_levels=[QImage(80, 60, QImage.Format.Format_RGB32)])


def test_compare_runs_two_installed_networks_one_after_the_other_and_keep_makes_one_the_result(running, qtbot):
    from PySide6.QtWidgets import QWidget

    weights = {key: WeightsInfo(key, key, Path(f"/weights/{key}.pth"), "", "") for key in ("mimo-unet", "nafnet-64")}
    host = CompareHost(engine_info=EngineInfo("1", "2", ["cpu"], "cpu", weights))
    parent = QWidget()
    qtbot.addWidget(parent)
    running.photo.original = Layer(pixmaps([QImage(80, 60, QImage.Format.Format_RGB32)]))
    running.photo.image.bit_depth = 8
    comparer = CompareNetworks(running.session, host, running.engine, running.runs, running.strength, host, parent)
    assert comparer.action in parent.actions()
    dialog = comparer.show()
    assert dialog.networks() == ("mimo-unet", "nafnet-64"), "the side panel's network against another installed one"
    comparer.compare()
    assert [r.settings.variant for r in running.engine.requests] == ["mimo-unet"], "one network at a time"
    assert host.messages[-1] == "Comparing MIMO-UNet and NAFNet-64 on a.jpg…"
    running.engine.finished.emit(1, shown_outcome(running.engine.requests[0]))
    assert [r.settings.variant for r in running.engine.requests] == ["mimo-unet", "nafnet-64"]
    second = shown_outcome(running.engine.requests[1])
    running.engine.finished.emit(2, second)
    assert running.photo.comparison.done and not comparer.running and running.photo.result is None
    comparer.keep(1)
    assert running.photo.result is second and host.chosen == ["nafnet-64"], "Save writes what the pane showed"
    assert host.messages[-1] == "Kept NAFNet-64's result for a.jpg; Save writes it"


def test_compare_takes_the_photos_own_result_of_network_a_instead_of_running_it_again(running, qtbot):
    """A photo deblurred with MIMO-UNet and compared against NAFNet-64 with the same settings runs NAFNet-64 only:
    side A is the photo's result (at the comparison's strength); another setting (self-ensemble) runs both."""
    import numpy as np
    from PySide6.QtWidgets import QWidget

    weights = {key: WeightsInfo(key, key, Path(f"/weights/{key}.pth"), "", "") for key in ("mimo-unet", "nafnet-64")}
    host = CompareHost(engine_info=EngineInfo("1", "2", ["cpu"], "cpu", weights))
    parent = QWidget()
    qtbot.addWidget(parent)
    photo = running.photo
    photo.original = Layer(pixmaps([QImage(80, 60, QImage.Format.Format_RGB32)]))
    photo.image.bit_depth = 8
    photo.image.pixels = np.full((60, 80, 3), 0.5, np.float32)
    run_settings = host.run_settings()
    assert run_settings.variant == "mimo-unet"
    made = shown_outcome(SimpleNamespace(photo_key="a", region=None, pixels=photo.image.pixels * 255,
                                         settings=dataclasses.replace(run_settings, strength=1.0)))
    made = dataclasses.replace(made, facts=dataclasses.replace(made.facts, settings=run_settings))
    running.session.take_outcome("a", made, 1.0)
    running.session.mark_saved("a", Path("/photos/a_deblurred.jpg"), 1.0, made)
    comparer = CompareNetworks(running.session, host, running.engine, running.runs, running.strength, host, parent)
    dialog = comparer.show()
    assert dialog.networks() == ("mimo-unet", "nafnet-64")
    # before Compare each pane says what it will do: it had said "Press Compare to run MIMO-UNet" here too
    assert dialog.panes[0].view.message.startswith("MIMO-UNet's result for this photo is ready")
    assert dialog.panes[1].view.message == "Press Compare to run NAFNet-64 on this photo"
    comparer.compare()
    assert [r.settings.variant for r in running.engine.requests] == ["nafnet-64"], "MIMO-UNet's result is the photo's"
    assert photo.comparison.outcomes[0] is made and photo.comparison.running == 1
    assert dialog.panes[0].view.caption == "MIMO-UNet — 2.0 s"
    assert not dialog.panes[0].keep_button.isEnabled(), "it is the photo's result already"
    running.engine.finished.emit(1, shown_outcome(running.engine.requests[0]))
    assert photo.comparison.done and not comparer.running
    comparer.keep(0)
    assert photo.result is made and not photo.unsaved, "keeping the photo's own result leaves its saved file saved"

    # the photo at another strength: the same result re-blended, not run again
    running.session.set_strength("a", 0.5)
    comparer.compare()
    assert len(running.engine.requests) == 2 and running.engine.requests[-1].settings.variant == "nafnet-64"
    side_a = photo.comparison.outcomes[0]
    assert side_a.full is made.full and side_a.strength == 0.5
    request = running.engine.requests[-1]
    nafnet = shown_outcome(request)
    nafnet = dataclasses.replace(nafnet, facts=dataclasses.replace(nafnet.facts, settings=request.settings))
    running.engine.finished.emit(2, nafnet)

    # both sides known (the last comparison's NAFNet-64, the photo's MIMO-UNet): nothing runs at all
    with qtbot.waitSignal(comparer.runs.ended, timeout=5000):
        comparer.compare()
    assert len(running.engine.requests) == 2 and photo.comparison.done and not comparer.running
    assert photo.comparison.outcomes[1] is nafnet

    # a self-ensemble result is another picture: both networks run
    ensemble = dataclasses.replace(run_settings, ensemble=True)
    photo.result = dataclasses.replace(made, facts=dataclasses.replace(made.facts, settings=ensemble))
    photo.comparison = None
    comparer.compare()
    assert [r.settings.variant for r in running.engine.requests[2:]] == ["mimo-unet"]


class BatchEngine(Engine):
    """The worker client as the batch dialog uses it."""

    batch_event = Signal(int, object)
    busy_changed = Signal(bool)
    info = None
    busy = False


def test_compare_and_the_batch_dialog_deleted_with_their_window_are_not_called_by_the_engine_after(running, qtbot):
    """The engine (the model thread's client) tells of new weights or of being busy after Compare and the batch dialog
    went with their window (closed, deleted): nothing is called on them. Lambdas connected to the engine were called
    on the deleted objects ("Internal C++ object (CompareNetworks) already deleted", raised in Qt's event loop)."""
    import shiboken6
    from PySide6.QtWidgets import QWidget

    from deblur_app.gui.batch_dialog import BatchDialog

    weights = {key: WeightsInfo(key, key, Path(f"/weights/{key}.pth"), "", "") for key in ("mimo-unet", "nafnet-64")}
    host = CompareHost(engine_info=EngineInfo("1", "2", ["cpu"], "cpu", weights))
    parent = QWidget()
    comparer = CompareNetworks(running.session, host, running.engine, running.runs, running.strength, host, parent)
    engine = BatchEngine()
    batch = BatchDialog(engine, running.settings, RunSettings(), parent)
    shiboken6.delete(parent)
    assert not shiboken6.isValid(comparer) and not shiboken6.isValid(batch)
    running.engine.info_ready.emit(host.engine_info)
    engine.info_ready.emit(host.engine_info)
    engine.busy_changed.emit(True)
    qtbot.wait(1)  # the deferred refresh, had one been asked for
