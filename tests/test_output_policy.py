"""The one output policy (naming.plan_outputs): an input is never an output, however it is spelled."""

import os
from pathlib import Path

import pytest

from deblur_app.jobs import run as jobs
from deblur_app.jobs.naming import plan_outputs

SPELLINGS = ["same", "dotdot", "relative", "symlink", "hardlink", "case"]


def case_insensitive(folder: Path) -> bool:
    probe = folder / "case-probe"
    probe.write_text("x")
    try:
        return (folder / "CASE-PROBE").exists()
    finally:
        probe.unlink()


def spelled(original: Path, how: str, monkeypatch) -> Path:
    """Another path that reaches ``original`` (for 'case', only on a case-insensitive disk)."""
    folder = original.parent
    if how == "same":
        return original
    if how == "dotdot":
        (folder / "sub").mkdir(exist_ok=True)
        return folder / "sub" / ".." / original.name
    if how == "relative":
        monkeypatch.chdir(folder)
        return Path(original.name)
    if how == "symlink":
        link = folder / "link-to-original.png"
        link.symlink_to(original)
        return link
    if how == "hardlink":
        link = folder / "hard-link.png"
        os.link(original, link)
        return link
    if how == "case":
        return original.with_name(original.name.upper())
    raise ValueError(how)


@pytest.mark.parametrize("how", SPELLINGS)
def test_an_input_is_refused_as_output_however_it_is_spelled(tmp_path, monkeypatch, how):
    original = tmp_path / "good.png"
    original.write_bytes(b"original")
    target = spelled(original, how, monkeypatch)
    (plan,) = plan_outputs([(original, target)])
    if how == "case" and not case_insensitive(tmp_path):
        # a case-sensitive disk: GOOD.PNG is another, absent file, which may be written
        assert plan.refusal == "" and plan.existing == ()
        return
    assert "is the input photo" in plan.refusal and "originals are never replaced" in plan.refusal
    assert plan.problem(overwrite=True) == plan.refusal, "no flag lets an original be replaced"
    with pytest.raises(jobs.JobError, match="is the input photo"):
        jobs.check_outputs(original, target, jobs.SaveOptions(overwrite=True))


def test_another_input_of_the_run_and_scale_outputs_are_protected(tmp_path):
    first, second = tmp_path / "a.png", tmp_path / "a_deblurred.png"
    for path in (first, second):
        path.write_bytes(b"original")
    plans = plan_outputs([(first, second), (second, tmp_path / "b.png")])
    assert f"is the input photo {second}" in plans[0].refusal and plans[1].refusal == ""
    half = tmp_path / "out_half.png"
    half.write_bytes(b"original")
    (plan,) = plan_outputs([(first, tmp_path / "out.png")], save_scales=True, inputs=[half])
    assert plan.paths == (tmp_path / "out.png", half, tmp_path / "out_quarter.png")
    assert plan.refusal.startswith(f"{half}: already exists and is the input photo")


def test_existing_outputs_are_reported_and_replaced_only_when_asked(tmp_path):
    source, target = tmp_path / "a.png", tmp_path / "a_deblurred.png"
    source.write_bytes(b"original")
    (plan,) = plan_outputs([(source, target)])
    assert plan.existing == () and plan.problem(overwrite=False) == ""
    target.write_bytes(b"old result")
    (plan,) = plan_outputs([(source, target)])
    assert plan.existing == (target,) and plan.refusal == ""
    assert plan.problem(overwrite=False) == f"{target}: already exists" and plan.problem(overwrite=True) == ""


def test_a_broken_symlink_where_the_output_goes_is_an_existing_output(tmp_path):
    """A symlink to nothing at the output's name passed the checks as no file; the photo was deblurred, then the
    save found the name taken ("already exists") and the run was lost; with --overwrite the link is replaced."""
    source, target = tmp_path / "a.png", tmp_path / "a_deblurred.png"
    source.write_bytes(b"original")
    target.symlink_to(tmp_path / "gone.png")
    (plan,) = plan_outputs([(source, target)])
    assert plan.existing == (target,) and plan.refusal == ""
    assert plan.problem(overwrite=False) == f"{target}: already exists" and plan.problem(overwrite=True) == ""
    with pytest.raises(jobs.JobError, match="already exists"):
        jobs.check_outputs(source, target, jobs.SaveOptions(overwrite=False))


