"""The one batch loop (jobs.iter_batch): checks before the model loads, one-line errors, bad files skipped past."""

import pathlib
from pathlib import Path

import numpy as np
import pytest

from deblur_app import imagefiles
from deblur_app.jobs import run as jobs
from deblur_app.engine.inference import DeblurResult
from deblur_app import __version__
from deblur_app.jobs.spec import BatchEvent, BatchJob, BatchLog, SaveOptions, batch_log_header, existing_output_rule


class CopyEngine:
    """Stands in for the network: returns the photo unchanged (the loop is under test, not the model)."""

    def __init__(self) -> None:
        self.runs = 0

    def run(self, pixels, progress=None, cancel=None, tile=None, ensemble=False):
        self.runs += 1
        h, w = pixels.shape[:2]
        return DeblurResult(pixels.copy(), pixels[::2, ::2].copy(), pixels[::4, ::4].copy())


def no_model():
    raise AssertionError("the model must not load")


@pytest.fixture
def folder(tmp_path, photo_like):
    source = tmp_path / "in"
    source.mkdir()
    for index in range(3):
        imagefiles.save_image(source / f"p{index}.png", photo_like(24, 32, index))
    return source


def locked(monkeypatch, folder: Path) -> None:
    """Make creating anything under ``folder`` fail as a read-only parent does (the tests may run as root)."""
    real_mkdir = pathlib.Path.mkdir

    def mkdir(self, *args, **kwargs):
        if folder in Path(self).parents:
            raise PermissionError(13, "Permission denied", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", mkdir)


def test_log_names_each_failed_file_once(tmp_path):
    source, target = tmp_path / "in" / "a.png", tmp_path / "a_deblurred.png"
    log = BatchLog(tmp_path, [])
    for reason in (f"{source}: file is empty (0 bytes)", f"{target}: already exists", "worker lost"):
        log(BatchEvent("failed", 0, 1, source, target, reason))
    log.close()
    assert log.written.read_text().splitlines() == [
        f"FAILED {source}: file is empty (0 bytes)",
        f"FAILED {target}: already exists",  # the output's problem names the output
        f"FAILED {source}: worker lost",  # a reason that names no file gets the photo's path
    ]


def test_the_logs_of_the_last_three_runs_stay_and_older_ones_go(tmp_path):
    """Issue 22: a new log per run piled up in the output folder."""
    import os

    for run in range(5):
        log = BatchLog(tmp_path, [f"run {run}"])
        log(BatchEvent("failed", 0, 1, tmp_path / "a.png", None, "broken"))
        log.close()
        os.utime(log.written, (1_000_000 + run, 1_000_000 + run))  # runs in order, whatever the clock's resolution
        assert log.written.read_text().splitlines()[0] == f"run {run}"  # its own log, even within one second
    kept = sorted(tmp_path.glob("deblur-batch-*.log"), key=lambda p: p.stat().st_mtime)
    assert [p.read_text().splitlines()[0] for p in kept] == ["run 2", "run 3", "run 4"]


def test_events_summary_and_log(folder, tmp_path):
    (folder / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    engine = CopyEngine()
    job = BatchJob(folder, tmp_path / "out", save=SaveOptions())
    log = BatchLog(job.output_dir, ["header"])
    progress = []
    events = []
    for event in jobs.iter_batch(job, lambda: engine, on_progress=progress.append):
        log(event)
        events.append(event)
    log.close()
    kinds = [e.kind for e in events]
    assert kinds[0] == "start" and events[0].total == 4 and kinds[-1] == "end"
    assert kinds.count("done") == 3 and kinds.count("failed") == 1, "a bad photo fails alone"
    summary = events[-1].summary
    assert (summary.done, summary.skipped, len(summary.failed)) == (3, 0, 1)
    assert summary.failed[0][0].name == "bad.png" and "\n" not in summary.failed[0][1]
    text = log.written.read_text()
    assert text.startswith("header\n4 photo(s)\n") and "FAILED" in text and "3 deblurred, 0 skipped, 1 failed" in text
    (failed_line,) = [line for line in text.splitlines() if line.startswith("FAILED")]
    assert failed_line.startswith(f"FAILED {folder / 'bad.png'}: ") and failed_line.count("bad.png") == 1, \
        "one path per line, like the CLI and the window"
    assert sorted(p.name for p in job.output_dir.glob("*.png")) == ["p0_deblurred.png", "p1_deblurred.png",
                                                                   "p2_deblurred.png"]

    # again: every output exists, so nothing needs the model (skip is the default)
    (folder / "bad.png").unlink()
    again = list(jobs.iter_batch(job, no_model))
    assert again[-1].summary.skipped == 3 and again[-1].summary.done == 0


def test_an_input_folder_that_is_not_there_or_a_file_is_said_as_such(folder, tmp_path):
    """The window's batch and the cluster's go through iter_batch: a missing folder (a typo, an unmounted disk) is
    "no such folder", a file "not a folder"; nothing is created and no model loads."""
    (tmp_path / "notes.txt").write_text("notes")
    for source, said in ((tmp_path / "missing", "no such folder"), (tmp_path / "notes.txt", "not a folder")):
        with pytest.raises(jobs.JobError) as raised:
            list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), no_model))
        assert str(raised.value) == f"{source}: {said}"
    assert not (tmp_path / "out").exists()


