"""The batch pipeline (jobs/pipeline.py): reading and writing overlap the network, and nothing else changes:
the events, their order, the skips and failures with their reasons, and cancelling (no partial file)."""

from __future__ import annotations

import io
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from deblur_app import imagefiles, reasons
from deblur_app.engine.inference import DeblurResult
from deblur_app.engine.progress import Cancelled, Progress
from deblur_app.jobs import pipeline
from deblur_app.jobs import run as jobs
from deblur_app.jobs.spec import BatchJob, SaveOptions


class HalvingEngine:
    """Stands in for the network: darkens the photo (outputs differ from inputs), reports two steps,
    can take a while, is cancellable, and fails on photos whose name says so."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds, self.runs = seconds, 0

    def run(self, pixels, progress=None, cancel=None, tile=None, ensemble=False):
        self.runs += 1
        if pixels.shape[1] == 40:  # the "bug" photo below
            raise RuntimeError("simulated failure\nin the network")
        deadline = time.monotonic() + self.seconds
        if progress is not None:
            progress(Progress(1, 2))
        while time.monotonic() < deadline:
            if cancel is not None and cancel.is_set():
                raise Cancelled("cancelled")
            time.sleep(0.005)
        if progress is not None:
            progress(Progress(2, 2))
        full = pixels * 0.5
        return DeblurResult(full, full[::2, ::2].copy(), full[::4, ::4].copy())


@pytest.fixture
def mixed(tmp_path, photo_like):
    """Good photos, one corrupt file, one whose output exists (skipped), one the network fails on."""
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    out.mkdir()
    for index in range(6):
        imagefiles.save_image(source / f"p{index}.png", photo_like(24, 32, index))
    (source / "p2.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    imagefiles.save_image(out / "p3_deblurred.png", photo_like(24, 32, 9))
    (source / "p4.png").unlink()
    imagefiles.save_image(source / "p4.png", photo_like(24, 40, 4))  # HalvingEngine fails on width 40
    return source, out


def reference_outcome(source: Path, target: Path) -> tuple[str, str, bytes]:
    """What deblur_planned, the per-photo step of every batch (and of a cluster worker), makes of one
    photo alone: (kind, reason, output bytes)."""
    done, reason, _disk_full = jobs.deblur_planned(source, target, HalvingEngine(), SaveOptions())
    return ("failed", reason, b"") if reason else ("done", "", target.read_bytes())


def test_events_order_skips_failures_and_outputs_are_those_of_photo_by_photo(mixed, tmp_path):
    source, out = mixed
    progress: list = []
    events = list(jobs.iter_batch(BatchJob(source, out, skip_existing=True), HalvingEngine,
                                  on_progress=progress.append))
    photo_events = [(e.kind, e.index) for e in events if e.kind not in ("start", "end", "left_out")]
    files = photo_events[::2]  # every photo: its "file" event, its outcome right after it
    assert [kind for kind, _ in files] == ["file"] * 6 and sorted(i for _, i in files) == list(range(6))
    assert [i for _, i in photo_events[1::2]] == [i for _, i in files]
    outcomes = dict((i, kind) for kind, i in photo_events[1::2])
    assert outcomes == {0: "done", 1: "done", 2: "failed", 3: "skipped", 4: "failed", 5: "done"}
    ran = [i for _, i in files if i in (0, 1, 4, 5) or outcomes[i] == "done"]
    assert ran[-4:] == sorted(ran[-4:]), "the photos that reach the network report in their order"
    alone = tmp_path / "alone"
    alone.mkdir()
    for event in events:
        if event.kind in ("done", "failed"):
            kind, reason, data = reference_outcome(event.path, alone / event.output.name)
            assert (event.kind, event.reason or "") == (kind, reason.replace(str(alone), str(out)))
            assert event.kind == "failed" or event.output.read_bytes() == data
    summary = events[-1].summary
    assert (summary.done, summary.skipped, len(summary.failed)) == (3, 1, 2)
    assert "simulated failure in the network" in dict(summary.failed)[source / "p4.png"]
    # progress of each photo comes after its "file" event and before its outcome, on the caller's thread
    order = []
    for event in jobs.iter_batch(BatchJob(source, tmp_path / "third"), HalvingEngine,
                                 on_progress=lambda e: order.append(("progress", e.index, threading.current_thread()))):
        order.append((event.kind, event.index, threading.current_thread()))
    assert {thread for *_, thread in order} == {threading.current_thread()}
    for index in (0, 1, 5):
        at = [i for i, (kind, idx, _) in enumerate(order) if idx == index and kind not in ("start", "end")]
        assert [order[i][0] for i in at] == ["file", "progress", "progress", "done"], order


def test_reading_and_writing_overlap_the_network(tmp_path, photo_like, monkeypatch):
    source = tmp_path / "in"
    source.mkdir()
    for index in range(6):
        imagefiles.save_image(source / f"p{index}.png", photo_like(24, 32, index))
    real_load, real_save = jobs.load_photo, jobs.save_result
    busy = {"load": 0.15, "save": 0.15}
    in_flight, most = [0], [0]
    lock = threading.Lock()

    def slow_load(*args, **kwargs):
        time.sleep(busy["load"])
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        return real_load(*args, **kwargs)

    def slow_save(*args, **kwargs):
        time.sleep(busy["save"])
        written = real_save(*args, **kwargs)
        with lock:
            in_flight[0] -= 1
        return written

    monkeypatch.setattr(jobs, "load_photo", slow_load)
    monkeypatch.setattr(jobs, "save_result", slow_save)
    started = time.monotonic()
    events = list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), lambda: HalvingEngine(seconds=0.15)))
    seconds = time.monotonic() - started
    assert events[-1].summary.done == 6
    # one after the other: 6 x 0.45 s = 2.7 s; overlapped: about 6 x 0.15 + 0.3 s = 1.2 s
    assert seconds < 2.0, seconds
    assert most[0] <= pipeline.IN_FLIGHT  # memory: never more than two photos between reading and writing
    monkeypatch.setattr(pipeline, "LARGE_PIXELS", 100)  # every photo is "large": one at a time
    most[0] = 0
    list(jobs.iter_batch(BatchJob(source, tmp_path / "large"), lambda: HalvingEngine(seconds=0.05)))
    assert most[0] == 1 and len(list((tmp_path / "large").iterdir())) == 6


class PreparedEngine(HalvingEngine):
    """Records when it was prepared for a photo, by which thread, against when photos were decoded."""

    def __init__(self, log: list) -> None:
        super().__init__()
        self.log = log

    def prepare_photo(self, height, width, tile=None, ensemble=False, cancel=None):
        self.log.append(("prepare", (height, width), threading.current_thread().name))


def _a_large_and_a_small_photo_whose_loads_are_logged(tmp_path, photo_like, monkeypatch):
    """A folder of a "large" photo (24x32, over a lowered LARGE_PIXELS) and a small one, and the log every decode
    (jobs.load_photo) is written into, as a stand-in engine writes its preparations."""
    source = tmp_path / "in"
    source.mkdir()
    imagefiles.save_image(source / "p0.png", photo_like(24, 32, 0))
    imagefiles.save_image(source / "p1.png", photo_like(30, 20, 1))
    log: list = []
    real_load = jobs.load_photo
    monkeypatch.setattr(jobs, "load_photo", lambda path, *a, **k: log.append(("load", path.name)) or real_load(path, *a, **k))
    monkeypatch.setattr(pipeline, "LARGE_PIXELS", 700)  # 24x32 is "large", 30x20 is not
    return source, log


def test_a_large_photo_is_prepared_for_by_the_network_thread_before_it_is_decoded(tmp_path, photo_like, monkeypatch):
    """A first use's export (NAFNet-64: +1.2 GB) must not stack on a decoded 12 MP photo: the engine is prepared for
    the photo's size, from its header, before the reader decodes it; photos up to LARGE_PIXELS are not waited on."""
    source, log = _a_large_and_a_small_photo_whose_loads_are_logged(tmp_path, photo_like, monkeypatch)
    events = list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), lambda: PreparedEngine(log)))
    assert events[-1].summary.done == 2
    assert log == [("prepare", (24, 32), "deblur-batch-network"), ("load", "p0.png"), ("load", "p1.png")]
    assert imagefiles.photo_size(source / "p1.png") == (30, 20)
    assert imagefiles.photo_size(tmp_path / "missing.png") is None  # the decoding says why, as before
    assert imagefiles.photo_size(source / "p1.png", max_pixels=500) is None  # over the limit: refused when decoded
    from PIL import Image

    turned = tmp_path / "turned.jpg"  # EXIF orientation 6: stored 30 wide and 20 high, shown 20 wide and 30 high
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (30, 20)).save(turned, exif=exif)
    assert imagefiles.photo_size(turned) == imagefiles.load_image(turned).pixels.shape[:2] == (30, 20)



