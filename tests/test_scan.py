"""Blur scan: fast reduced decode, the scan loop, `deblur-app scan` and `batch --only-blurred`."""

import csv
import io
import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from deblur_app import imagefiles
from deblur_app.cli.main import main
from deblur_app.jobs.scan import ScanJob, iter_scan, score_photo
from deblur_app.jobs.spec import BatchJob
from deblur_app.jobs import run as jobs
from deblur_app.training.blur_labels import disc_kernel
from deblur_app.triage import assess, calibration

from test_batch import CopyEngine
from test_blur_score import blurred, horizontal_shake, scene


def write_jpeg(path: Path, rgb: np.ndarray, orientation: int = 1, quality: int = 92) -> Path:
    image = Image.fromarray(rgb)
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    image.save(path, quality=quality, exif=exif.tobytes())
    return path


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """A folder: a sharp and two blurred photos, a bad JPEG, a truncated one, a sub-folder, a text file."""
    folder = tmp_path_factory.mktemp("scan")
    sharp = scene(600, 900, seed=11)
    write_jpeg(folder / "sharp.jpg", sharp)
    write_jpeg(folder / "defocused.jpg", blurred(sharp, disc_kernel(5)))
    (folder / "sub").mkdir()
    imagefiles.save_image(folder / "sub" / "shaken.png", blurred(sharp, horizontal_shake(17)).astype(np.float32) / 255)
    (folder / "fake.jpg").write_text("not a photo")
    data = (folder / "sharp.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (folder / "notes.txt").write_text("a note")
    return folder


def test_a_large_jpeg_is_decoded_reduced_upright_and_scores_like_its_full_decode(tmp_path):
    sharp = cv2.resize(scene(600, 800, seed=2), (3200, 2400), interpolation=cv2.INTER_LANCZOS4)
    photo = blurred(sharp, disc_kernel(9))
    path = write_jpeg(tmp_path / "big.jpg", photo)
    small = imagefiles.load_for_measuring(path)
    assert small.shape == (576, 768, 3) and small.dtype == np.uint8
    full = imagefiles.load_image(path).pixels
    # libjpeg's DCT scaling is a slightly different low-pass from an area downscale: 5 % apart at most
    reduced, reference = assess(small), assess(full)
    assert abs(reduced.edge_width - reference.edge_width) <= 0.05 * reference.edge_width
    assert reduced.verdict == reference.verdict
    turned = imagefiles.load_for_measuring(write_jpeg(tmp_path / "turned.jpg", photo, orientation=6))
    assert turned.shape == (768, 576, 3)  # EXIF orientation applied
    np.testing.assert_allclose(turned.astype(float), np.rot90(small, -1).astype(float), atol=6)


def test_the_scan_decodes_luma_alone_upright_and_scores_as_the_rgb_decode_does(tmp_path):
    """The scan reads a JPEG's Y channel only (draft mode "L": no chroma IDCT, upsampling or colour
    conversion); JPEG's Y is the luma the score computes from RGB, so only rounding differs."""
    sharp = cv2.resize(scene(600, 800, seed=4), (3200, 2400), interpolation=cv2.INTER_LANCZOS4)
    for name, photo in (("sharp", sharp), ("defocused", blurred(sharp, disc_kernel(6)))):
        path = write_jpeg(tmp_path / f"{name}.jpg", photo)
        rgb, luma = imagefiles.load_for_measuring(path), imagefiles.load_for_measuring(path, grey=True)
        assert luma.shape == (576, 768) and luma.dtype == np.uint8
        assert np.abs(luma.astype(int) - cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(int)).max() <= 3
        assert abs(assess(luma).blur_score - assess(rgb).blur_score) <= 1.5
        assert score_photo(path)[0].blur_score == assess(luma).blur_score  # what the scan reads
    turned = imagefiles.load_for_measuring(write_jpeg(tmp_path / "turned.jpg", sharp, orientation=6), grey=True)
    assert turned.shape == (768, 576)
    np.testing.assert_allclose(turned.astype(float), np.rot90(luma_of(sharp, tmp_path), -1).astype(float), atol=6)
    png = tmp_path / "photo.png"
    imagefiles.save_image(png, sharp[:300, :400].astype(np.float32) / 255)
    rgb = imagefiles.load_for_measuring(png)  # not a JPEG: decoded, then the same luma as the score's
    np.testing.assert_array_equal(imagefiles.load_for_measuring(png, grey=True), cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))