def test_the_output_folder_is_checked_before_the_model_loads(folder, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    events = jobs.iter_batch(BatchJob(folder, blocker / "out"), no_model)
    assert next(events).total == 3, "the photo count comes first"
    with pytest.raises(jobs.JobError, match="cannot create the output folder"):
        next(events)
    parent = tmp_path / "read-only"
    parent.mkdir()
    locked(monkeypatch, parent)
    events = jobs.iter_batch(BatchJob(folder, parent / "out"), no_model)
    next(events)
    with pytest.raises(jobs.JobError, match=r"out: cannot create the output folder \(permission denied\)"):
        next(events)


def test_cli_batch_into_an_uncreatable_folder_is_one_line_before_the_model(folder, tmp_path, monkeypatch, capsys):
    from deblur_app.cli.main import main

    parent = tmp_path / "read-only"
    parent.mkdir()
    locked(monkeypatch, parent)
    assert main(["batch", str(folder), str(parent / "out")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "using " not in err
    assert [line for line in err.splitlines() if line.strip()] == [
        f"deblur-app: {parent / 'out'}: cannot create the output folder (permission denied)"]


def test_cancel_between_photos_stops_without_partial_files(folder, tmp_path):
    class CancelAfterFirst:
        engine = CopyEngine()

        def is_set(self):
            return self.engine.runs >= 1

    token = CancelAfterFirst()
    events = list(jobs.iter_batch(BatchJob(folder, tmp_path / "out"), lambda: token.engine, cancel=token))
    summary = events[-1].summary
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    # The network finished photo 0 (the cancel comes with its run): its result is written and reported, whether the
    # batch saw the cancel before or after its write began (before, it was dropped: a loaded machine ran photo 0
    # before the caller's first check). Nothing after it runs, no temporary is left, and what is reported done is
    # exactly what is on disk.
    assert summary.cancelled and token.engine.runs == 1
    assert written == ["p0_deblurred.png"]
    assert summary.done == len(written)
    assert [event.kind for event in events if event.kind == "done"] == ["done"] * len(written)


def test_a_batch_removes_the_temporaries_a_killed_run_left_of_its_outputs_only(folder, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    ours = [out / ".p0_deblurred.png.tmp-0123abcd", out / ".p2_deblurred.png.tmp-4567cdef"]
    others = [out / ".holiday.png.tmp-89abcdef", out / ".p1_deblurred.png.swp", out / "p1_deblurred.png.tmp-1",
              folder / ".p0.png.tmp-0123abcd"]
    for path in ours + others:
        path.write_bytes(b"left behind")
    (out / "p1_deblurred.png").write_bytes(b"not ours to judge: skipped")
    events = list(jobs.iter_batch(BatchJob(folder, out), CopyEngine))
    assert events[-1].summary.done == 2 and events[-1].summary.skipped == 1
    assert not any(path.exists() for path in ours), "a rerun after a kill leaves a clean folder"
    assert all(path.read_bytes() == b"left behind" for path in others), "nothing but its own outputs' temporaries"


@pytest.mark.slow
def test_sigterm_stops_a_batch_as_ctrl_c_does(tmp_path, photo_like):
    """`timeout` or `kill` (SIGTERM) in the middle of `deblur-app batch`: the "stopped" line, Ctrl+C's exit status,
    whole outputs only and no temporary file left (Python's default ended the process at once, mid-encode too)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from deblur_app.model.checkpoints import save_checkpoint
    from deblur_app.model.mimo_unet import build_model

    if not hasattr(signal, "SIGTERM") or os.name != "posix":
        pytest.skip("POSIX signals only")
    weights = save_checkpoint(tmp_path / "mimo-unet.safetensors", build_model("mimo-unet"), {"trained_by": "test"})
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    count = 12
    for index in range(count):
        imagefiles.save_image(source / f"shot{index:02d}.png", photo_like(48, 64, index))
    command = [sys.executable, "-m", "deblur_app", "batch", str(source), str(out), "--weights", str(weights),
               "--device", "cpu", "--backend", "torch"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    batch = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 600
        while not list(out.glob("shot*_deblurred.png")):
            assert batch.poll() is None, batch.stderr.read()
            assert time.monotonic() < deadline, "the batch made no progress"
            time.sleep(0.02)
        batch.send_signal(signal.SIGTERM)
        said = batch.communicate(timeout=120)[1]
    finally:
        if batch.poll() is None:
            batch.kill()
    assert batch.returncode == 130, said
    assert "stopped" in said, said
    outputs = sorted(out.glob("shot*_deblurred.png"))
    assert 1 <= len(outputs) < count, said
    assert [p.name for p in out.iterdir() if ".tmp-" in p.name] == []
    for path in outputs:
        assert imagefiles.load_image(path).width == 64


def test_a_killed_batch_leaves_only_whole_outputs_and_the_rerun_completes_it(tmp_path, photo_like):
    """SIGKILL in the middle of `deblur-app batch`: every output that exists at any moment decodes, and
    the rerun with --skip-existing finishes the rest."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from deblur_app.model.checkpoints import save_checkpoint
    from deblur_app.model.mimo_unet import build_model

    if not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL on this platform")
    weights = save_checkpoint(tmp_path / "mimo-unet.safetensors", build_model("mimo-unet"), {"trained_by": "test"})
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    # small photos, few of them: the batch is killed after 3 of 12 and the rerun does the rest, in two processes
    # that each start Python and torch (96x128 and 16 photos took 3 minutes of a loaded 2-core CI run)
    count, height, width = 12, 48, 64
    for index in range(count):
        imagefiles.save_image(source / f"shot{index:02d}.png", photo_like(height, width, index))
    command = [sys.executable, "-m", "deblur_app", "batch", str(source), str(out), "--weights", str(weights),
               "--device", "cpu", "--backend", "torch"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}

    def outputs() -> list[Path]:
        return sorted(p for p in out.glob("*.png") if not p.name.startswith("."))

    checked: set[Path] = set()

    def check_new_outputs() -> None:
        for path in outputs():
            if path not in checked:
                assert imagefiles.load_image(path).width == width, f"{path} is not a whole image"
                checked.add(path)

    batch = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 600
        while len(outputs()) < 3:
            assert batch.poll() is None, batch.stderr.read().decode()
            assert time.monotonic() < deadline, "the batch made no progress"
            check_new_outputs()
            time.sleep(0.02)
        batch.send_signal(signal.SIGKILL)
        batch.wait(60)
    finally:
        if batch.poll() is None:
            batch.kill()
        batch.stderr.close()
    assert batch.returncode == -signal.SIGKILL
    check_new_outputs()
    done_before = len(outputs())
    assert 3 <= done_before < count, "killed in the middle"

    # what a kill in the middle of a write leaves (the kill above may or may not have hit one), and what is not ours
    (out / f".shot{count - 1:02d}_deblurred.png.tmp-0123abcd").write_bytes(b"half a PNG")
    (out / f".shot00_deblurred.png.tmp-4567cdef").write_bytes(b"half a PNG")
    (out / ".holiday.png.tmp-89abcdef").write_bytes(b"someone else's")
    rerun = subprocess.run([*command, "--skip-existing"], env=env, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{count - done_before} deblurred, {done_before} skipped, 0 failed" in rerun.stderr
    assert [p.name for p in outputs()] == [f"shot{i:02d}_deblurred.png" for i in range(count)]
    for path in outputs():
        assert imagefiles.load_image(path).width == width
    # what a kill during a write can leave is a hidden temporary file, never a file under an output's name
    assert all(p.name.startswith(".") and ".tmp-" in p.name for p in out.iterdir()
               if p.suffix != ".log" and p not in outputs())
    # ... and the rerun removes those of its own outputs, and nothing else
    assert [p.name for p in out.iterdir() if ".tmp-" in p.name] == [".holiday.png.tmp-89abcdef"]


def test_photos_that_cannot_run_are_reported_before_the_model_loads(folder, tmp_path):
    (folder / "z-empty.png").write_bytes(b"")  # after the good ones in the folder's order
    seen: list[str] = []

    def load():
        seen.append("model loads")
        return CopyEngine()

    for event in jobs.iter_batch(BatchJob(folder, tmp_path / "out"), load):
        seen.append(f"{event.kind} {event.path.name if event.path else ''}".strip())
    assert seen.index("failed z-empty.png") < seen.index("model loads") < seen.index("done p0.png")
    assert seen.count("model loads") == 1


def test_files_whose_header_refuses_them_are_reported_before_the_model_loads(folder, tmp_path, photo_like):
    """Not an image, HEIC without pillow-heif, over the megapixel limit: said from the header before the model
    loads, wherever the file comes in the batch (each had been found only when its turn came, after the model)."""
    (folder / "q-notes.jpg").write_text("not a photo")
    (folder / "r-phone.heic").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    imagefiles.save_image(folder / "s-large.png", photo_like(200, 300, 7))  # 0.06 MP over a 0.01 MP limit
    seen: list[str] = []

    def load():
        seen.append("model loads")
        return CopyEngine()

    reasons = {}
    for event in jobs.iter_batch(BatchJob(folder, tmp_path / "out", max_megapixels=0.01), load):
        seen.append(f"{event.kind} {event.path.name if event.path else ''}".strip())
        if event.kind == "failed":
            reasons[event.path.name] = str(event.reason)
    for name in ("q-notes.jpg", "r-phone.heic", "s-large.png"):
        assert seen.index(f"failed {name}") < seen.index("model loads"), seen
    assert "not an image file" in reasons["q-notes.jpg"]
    assert "exceeds the limit" in reasons["s-large.png"]
    if not imagefiles.heif_available():
        assert "pillow-heif" in reasons["r-phone.heic"]
    assert seen.count("done p0.png") == 1


def test_a_list_of_files_runs_through_the_same_loop(folder, tmp_path):
    """deblur FILE...: each photo to its own output; a missing output folder fails that photo alone, before the model loads."""
    pairs = [(folder / "p0.png", tmp_path / "p0-sharp.png"), (folder / "p1.png", tmp_path / "missing" / "p1.png")]
    seen: list[str] = []

    def load():
        seen.append("model loads")
        return CopyEngine()

    events = []
    for event in jobs.iter_batch(BatchJob.of_files(pairs, SaveOptions()), load):
        events.append(event)
        seen.append(event.kind)
    (failed,) = [e for e in events if e.kind == "failed"]
    assert failed.reason == f"{tmp_path / 'missing'}: no such folder"
    assert seen.index("failed") < seen.index("model loads")
    (done,) = [e for e in events if e.kind == "done"]
    assert done.facts.outputs == (tmp_path / "p0-sharp.png",) and (done.facts.width, done.facts.height) == (32, 24)
    assert done.facts.tiles == 1 and (tmp_path / "p0-sharp.png").is_file()
    assert events[-1].summary.log_path is None and not list(tmp_path.glob("*.log")), "a list of files keeps no log"
    # an existing output is refused (not skipped) unless the rule replaces it
    again = list(jobs.iter_batch(BatchJob.of_files(pairs[:1], SaveOptions()), no_model))
    assert [e.kind for e in again][1:3] == ["file", "failed"] and "--overwrite" in again[2].reason


def test_a_photo_named_twice_is_deblurred_once(folder, tmp_path, monkeypatch):
    """`deblur p0.png ./p0.png sub/../p0.png -o out/`: one photo, one output, deblurred once with no failure; its second
    naming failed as 'its output is also the output of' itself. Two names of one photo with two outputs keep both."""
    out = tmp_path / "out"
    out.mkdir()
    (folder / "sub").mkdir()
    (folder / "link.png").symlink_to(folder / "p0.png")
    monkeypatch.chdir(folder)
    pairs = [(folder / "p0.png", out / "p0.png"), (Path("p0.png"), out / "p0.png"),
             (folder / "sub" / ".." / "p0.png", out / "." / "p0.png"), (folder / "link.png", out / "link.png")]
    engine = CopyEngine()
    events = list(jobs.iter_batch(BatchJob.of_files(pairs, SaveOptions()), lambda: engine))
    summary = events[-1].summary
    assert [e.path for e in events if e.kind == "done"] == [folder / "p0.png", folder / "link.png"]
    assert (summary.total, summary.done, summary.failed) == (2, 2, [])
    assert engine.runs == 2 and sorted(p.name for p in out.iterdir()) == ["link.png", "p0.png"]


class OtherBatchEngine(CopyEngine):
    """Runs as CopyEngine while another batch into the same folder writes each photo's output meanwhile: its
    first run the output of the photo it runs (found at the save), and the next photo's (found before or after)."""

    def __init__(self, out: Path) -> None:
        super().__init__()
        self.out = out

    def run(self, pixels, progress=None, cancel=None, tile=None, ensemble=False):
        if self.runs == 0:
            for name in ("p0_deblurred.png", "p1_deblurred.png"):
                (self.out / name).write_bytes(b"the other batch's")
        return super().run(pixels, progress, cancel, tile, ensemble)


def test_an_output_another_batch_wrote_meanwhile_is_skipped(folder, tmp_path):
    """Two `deblur-app batch in out` at once: every output was made once, but each batch said FAILED '... already
    exists (use --overwrite to replace it)' of the other's and exited 1. Skipping existing outputs (the default), an
    output written since the batch was planned is skipped as one found at the start; nothing is written over it."""
    out = tmp_path / "out"
    out.mkdir()
    engine = OtherBatchEngine(out)
    events = list(jobs.iter_batch(BatchJob(folder, out), lambda: engine))
    summary = events[-1].summary
    skipped = {e.path.name: e.reason for e in events if e.kind == "skipped"}
    assert summary.failed == [] and (summary.done, summary.skipped) == (1, 2), summary
    assert skipped == {"p0.png": "p0_deblurred.png already exists", "p1.png": "p1_deblurred.png already exists"}
    assert (out / "p0_deblurred.png").read_bytes() == (out / "p1_deblurred.png").read_bytes() == b"the other batch's"
    assert imagefiles.load_image(out / "p2_deblurred.png").pixels.shape[:2] == (24, 32)
    # replacing existing outputs, the batch writes its own over them, as asked
    engine = OtherBatchEngine(out)
    job = BatchJob(folder, out, skip_existing=False, save=SaveOptions(overwrite=True))
    assert list(jobs.iter_batch(job, lambda: engine))[-1].summary.done == 3
    assert (out / "p0_deblurred.png").read_bytes() != b"the other batch's"


def test_the_batch_writes_its_own_log(folder, tmp_path):
    job = BatchJob(folder, tmp_path / "out", save=SaveOptions(strength=0.5))
    job.log_header = batch_log_header(job, "MIMO-UNet", "cpu")
    events = list(jobs.iter_batch(job, CopyEngine))
    log = events[-1].summary.log_path
    assert log is not None and log.parent == tmp_path / "out"
    lines = log.read_text().splitlines()
    assert lines[0] == f"deblur-app {__version__} batch: {folder} -> {tmp_path / 'out'}"
    assert lines[1] == "model MIMO-UNet, device cpu, strength 50 %, recursive False, names '{stem}_deblurred{ext}'"
    assert lines[2] == "3 photo(s)" and sum(line.startswith("OK ") for line in lines) == 3
    assert lines[-1].startswith("3 deblurred, 0 skipped, 0 failed")


def test_one_rule_for_existing_outputs():
    assert existing_output_rule("skip") == (True, False)
    assert existing_output_rule("replace") == (False, True)
    assert existing_output_rule("refuse") == (False, False)
    with pytest.raises(ValueError):
        existing_output_rule("ask")