def test_the_windows_batch_prepares_a_large_photo_before_it_is_decoded(qtbot, tmp_path, photo_like, monkeypatch):
    """The window's worker runs its batches through the same pipeline (jobs.iter_batch), so a large photo prepares
    the worker's engine from its header before it is decoded there too, one decision for both front ends."""
    from deblur_app.engine.progress import CancelToken
    from deblur_app.gui.messages import BatchRequest, Job, RunSettings
    from deblur_app.gui.worker import EngineWorker

    source, log = _a_large_and_a_small_photo_whose_loads_are_logged(tmp_path, photo_like, monkeypatch)
    worker, finished = EngineWorker(), []
    engine = PreparedEngine(log)
    monkeypatch.setattr(worker, "_engine_for", lambda settings: engine)
    worker.finished.connect(lambda job_id, summary: finished.append(summary))
    worker.handle(Job(1, CancelToken(), BatchRequest(source, tmp_path / "out", RunSettings(device="cpu"))))
    assert finished and finished[0].done == 2
    assert log == [("prepare", (24, 32), "deblur-batch-network"), ("load", "p0.png"), ("load", "p1.png")]


def test_photos_cut_short_are_named_before_the_network_loads_even_a_large_one(tmp_path, photo_like, monkeypatch):
    """`deblur-app deblur truncated.jpg`: a large photo prepares the engine before it is decoded (test above), so a
    JPEG cut short used to be named only after the network had loaded (minutes on a first use). It is named with the
    checks instead, told from its structure (no decode), and a batch of only such photos never opens the engine."""
    from PIL import Image

    source = tmp_path / "in"
    source.mkdir()
    pixels = (photo_like(48, 64, 0) * 255).astype(np.uint8)
    whole = source / "whole.jpg"
    Image.fromarray(pixels).save(whole, quality=95)
    data = whole.read_bytes()
    (source / "cut.jpg").write_bytes(data[: len(data) // 2])
    (source / "no_end.jpg").write_bytes(data[:-2])
    progressive = source / "progressive.jpg"
    Image.fromarray(pixels).save(progressive, progressive=True)
    (source / "cut_progressive.jpg").write_bytes(progressive.read_bytes()[:-40])
    progressive.unlink()
    whole.unlink()
    opened: list = []
    monkeypatch.setattr(pipeline, "LARGE_PIXELS", 100)  # every photo here is "large": prepared for before decoding
    events = list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), lambda: opened.append(1) or PreparedEngine([])))
    assert opened == []
    failed = {event.path.name: event.reason for event in events if event.kind == "failed"}
    assert sorted(failed) == ["cut.jpg", "cut_progressive.jpg", "no_end.jpg"]
    assert all("truncated" in reason and reason.startswith(str(source)) for reason in failed.values())
    assert not (tmp_path / "out").exists() or not any(p.is_file() for p in (tmp_path / "out").iterdir())