def luma_of(photo: np.ndarray, folder: Path) -> np.ndarray:
    return imagefiles.load_for_measuring(write_jpeg(folder / "upright.jpg", photo), grey=True)


def test_a_small_photo_keeps_its_size_and_16_bit_png_reads(tmp_path):
    pixels = scene(120, 200, seed=3).astype(np.float32) / 255
    imagefiles.save_image(tmp_path / "deep.png", pixels, bit_depth=16)
    read = imagefiles.load_for_measuring(tmp_path / "deep.png")
    assert read.shape == (120, 200, 3) and read.dtype == np.uint8
    assert np.abs(read.astype(int) - np.rint(pixels * 255).astype(int)).max() <= 1


def _with_chunk(png: Path, kind: bytes, body: bytes) -> Path:
    """The PNG with one more chunk after its header (IHDR): gAMA, sRGB..."""
    import struct
    import zlib

    data = png.read_bytes()
    chunk = struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png.write_bytes(data[:33] + chunk + data[33:])
    return png


def _large_photo(folder: Path, kind: str, rgb: np.ndarray) -> Path:
    """``rgb`` (uint8) written as a PNG or TIFF of the given kind, as cameras, editors and this app write them."""
    pixels = rgb.astype(np.float32) / 255
    if kind in ("tif-lzw", "tif-jpeg", "tif-tiled"):  # OpenCV's default (LZW), its JPEG, tifffile's 256 px tiles
        path = folder / f"{kind}.tif"
        if kind == "tif-tiled":
            import tifffile

            tifffile.imwrite(path, rgb, compression="zlib", predictor=2, photometric="rgb", tile=(256, 256))
        else:
            params = [cv2.IMWRITE_TIFF_COMPRESSION, 7, cv2.IMWRITE_TIFF_ROWSPERSTRIP, 16] if kind == "tif-jpeg" else []
            assert cv2.imwrite(str(path), rgb[..., ::-1], params)
        return path
    if kind.startswith("tif"):
        path = folder / f"{kind}.tif"
        depth = 16 if kind == "tif16" else 8
        imagefiles.save_image(path, pixels[..., :1] if kind == "tif-grey" else pixels, bit_depth=depth)
        return path
    path = folder / f"{kind}.png"
    if kind == "png16":
        imagefiles.save_image(path, pixels, bit_depth=16)
    elif kind == "png-grey16":
        cv2.imwrite(str(path), np.rint(pixels[..., 1] * 65535).astype(np.uint16))
    else:
        image = Image.fromarray(rgb)
        image = {"png-rgba": lambda: image.convert("RGBA"), "png-palette": lambda: image.quantize(64),
                 "png-grey": lambda: image.convert("L"), "png-grey-alpha": lambda: image.convert("LA")}.get(
            kind, lambda: image)()
        exif = Image.Exif()
        if kind == "png-turned":
            exif[0x0112] = 6
        image.save(path, exif=exif.tobytes())
    if kind == "png-interlaced":
        from test_pngbands import _interlaced

        path.write_bytes(_interlaced(path.read_bytes()))
    if kind == "png-srgb":  # libpng converts colour to grey in linear light with this chunk: the scan must not
        _with_chunk(_with_chunk(path, b"sRGB", b"\x00"), b"gAMA", (45455).to_bytes(4, "big"))
    return path


LARGE_KINDS = ["png", "png-rgba", "png-palette", "png-grey", "png-grey-alpha", "png16", "png-grey16", "png-srgb",
               "png-turned", "png-interlaced", "tif", "tif16", "tif-grey", "tif-lzw", "tif-jpeg", "tif-tiled"]