def test_two_photos_of_one_run_never_share_an_output(tmp_path):
    out = tmp_path / "out" / "x.png"
    plans = plan_outputs([(tmp_path / "x.png", out), (tmp_path / "y" / "x.png", tmp_path / "out" / ".." / "out" / "x.png")])
    assert plans[0].refusal == ""
    # the photo left out, its output and the photo that gets it
    assert plans[1].refusal.startswith(f"{tmp_path / 'y' / 'x.png'}: its output ")
    assert f"is also the output of {tmp_path / 'x.png'}" in plans[1].refusal


def test_output_folder_problems_are_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(jobs.JobError, match="is a file, not a folder"):
        jobs.prepare_output_folder(blocker)
    with pytest.raises(jobs.JobError, match="cannot create the output folder"):
        jobs.prepare_output_folder(blocker / "below")
    assert jobs.input_problem(tmp_path / "missing.png").endswith("missing.png: file not found")
    assert jobs.input_problem(tmp_path) .endswith("is a folder, not an image file")


@pytest.mark.parametrize("template", ["../{name}", "/tmp/{name}", "a/{name}", "a\\{name}", "..", "."])
def test_an_output_name_is_a_file_name_never_a_path(tmp_path, template):
    """Every front end names outputs through naming.output_name: a template that would put them
    elsewhere than the output folder is refused there, for a folder's batch too."""
    from deblur_app.jobs.naming import NotAFileName, batch_candidates, output_name

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.png").write_bytes(b"")
    with pytest.raises(NotAFileName):
        output_name(Path("a.png"), template)
    with pytest.raises(NotAFileName):
        batch_candidates(tmp_path / "in", tmp_path / "out", False, template)
    assert output_name(Path("a.png"), "{stem}..{ext}") == "a...png"  # dots inside a name are a name


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_folder_s_pipe_or_device_is_left_out_with_its_reason_never_opened(tmp_path):
    """A batch or a scan of a folder names a pipe or a device among the photos (it once passed over it
    without a word) and never opens it; a broken symlink, which reaches nothing, is passed over."""
    from deblur_app import imagefiles
    from deblur_app.jobs.naming import batch_candidates

    folder = tmp_path / "in"
    folder.mkdir()
    imagefiles.save_image(folder / "a.png", __import__("numpy").zeros((4, 4, 3), "float32"))
    os.mkfifo(folder / "pipe.jpg")
    (folder / "zero.png").symlink_to("/dev/zero")
    (folder / "gone.jpg").symlink_to(tmp_path / "nothing-here.jpg")
    found = batch_candidates(folder, tmp_path / "out", False)
    assert [source.name for source, _ in found.pairs] == ["a.png"]
    assert [str(reason) for _, reason in found.left_out] == [
        f"{folder / name}: is a device, pipe or socket, not an image file" for name in ("pipe.jpg", "zero.png")]


def test_an_output_name_too_long_for_the_file_system_is_refused_before_any_work(tmp_path):
    """A 250-byte photo name plus "_deblurred" passed the 255-byte limit: the CLI loaded the model and
    deblurred the photo, then the final rename failed with "[Errno 36] File name too long" naming the input."""
    source = tmp_path / ("a" * 250 + ".jpg")
    source.write_bytes(b"not read here")
    long_target, fine_target = tmp_path / ("a" * 250 + "_deblurred.jpg"), tmp_path / "short.jpg"
    (too_long,), (fine,) = plan_outputs([(source, long_target)]), plan_outputs([(source, fine_target)])
    assert str(too_long.refusal) == (f"{long_target}: the name is 264 bytes long, more than the 255 its folder "
                                     "allows; choose a shorter output name")
    assert too_long.problem(overwrite=True) == too_long.refusal and not fine.refusal
    # the ½ and ¼ outputs' names are longer still
    (scales,) = plan_outputs([(source, tmp_path / ("b" * 250 + ".jpg"))], save_scales=True)
    assert "_half.jpg: the name is" in str(scales.refusal)
    # bytes, not characters: 100 Chinese characters are 300 bytes in UTF-8
    (chinese,) = plan_outputs([(source, tmp_path / ("照" * 100 + ".jpg"))])
    assert "the name is 304 bytes long" in str(chinese.refusal)