def test_the_cut_short_check_passes_every_whole_jpeg(tmp_path, photo_like):
    """No false alarm: a thumbnail's own end marker inside the EXIF, data after the end (a motion photo's video), fill
    bytes before a marker, and a progressive JPEG all decode, so none is called cut short."""
    from PIL import Image

    pixels = (photo_like(48, 64, 1) * 255).astype(np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 1
    plain = tmp_path / "plain.jpg"
    Image.fromarray(pixels).save(plain, exif=exif)
    thumbnail = tmp_path / "thumbnail.jpg"  # an APP1 segment holding a whole JPEG, end marker included
    inner = (tmp_path / "inner.jpg")
    Image.fromarray(pixels[:8, :8]).save(inner)
    data = plain.read_bytes()
    app1 = b"\xff\xe1" + (len(inner.read_bytes()) + 2).to_bytes(2, "big") + inner.read_bytes()
    thumbnail.write_bytes(data[:2] + app1 + data[2:])
    trailer = tmp_path / "motion.jpg"
    trailer.write_bytes(data + b"\x00\x00\x00\x18ftypmp42" + bytes(4096))
    filled = tmp_path / "filled.jpg"
    filled.write_bytes(data[:2] + b"\xff" + data[2:])
    progressive = tmp_path / "progressive.jpg"
    Image.fromarray(pixels).save(progressive, progressive=True)
    for path in (plain, thumbnail, trailer, progressive, filled):
        imagefiles.load_image(path)  # the decoder takes it
        assert imagefiles.cut_short_reason(path) == "", path.name
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(thumbnail.read_bytes()[:-100])  # the thumbnail's end marker does not make it whole
    with pytest.raises(imagefiles.ImageFileError):
        imagefiles.load_image(cut)
    assert "truncated" in imagefiles.cut_short_reason(cut)
    png = tmp_path / "p.png"
    imagefiles.save_image(png, photo_like(8, 8))
    assert imagefiles.cut_short_reason(png) == imagefiles.cut_short_reason(tmp_path / "missing.jpg") == ""


def _cut_copies(folder, photo_like, fmt: str, suffix: str, **options) -> tuple:
    """A whole file of ``fmt`` and copies of it cut short at several places (a PNG's end chunk, mid data, in the
    header), made here from synthetic pixels."""
    from PIL import Image

    whole = folder / f"whole{suffix}"
    Image.fromarray((photo_like(48, 64, 2) * 255).astype(np.uint8)).save(whole, fmt, **options)
    data = whole.read_bytes()
    cuts = []
    for keep in (len(data) - 12, len(data) // 2, 40):
        cut = folder / f"cut{keep}_{fmt.lower()}{suffix}"
        cut.write_bytes(data[:keep])
        cuts.append(cut)
    return whole, cuts


@pytest.mark.parametrize("fmt, suffix, options, said", [
    ("PNG", ".png", {}, "PNG data stops before the end chunk IEND"),
    ("TIFF", ".tif", {}, "TIFF image data runs past the end of the file"),
    ("TIFF", ".tif", {"compression": "tiff_lzw"}, "TIFF image data runs past the end of the file"),
    ("WEBP", ".webp", {"quality": 90}, "shorter than its WebP header says"),
    ("WEBP", ".webp", {"lossless": True}, "shorter than its WebP header says"),
])
def test_a_png_tiff_or_webp_cut_short_is_told_from_its_structure(tmp_path, photo_like, fmt, suffix, options, said):
    """Only JPEG was checked before the network loaded: a PNG, TIFF or WebP cut short (a copy stopped half way)
    was found only when decoded, after a large photo's engine preparation, and a cut LZW TIFF (its directory
    written after the data) was "not an image file". Every cut copy is named; the whole file, and one with
    bytes after its end (as the decoders allow), is not; and the decoder agrees that each cut copy is bad."""
    whole, cuts = _cut_copies(tmp_path, photo_like, fmt, suffix, **options)
    trailing = tmp_path / f"trailing{suffix}"
    trailing.write_bytes(whole.read_bytes() + b"camera maker's notes" * 4)
    crc_cut = tmp_path / f"crc_cut{suffix}"  # a PNG's IEND with its CRC cut off: the decoder takes it, so must we
    crc_cut.write_bytes(whole.read_bytes()[:-2] if fmt == "PNG" else whole.read_bytes())
    for path in (whole, trailing, crc_cut):
        imagefiles.load_image(path)
        assert imagefiles.cut_short_reason(path) == "", path.name
    for cut in cuts:
        assert said in imagefiles.cut_short_reason(cut), cut.name
        with pytest.raises(imagefiles.ImageFileError):
            imagefiles.load_image(cut)


def test_the_cut_short_check_walks_a_png_s_chunks_without_reading_its_data(tmp_path, photo_like, monkeypatch):
    """A PNG (here with bytes after IEND) is walked chunk by chunk: the reads are the 12-byte head, the 8-byte
    chunk headers and the 13-byte IHDR, never the image data (a 100 MB PNG must cost milliseconds before the
    network loads); a damaged chunk type is left to the decoder to name (not called cut short)."""
    import zlib

    rows = b"".join(b"\x00" + bytes(range(256)) * 3 for _ in range(256))  # 256x256 RGB, filter 0
    idat = zlib.compress(rows * 4, 0)
    def chunk(kind, body):
        return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")
    header = chunk(b"IHDR", (256).to_bytes(4, "big") + (1024).to_bytes(4, "big") + bytes([8, 2, 0, 0, 0]))
    pieces = [idat[i: i + 8192] for i in range(0, len(idat), 8192)]
    body = b"\x89PNG\r\n\x1a\n" + header + b"".join(chunk(b"IDAT", p) for p in pieces) + chunk(b"IEND", b"")
    trailing = tmp_path / "trailing.png"
    trailing.write_bytes(body + b"x" * 100)
    reads: list[int] = []

    class Counting:
        def __init__(self, handle):
            self.handle = handle
        def read(self, size=-1):
            data = self.handle.read(size)
            reads.append(len(data))
            return data
        def __getattr__(self, name):
            return getattr(self.handle, name)
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.handle.close()

    from deblur_app.imagefiles import completeness
    real_open_regular = completeness.open_regular  # how the check opens the file (never waiting on a pipe)
    monkeypatch.setattr(completeness, "open_regular", lambda path: Counting(real_open_regular(path)))
    assert completeness.cut_short_reason(trailing) == ""
    assert len(pieces) > 50 and max(reads) <= 13 and sum(reads) < 20 * (len(pieces) + 3)
    monkeypatch.undo()
    (tmp_path / "cut.png").write_bytes(body[: len(body) // 2])
    assert "IEND" in completeness.cut_short_reason(tmp_path / "cut.png")
    damaged = bytearray(body[:-12])
    damaged[8 + 25 + 4: 8 + 25 + 8] = b"\x00\x01\x02\x03"  # the first IDAT's type
    (tmp_path / "damaged.png").write_bytes(bytes(damaged))
    assert completeness.cut_short_reason(tmp_path / "damaged.png") == ""


def test_a_batch_names_a_png_tiff_and_webp_cut_short_before_the_network_loads(tmp_path, photo_like, monkeypatch):
    source = tmp_path / "in"
    source.mkdir()
    for fmt, suffix in (("PNG", ".png"), ("TIFF", ".tif"), ("WEBP", ".webp")):
        whole, _cuts = _cut_copies(source, photo_like, fmt, suffix)
        whole.unlink()
    opened: list = []
    monkeypatch.setattr(pipeline, "LARGE_PIXELS", 100)  # every photo here is "large": prepared for before decoding
    events = list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), lambda: opened.append(1) or PreparedEngine([])))
    assert opened == [], "no photo was whole: the engine never opened"
    failed = {event.path.name: event.reason for event in events if event.kind == "failed"}
    assert len(failed) == 9 and all("file is truncated (" in reason for reason in failed.values())


def _liars(folder) -> list:
    """A PNG and a JPEG whose headers say 12000 x 9000 pixels (108 MP, under the 200 MP limit) over a few hundred
    bytes of data, each whole in its structure (IEND; the end-of-image marker)."""
    import io
    import struct
    import zlib

    from PIL import Image

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = folder / "liar.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 12000, 9000, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))
    small = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 150)).save(small, "JPEG")
    data = bytearray(small.getvalue())
    frame = data.find(b"\xff\xc0")
    data[frame + 5: frame + 9] = struct.pack(">HH", 9000, 12000)  # height, width
    jpeg = folder / "liar.jpg"
    jpeg.write_bytes(bytes(data))
    return [png, jpeg]


