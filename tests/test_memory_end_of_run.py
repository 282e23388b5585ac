"""The freed heap handed back between a large photo's phases (engine/heap.py): glibc keeps what a thread frees for that
thread's later mallocs, so what one phase freed (a tile's working memory, the result's 8-bit pictures, Save's copy of
the picture) stayed resident while the next phase, often on another thread, allocated its own. The window's 12 MP
Restormer run peaked at 1506 MB at its end that way (issue 26; benchmarks/RESULTS.md, session 18, window-12mp)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys

import numpy as np
import pytest

from deblur_app.engine import heap

glibc_only = pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc",
                                reason="malloc_trim is glibc's")


_FRAGMENT_AND_FREE = """
import json, threading
from deblur_app.engine import heap

def resident():
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS"))

measured = {}

def fragment_and_free():  # in a thread of its own, as the window's model and file threads are
    blocks = []
    for _ in range(1024):
        blocks.append(bytearray(64 * 1024))  # under glibc's smallest mmap threshold: from the heap, zeroed
        blocks.append(bytearray(1024))  # kept: the heap's top never becomes free
    kept = blocks[1::2]
    del blocks
    measured["freed"] = resident()
    heap.return_freed_memory()
    measured["handed back"] = resident()
    del kept

thread = threading.Thread(target=fragment_and_free)
thread.start()
thread.join()
print(json.dumps(measured))
"""


@glibc_only
def test_freed_holes_in_a_threads_heap_go_back_to_the_system():
    """64 MB freed between blocks still in use (a hole glibc never hands back on its own: only a heap's top is
    trimmed) stays resident until return_freed_memory, which hands it back. In a fresh process: late in a long test
    run the kept 1 KB blocks may land in older holes of a reused arena, so the freed 64 KB blocks join the heap's top
    and go back at free() already (CI measured 43 MB left to hand back of 64)."""
    child = subprocess.run([sys.executable, "-c", _FRAGMENT_AND_FREE], capture_output=True, text=True, timeout=120,
                           check=True)
    measured = json.loads(child.stdout)
    assert measured["freed"] - measured["handed back"] >= 48 * 1024**2, measured


def test_a_tiled_run_hands_each_tiles_freed_memory_back_before_the_next_tile(monkeypatch, photo_like):
    """Torch's working memory of a tile (Restormer at the window's 256-pixel tiles: some 400 MB) is freed into the
    heap; handed back after each tile, the next tile and the run's end start from what the photo holds, and before the
    first, what decoding the photo freed (the window decodes in its file thread). A photo run whole has nothing to hand
    back between tiles."""
    from deblur_app.engine import inference
    from deblur_app.engine.inference import Deblurrer, EngineOptions
    from deblur_app.engine.stitching import Stitcher
    from deblur_app.engine.tiling import MIN_TILE
    from deblur_app.model.mimo_unet import build_model

    events = []
    monkeypatch.setattr(inference, "return_freed_memory", lambda: events.append("trim"))
    add = Stitcher.add
    monkeypatch.setattr(Stitcher, "add", lambda stitcher, tile, outputs: events.append("tile") or add(stitcher, tile,
                                                                                                   outputs))
    engine = Deblurrer(build_model("mimo-unet"), EngineOptions(device="cpu", precision="fp32", backend="torch"))
    image = photo_like(MIN_TILE + 8, MIN_TILE + 8)
    events.clear()  # the engine's own trim after loading
    tiles = engine.run(image, tile=MIN_TILE, progress=lambda step: events.append("progress")).tiles
    assert tiles > 1 and events == ["trim", *["tile", "trim", "progress"] * tiles]
    events.clear()
    assert engine.run(image[:64, :64], tile=0).tiles == 1
    assert events == ["tile"]


def test_openvinos_compiled_models_let_go_for_a_photo_in_torch_are_handed_back_before_its_tiles(monkeypatch,
                                                                                              photo_like):
    """The window's first use compiles and times OpenVINO, then plans its 12 MP photo in torch (OpenVINO's copy leaves
    no tile room beside the window's pictures): the compiled models go, and their freed memory is handed back before
    the first tile, not left in the heap beside the photo's tiles. Nothing to hand back where nothing was compiled."""
    from deblur_app.engine import inference
    from deblur_app.engine.inference import Deblurrer, EngineOptions
    from deblur_app.engine.tiling import MIN_TILE
    from deblur_app.model.mimo_unet import build_model

    engine = Deblurrer(build_model("mimo-unet"), EngineOptions(device="cpu", precision="fp32", backend="torch"))
    events = []
    monkeypatch.setattr(inference, "return_freed_memory", lambda: events.append(("trim", engine._openvino)))
    monkeypatch.setattr(engine, "plan_photo", lambda height, width, tile=None: ("torch", MIN_TILE))
    engine.backend, engine._openvino = "openvino", "compiled models"
    image = photo_like(MIN_TILE + 8, MIN_TILE + 8)
    engine._plan_photo_run(image, None, False, None)
    assert events == [("trim", None)]
    events.clear()
    engine._plan_photo_run(image, None, False, None)
    assert events == []