def test_the_cli_refuses_a_too_long_output_name_before_loading_a_model(tmp_path, capsys, monkeypatch):
    from deblur_app.cli.main import main

    source = tmp_path / ("a" * 250 + ".png")
    source.write_bytes(b"\x89PNG\r\n\x1a\n")  # never read: the output is refused first
    monkeypatch.setattr("deblur_app.jobs.open_engine", lambda *_a, **_k: pytest.fail("the model was loaded"))
    assert main(["deblur", str(source)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "_deblurred.png: the name is 264 bytes long" in err and "Errno" not in err, err


def test_a_device_pipe_or_folder_as_the_output_is_refused_whatever_the_flags(tmp_path, capsys, monkeypatch, photo_like):
    """`deblur a.jpg -o /dev/null --overwrite` wrote a temporary file in /dev and renamed it over /dev/null (as
    root: the device replaced by a JPEG). The policy refuses a device, a pipe or a folder as an output before the
    model loads, and the writer itself refuses them too. Only a pipe in tmp_path is ever handed to a writer here."""
    from deblur_app import imagefiles
    from deblur_app.cli.main import main

    source = tmp_path / "a.png"
    imagefiles.save_image(source, photo_like(16, 16))
    pipe, folder = tmp_path / "out.png", tmp_path / "a_deblurred.png"
    os.mkfifo(pipe)
    folder.mkdir()
    for target, said in [(Path("/dev/null"), "is a device, pipe or socket, not an image file"),
                         (pipe, "is a device, pipe or socket, not an image file"),
                         (folder, "is a folder; give a file name to save to")]:
        (plan,) = plan_outputs([(source, target)])
        assert str(plan.problem(overwrite=True)) == f"{target}: {said}"
    with pytest.raises(imagefiles.ImageFileError, match="is a device, pipe or socket"):
        imagefiles.save_image(pipe, photo_like(16, 16), overwrite=True)
    monkeypatch.setattr("deblur_app.jobs.open_engine", lambda *_a, **_k: pytest.fail("the model was loaded"))
    assert main(["deblur", str(source), "-o", str(pipe), "--overwrite"]) == 1
    assert f"{pipe}: is a device, pipe or socket" in capsys.readouterr().err
    assert pipe.is_fifo() and not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_the_policy_and_the_writer_refuse_a_folder_or_a_pipe_in_the_same_words(tmp_path, photo_like):
    """One decision, one wording: the policy called a folder given as the output "a folder, not an image file"
    (the reading's words) while the writer said "give a file name to save to"; they are one function now."""
    from deblur_app import imagefiles

    source, pipe, folder = tmp_path / "a.png", tmp_path / "pipe.png", tmp_path / "folder.png"
    imagefiles.save_image(source, photo_like(8, 8))
    os.mkfifo(pipe)
    folder.mkdir()
    for target in (pipe, folder):
        (plan,) = plan_outputs([(source, target)])
        with pytest.raises(imagefiles.ImageFileError) as written:
            imagefiles.save_image(target, photo_like(8, 8), overwrite=True)
        assert str(plan.refusal) == str(written.value) == f"{target}: {imagefiles.not_an_output_reason(target)}"
    assert imagefiles.not_an_output_reason(source) == "" and imagefiles.not_an_output_reason(tmp_path / "new") == ""


@pytest.mark.parametrize("name, said", [("out.gif", "cannot write '.gif' files"), ("out", "no file extension"),
                                        ("out.heic", "HEIC/HEIF files cannot be written"),
                                        ("out.nef", "camera RAW files are never written")])
def test_an_output_format_the_app_cannot_write_is_refused_before_the_model_loads(tmp_path, capsys, monkeypatch,
                                                                                 photo_like, name, said):
    """`deblur a.jpg -o out.gif` loaded the model and deblurred the photo, then the writer refused the extension."""
    from deblur_app import imagefiles
    from deblur_app.cli.main import main

    source = tmp_path / "a.png"
    imagefiles.save_image(source, photo_like(16, 16))
    (plan,) = plan_outputs([(source, tmp_path / name)])
    assert str(plan.refusal).startswith(f"{tmp_path / name}: {said}")
    monkeypatch.setattr("deblur_app.jobs.open_engine", lambda *_a, **_k: pytest.fail("the model was loaded"))
    assert main(["deblur", str(source), "-o", str(tmp_path / name), "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path / name}: {said}" in err and "using" not in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png"]


def test_a_batch_into_a_file_says_that_alone_before_naming_any_file(tmp_path, capsys, photo_like):
    """`batch same/ same/a.jpg` listed the folder's other files as "left out" before its fatal error."""
    from deblur_app import imagefiles
    from deblur_app.cli.main import main

    folder = tmp_path / "same"
    folder.mkdir()
    imagefiles.save_image(folder / "a.jpg", photo_like(16, 16))
    (folder / "notes.txt").write_text("not a photo")
    assert main(["batch", str(folder), str(folder / "a.jpg")]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err == f"deblur-app: {folder / 'a.jpg'}: is a file, not a folder for the outputs\n"


def test_the_training_and_int8_commands_refuse_an_input_a_folder_or_a_device_as_their_file_before_working(
        tmp_path, capsys, monkeypatch, photo_like):
    """`train make-valset --out kernels/kernel1.png` built the validation set, then renamed it over the kernel;
    `--out DIR` or `eval --csv DIR` failed with a traceback after the work. The commands that write one file
    now ask deblur's output policy first (jobs.naming.output_refusal)."""
    from deblur_app import imagefiles
    from deblur_app.cli.main import main

    photos, kernels = tmp_path / "photos", tmp_path / "kernels"
    photos.mkdir()
    kernels.mkdir()
    imagefiles.save_image(photos / "a.png", photo_like(16, 16))
    imagefiles.save_image(kernels / "kernel1.png", photo_like(9, 9))
    valset = tmp_path / "val.npz"
    valset.write_bytes(b"a validation set")
    originals = {path: path.read_bytes() for path in (photos / "a.png", kernels / "kernel1.png", valset)}
    for slow in ("deblur_app.training.data.build_validation_set", "deblur_app.training.calibration.make_calibration_crops",
                 "deblur_app.cli.train.engine_from_args", "deblur_app.cli.int8.check_int8"):
        monkeypatch.setattr(slow, lambda *_a, **_k: pytest.fail("the work started"))
    valset_args = ["train", "make-valset", "--photos", str(photos), "--kernels", str(kernels), "--out"]
    for argv, said in [
        ([*valset_args, str(kernels / "kernel1.png")], f"--out {kernels / 'kernel1.png'}: already exists and is the input photo"),
        ([*valset_args, str(kernels)], f"--out {kernels}: is a folder; give a file name to save to"),
        ([*valset_args, "/dev/null"], "--out /dev/null: is a device, pipe or socket"),
        (["train", "make-calibration", "--photos", str(photos), "--out", str(photos / "a.png")],
         f"--out {photos / 'a.png'}: already exists and is the input photo"),
        (["train", "check-int8", "--photos", str(photos), "--valset", str(valset), "--out", str(valset)],
         f"--out {valset}: already exists and is the input photo"),
        (["eval", "--valset", str(valset), "--csv", str(valset)], f"--csv {valset}: already exists and is the input"),
        (["eval", "--valset", str(valset), "--csv", str(photos)], f"--csv {photos}: is a folder"),
    ]:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.startswith(f"deblur-app: {said}") and err.count("\n") == 1, (argv, err)
    assert {path: path.read_bytes() for path in originals} == originals


def test_check_int8_never_replaces_a_file_that_is_no_verdicts_file(tmp_path, capsys, monkeypatch, photo_like):
    """`check-int8 --out notes.txt` measured for minutes, then read the file as no verdicts ({}) and replaced it
    with one; a file that is no JSON object is refused first, a verdicts file or a new name is taken."""
    from deblur_app.cli.main import main

    monkeypatch.setattr("deblur_app.cli.int8.check_int8", lambda *_a, **_k: 0)
    photos, valset = tmp_path / "photos", tmp_path / "val.npz"
    photos.mkdir()
    valset.write_bytes(b"a validation set")
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes")
    argv = ["train", "check-int8", "--photos", str(photos), "--valset", str(valset), "--out"]
    assert main([*argv, str(notes)]) == 2
    assert capsys.readouterr().err.startswith(f"deblur-app: --out {notes}: not a verdicts file (a JSON object)")
    assert notes.read_text() == "my notes"
    verdicts = tmp_path / "verdicts.json"
    verdicts.write_text("{}")
    assert main([*argv, str(verdicts)]) == 0 and main([*argv, str(tmp_path / "new.json")]) == 0


def test_a_report_may_go_into_a_pipe_but_never_into_a_folder_or_an_input(tmp_path):
    """output_refusal(into_streams=True), for scan's --csv/--json: a fifo (or /dev/stdout) is written into, as a
    shell's ">" does; everything else is the policy of every written file: a folder, an input or a link to one is
    refused, whatever into_streams says."""
    import os

    from deblur_app.jobs import output_refusal

    pipe, photo, link = tmp_path / "report.fifo", tmp_path / "a.jpg", tmp_path / "link.csv"
    os.mkfifo(pipe)
    photo.write_bytes(b"a photo")
    link.symlink_to(photo)
    assert output_refusal(pipe) and output_refusal(pipe, into_streams=True) == ""
    for refused in (tmp_path, photo, link):
        assert output_refusal(refused, [photo], into_streams=True), refused
    assert output_refusal(tmp_path / "new.csv", [photo], into_streams=True) == ""


@pytest.fixture
def quick_eval(tmp_path, monkeypatch):
    """eval's command line with a validation set of three crops and an engine that halves its input (no network)."""
    import numpy as np
    from types import SimpleNamespace

    valset = tmp_path / "val.npz"
    rng = np.random.default_rng(0)
    sharp = (rng.random((3, 16, 16, 3)) * 255).astype(np.uint8)
    np.savez(valset, blurry=sharp // 2, sharp=sharp, names=np.array(["a", "b", "c"]))
    halving = SimpleNamespace(run=lambda pixels: SimpleNamespace(full=pixels * 0.5))
    monkeypatch.setattr("deblur_app.cli.train.engine_from_args", lambda _args: (halving, "halving"))
    return ["eval", "--valset", str(valset), "--device", "cpu", "--csv"]


def test_eval_and_scan_print_their_table_for_csv_dash_and_keep_progress_off_it(quick_eval, tmp_path, capsys,
                                                                                monkeypatch):
    """`eval --csv -` made a file named '-' here, and `eval --csv /dev/stdout | other-tool` was refused ("is a
    device, pipe or socket") while `scan --csv /dev/stdout` was taken: a report has one behaviour now
    (cli.reports): '-' is standard output, and what standard output gets is the table alone (the per-image
    lines and the summary go to standard error)."""
    import csv
    import io

    from deblur_app.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main([*quick_eval, "-"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["image"] for row in rows] == ["a", "b", "c", "MEAN"]
    assert "a: " in err and "wrote standard output" in err and not (tmp_path / "-").exists()
    photos = tmp_path / "photos"
    photos.mkdir()
    import numpy as np

    from deblur_app import imagefiles

    imagefiles.save_image(photos / "p.png", np.full((32, 32, 3), 0.5, np.float32))
    assert main(["scan", str(photos), "--csv", "-", "--processes", "1"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("path,blur_score,verdict\n") and "p.png" in out and not (tmp_path / "-").exists()


def test_eval_writes_its_table_into_a_pipe_as_scan_does(quick_eval, tmp_path, capsys):
    import threading

    from deblur_app.cli.main import main

    pipe = tmp_path / "table.fifo"
    os.mkfifo(pipe)
    read = {}
    reader = threading.Thread(target=lambda: read.setdefault("text", pipe.read_text()), daemon=True)
    reader.start()
    assert main([*quick_eval, str(pipe)]) == 0
    reader.join(timeout=60)
    assert read["text"].startswith("image,input_psnr,input_ssim,psnr,ssim\n") and "MEAN" in read["text"]
    assert pipe.is_fifo() and "a: " in capsys.readouterr().err


def test_eval_refuses_a_table_it_cannot_write_before_the_work_and_never_leaves_half_a_table(
        quick_eval, tmp_path, capsys, monkeypatch):
    """eval scored every image, then crashed with a traceback on a read-only folder, and wrote its table in
    place (an interrupted run left half a table over the last one). The folder is tried first, the table is
    written beside and renamed, and a full disk is one line."""
    from deblur_app.cli.main import main

    a_file = tmp_path / "notes.txt"
    a_file.write_text("a file, not a folder")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    unwritable = [(a_file / "eval.csv", f"deblur-app: --csv: {a_file}: cannot create the folder")]
    if not os.access(locked, os.W_OK):  # root writes into a read-only folder
        unwritable.append((locked / "eval.csv", f"deblur-app: --csv: {locked}: "))
    try:
        with monkeypatch.context() as patched:
            patched.setattr("deblur_app.cli.train._scored_pairs", lambda *_a: pytest.fail("the work started"))
            for target, said in unwritable:
                assert main([*quick_eval, str(target)]) == 2
                err = capsys.readouterr().err
                assert err.startswith(said) and err.count("\n") == 1, err
    finally:
        locked.chmod(0o755)
    table = tmp_path / "eval.csv"
    table.write_text("the last run's table\n")

    def full_disk(handle, *_a, **_k):
        os.close(handle)
        raise OSError(28, "No space left on device")

    import deblur_app.cli.reports as reports

    monkeypatch.setattr(reports.os, "fdopen", full_disk)
    assert main([*quick_eval, str(table)]) == 1
    err = capsys.readouterr().err
    assert "cannot write the table (No space left on device)" in err and "Traceback" not in err
    assert table.read_text() == "the last run's table\n"
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