def test_a_huge_size_in_a_tiny_file_is_named_before_the_network_loads(tmp_path, monkeypatch):
    """`deblur liar.jpg` (a 700-byte JPEG whose header says 12000 x 9000): the decoder fills the missing rows with
    grey and says nothing, so the network loaded and ran for many minutes on 108 MP of grey (3.5 GB); the PNG
    one loaded the network before its decode failed. Told from the structure now: a Huffman JPEG codes at least
    one bit per 8x8 block, deflate compresses at best 1032:1, so data below that is no whole picture."""
    source = tmp_path / "in"
    source.mkdir()
    png, jpeg = _liars(source)
    for path, name in ((png, "PNG"), (jpeg, "JPEG")):
        assert imagefiles.cut_short_reason(path) == (
            f"file is truncated or damaged (its {name} data is too short for 12000 x 9000 pixels)")
    opened: list = []
    events = list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), lambda: opened.append(1) or PreparedEngine([])))
    assert opened == []
    failed = {event.path.name: event.reason for event in events if event.kind == "failed"}
    assert sorted(failed) == ["liar.jpg", "liar.png"] and all("too short for" in r for r in failed.values())


def test_the_data_bound_never_refuses_a_whole_photo_that_compresses_extremely_well(tmp_path):
    """One flat colour is the best case of both codecs: 4000 x 3000 PNGs of every colour type at the highest
    compression, JPEGs with optimised Huffman tables (progressive too) at the lowest quality, all decode whole."""
    from PIL import Image

    made = []
    for mode, colour in (("RGB", (128, 128, 128)), ("L", 0), ("1", 0), ("P", 0), ("I;16", 0), ("RGBA", (0, 0, 0, 0))):
        path = tmp_path / f"flat_{mode.replace(';', '')}.png"
        Image.new(mode, (4000, 3000), colour).save(path, compress_level=9, optimize=True)
        made.append(path)
    for index, options in enumerate(({"quality": 1, "optimize": True}, {"quality": 1, "progressive": True,
                                                                       "optimize": True})):
        for mode in ("RGB", "L"):
            path = tmp_path / f"flat_{mode}_{index}.jpg"
            Image.new(mode, (4000, 3000), 0).save(path, **options)
            made.append(path)
    for path in made:
        assert imagefiles.cut_short_reason(path) == "", path.name


