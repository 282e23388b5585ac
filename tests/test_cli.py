"""The command-line contract: outputs, naming, errors and exit codes."""

import hashlib
import os
import signal
from pathlib import Path

import numpy as np
import pytest

from deblur_app import imagefiles
from deblur_app.cli.main import main
from deblur_app.weights import catalog
from seeded_weights import save_seeded_weights


# guikit's seeded MIMO-UNet weights (weights_dir) are the installed ones
pytestmark = pytest.mark.usefixtures("installed_weights")


@pytest.fixture
def photo(tmp_path, photo_like):
    def make(name="photo.png", size=(40, 56), folder=None):
        path = (folder or tmp_path) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        imagefiles.save_image(path, photo_like(*size))
        return path

    return make


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_default_output_goes_beside_the_input_and_input_is_untouched(photo):
    source = photo("shot.png")
    before = digest(source)
    assert main(["deblur", str(source), "--device", "cpu"]) == 0
    output = source.with_name("shot_deblurred.png")
    assert imagefiles.load_image(output).pixels.shape == (40, 56, 3)
    assert digest(source) == before


def test_single_output_file_with_scales_and_16_bit(photo, tmp_path):
    source = photo()
    target = tmp_path / "out" / "sharp.png"
    target.parent.mkdir()
    assert main(["deblur", str(source), "-o", str(target), "--save-scales", "--bit-depth", "16"]) == 0
    full = imagefiles.load_image(target)
    assert full.bit_depth == 16 and full.pixels.shape == (40, 56, 3)
    assert imagefiles.load_image(tmp_path / "out" / "sharp_half.png").pixels.shape == (20, 28, 3)
    assert imagefiles.load_image(tmp_path / "out" / "sharp_quarter.png").pixels.shape == (10, 14, 3)


