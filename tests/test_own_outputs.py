"""A batch never deblurs the app's own outputs, and names every file it leaves out (issue 22 items 1 and 5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deblur_app import imagefiles
from deblur_app.cli.main import main
from deblur_app.jobs import BatchJob, iter_batch
from deblur_app.jobs.naming import batch_candidates


# guikit's seeded MIMO-UNet weights (weights_dir) are the installed ones
pytestmark = pytest.mark.usefixtures("installed_weights")


def camera_photo(path: Path, size=(40, 56), seed=0) -> Path:
    """A photo as a camera or another program wrote it: no marker of this app."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (*size, 3), dtype=np.uint8)).save(path)
    return path


def animated_gif(path: Path, frames=3) -> Path:
    pictures = [Image.new("RGB", (24, 16), (40 * i, 90, 200)) for i in range(frames)]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=100, loop=0)
    return path


def multipage_tiff(path: Path, pages=3) -> Path:
    pictures = [Image.new("RGB", (24, 16), (40 * i, 90, 200)) for i in range(pages)]
    pictures[0].save(path, save_all=True, append_images=pictures[1:])
    return path


@pytest.mark.parametrize("name, bit_depth", [("a.jpg", 8), ("a.png", 8), ("a.png", 16), ("a.tif", 8),
                                             ("a.tif", 16), ("a.webp", 8)])
def test_every_output_format_with_a_place_for_it_carries_the_apps_marker(tmp_path, photo_like, name, bit_depth):
    from deblur_app import __version__

    path = imagefiles.save_image(tmp_path / name, photo_like(16, 24), bit_depth=bit_depth,
                                 marker=imagefiles.app_marker())
    assert imagefiles.file_facts(path).marker == f"deblur_app {__version__}"
    plain = imagefiles.save_image(tmp_path / f"plain-{name}", photo_like(16, 24), bit_depth=bit_depth)
    assert imagefiles.file_facts(plain).marker == ""  # only the app's outputs say so
    assert imagefiles.load_image(path).pixels.shape == (16, 24, 3)  # and the file still reads as before


def test_the_marker_leaves_the_photos_exif_as_it_was(tmp_path):
    source = tmp_path / "cam.jpg"
    exif = Image.Exif()
    exif[271], exif[305] = "TestCam", "Camera firmware 1.2"
    Image.new("RGB", (32, 24), (120, 80, 40)).save(source, exif=exif.tobytes())
    loaded = imagefiles.load_image(source)
    out = imagefiles.save_image(tmp_path / "out.jpg", loaded.pixels, like=loaded, marker=imagefiles.app_marker())
    with Image.open(out) as im:
        assert im.getexif()[271] == "TestCam" and im.getexif()[305] == "Camera firmware 1.2"
    assert imagefiles.file_facts(out).marker.startswith("deblur_app ")


def test_batch_skips_its_own_outputs_by_name_and_by_marker_and_names_every_file_it_leaves_out(tmp_path, capsys):
    folder = tmp_path / "photos"
    for index, name in enumerate(("lai_face.jpg", "street.png", "night.tif")):
        camera_photo(folder / name, seed=index)
    # the case: a deblurred copy saved beside its photo, then a batch of that folder
    assert main(["deblur", str(folder / "lai_face.jpg")]) == 0
    assert (folder / "lai_face_deblurred.jpg").exists()
    # an output renamed by the user: only the marker tells
    assert main(["deblur", str(folder / "street.png"), "-o", str(folder / "for_mum.png")]) == 0
    animated_gif(folder / "party.gif")
    multipage_tiff(folder / "scan.tif")
    (folder / "notes.txt").write_text("not a photo")
    (folder / ".DS_Store").write_bytes(b"\0")
    capsys.readouterr()

    out = tmp_path / "out"
    assert main(["batch", str(folder), str(out)]) == 0
    captured = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["lai_face_deblurred.jpg", "street_deblurred.png", "night_deblurred.tif"])  # 3 photos, not 5
    assert not list(out.glob("*_deblurred_deblurred*")) and not (out / "for_mum_deblurred.png").exists()
    lines = captured.out.splitlines()
    expected = {
        "lai_face_deblurred.jpg": "an output of this app (the deblurred copy of lai_face.jpg), not a photo to deblur",
        "for_mum.png": "an output of this app (made by deblur_app ",
        "party.gif": "an animated GIF (3 frames); only single-picture files are deblurred",
        "scan.tif": "a multi-page TIFF (3 pages); only single-picture files are deblurred",
        "notes.txt": "not an image file",
    }
    for name, reason in expected.items():
        assert any(line.startswith(f"left out {folder / name}: {reason}") for line in lines), (name, captured.out)
    assert ".DS_Store" not in captured.out + captured.err
    assert "3 deblurred, 0 skipped, 0 failed, 5 left out (not photos to deblur, listed above)" in captured.err