def test_cancel_lets_the_write_under_way_finish_and_nothing_is_written_after_the_end(tmp_path, photo_like, monkeypatch):
    source, out = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    for index in range(5):
        imagefiles.save_image(source / f"p{index}.png", photo_like(24, 32, index))
    stop = threading.Event()
    real_save = jobs.save_result
    saves = []

    def save_then_cancel(*args, **kwargs):
        saves.append(args[2])
        if len(saves) == 2:
            stop.set()  # cancelled while this write is under way (and the network runs the next photo)
            time.sleep(0.2)
        return real_save(*args, **kwargs)

    monkeypatch.setattr(jobs, "save_result", save_then_cancel)
    events = list(jobs.iter_batch(BatchJob(source, out), lambda: HalvingEngine(seconds=0.1), cancel=stop))
    summary = events[-1].summary
    assert summary.cancelled and "failed" not in [e.kind for e in events]
    written = sorted(p.name for p in out.iterdir())
    assert written == sorted(p.name for p in saves) and summary.done == len(written)
    for path in out.iterdir():  # whole files only (atomic writes), no temporaries
        assert imagefiles.load_image(path).pixels.shape == (24, 32, 3)
    time.sleep(0.3)
    assert sorted(p.name for p in out.iterdir()) == written, "nothing is written after the batch ended"
    assert not [t for t in threading.enumerate() if t.name.startswith("deblur-batch-")]


def _photos(folder: Path, photo_like, count: int) -> Path:
    folder.mkdir()
    for index in range(count):
        imagefiles.save_image(folder / f"p{index}.png", photo_like(24, 32, index))
    return folder


class CancelledAtTheThirdRun(HalvingEngine):
    """The user cancels while the network runs the third photo: by then the second one's result waits for the
    writer (the first is still being written: ``first_write_waits``), the state the old close() dropped."""

    def __init__(self, cancel: threading.Event) -> None:
        super().__init__()
        self.cancel, self.third_run = cancel, threading.Event()

    def run(self, pixels, progress=None, cancel=None, **kwargs):
        if self.runs == 2:
            self.runs += 1
            self.cancel.set()
            self.third_run.set()
            raise Cancelled("cancelled")
        return super().run(pixels, progress, cancel, **kwargs)


def test_a_cancel_writes_every_photo_the_network_had_finished_and_reports_it(tmp_path, photo_like, monkeypatch):
    """A cancel used to drop a photo whose network run had ended but whose write had not begun (close() drained the
    writer's queue): minutes of work lost, and the summary and the folder could disagree. The cancel writes it
    (atomically) and reports it, runs nothing more, and the summary's count is the folder's. No timing is involved:
    the first write waits until the network has begun the third photo, so the second's result is waiting then."""
    source, out = _photos(tmp_path / "in", photo_like, 5), tmp_path / "out"
    monkeypatch.setattr(pipeline, "IN_FLIGHT", 3)  # the third photo reaches the network while the first is written
    cancel = threading.Event()
    engine = CancelledAtTheThirdRun(cancel)
    real_save = jobs.save_result

    def first_write_waits(*args, **kwargs):
        if args[2].name == "p0_deblurred.png":
            assert engine.third_run.wait(60), "the network never began the third photo"
        return real_save(*args, **kwargs)

    monkeypatch.setattr(jobs, "save_result", first_write_waits)
    events = list(jobs.iter_batch(BatchJob(source, out), lambda: engine, cancel=cancel))
    summary = events[-1].summary
    assert summary.cancelled and engine.runs == 3, "nothing runs after the cancel"
    assert [(e.kind, e.path.name) for e in events if e.kind in ("done", "failed", "skipped")] == [
        ("done", "p0.png"), ("done", "p1.png")]
    assert sorted(p.name for p in out.iterdir()) == ["p0_deblurred.png", "p1_deblurred.png"]  # no temporary
    assert summary.done == 2 and not summary.failed and not summary.skipped
    for path in out.iterdir():
        assert imagefiles.load_image(path).pixels.shape == (24, 32, 3)
    assert not [t for t in threading.enumerate() if t.name.startswith("deblur-batch-")]


def test_a_caller_that_stops_listening_begins_no_write_it_would_not_report(tmp_path, photo_like):
    """close() alone (an exception on the caller's thread, a second Ctrl+C): a photo the network finished is not
    written, since nobody would report it; the write under way finishes."""
    results, first_write, release = [], threading.Event(), threading.Event()

    def save(plan, loaded, result):
        if plan == "p0":
            first_write.set()
            assert release.wait(60)
        results.append(plan)
        return plan

    network_done = threading.Event()

    def deblur(engine, loaded, progress, cancel):
        if loaded == "p1":
            network_done.set()
        return loaded

    steps = pipeline.Steps(load=lambda plan: plan, deblur=deblur, save=save, reason=lambda plan, error: str(error),
                           pixels=lambda loaded: 1)
    running = pipeline.Pipeline([(0, "p0"), (1, "p1"), (2, "p2")], steps, lambda: object(), None)
    assert first_write.wait(60) and network_done.wait(60)
    closing = threading.Thread(target=running.close)
    closing.start()
    while not running._abandoned.is_set():  # close() has stopped the pipeline: only now may the first write end
        time.sleep(0.001)
    release.set()
    closing.join(60)
    assert not closing.is_alive() and results == ["p0"]