class _ResultOfTheSize:
    """An engine whose result is the photo itself, made at once."""

    def planned_pixels(self, height, width, tile):
        return height * width

    def run(self, pixels, **_options):
        from deblur_app.engine.inference import DeblurResult

        return DeblurResult(full=pixels.copy(), tiles=4)


def test_the_window_hands_the_pictures_temporaries_back_before_it_shows_the_result(qapp, monkeypatch, photo_like):
    """The model thread composes the result's pictures (the bands of the blend and heatmap, the halved levels, freed
    once the pictures are made); handed back before the result goes to the window, whose pixmaps (the GUI thread) and
    Save (the file thread) allocate in other arenas."""
    from deblur_app.engine.progress import CancelToken
    from deblur_app.gui import worker as worker_module
    from deblur_app.gui.messages import DeblurRequest, Job, RunSettings

    events = []
    monkeypatch.setattr(worker_module, "return_freed_memory", lambda: events.append("trim"))
    compose = worker_module.compose_outcome
    monkeypatch.setattr(worker_module, "compose_outcome", lambda *a, **k: events.append("composed") or compose(*a, **k))
    worker = worker_module.EngineWorker()
    monkeypatch.setattr(worker, "_engine_for", lambda settings: _ResultOfTheSize())
    worker.finished.connect(lambda job_id, outcome: events.append("finished"))
    worker.failed.connect(lambda job_id, reason, details: events.append(details))
    pixels = photo_like(40, 60)
    worker.handle(Job(1, CancelToken(), DeblurRequest("p", pixels, RunSettings(device="cpu"))))
    assert events == ["composed", "trim", "finished"]


def test_the_file_pool_hands_the_encoders_copy_back_after_a_save(qtbot, monkeypatch, tmp_path, photo_like):
    """Pillow's copy of the picture Save encodes (48 MB at 12 MP) is freed in the file thread's arena; handed back
    before the window hears the file is written, it does not stay beside what the window does next."""
    from deblur_app import imagefiles
    from deblur_app.engine.inference import DeblurResult
    from deblur_app.gui import tasks

    events = []
    monkeypatch.setattr(tasks, "return_freed_memory", lambda: events.append("trim"))
    source = tmp_path / "photo.png"
    imagefiles.save_image(source, photo_like(24, 32))
    loaded = imagefiles.load_image(source)
    file_tasks = tasks.FileTasks()
    file_tasks.saved.connect(lambda outcome: events.append(("saved", [p.name for p in outcome.paths], outcome.error)))
    with qtbot.waitSignal(file_tasks.saved, timeout=20000):
        file_tasks.save("p", loaded, DeblurResult(full=np.clip(loaded.pixels * 0.9, 0, 1)),
                        tasks.SaveChoice(tmp_path / "photo_deblurred.png"))
    file_tasks.shutdown()
    assert events == ["trim", ("saved", ["photo_deblurred.png"], "")]


@pytest.mark.parametrize("name, options", [("a.jpg", {"quality": 90}), ("a.jpg", {"quality": 75}), ("a.png", {}),
                                           ("a.webp", {"quality": 80}), ("a.bmp", {}), ("gray.png", {})])
def test_pillows_picture_filled_in_bands_writes_the_very_file_the_whole_array_wrote(tmp_path, photo_like, name,
                                                                                   options):
    """Save's 8-bit samples go into Pillow's picture a band of rows at a time; the file is byte for byte the one
    Pillow wrote from the whole 8-bit array, in every 8-bit format Pillow writes, gray too."""
    from deblur_app.imagefiles import encoders, writing

    pixels = photo_like(2 * writing.QUANTISE_ROWS + 37, 90, seed=5)  # three bands, the last one short
    if name.startswith("gray"):
        pixels = pixels.mean(axis=2)
    written = writing.save_image(tmp_path / name, pixels, **options)
    fmt = writing._output_format(written, None)
    with open(tmp_path / f"whole-{name}", "wb") as whole:
        encoders.encode_pillow(whole, writing._quantise(pixels, 8), fmt, options.get("quality", 95), None, None)
    assert written.read_bytes() == (tmp_path / f"whole-{name}").read_bytes()


def test_a_jpeg_save_makes_no_whole_8_bit_copy_of_the_picture(tmp_path, photo_like):
    """Pillow's picture (4 bytes a pixel, not traced here) is filled from bands of the float result: numpy holds a
    band's temporaries at a time, not the whole 8-bit array beside Pillow's copy (3 bytes a pixel: 36 MB at 12 MP)."""
    import tracemalloc

    from deblur_app.imagefiles import writing

    pixels = photo_like(16 * writing.QUANTISE_ROWS, 1024, seed=6)  # 4 MP: 16 bands
    tracemalloc.start()
    try:
        writing.save_image(tmp_path / "a.jpg", pixels, quality=90)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    band, whole = writing.QUANTISE_ROWS * pixels.shape[1], pixels.shape[0] * pixels.shape[1]
    # a band's float32 temporaries: some 42 bytes a pixel of the band; the whole 8-bit array was 3 a pixel of the photo
    assert peak < 48 * band + whole, f"{peak / band:.1f} bytes a pixel of a band"