def test_the_summary_and_the_events_carry_the_left_out_files(tmp_path):
    folder = tmp_path / "in"
    camera_photo(folder / "a.png")
    animated_gif(folder / "b.gif")
    camera_photo(tmp_path / "out" / "a_deblurred.png")  # its output exists: skipped, no network needed
    job = BatchJob(folder, tmp_path / "out")
    events = list(iter_batch(job, load_engine=lambda: pytest.fail("no photo needs the network")))
    assert [e.kind for e in events] == ["start", "left_out", "file", "skipped", "end"]
    assert events[0].total == 1 and events[1].path == folder / "b.gif"
    summary = events[-1].summary
    assert summary.left_out == [(folder / "b.gif", f"{folder / 'b.gif'}: an animated GIF (3 frames); only "
                                 "single-picture files are deblurred: save the frame you want as its own file")]


def test_a_folder_of_only_left_out_files_says_so_with_reasons(tmp_path, capsys):
    folder = tmp_path / "in"
    animated_gif(folder.mkdir() or folder / "party.gif")
    assert main(["batch", str(folder), str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert f"left out {folder / 'party.gif'}: an animated GIF (3 frames)" in captured.out
    assert "no photos found (use --recursive for sub-folders); 1 other file(s) left out, see above" in captured.err
    assert not (tmp_path / "out").exists()


def test_a_multi_picture_file_is_refused_in_one_line_not_cut_to_its_first_page(tmp_path, capsys):
    scan = multipage_tiff(tmp_path / "scan.tif", pages=2)
    with pytest.raises(imagefiles.ImageFileError, match=r"scan.tif: a multi-page TIFF \(2 pages\); only single"):
        imagefiles.load_image(scan)
    assert main(["deblur", str(scan)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "using " not in err  # said before the model loads
    assert not (tmp_path / "scan_deblurred.tif").exists()


def test_cli_skipped_lines_give_the_reason(tmp_path, capsys):
    folder = tmp_path / "in"
    camera_photo(folder / "a.png")
    out = tmp_path / "out"
    assert main(["batch", str(folder), str(out)]) == 0
    capsys.readouterr()
    assert main(["batch", str(folder), str(out)]) == 0
    assert f"skipped {folder / 'a.png'}: a_deblurred.png already exists" in capsys.readouterr().out


def test_candidates_respect_a_custom_template_and_never_pair_a_photo_with_itself(tmp_path):
    folder = tmp_path / "in"
    camera_photo(folder / "a.png")
    camera_photo(folder / "a-sharp.png", seed=1)  # named by --name "{stem}-sharp{ext}", no marker
    camera_photo(folder / "b.png", seed=2)
    found = batch_candidates(folder, tmp_path / "out", False, "{stem}-sharp{ext}")
    assert [p.name for p, _ in found.pairs] == ["a.png", "b.png"]
    assert [p.name for p, _ in found.left_out] == ["a-sharp.png"]
    same_names = batch_candidates(folder, tmp_path / "out", False, "{name}")  # the template names the photo itself
    assert [p.name for p, _ in same_names.pairs] == ["a-sharp.png", "a.png", "b.png"]


def test_scan_leaves_out_the_apps_outputs_and_names_every_file_it_does_not_score(tmp_path, capsys):
    folder = tmp_path / "photos"
    camera_photo(folder / "lai_face.jpg")
    assert main(["deblur", str(folder / "lai_face.jpg")]) == 0
    animated_gif(folder / "party.gif")
    (folder / "notes.txt").write_text("not a photo")
    capsys.readouterr()
    assert main(["scan", str(folder), "--processes", "1"]) == 0
    captured = capsys.readouterr()
    assert [line.split(",")[0] for line in captured.out.splitlines()[1:]] == [str(folder / "lai_face.jpg")]
    for name, reason in [("lai_face_deblurred.jpg", "an output of this app (the deblurred copy of lai_face.jpg)"),
                         ("party.gif", "an animated GIF (3 frames)"), ("notes.txt", "not an image file")]:
        assert f"  not scored: {folder / name}: {reason}" in captured.err, captured.err