def test_an_engine_that_cannot_load_stops_the_batch_as_before(mixed, tmp_path):
    source, out = mixed

    def no_engine():
        raise jobs.JobError("no weights installed")

    events = []
    with pytest.raises(jobs.JobError, match="no weights installed"):
        for event in jobs.iter_batch(BatchJob(source, tmp_path / "fresh"), no_engine):
            events.append(event)
    # the corrupt p2.png is named from its header before the engine loads; then the engine fails at p0
    assert [(e.kind, e.index) for e in events] == [("start", 0), ("file", 2), ("failed", 2), ("file", 0)]
    assert not [t for t in threading.enumerate() if t.name.startswith("deblur-batch-")]
    assert not np.any([p.suffix == ".png" for p in (tmp_path / "fresh").iterdir()])


def test_a_caller_that_stops_listening_ends_the_network_pass_at_once(mixed, tmp_path):
    """Ctrl+C reaches the caller's thread, not the network's: closing the batch (the generator's
    finally) must cancel the pass under way instead of waiting it out, and write nothing after."""
    source, _out = mixed
    out = tmp_path / "slow"
    started = threading.Event()

    class SlowEngine(HalvingEngine):
        def run(self, *args, **kwargs):
            started.set()
            return super().run(*args, **kwargs)

    batch = jobs.iter_batch(BatchJob(source, out), lambda: SlowEngine(seconds=30.0))
    for event in batch:
        if event.kind == "file" and event.path.name != "p2.png":  # p2.png fails from its header, before the model
            break
    assert started.wait(20), "the network's pass never began"
    begun = time.monotonic()
    batch.close()  # what an exception on the caller's thread does to the generator
    assert time.monotonic() - begun < 5.0, "close() waited for the network's 30 s pass"
    assert not [t for t in threading.enumerate() if t.name.startswith("deblur-batch-")]
    assert not (out.exists() and [p for p in out.iterdir() if p.is_file()])


def test_an_interrupt_inside_the_network_thread_reaches_the_caller_and_nothing_hangs(mixed, tmp_path):
    source, _out = mixed

    class InterruptedEngine(HalvingEngine):
        def run(self, *args, **kwargs):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(jobs.iter_batch(BatchJob(source, tmp_path / "fresh"), InterruptedEngine))
    assert not [t for t in threading.enumerate() if t.name.startswith("deblur-batch-")]


def test_the_window_and_eval_refuse_a_huge_size_in_a_tiny_file_too(tmp_path):
    """The window (and eval) read photos with load_image alone, without the batch's checks: liar.jpg opened as
    108 MP of silent grey, ready to deblur for many minutes. load_image asks the structure first."""
    for path in _liars(tmp_path):
        with pytest.raises(imagefiles.ImageFileError) as refused:
            imagefiles.load_image(path)
        assert str(refused.value) == f"{path}: " + imagefiles.cut_short_reason(path)


def test_a_scan_calls_a_huge_size_in_a_tiny_file_unreadable_not_blurred(tmp_path):
    """`scan` decodes JPEGs its own way (draft mode): liar.jpg came out as grey and was scored "blurred, 100.0",
    a verdict on a picture the file does not hold. It is unreadable, with the structural reason."""
    from deblur_app.imagefiles.scanning import load_for_measuring

    for path in _liars(tmp_path):
        with pytest.raises(imagefiles.ImageFileError) as refused:
            load_for_measuring(path, grey=True)
        assert "too short for 12000 x 9000 pixels" in str(refused.value)


def test_a_full_output_disk_stops_the_batch_instead_of_running_the_network_for_nothing(tmp_path, photo_like,
                                                                                          monkeypatch):
    """Driven on a 300 KB tmpfs: `batch in out` ran the network on every photo and failed each write with "No space
    left on device" (minutes a photo on a real batch, for nothing). The first write that finds the disk full stops
    the batch: the photos after it fail at once, saying why, and no partial file is left."""
    import errno
    import os

    from deblur_app.imagefiles import writing

    source = tmp_path / "in"
    source.mkdir()
    for index in range(6):
        imagefiles.save_image(source / f"p{index}.png", photo_like(24, 32, index))

    def disk_full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writing.os, "fsync", disk_full)
    engine = HalvingEngine(seconds=0.05)
    events = list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), lambda: engine))
    failed = [event.reason for event in events if event.kind == "failed"]
    summary = events[-1].summary
    assert len(failed) == 6 and summary.done == 0 and not summary.cancelled
    assert "No space left on device" in failed[0]
    assert all("not deblurred: the output folder's disk is full" in reason for reason in failed[-3:])
    assert engine.runs <= 1 + pipeline.IN_FLIGHT, "the network stopped with the first full write"
    assert os.listdir(tmp_path / "out") == []
    assert not pipeline.disk_full(OSError(errno.EACCES, "Permission denied")) and pipeline.disk_full(
        OSError(errno.EDQUOT, "Disk quota exceeded"))