@pytest.mark.parametrize("kind", LARGE_KINDS)
def test_a_large_png_or_tiff_is_read_small_without_the_whole_decode_and_scores_as_it(tmp_path, monkeypatch, kind):
    """A PNG or TIFF is decoded into its own integers and shrunk from them (a 150 MP PNG's scan held 4.7 GB with
    the whole decode in float): the picture is the whole decode's shrunk to 768 px, to rounding, in every mode
    (alpha, palette, grey, 16-bit, an sRGB chunk, EXIF orientation), and each blur scores the same. (A TIFF turned
    by its tags is decoded whole: OpenCV turns it, told to or not; test_imagefiles reads it upright.)"""
    from deblur_app.imagefiles import reading

    sharp = cv2.resize(scene(250, 330, seed=5), (1320, 1000), interpolation=cv2.INTER_LANCZOS4)
    for name, rgb in (("sharp", sharp), ("defocused", blurred(sharp, disc_kernel(5))),
                      ("shaken", blurred(sharp, horizontal_shake(15)))):
        folder = tmp_path / name
        folder.mkdir()
        path = _large_photo(folder, kind, rgb)
        whole = np.clip(np.rint(imagefiles.load_reduced(path, 768) * 255), 0, 255).astype(np.uint8)
        with monkeypatch.context() as patched:  # the whole decode is not what the scan reads
            patched.setattr(reading, "load_reduced_from_bytes", lambda *args: pytest.fail("decoded whole"))
            small, luma = imagefiles.load_for_measuring(path), imagefiles.load_for_measuring(path, grey=True)
            row, _ = score_photo(path)
        assert small.shape == whole.shape == ((768, 582, 3) if kind.endswith("turned") else (582, 768, 3))
        assert np.abs(small.astype(int) - whole.astype(int)).max() <= 1, (kind, name)
        np.testing.assert_array_equal(luma, cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
        reference = assess(cv2.cvtColor(whole, cv2.COLOR_RGB2GRAY))
        assert abs(row.blur_score - reference.blur_score) <= 0.5 and row.verdict == reference.verdict, (kind, name)


@pytest.mark.parametrize("kind,decoded_bytes_per_pixel", [("png", 3), ("png16", 6), ("tif", 3), ("png-grey", 1),
                                                          ("tif-lzw", 3), ("tif-jpeg", 3), ("tif-tiled", 3)])
def test_a_large_png_or_tiff_is_scanned_without_the_whole_photo_in_float(tmp_path, kind, decoded_bytes_per_pixel):
    """Memory, from what Python and numpy allocate while a scan reads a 4 MP photo (tracemalloc: OpenCV's
    pictures are numpy arrays): the file's bytes and one array of its pixels as the file holds them. The whole
    decode made them float (12 bytes a pixel) on top of an 8-bit copy, and a copy of the float: 4.7 GB at 150 MP."""
    import tracemalloc

    rng = np.random.default_rng(6)
    base = cv2.resize(scene(200, 300, seed=6), (2400, 1600), interpolation=cv2.INTER_CUBIC)
    photo = np.clip(base.astype(np.int16) + rng.integers(-4, 5, base.shape, dtype=np.int16), 0, 255).astype(np.uint8)
    path = _large_photo(tmp_path, kind, photo)
    tracemalloc.start()
    try:
        imagefiles.load_for_measuring(path, grey=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    bound = path.stat().st_size + decoded_bytes_per_pixel * 2400 * 1600 * 1.1 + 2_000_000
    assert peak <= bound, f"{peak / 1e6:.0f} MB for a {path.stat().st_size / 1e6:.0f} MB file of 3.84 MP"


def test_a_png_opencv_cannot_decode_is_left_to_the_whole_decode(tmp_path, monkeypatch):
    """Where OpenCV gives up on a PNG (data libpng refuses under good checksums), the scan reads it as before: the
    whole decode's picture, or its one-line reason."""
    from deblur_app.imagefiles import scanning

    path = tmp_path / "photo.png"
    imagefiles.save_image(path, cv2.resize(scene(200, 300, seed=7), (1200, 800)).astype(np.float32) / 255)
    whole = np.clip(np.rint(imagefiles.load_reduced(path, 768) * 255), 0, 255).astype(np.uint8)
    monkeypatch.setattr(scanning.cv2, "imdecode", lambda *args: None)
    np.testing.assert_array_equal(imagefiles.load_for_measuring(path), whole)
    path.write_bytes(path.read_bytes()[:-2000] + bytes(2000))  # cut short: the whole decode says so
    row, problem = score_photo(path)
    assert row is None and problem.startswith(str(path)) and "\n" not in problem, problem


@pytest.mark.parametrize("name,reason", [("fake.jpg", "not an image file"), ("truncated.jpg", "truncated")])
def test_unreadable_photos_fail_with_one_line_naming_them(photos, name, reason):
    row, problem = score_photo(photos / name)
    assert row is None and problem.startswith(str(photos / name)) and reason in problem and "\n" not in problem


def test_a_photo_over_the_megapixel_limit_is_refused_before_decoding(photos):
    row, problem = score_photo(photos / "sharp.jpg", max_megapixels=0.1)
    assert row is None and "megapixels exceeds the limit" in problem


def test_the_scan_scores_every_photo_and_names_the_rest(photos):
    events = list(iter_scan(ScanJob(photos, recursive=True, workers=2)))
    assert events[0].kind == "start" and events[0].total == 5
    rows = {e.path.name: e.row for e in events if e.kind == "scored"}
    assert rows["sharp.jpg"].verdict == "sharp"
    assert rows["defocused.jpg"].verdict == "blurred" and rows["shaken.png"].verdict == "blurred"
    summary = events[-1].summary
    assert summary.counts == {"sharp": 1, "slightly blurred": 0, "blurred": 2}
    assert sorted(p.name for p, _ in summary.failed) == ["fake.jpg", "truncated.jpg"]
    assert [(p.name, reason.endswith("not an image file")) for p, reason in summary.ignored] == [("notes.txt", True)]
    assert not summary.cancelled


def test_a_cancelled_scan_stops_and_says_so(tmp_path):
    for index in range(40):
        write_jpeg(tmp_path / f"p{index:02}.jpg", scene(60, 80, seed=index, shapes=8))
    cancel = threading.Event()
    seen = 0
    for event in iter_scan(ScanJob(tmp_path, workers=1), cancel=cancel):
        if event.kind == "scored":
            seen += 1
            cancel.set()
        summary = event.summary
    assert summary.cancelled and seen < 40


def scan(*args: str) -> int:
    return main(["scan", *args])


def test_scan_prints_the_csv_contract_and_a_summary(photos, capsys):
    code = scan(str(photos), "--recursive", "--sort", "--processes", "1")
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 1  # two photos could not be read, as batch
    assert list(rows[0]) == ["path", "blur_score", "verdict"]
    assert [Path(r["path"]).name for r in rows][-1] == "sharp.jpg"  # blurriest first
    scores = [float(r["blur_score"]) for r in rows]
    assert scores == sorted(scores, reverse=True) and all(0 <= s <= 100 for s in scores)
    assert "5 photo(s) scanned" in err and "1 sharp, 0 slightly blurred, 2 blurred, 2 unreadable" in err
    assert f"unreadable: {photos / 'truncated.jpg'}: file is truncated" in err
    assert "notes.txt" in err and "Traceback" not in err


def test_scan_writes_csv_and_json_files(photos, tmp_path, capsys):
    report, data = tmp_path / "out" / "blur.csv", tmp_path / "blur.json"
    scan(str(photos), "--csv", str(report), "--json", str(data))
    rows = list(csv.DictReader(report.open()))
    assert {Path(r["path"]).name for r in rows} == {"sharp.jpg", "defocused.jpg"}  # not recursive
    written = json.loads(data.read_text())
    assert {Path(p["path"]).name for p in written["photos"]} == {"sharp.jpg", "defocused.jpg"}
    assert len(written["failed"]) == 2 and written["counts"]["blurred"] == 1
    assert not [p for p in report.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_scan_never_writes_over_a_photo(photos, capsys):
    before = (photos / "sharp.jpg").read_bytes()
    assert scan(str(photos), "--csv", str(photos / "sharp.jpg")) == 2
    assert "is the input photo" in capsys.readouterr().err
    assert (photos / "sharp.jpg").read_bytes() == before
    assert scan(str(photos), "--json", str(photos / "sub")) == 2
    assert "--json" in capsys.readouterr().err and (photos / "sub").is_dir()


def test_a_report_never_goes_through_a_link_into_a_photo_of_a_sub_folder(photos, tmp_path, capsys):
    """scan's own rule looked at the folder's top level only, and a report is written through a link (for
    /dev/stdout): --csv report.csv, a link to DIR/sub/a.jpg, overwrote the photo with the CSV. Now the report's
    path is asked of the one output policy (jobs.naming.output_refusal), which protects every file below the folder
    (scanned with --recursive or not) and what links reach, before anything is scored."""
    import shutil

    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(photos / "sub" / "shaken.png", folder / "sub" / "a.png")
    before = (folder / "sub" / "a.png").read_bytes()
    link = tmp_path / "report.csv"
    link.symlink_to(folder / "sub" / "a.png")
    for recursive in (["--recursive"], []):
        assert scan(str(folder), *recursive, "--csv", str(link), "--processes", "1") == 2
        err = capsys.readouterr().err
        assert f"--csv {link}: already exists and is the input photo {folder / 'sub' / 'a.png'}" in err
        assert "Traceback" not in err and "path,blur_score" not in capsys.readouterr().out
    assert (folder / "sub" / "a.png").read_bytes() == before and link.is_symlink()


def test_scan_usage_errors_and_an_empty_folder(tmp_path, capsys):
    assert scan(str(tmp_path / "missing")) == 2
    assert capsys.readouterr().err == f"deblur-app: {tmp_path / 'missing'}: no such folder\n"  # a typo: not there
    (tmp_path / "notes.txt").write_text("notes")
    assert scan(str(tmp_path / "notes.txt")) == 2
    assert capsys.readouterr().err == f"deblur-app: {tmp_path / 'notes.txt'}: not a folder\n"
    assert scan(str(tmp_path)) == 1
    assert "no photos found" in capsys.readouterr().err


def test_batch_with_a_blur_filter_deblurs_only_the_blurred(photos, tmp_path):
    engine = CopyEngine()
    job = BatchJob(photos, tmp_path / "out", recursive=True, min_blur=calibration().blurred_from)
    events = list(jobs.iter_batch(job, lambda: engine))
    skipped = {e.path.name: e.reason for e in events if e.kind == "skipped"}
    done = {e.path.name for e in events if e.kind == "done"}
    assert "sharp.jpg" in skipped and skipped["sharp.jpg"].startswith("sharp enough (blur score")
    assert done == {"defocused.jpg", "shaken.png"}
    assert engine.runs == 2


def test_batch_blur_filter_options_are_checked(photos, tmp_path, capsys):
    assert main(["batch", str(photos), str(tmp_path / "o"), "--min-blur", "120"]) == 2
    assert "--min-blur must be a blur score from 0 to 100" in capsys.readouterr().err


def test_a_name_with_a_terminal_escape_is_escaped_on_a_terminal_and_kept_in_a_report(tmp_path, capsys, monkeypatch):
    """The scan printed "x\\x1b[2J.jpg" raw into its CSV on the terminal, which ran the escape sequence (clearing
    the screen); on a terminal the path is escaped; piped or written to --csv, it stays the file's real name."""
    folder = tmp_path / "in"
    folder.mkdir()
    hostile = folder / "clear\x1b[2J\x1b[H.jpg"
    Image.fromarray(scene(64)).convert("RGB").save(hostile)
    (folder / "bad\x1b[31m.jpg").write_bytes(b"")
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    scan(str(folder))
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err, ascii(out + err)
    assert f"{folder}/clear\\x1b[2J\\x1b[H.jpg," in out and "bad\\x1b[31m.jpg: file is empty" in err
    monkeypatch.setattr("sys.stdout.isatty", lambda: False)
    scan(str(folder), "--csv", str(tmp_path / "blur.csv"))
    scan(str(folder))
    piped = capsys.readouterr().out
    assert [row["path"] for row in csv.DictReader(io.StringIO(piped))] == [str(hostile)]
    assert [row["path"] for row in csv.DictReader((tmp_path / "blur.csv").open(newline=""))] == [str(hostile)]


def test_a_report_that_cannot_be_written_is_said_before_the_scan_in_one_line(photos, tmp_path, capsys, monkeypatch):
    """--csv into a read-only folder scanned every photo, then crashed (a PermissionError and a crash log)
    on the report's temporary file. Now the folder is tried first; a disk that fills meanwhile is one line too."""
    import errno

    from deblur_app.cli import scan as scan_cli

    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, where the report's folder would be")
    scored = []
    monkeypatch.setattr("deblur_app.jobs.scan.iter_scan", lambda *a, **k: scored.append(a) or iter(()))
    assert scan(str(photos), "--json", str(not_a_folder / "blur.json")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"deblur-app: --json: {not_a_folder}: cannot create the folder (") and err.count("\n") == 1
    assert not scored, "refused before any photo was scored"
    monkeypatch.undo()

    def disk_full(target, _text):
        raise OSError(errno.ENOSPC, "No space left on device", str(target))

    monkeypatch.setattr(scan_cli.reports, "write_report", disk_full)
    assert scan(str(photos), "--csv", str(tmp_path / "blur.csv")) == 1
    err = capsys.readouterr().err
    assert f"deblur-app: {tmp_path / 'blur.csv'}: cannot write the report (No space left on device)" in err
    assert "Traceback" not in err and "Error:" not in err


def test_a_report_to_a_link_or_a_pipe_is_written_into_it_never_renamed_over_it(photos, tmp_path):
    """--json /dev/stdout made a temporary file in /dev and renamed it over the link /dev/stdout (as root: the
    link replaced by a file, for every program after). Whatever is at the path, if not a regular file, is written
    through, as a shell's ">" does. (Shown here with a link and a pipe in tmp_path: never /dev in a test.)"""
    import os
    import threading

    pipe, kept, link = tmp_path / "report.fifo", tmp_path / "kept.json", tmp_path / "link.json"
    os.mkfifo(pipe)
    kept.write_text("old")
    link.symlink_to(kept)
    read = {}
    reader = threading.Thread(target=lambda: read.setdefault("text", pipe.read_text()), daemon=True)
    reader.start()
    scan(str(photos), "--csv", str(pipe), "--json", str(link))
    reader.join(timeout=60)
    assert read["text"].startswith("path,blur_score,verdict\n") and pipe.is_fifo()
    assert link.is_symlink() and '"counts"' in kept.read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_ctrl_c_during_a_scan_says_how_far_it_got_and_writes_no_report(tmp_path, monkeypatch, capsys):
    from deblur_app.jobs import scan as scanning
    from deblur_app.jobs.scan import ScanEvent

    for index in range(3):
        imagefiles.save_image(tmp_path / f"p{index}.png", np.full((16, 16, 3), 0.5, np.float32))

    def interrupted(job, remote=None):
        yield ScanEvent("start", total=3)
        yield ScanEvent("failed", 1, 3, tmp_path / "p0.png", reason="p0.png: unreadable")
        raise KeyboardInterrupt

    monkeypatch.setattr(scanning, "iter_scan", interrupted)
    report = tmp_path / "report.csv"
    assert main(["scan", str(tmp_path), "--csv", str(report)]) == 130
    captured = capsys.readouterr()
    said = [line for line in captured.err.splitlines() if "stopped" in line]
    assert said == ["deblur-app: stopped (Ctrl+C) after 1 of 3 photo(s); no rows or report written"], captured.err
    assert not report.exists() and captured.out == ""