def test_several_inputs_go_into_the_output_folder(photo, tmp_path):
    sources = [photo("a.png"), photo("b.jpg")]
    out = tmp_path / "results"
    assert main(["deblur", *map(str, sources), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a_deblurred.png", "b_deblurred.jpg"]


def test_existing_output_is_not_overwritten_without_flag(photo, capsys):
    source = photo()
    output = source.with_name("photo_deblurred.png")
    output.write_bytes(b"keep me")
    assert main(["deblur", str(source)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert output.read_bytes() == b"keep me"
    assert main(["deblur", str(source), "--overwrite"]) == 0
    assert output.read_bytes() != b"keep me"


def test_input_is_never_overwritten_by_accident(photo, capsys):
    source = photo()
    before = digest(source)
    assert main(["deblur", str(source), "-o", str(source)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert digest(source) == before


def test_bad_inputs_give_one_line_errors_and_the_rest_still_run(photo, tmp_path, capsys):
    good = photo("good.png")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert main(["deblur", str(broken), str(tmp_path / "missing.png"), str(good)]) == 1
    lines = capsys.readouterr().err.splitlines()
    errors = [line for line in lines if line.startswith("deblur-app:")]
    assert len(errors) == 2
    # both are found before the model loads, in the order given: broken.jpg by its header, missing.png
    assert "broken.jpg" in errors[0] and "missing.png" in errors[1]
    using = next(index for index, line in enumerate(lines) if line.startswith("using "))
    assert lines.index(errors[1]) < using
    assert "Traceback" not in "".join(errors)
    assert good.with_name("good_deblurred.png").exists()
    assert not (tmp_path / "broken_deblurred.jpg").exists()


def test_a_floating_point_tiff_is_refused_by_its_header_before_the_model_loads(tmp_path, capsys):
    """A 32-bit float TIFF (HDR merges, scientific cameras) said "unsupported colour mode F" only after the model
    had loaded; its header says it."""
    from PIL import Image

    source = tmp_path / "merged.tif"
    Image.fromarray(np.linspace(0, 1, 24 * 32, dtype=np.float32).reshape(24, 32)).save(source)
    assert main(["deblur", str(source)]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("deblur-app:")]
    assert len(lines) == 1 and "merged.tif" in lines[0] and "32-bit floating-point pixels" in lines[0], err
    assert "using " not in err, "refused before the model loads"
    assert not (tmp_path / "merged_deblurred.tif").exists()


def test_an_output_ending_with_a_slash_is_a_folder_for_one_input_too(photo, tmp_path, capsys):
    """`deblur a.png -o results/`: Path dropped the slash and the folder was taken as a file name without an
    extension ("no file extension"); it is made and the output goes into it, as for several inputs."""
    source = photo("a.png")
    assert main(["deblur", str(source), "-o", f"{tmp_path / 'results'}/"]) == 0, capsys.readouterr().err
    assert (tmp_path / "results" / "a_deblurred.png").is_file()
    (tmp_path / "notes").write_text("a file")
    assert main(["deblur", str(source), "-o", f"{tmp_path / 'notes'}/"]) != 0
    err = capsys.readouterr().err
    assert "notes: not a folder" in err and "Traceback" not in err, err
    assert (tmp_path / "notes").read_text() == "a file"


def test_strength_keeps_part_of_the_correction(photo, tmp_path, capsys):
    source = photo()
    outputs = {}
    for strength in ("100", "0", "40"):
        outputs[strength] = tmp_path / f"strength{strength}.png"
        assert main(["deblur", str(source), "-o", str(outputs[strength]), "--strength", strength,
                     "--precision", "fp32", "--bit-depth", "16"]) == 0
    pixels = {k: imagefiles.load_image(v).pixels for k, v in outputs.items()}
    original = imagefiles.load_image(source).pixels
    assert np.abs(pixels["100"] - original).max() > 0.05  # the (untrained) network changes the photo
    assert np.abs(pixels["0"] - original).max() < 1e-4
    np.testing.assert_allclose(pixels["40"], 0.6 * original + 0.4 * pixels["100"], atol=2e-4)
    assert main(["deblur", str(source), "-o", str(tmp_path / "bad.png"), "--strength", "150"]) == 2
    assert capsys.readouterr().err.strip().endswith("--strength must be from 0 to 100 (percent), not 150")
    assert not (tmp_path / "bad.png").exists()


def test_16_bit_jpeg_is_a_clear_error(photo, capsys):
    assert main(["deblur", str(photo()), "-o", "x.jpg", "--bit-depth", "16"]) == 1
    assert "16-bit output needs PNG or TIFF" in capsys.readouterr().err


def test_model_contradicting_weights_names_both(photo, weights_dir, capsys):
    code = main(["deblur", str(photo()), "--model", "mimo-unet+", "--weights", str(weights_dir / "mimo-unet.safetensors")])
    assert code == 1
    error = capsys.readouterr().err
    assert "holds MIMO-UNet weights" in error and "MIMO-UNet+ was asked for" in error


def test_missing_weights_say_where_to_put_them(photo, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(catalog, "weights_search_dirs", lambda: [tmp_path / "nowhere"])
    assert main(["deblur", str(photo()), "--model", "mimo-unet++"]) == 1
    error = capsys.readouterr().err
    assert "MIMO-UNetPlus.pkl" in error and "nowhere" in error


def test_missing_weights_are_said_before_an_existing_output_or_a_bad_photo(photo, capsys, tmp_path, monkeypatch):
    """No weights for the network: nothing would run, so that is said first (jobs.check_weights, the first of
    iter_batch's checks), not "already exists" of an output (--overwrite would only lead to it), before any photo
    is read; a folder's batch makes no output folder. With the weights, the existing output is refused as before."""
    source, existing = photo(), tmp_path / "out.png"
    existing.write_bytes(b"mine")
    read = []
    monkeypatch.setattr("deblur_app.jobs.run.input_problem", lambda path, *_a: read.append(path) or "")
    with monkeypatch.context() as without_weights:
        without_weights.setattr(catalog, "weights_search_dirs", lambda: [tmp_path / "nowhere"])
        assert main(["deblur", "--model", "restormer-defocus", str(source), "-o", str(existing)]) == 1
        error = capsys.readouterr().err
        assert error.startswith("deblur-app: no Restormer (defocus) weights found: ") and "already exists" not in error
        assert main(["batch", str(tmp_path), str(tmp_path / "batch-out"), "--model", "restormer-defocus"]) == 1
        assert "no Restormer (defocus) weights found: " in capsys.readouterr().err
        assert not (tmp_path / "batch-out").exists() and read == [] and existing.read_bytes() == b"mine"
    assert main(["deblur", str(source), "-o", str(existing)]) == 1  # the installed MIMO-UNet weights
    assert "out.png: already exists (use --overwrite to replace it)" in capsys.readouterr().err
    assert existing.read_bytes() == b"mine"


def test_unavailable_device_is_a_clear_error(photo, capsys, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["deblur", str(photo()), "--device", "cuda"]) == 1
    assert "CUDA" in capsys.readouterr().err


def test_batch_mirrors_tree_reports_failures_and_exits_1(photo, tmp_path, capsys):
    source_dir = tmp_path / "in"
    photo("top.png", folder=source_dir)
    photo("nested.png", folder=source_dir / "trip" / "day1")
    (source_dir / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (source_dir / "notes.txt").write_text("not a photo")
    out = tmp_path / "out"
    assert main(["batch", str(source_dir), str(out), "--recursive", "--name", "{stem}-sharp{ext}"]) == 1
    captured = capsys.readouterr()
    assert (out / "top-sharp.png").exists() and (out / "trip" / "day1" / "nested-sharp.png").exists()
    assert not (out / "corrupt-sharp.png").exists()
    assert "corrupt.png" in captured.err and "2 deblurred, 0 skipped, 1 failed" in captured.err
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".")]
    assert leftovers == []


def test_batch_exit_0_without_failures_and_skip_existing(photo, tmp_path, capsys):
    source_dir = tmp_path / "in"
    photo("a.png", folder=source_dir)
    photo("deep.png", folder=source_dir / "sub")
    out = tmp_path / "out"
    assert main(["batch", str(source_dir), str(out)]) == 0
    assert [p.name for p in out.iterdir()] == ["a_deblurred.png"]  # not recursive
    assert main(["batch", str(source_dir), str(out), "--skip-existing"]) == 0
    assert "0 deblurred, 1 skipped, 0 failed" in capsys.readouterr().err


def test_batch_usage_errors_exit_2(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "missing"), str(tmp_path / "out")]) == 2
    # a mistyped folder is not there at all: said so, not "not a folder" (which a file is)
    assert capsys.readouterr().err == f"deblur-app: {tmp_path / 'missing'}: no such folder\n"
    (tmp_path / "notes.txt").write_text("notes")
    assert main(["batch", str(tmp_path / "notes.txt"), str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"deblur-app: {tmp_path / 'notes.txt'}: not a folder\n"
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", str(tmp_path)])
    assert exit_info.value.code == 2
    assert main(["batch", str(tmp_path), str(tmp_path / "o"), "--name", "{nope}"]) == 2


@pytest.mark.parametrize("template", ["../{name}", "../escaped_{stem}{ext}", "/tmp/abs_{name}", "sub/{name}", "..", ""])
def test_a_name_template_that_leaves_the_output_folder_is_a_usage_error(tmp_path, capsys, template):
    """--name names a file in the output folder; a path in it would write beside the output folder
    (or anywhere), past the checks made of the folder the user chose. Refused before anything is read."""
    source_dir, out = tmp_path / "in", tmp_path / "deep" / "out"
    source_dir.mkdir()
    imagefiles.save_image(source_dir / "a.png", np.full((8, 8, 3), 0.5, np.float32))
    before = sorted(tmp_path.rglob("*"))
    assert main(["batch", str(source_dir), str(out), "--name", template]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and f"--name {template!r}" in error and "not a plain file name" in error, error
    assert sorted(tmp_path.rglob("*")) == before  # nothing written, not even the output folder


@pytest.mark.parametrize("template, words", [("{stem}", "no file extension"), ("{stem}.gif", "cannot write '.gif'"),
                                              ("{name}.bak", "cannot write '.bak'")])
def test_a_name_template_no_photo_can_be_written_under_is_one_usage_error(tmp_path, capsys, template, words):
    """--name "{stem}" failed every photo of the batch, one line each, after creating the output folder."""
    source_dir, out = tmp_path / "in", tmp_path / "out"
    source_dir.mkdir()
    for name in ("a.png", "b.jpg"):
        imagefiles.save_image(source_dir / name, np.full((8, 8, 3), 0.5, np.float32))
    assert main(["batch", str(source_dir), str(out), "--name", template]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and f"--name {template!r}" in error and words in error, error
    assert not out.exists()


def test_info_lists_weights_devices_and_versions(capsys, weights_dir):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "MIMO-UNet: " in out and str(weights_dir) in out and "random weights" in out
    assert "MIMO-UNet+: none" in out and "cpu" in out and "torch" in out


def test_tiled_cli_run_matches_whole(photo, tmp_path):
    source = photo(size=(360, 400))
    whole, tiled = tmp_path / "whole.png", tmp_path / "tiled.png"
    assert main(["deblur", str(source), "-o", str(whole), "--tile", "0", "--precision", "fp32", "--bit-depth", "16"]) == 0
    assert main(["deblur", str(source), "-o", str(tiled), "--tile", "320", "--precision", "fp32", "--bit-depth", "16"]) == 0
    difference = np.abs(imagefiles.load_image(whole).pixels - imagefiles.load_image(tiled).pixels)
    assert difference.max() < 1 / 255


def test_decompression_bomb_limit_is_settable(photo, capsys):
    source = photo(size=(40, 56))
    assert main(["deblur", str(source), "--max-megapixels", "0.001"]) == 1
    error = capsys.readouterr().err
    assert "photo.png" in error and "limit" in error
    assert not source.with_name("photo_deblurred.png").exists()


@pytest.mark.parametrize("command", ["deblur", "batch", "scan"])
@pytest.mark.parametrize("limit", ["-1", "nan", "inf", "lots"])
def test_a_meaningless_megapixel_limit_is_a_usage_error_naming_the_option(photo, tmp_path, capsys, command, limit):
    """-1 had silently meant no limit; nan and inf failed at the first photo, blaming it."""
    source = photo("shot.png")
    argv = {"deblur": ["deblur", str(source)], "batch": ["batch", str(tmp_path), str(tmp_path / "out")],
            "scan": ["scan", str(tmp_path)]}[command]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--max-megapixels", limit])
    assert exit_.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--max-megapixels" in error and repr(limit) in error and "shot.png" not in error, error
    assert not (tmp_path / "shot_deblurred.png").exists() and not (tmp_path / "out").exists()


def interrupt_the_second_run(monkeypatch) -> None:
    """Ctrl+C arrives while the engine runs the second photo."""
    from deblur_app.engine import inference

    real_run = inference.Deblurrer.run
    calls = []

    def interrupted_second_time(self, image, progress=None, cancel=None, **run_arguments):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_run(self, image, progress, cancel, **run_arguments)

    monkeypatch.setattr(inference.Deblurrer, "run", interrupted_second_time)


def test_ctrl_c_in_batch_stops_cleanly_without_partial_files(photo, tmp_path, monkeypatch, capsys):
    source_dir = tmp_path / "in"
    for name in ("a.png", "b.png", "c.png"):
        photo(name, folder=source_dir)
    interrupt_the_second_run(monkeypatch)
    out = tmp_path / "out"
    assert main(["batch", str(source_dir), str(out)]) == 130
    assert sorted(p.name for p in out.iterdir()) == ["a_deblurred.png"]
    # one line that says what was done and how to finish, not a bare "stopped"
    said = [line for line in capsys.readouterr().err.splitlines() if "stopped" in line]
    assert len(said) == 1 and "1 of 3" in said[0] and "run the same command again" in said[0], said


def test_ctrl_c_in_deblur_says_how_far_it_got_and_leaves_no_partial_file(photo, tmp_path, monkeypatch, capsys):
    sources = [photo(name) for name in ("a.png", "b.png", "c.png")]
    interrupt_the_second_run(monkeypatch)
    out = tmp_path / "out"
    assert main(["deblur", *map(str, sources), "-o", str(out)]) == 130
    assert sorted(p.name for p in out.iterdir()) == ["a_deblurred.png"]
    said = [line for line in capsys.readouterr().err.splitlines() if "stopped" in line]
    assert len(said) == 1 and "after 1 of 3 photo(s) (1 deblurred" in said[0], said


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals")
def test_ctrl_c_in_batch_writes_the_photos_the_network_finished_and_counts_them(photo, tmp_path, monkeypatch, capsys):
    """The first Ctrl+C cancels as the window's Cancel does. It used to raise KeyboardInterrupt, whose close() dropped
    a photo the network had finished but not begun to write. Now that photo is written and counted: the "stopped"
    line's count is the folder's. Ctrl+C comes while the network runs the third photo and the first is still being
    written (it waits for that), so the second's result is waiting for the writer: no timing is involved."""
    import threading
    import time

    from deblur_app.engine import inference
    from deblur_app.engine.progress import Cancelled
    from deblur_app.jobs import pipeline
    from deblur_app.jobs import run as jobs_run

    source_dir = tmp_path / "in"
    for name in ("a.png", "b.png", "c.png", "d.png"):
        photo(name, folder=source_dir)
    monkeypatch.setattr(pipeline, "IN_FLIGHT", 3)  # the third photo reaches the network while the first is written
    real_run, real_save = inference.Deblurrer.run, jobs_run.save_result
    runs, third_run = [], threading.Event()

    def ctrl_c_at_the_third_run(self, image, progress=None, cancel=None, **run_arguments):
        runs.append(1)
        if len(runs) < 3:
            return real_run(self, image, progress, cancel, **run_arguments)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        deadline = time.monotonic() + 60
        while not cancel.is_set() and time.monotonic() < deadline:  # the pass notices the cancel
            time.sleep(0.005)
        third_run.set()
        raise Cancelled("cancelled")

    def first_write_waits(result, loaded, output_path, save):
        if output_path.name == "a_deblurred.png":
            assert third_run.wait(60), "the network never began the third photo"
        return real_save(result, loaded, output_path, save)

    monkeypatch.setattr(inference.Deblurrer, "run", ctrl_c_at_the_third_run)
    monkeypatch.setattr(jobs_run, "save_result", first_write_waits)
    out = tmp_path / "out"
    assert main(["batch", str(source_dir), str(out)]) == 130
    assert sorted(p.name for p in out.iterdir()) == ["a_deblurred.png", "b_deblurred.png"]  # no temporary
    assert len(runs) == 3, "nothing runs after the Ctrl+C"
    said = [line for line in capsys.readouterr().err.splitlines() if "stopped" in line]
    assert len(said) == 1 and "after 2 of 4 photo(s) (2 deblurred" in said[0], said


def test_exif_orientation_icc_and_camera_tags_survive(tmp_path):
    from PIL import Image, ImageCms

    pixels = (np.random.default_rng(0).random((24, 40, 3)) * 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    exif[0x010F] = "TestCam"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = tmp_path / "camera.jpg"
    Image.fromarray(pixels).save(source, exif=exif.tobytes(), icc_profile=icc, quality=95)
    assert main(["deblur", str(source)]) == 0
    with Image.open(tmp_path / "camera_deblurred.jpg") as result:
        assert result.size == (24, 40)  # upright: width and height swapped
        assert result.info.get("icc_profile") == icc
        tags = result.getexif()
        assert tags.get(0x0112, 1) == 1 and tags.get(0x010F) == "TestCam"


def test_jpeg_output_matches_the_source_quality_unless_quality_is_given(tmp_path, photo_like):
    from PIL import Image, JpegImagePlugin

    source = tmp_path / "phone.jpg"
    Image.fromarray((photo_like(48, 64) * 255).astype(np.uint8)).save(source, quality=75, subsampling=2)
    assert main(["deblur", str(source)]) == 0
    assert main(["deblur", str(source), "-o", str(tmp_path / "q90.jpg"), "--quality", "90"]) == 0
    reference = tmp_path / "reference.jpg"
    Image.fromarray((photo_like(48, 64) * 255).astype(np.uint8)).save(reference, quality=90, subsampling=0)
    with Image.open(source) as original, Image.open(tmp_path / "phone_deblurred.jpg") as kept, \
            Image.open(tmp_path / "q90.jpg") as forced, Image.open(reference) as q90:
        assert JpegImagePlugin.get_sampling(kept) == 2 and kept.quantization == original.quantization
        assert JpegImagePlugin.get_sampling(forced) == 0 and forced.quantization == q90.quantization


@pytest.mark.parametrize("how", ["same", "dotdot", "relative", "symlink", "hardlink", "case"])
def test_deblur_never_writes_over_its_input_even_with_overwrite(photo, capsys, monkeypatch, how):
    from test_output_policy import case_insensitive, spelled

    source = photo("good.png")
    before = digest(source)
    target = spelled(source, how, monkeypatch)
    if how == "case" and not case_insensitive(source.parent):
        target = source.parent / "sub" / ".." / "good.png"  # a case-sensitive disk: another spelling instead
        (source.parent / "sub").mkdir()
    assert main(["deblur", str(source), "-o", str(target), "--overwrite"]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("deblur-app:")]
    assert len(lines) == 1 and "is the input photo" in lines[0] and "Traceback" not in err
    assert "using " not in err, "refused before the model loads"
    assert digest(source) == before


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_batch_never_writes_over_an_input_even_with_overwrite(photo, tmp_path, capsys, how):
    source_dir, out = tmp_path / "in", tmp_path / "out"
    shot = photo("shot.png", folder=source_dir)
    out.mkdir()
    (out / "shot_deblurred.png").symlink_to(shot) if how == "symlink" else os.link(shot, out / "shot_deblurred.png")
    before = digest(shot)
    assert main(["batch", str(source_dir), str(out), "--overwrite"]) == 1
    err = capsys.readouterr().err
    assert "is the input photo" in err and "0 deblurred, 0 skipped, 1 failed" in err and "Traceback" not in err
    assert digest(shot) == before
    # the same folder with a name template that gives every photo its own name
    assert main(["batch", str(source_dir), str(source_dir), "--name", "{name}", "--overwrite"]) == 1
    assert "is the input photo" in capsys.readouterr().err and digest(shot) == before


def test_an_output_folder_that_cannot_be_written_is_found_before_the_model_loads(photo, tmp_path, capsys, monkeypatch):
    import tempfile

    source = photo("good.png")
    assert main(["deblur", str(source), "-o", str(tmp_path / "missing" / "out.png")]) == 1
    err = capsys.readouterr().err
    assert f"{tmp_path / 'missing'}: no such folder" in err and "using " not in err and "Traceback" not in err
    notes = tmp_path / "notes.txt"  # a file where the folder should be: said as such, not "no such folder"
    notes.write_text("notes")
    assert main(["deblur", str(source), "-o", str(notes / "out.png")]) == 1
    assert capsys.readouterr().err == f"deblur-app: {notes}: not a folder\n" and notes.read_text() == "notes"

    read_only = tmp_path / "read-only"
    read_only.mkdir()
    real = tempfile.TemporaryFile

    def refuse_in_read_only(*args, dir=None, **kwargs):  # as a read-only folder does (the tests may run as root)
        if dir is not None and Path(dir) == read_only:
            raise PermissionError(13, "Permission denied")
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse_in_read_only)
    assert main(["deblur", str(source), "-o", str(read_only / "out.png")]) == 1
    err = capsys.readouterr().err
    assert f"{read_only}: cannot write in the output folder (permission denied)" in err and "using " not in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_among_the_photos_is_one_line_and_the_others_run(photo, tmp_path, capsys):
    """deblur-app deblur waited for ever on a named pipe called .jpg; now it is named and passed over."""
    good, pipe = photo("good.png"), tmp_path / "pipe.jpg"
    os.mkfifo(pipe)
    assert main(["deblur", str(pipe), str(good), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert f"deblur-app: {pipe}: is a device, pipe or socket, not an image file" in err and "Traceback" not in err
    assert (tmp_path / "out" / "good_deblurred.png").is_file()


@pytest.mark.parametrize("name", ["single.jpg", "single.PNG", "out.tif", "x.heic", "a.gif"])
def test_several_inputs_into_a_name_with_an_image_extension_is_an_error_and_creates_nothing(photo, tmp_path, capsys,
                                                                                           name):
    sources = [photo("a.png"), photo("b.jpg")]
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["deblur", *map(str, sources), "-o", str(tmp_path / name)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"deblur-app: {tmp_path / name}: several inputs need -o to be a folder, and this names an image "
                   "file; give an existing folder or a new folder name without an image extension")
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no folder named single.jpg


def test_a_file_where_the_output_folder_should_be_is_one_line_worded_for_the_inputs_given(photo, tmp_path, capsys):
    """A file at -o: for several inputs "several inputs need -o to be a folder", for one input named with a final /
    "not a folder (-o ends with /)"; the file is left as it was and no model loads."""
    sources, notes = [photo("a.png"), photo("b.jpg")], tmp_path / "notes"
    notes.write_text("a file")
    for inputs, given, why in ((sources, str(notes), "several inputs need -o to be a folder"),
                               (sources[:1], f"{notes}/", "not a folder (-o ends with /)")):
        assert main(["deblur", *map(str, inputs), "-o", given]) == 1
        assert capsys.readouterr().err == f"deblur-app: {notes}: {why}\n"
        assert notes.read_text() == "a file"


def test_several_inputs_into_a_new_or_existing_folder_with_a_dot_in_its_name(photo, tmp_path):
    sources = [photo("a.png"), photo("b.jpg")]
    existing = tmp_path / "shots.jpg"  # an existing folder is a folder, whatever its name
    existing.mkdir()
    assert main(["deblur", *map(str, sources), "-o", str(existing)]) == 0
    assert main(["deblur", *map(str, sources), "-o", str(tmp_path / "run.v2")]) == 0  # not an image extension
    assert sorted(p.name for p in existing.iterdir()) == ["a_deblurred.png", "b_deblurred.jpg"]
    assert sorted(p.name for p in (tmp_path / "run.v2").iterdir()) == ["a_deblurred.png", "b_deblurred.jpg"]


def test_batch_log_writes_the_windows_log_in_the_output_folder(photo, tmp_path, capsys):
    source_dir = tmp_path / "in"
    photo("a.png", folder=source_dir)
    (source_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    out = tmp_path / "out"
    assert main(["batch", str(source_dir), str(out), "--log", "--strength", "40"]) == 1
    (log,) = out.glob("deblur-batch-*.log")
    assert f"log: {log}" in capsys.readouterr().err
    lines = log.read_text().splitlines()
    assert lines[0].endswith(f"batch: {source_dir} -> {out}") and "strength 40 %" in lines[1]
    assert f"OK {source_dir / 'a.png'} -> {out / 'a_deblurred.png'}" in " ".join(lines)
    assert any(line.startswith(f"FAILED {source_dir / 'broken.png'}: ") for line in lines)
    assert lines[-1].startswith("1 deblurred, 0 skipped, 1 failed")
    assert main(["batch", str(source_dir), str(tmp_path / "quiet")]) == 1
    assert not list((tmp_path / "quiet").glob("*.log")), "no log without --log"


def test_a_file_name_with_a_newline_stays_on_its_line(photo, tmp_path, capsys):
    """A name holding '\\n' split the batch's "done" and "left out" lines (and the summary's "failed" ones) in two,
    so a script reading one line per file misread them; it is written with the newline escaped, as "\\n"."""
    source_dir = tmp_path / "in"
    photo("two\nlines.png", folder=source_dir)
    (source_dir / "notes\nfile.txt").write_text("not a photo")
    (source_dir / "broken\nphoto.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    out = tmp_path / "out"
    assert main(["batch", str(source_dir), str(out), "--name", "{stem}-sharp{ext}"]) == 1
    assert (out / "two\nlines-sharp.png").is_file()  # the file itself keeps its name
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).splitlines()
    done = [line for line in lines if "two\\nlines.png" in line and " -> " in line]
    assert done and done[0].endswith("two\\nlines-sharp.png"), lines
    assert any(line.startswith("left out ") and line.endswith("notes\\nfile.txt: not an image file") for line in lines), lines
    assert any(line.startswith("  failed: ") and "broken\\nphoto.png: " in line for line in lines), lines
    assert not [line for line in lines if line.startswith(("lines", "file.txt", "photo.png"))], lines


def test_a_single_photo_s_done_line_keeps_a_name_with_a_newline_on_one_line(photo, tmp_path, capsys):
    shot = photo("two\nlines.png")
    assert main(["deblur", str(shot), "-o", str(tmp_path / "sharp.png")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith(f"{tmp_path}/two\\nlines.png -> {tmp_path}/sharp.png (") for line in lines), lines


# an escape sequence that clears the terminal, a bidi override (shows "gpj.exe" reversed), a tab, DEL, a C1 control
HOSTILE_NAMES = ["clear\x1b[2J\x1b[H.png", "x\u202egpj.exe.png", "tab\tdel\x7fc1\x9b.png"]


def test_control_characters_in_names_reach_the_terminal_escaped(photo, tmp_path, capsys):
    """A name with an ESC sequence cleared the user's terminal when the batch printed it, a bidi override showed
    another name: every line names the file with its invisible characters written as escapes."""
    source_dir = tmp_path / "in"
    for name in HOSTILE_NAMES:
        photo(name, folder=source_dir)
        (source_dir / name.replace(".png", ".txt")).write_text("not a photo")
        (source_dir / name.replace(".png", "-broken.png")).write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert main(["batch", str(source_dir), str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert not any(char in printed for char in "\x1b\u202e\t\x7f\x9b"), ascii(printed)
    for shown in ("clear\\x1b[2J\\x1b[H", "x\\u202egpj.exe", "tab\\tdel\\x7fc1\\x9b"):
        assert f"{shown}.png -> " in printed, printed  # done
        assert f"left out {source_dir}/{shown}.txt: not an image file" in printed, printed
        assert f"{shown}-broken.png: " in printed, printed  # failed
    for name in HOSTILE_NAMES:  # the outputs keep the names the photos have
        assert (tmp_path / "out" / name.replace(".png", "_deblurred.png")).is_file()


def test_an_error_line_escapes_a_name_from_the_command_line_too(tmp_path, capsys):
    missing = tmp_path / "gone\x1b]0;owned\x07"
    assert main(["batch", str(missing), str(tmp_path / "out")]) != 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and "gone\\x1b]0;owned\\x07" in err, ascii(err)


def test_the_using_line_escapes_a_weights_file_name(photo, tmp_path, weights_dir, capsys):
    """--weights named a file whose escape sequence the "using ..." line sent to the terminal as it was."""
    import shutil

    hostile = tmp_path / "mine\x1b[2J.safetensors"
    shutil.copyfile(weights_dir / "mimo-unet.safetensors", hostile)
    assert main(["deblur", str(photo()), "-o", str(tmp_path / "sharp.png"), "--weights", str(hostile)]) == 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and "mine\\x1b[2J.safetensors" in err, ascii(err)


@pytest.mark.parametrize("argv", [
    ["deblur", "{photo}", "-o", "{long}.png"], ["deblur", "{photo}", "{photo}", "-o", "{long}"],
    ["deblur", "{long}/a.jpg"], ["batch", "{long}", "out"], ["batch", "{folder}", "{long}/sub"], ["scan", "{long}"],
    ["scan", "{folder}", "--csv", "{long}.csv"], ["deblur", "{photo}", "--weights", "{long}.pth"], ["{long}.jpg"],
    ["train", "make-valset", "--photos", "{folder}", "--kernels", "{folder}", "--out", "{long}.npz"],
    ["train", "make-calibration", "--photos", "{long}"],
])
def test_a_path_with_a_name_too_long_for_any_file_system_is_one_line(photo, tmp_path, capsys, argv):
    """Python's exists()/is_dir() raise ENAMETOOLONG where they say False for a missing file: `deblur a.jpg -o
    <300 x>.png`, `batch <300 x> out`, `scan --csv ...` and more ended in the crash handler's traceback."""
    long_name = "x" * 300
    values = {"photo": str(photo("a.png")), "folder": str(tmp_path), "long": str(tmp_path / long_name)}
    assert main([part.format(**values) for part in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a name in this path is 30" in err and "bytes long; file systems hold at most 255" \
        in err and "Traceback" not in err, err


@pytest.mark.parametrize("model", ["nafnet-64", "fftformer"])
def test_save_scales_with_a_network_without_them_is_refused_before_the_model_loads(photo, capsys, monkeypatch, model):
    """`deblur --model fftformer --save-scales` loaded FFTformer (seconds, its weights) before saying it has no
    ½ and ¼ outputs; the registry knows it from --model alone."""
    monkeypatch.setattr("deblur_app.jobs.open_engine", lambda *_a, **_k: pytest.fail("the model was loaded"))
    assert main(["deblur", str(photo()), "--model", model, "--save-scales"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "returns only the full-size image (no 1/2 and 1/4 scale outputs)" in err, err


@pytest.mark.parametrize("architecture", ["nafnet", "fftformer"])
def test_save_scales_with_weights_of_a_network_without_them_is_refused_from_the_file_s_header(
        photo, tmp_path, capsys, monkeypatch, architecture):
    """`deblur --weights nafnet.safetensors --save-scales`: with --weights alone the network was known only once the
    file was read and the engine built (3 s for NAFNet-64, after the photos' decoding); the tensor names in the
    safetensors header tell it in a millisecond, so it is a usage error before anything loads. MIMO-UNet's still run."""
    from deblur_app.model import networks
    from deblur_app.model.checkpoints import architecture_in_header, save_checkpoint
    from deblur_app.model.registry import ARCHITECTURES
    from test_network_checkpoints import FFTFORMER_16, NAFNET_16, small_state

    config = NAFNET_16 if architecture == "nafnet" else FFTFORMER_16
    model = networks.build(ARCHITECTURES[architecture], config)
    model.load_state_dict(small_state(architecture, **config))
    weights = save_checkpoint(tmp_path / "own.safetensors", model, {"trained_by": "tests"})
    monkeypatch.setattr("deblur_app.jobs.run.open_checkpoint", lambda *_a, **_k: pytest.fail("the weights were read"))
    assert main(["deblur", str(photo()), "--weights", str(weights), "--save-scales"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "returns only the full-size image (no 1/2 and 1/4 scale outputs)" in err, err
    assert architecture_in_header(weights) is ARCHITECTURES[architecture]
    seeded = save_seeded_weights(tmp_path / "mimo", "tests") / "mimo-unet.safetensors"
    assert architecture_in_header(seeded).has_coarse_outputs
    (tmp_path / "text.safetensors").write_text("not weights")
    assert architecture_in_header(tmp_path / "text.safetensors") is None  # loading it says why, as before


def test_the_help_names_every_network_of_the_registry(capsys):
    """`deblur-app --help` said "(MIMO-UNet)" while --model takes NAFNet and FFTformer too: the description
    names the registry's architectures, so a network added there is named here."""
    from deblur_app.model.registry import ARCHITECTURES

    with pytest.raises(SystemExit):
        main(["--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert all(architecture.display_name in said for architecture in ARCHITECTURES.values()) and "--model" in said


LOOP_SAYS = "is a symbolic link loop (it leads back to itself, never to a file)"


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="symbolic links")
def test_a_symbolic_link_loop_is_named_as_one_for_weights_photos_and_outputs(photo, tmp_path, capsys, monkeypatch):
    """`--weights loop.safetensors` (a link to itself) said "file not found", of a file `ls` lists. Weights, a photo
    and an output path now say what it is, in one line naming the file, before any model loads (one decision:
    reasons.is_link_loop, behind imagefiles.not_a_file_reason and the weights' checks)."""
    monkeypatch.setattr("deblur_app.jobs.run.make_engine", lambda *_a, **_k: pytest.fail("an engine was made"))
    source, links = photo("shot.png"), tmp_path / "links"
    links.mkdir()
    for name in ("loop.safetensors", "loop.png", "out.png"):
        (links / name).symlink_to(name)

    def one_line(argv, code=1):
        assert main(argv) == code
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, err
        return err.strip()

    weights = links / "loop.safetensors"
    assert one_line(["deblur", str(source), "--weights", str(weights)]) == f"deblur-app: {weights}: {LOOP_SAYS}"
    assert one_line(["weights", "install", str(weights)]) == f"deblur-app: {weights}: {LOOP_SAYS}"
    loop_photo = links / "loop.png"
    assert one_line(["deblur", str(loop_photo), "-o", str(tmp_path / "a.png")]) == f"deblur-app: {loop_photo}: {LOOP_SAYS}"
    for overwrite in ([], ["--overwrite"]):  # no flag lets an output replace a link that leads nowhere
        output = links / "out.png"
        assert one_line(["deblur", str(source), "-o", str(output), *overwrite]) == f"deblur-app: {output}: {LOOP_SAYS}"
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    (folder / "loop.png").symlink_to("loop.png")
    imagefiles.save_image(folder / "b.png", imagefiles.load_image(source).pixels)
    (out / "b_deblurred.png").symlink_to("b_deblurred.png")
    assert main(["batch", str(folder), str(out), "--overwrite"]) == 1
    captured = capsys.readouterr()
    said = captured.out + captured.err
    assert f"left out {folder / 'loop.png'}: {LOOP_SAYS}" in said and "Traceback" not in said, said
    assert f"failed: {out / 'b_deblurred.png'}: {LOOP_SAYS}" in said
    assert (out / "b_deblurred.png").is_symlink()