def _whole_jpegs(folder, photo_like) -> list:
    """Whole JPEGs of the kinds a cut-short check must pass: baseline, progressive, restart markers (with and
    without progressive), 4:4:4, grey, CMYK, an EXIF thumbnail's own end marker, a motion photo's data after the
    end, and one whose bottom is flat mid-grey (as a block with no data decodes)."""
    from PIL import Image

    pixels = (photo_like(61, 83, 3) * 255).astype(np.uint8)
    made = []
    for name, mode, options in (("baseline", "RGB", {"quality": 90}), ("progressive", "RGB", {"progressive": True}),
                                ("restart", "RGB", {"restart_marker_blocks": 3}),
                                ("restart_progressive", "RGB", {"progressive": True, "restart_marker_rows": 1}),
                                ("full_chroma", "RGB", {"subsampling": 0, "quality": 95}), ("grey", "L", {}),
                                ("cmyk", "CMYK", {}), ("cmyk_progressive", "CMYK", {"progressive": True})):
        made.append(folder / f"{name}.jpg")
        Image.fromarray(pixels).convert(mode).save(made[-1], **options)
    grey_bottom = pixels.copy()
    grey_bottom[32:] = 128
    made.append(folder / "grey_bottom.jpg")
    Image.fromarray(grey_bottom).save(made[-1], quality=90)
    thumbnail = folder / "thumbnail.jpg"
    inner = io.BytesIO()
    Image.fromarray(pixels[:8, :8]).save(inner, "JPEG")
    data = made[0].read_bytes()
    thumbnail.write_bytes(data[:2] + b"\xff\xe1" + (len(inner.getvalue()) + 2).to_bytes(2, "big") + inner.getvalue()
                          + data[2:])
    motion = folder / "motion.jpg"
    motion.write_bytes(data + b"\x00\x00\x00\x18ftypmp42" + bytes(4096) + b"\xff\xd8\xff\xd9")
    return made + [thumbnail, motion]


def test_a_jpeg_cut_short_and_closed_with_an_end_marker_is_refused_not_decoded_grey(tmp_path, photo_like, monkeypatch):
    """A JPEG cut in the middle of its data with FF D9 appended passed the structural check (its end marker is
    there) and decoded without an error: libjpeg fills the blocks it has no data for with grey (a progressive
    one: without the cut scans' detail) and only warns. load_image and the scan's draft decode refuse it in one
    line now (jpegend.py: the picture depends on filler put before the end marker); a batch goes on past it.
    No false alarm on whole JPEGs of every kind, even with the second decode forced on each."""
    from deblur_app.imagefiles import jpegend
    from deblur_app.imagefiles.scanning import load_for_measuring

    source = tmp_path / "in"
    source.mkdir()
    whole = _whole_jpegs(source, photo_like)
    cut = []
    for path in whole[:8]:
        data = path.read_bytes()
        end = jpegend.scans_end(data)[0]
        for share in (0.35, 0.7, 0.97):
            keep = int(end * share)
            keep -= data[keep - 1] == 0xFF  # not between a stuffed FF and its 00
            cut.append(source / f"cut{int(share * 100)}_{path.name}")
            cut[-1].write_bytes(data[:keep] + b"\xff\xd9")
    said = "file is truncated (its JPEG data stops before the picture does; an end-of-image marker follows the cut)"
    for path in cut:
        structure = imagefiles.cut_short_reason(path)  # the marker is there; a progressive one lacks its later scans
        if "progressive" in path.name:
            assert structure in ("", str(reasons.reason(reasons.JPEG_SCANS_MISSING))), path.name
        else:
            assert structure == "", "the structure alone does not tell: the marker is there"
        for read in (imagefiles.load_image, lambda p: load_for_measuring(p, grey=True), load_for_measuring):
            with pytest.raises(imagefiles.ImageFileError) as refused:
                read(path)
            if "progressive" in path.name or "restart" in path.name:  # a cut next to a marker: Pillow's own says it
                assert str(refused.value).startswith(f"{path}: file is truncated"), path.name
            else:
                assert str(refused.value) == f"{path}: {said}", path.name
    for forced in (False, True):
        if forced:  # every whole file through the second decode, not only those with a grey last pixel
            monkeypatch.setattr(jpegend, "_blank_corner", lambda decoded: True)
        for path in whole:
            imagefiles.load_image(path)
            load_for_measuring(path, grey=True)
    monkeypatch.undo()
    events = list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), lambda: HalvingEngine()))
    failed = {event.path.name: event.reason for event in events if event.kind == "failed"}
    assert sorted(failed) == sorted(path.name for path in cut)
    assert events[-1].summary.done == len(whole)


def test_a_small_jpeg_cut_inside_its_last_mcu_is_refused(tmp_path, photo_like):
    """A sequential JPEG cut a few bytes before its end (inside its last MCU) and closed with FF D9: the decoder
    fills the rest of that MCU from zero bits, not grey, and no block after it is left blank, so the last pixel
    did not call for the decoder check and the file loaded (6 of 1728 cuts of benchmarks/check_jpeg_cuts.py, all
    in files under 25 KB). A small file is always decoded again now (jpegend.SMALL_FILE); the whole files load."""
    from PIL import Image
    from deblur_app.imagefiles import jpegend
    from deblur_app.imagefiles.scanning import load_for_measuring

    pixels = ((0.6 + 0.4 * photo_like(39, 147, 5)) * 255).astype(np.uint8)  # bright: its corner far from grey
    said = "file is truncated (its JPEG data stops before the picture does; an end-of-image marker follows the cut)"
    for name, mode, options in (("baseline", "RGB", {"quality": 90}), ("full_chroma", "RGB", {"subsampling": 0}),
                                ("grey", "L", {})):
        whole = io.BytesIO()
        Image.fromarray(pixels).convert(mode).save(whole, "JPEG", **options)
        data = whole.getvalue()
        end = jpegend.scans_end(data)[0]
        keep = end - 3 - (data[end - 4] == 0xFF)  # a few bytes of the last MCU lost, not between FF and its 00
        path = tmp_path / f"cut_{name}.jpg"
        path.write_bytes(data[:keep] + b"\xff\xd9")
        (tmp_path / f"whole_{name}.jpg").write_bytes(data)
        decoded = jpegend.decode_full(path.read_bytes())
        assert not jpegend._blank_corner(decoded), "the case the last pixel does not tell"
        assert np.asarray(decoded).tobytes() != np.asarray(jpegend.decode_full(data)).tobytes(), name
        assert len(path.read_bytes()) <= jpegend.SMALL_FILE
        for read in (imagefiles.load_image, load_for_measuring):
            with pytest.raises(imagefiles.ImageFileError) as refused:
                read(path)
            assert str(refused.value) == f"{path}: {said}", name
            read(tmp_path / f"whole_{name}.jpg")


def test_a_progressive_jpeg_cut_between_two_scans_is_refused_before_it_is_decoded(tmp_path, photo_like):
    """A progressive JPEG cut exactly between two scans and closed with FF D9 decoded without a word: every block
    there, the later scans' detail (or a colour) missing, so a blurred-looking photo, deblurred and saved as the
    photo; the decoder check (jpegend.py) cannot see it, the picture does not depend on anything after the cut.
    The scan headers say it: a coefficient of a component is left without its last bit. Refused in one line by
    the structural check (completeness.py), before any decode, with or without the end marker; a batch goes on."""
    from PIL import Image
    from deblur_app.imagefiles.scanning import load_for_measuring

    source = tmp_path / "in"
    source.mkdir()
    pixels = (photo_like(61, 83, 3) * 255).astype(np.uint8)
    cut = []
    for name, mode, options in (("rgb", "RGB", {}), ("grey", "L", {}), ("cmyk", "CMYK", {}),
                                ("restart", "RGB", {"restart_marker_rows": 1}), ("full_chroma", "RGB", {"subsampling": 0})):
        whole = io.BytesIO()
        Image.fromarray(pixels).convert(mode).save(whole, "JPEG", progressive=True, **options)
        data = whole.getvalue()
        scans = [index for index in range(len(data) - 1) if data[index: index + 2] == b"\xff\xda"]
        assert len(scans) > 2, name
        (source / f"whole_{name}.jpg").write_bytes(data)
        for number, scan in enumerate(scans[1:], 1):
            for tail in (b"\xff\xd9", b""):
                cut.append(source / f"cut{number}{'_closed' if tail else ''}_{name}.jpg")
                cut[-1].write_bytes(data[:scan] + tail)
    said = "file is truncated (its later JPEG scans, with the fine detail, are missing)"
    for path in cut:
        reason = imagefiles.cut_short_reason(path)
        if "_closed" in path.name:
            assert reason == said, path.name
        else:
            assert reason == "file is truncated (its JPEG data stops before the end-of-image marker)", path.name
        for read in (imagefiles.load_image, lambda p: load_for_measuring(p, grey=True), load_for_measuring):
            with pytest.raises(imagefiles.ImageFileError) as refused:
                read(path)
            assert str(refused.value) == f"{path}: {reason}", path.name
    events = list(jobs.iter_batch(BatchJob(source, tmp_path / "out"), lambda: HalvingEngine()))
    failed = {event.path.name: event.reason for event in events if event.kind == "failed"}
    assert sorted(failed) == sorted(path.name for path in cut)
    assert events[-1].summary.done == 5


def test_overwrite_never_replaces_a_photo_of_the_input_folder_named_like_an_output(tmp_path, photo_like):
    """`batch in in --overwrite` with the user's own in/a_deblurred.png (no marker of this app: a photo of theirs,
    named like a.png's output) left it out as "an output of this app" by its name, and then wrote a.png's output
    over it: an original of the input folder replaced. Only a file carrying this app's marker (or a BMP, which
    has no place for one) may be replaced there; the batch says why it did not write, and goes on."""
    from PIL import Image

    source = tmp_path / "in"
    source.mkdir()
    for name in ("a", "b"):
        imagefiles.save_image(source / f"{name}.png", photo_like(24, 32, ord(name)))
    Image.fromarray((photo_like(24, 32, 5) * 255).astype(np.uint8)).save(source / "a_deblurred.png")  # the user's
    theirs = (source / "a_deblurred.png").read_bytes()
    first = list(jobs.iter_batch(BatchJob(source, source, skip_existing=False, save=SaveOptions(overwrite=True)),
                                 HalvingEngine))
    failed = {event.path.name: event.reason for event in first if event.kind == "failed"}
    assert (source / "a_deblurred.png").read_bytes() == theirs
    assert str(failed["a.png"]) == (f"{source / 'a_deblurred.png'}: already exists in the input folder without this "
                                    "app's marker (it may be a photo of yours); it is never replaced")
    again = list(jobs.iter_batch(BatchJob(source, source, skip_existing=False, save=SaveOptions(overwrite=True)),
                                 HalvingEngine))  # b_deblurred.png, written by the batch, carries the marker
    assert [e.path.name for e in again if e.kind == "done"] == ["b.png"], "its own output is replaced, as before"
    assert (source / "a_deblurred.png").read_bytes() == theirs


def test_a_sequential_jpeg_with_odd_scan_parameters_is_not_called_cut_between_scans(tmp_path, photo_like):
    """Some encoders write Se = 0 or Al != 0 in a baseline scan's header; libjpeg decodes every coefficient of a
    sequential scan anyway (it only warns), so the scan walk judges a sequential frame by its components alone."""
    from PIL import Image

    path = tmp_path / "odd_scan.jpg"
    Image.fromarray((photo_like(40, 48, 3) * 255).astype(np.uint8)).save(path, quality=90)
    data = bytearray(path.read_bytes())
    scan = data.index(b"\xff\xda")
    count = data[scan + 4]
    data[scan + 5 + 2 * count + 1] = 0  # Se
    data[scan + 5 + 2 * count + 2] = 0x01  # Ah = 0, Al = 1
    path.write_bytes(bytes(data))
    assert imagefiles.cut_short_reason(path) == ""
    assert imagefiles.load_image(path).pixels.shape == (40, 48, 3)
