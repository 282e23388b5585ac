"""A 12 MP photo end to end, as a user runs it: the peak memory of the whole process (children included)
beside the engine's modelled peak (Deblurrer.modelled_peak_bytes, what tiles are sized by). Issue 21/26's
goal: <= 1.5 GB for every network, through the CLI and the window, first use included.

Everything runs in a private home (XDG data, cache and config folders in a temporary folder), so the first
run really is a first use (the OpenVINO export, the path timing) and nothing touches the user's folders:

``cli``     `deblur-app weights install` of the network's weights (stand-ins: seeded random init of the
            published configuration, memory does not depend on the values; MIMO-UNet: the project's
            starter weights in weights/), then `deblur-app deblur --model NAME` of a 4000x3000 JPEG twice:
            the first run (exports, timings) and the second (all cached).
``export``  the first use's OpenVINO export alone (in a fresh process: the network's first shape class, then the
            compiled model of a 1024x1024 tile): the peak over the loaded network, and the RSS it leaves.
``compiled`` what OpenVINO's compiled model holds for one tile shape (fresh process, random weights, the app's runner:
            IR read, compiled, mapped pages handed back): over the read network, the compiled model's resident bytes
            (in copies of the float32 weights), the compile's own peak, and the tile's working bytes per pixel over
            the compiled model: the registry's openvino_graph_bytes and openvino-fp32 bytes_per_pixel come from here.
``window``  the real MainWindow offscreen (QT_QPA_PLATFORM=offscreen): open the JPEG, choose the network,
            Deblur, Save; first use and then a second window process with everything cached.

Peak RSS: the sum of the RSS of the process and its children, sampled every 20 ms (psutil), and the
kernel's high-water mark of the largest single process (wait4's ru_maxrss), which no sampling misses.

    nice -n 10 python benchmarks/bench_12mp_memory.py cli [--networks mimo-unet,nafnet-64,nafnet-32] [--size 3000x4000]
    nice -n 10 python benchmarks/bench_12mp_memory.py export [--networks nafnet-64]
    nice -n 10 python benchmarks/bench_12mp_memory.py window [--networks mimo-unet,nafnet-64]
    nice -n 10 python benchmarks/bench_12mp_memory.py compiled --networks nafnet-64:400,fftformer:320
    nice -n 10 python benchmarks/bench_12mp_memory.py cli --networks nafnet-64 --warm --runs 1 --home /tmp/home-64

``--warm``: before the measured runs, the engine is prepared for the photo in a process of its own, unmeasured
(Deblurrer.prepare_photo: auto's timing, the OpenVINO exports of the tiles' shapes), so every run is a cached
one; ``--home DIR`` keeps the private home (weights installed, caches) between invocations.

A 12 MP run in small tiles takes hours on a loaded 2-core machine (FFTformer 315 tiles, Restormer 713): ``--log FILE``
appends the summed RSS every 10 s (and the run's output to FILE.out as it comes), so a run stopped early still tells
where it was; ``--touched-sums`` writes the stitcher's sums (zeros, their values) as they are made, so the level the
sums reach only with the last tiles (np.zeros' pages are touched as tiles add to them) shows from the first tiles on.
That is a projection for a run not finished; the headline figure is a plain run's, end to end.

    nice -n 10 python benchmarks/bench_12mp_memory.py cli --networks fftformer --runs 1 --touched-sums --log /tmp/f.log

``--sampled-tiles N`` reaches such a run's end in minutes: the network runs the first N tiles, the last N and the first
of each tile shape; the tiles between go into the stitcher as their own pixels, so its sums fill as in a real run, the
last N tiles run with all of them written, and the run's end (division, clamp, save; the window's compose and Save)
runs in the real process. Every phase of the run is measured, not every tile's compute: the line says how many tiles
the network ran.

    nice -n 10 python benchmarks/bench_12mp_memory.py window --networks nafnet-64 --runs 1 --sampled-tiles 2 --log /tmp/w.log

``--phases`` says in which phase the peak was reached: RSS and high-water mark (VmHWM) before and after each hand-back of
the freed heap (after a tile, the compose, Save), the tile that raised the high-water mark, the end of the tiles, the
stitched result and the window's steps (lines "phase ...", in LOG.out with --log).

    nice -n 10 python benchmarks/bench_12mp_memory.py window --networks fftformer --runs 1 --sampled-tiles 2 --phases
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STARTER = REPO / "weights" / "mimo-unet.safetensors"
GOAL_BYTES = 1.5e9
MB = 1e6
RUN_CLI = "import sys\nfrom deblur_app.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
# --touched-sums: the stitcher's float32 sums written (with zeros, their values) as they are made. np.zeros' pages
# are touched only as tiles add to them, so a tiled run's summed RSS climbs to its end-of-run level only with its
# last tiles (FFTformer at 12 MP: 113 of 138 MiB untouched after 50 of 315 tiles); touched at once, that level shows
# from the first tiles on, the same pixels computed. For a peak early in a long run; the headline is a plain run's.
TOUCH_SUMS = """
from deblur_app.engine import stitching
_made = stitching.Stitcher.__init__
def _touched(self, *args, **kwargs):
    _made(self, *args, **kwargs)
    for sums in self._sums.values():
        sums.fill(0.0)
stitching.Stitcher.__init__ = _touched
"""

# --sampled-tiles N: a long run's end reached in minutes. The network runs the first N tiles, the last N and the first
# tile of each shape (every compiled shape and its working memory, the largest tile included); the tiles between go to
# the stitcher as their own pixels (no network), so the sums fill as in a real run and the last N tiles run with all of
# them touched, as a real run's last tiles do; then the run's end (the compiled models let go, the sums divided,
# clamp, the caller's save or the window's compose and Save) runs in the real process. The printed line says how
# many tiles the network ran. A measurement of every phase a real run has, not of every tile's compute.
SAMPLED_TILES = """
import os
from deblur_app.engine import inference
_tile = inference.Deblurrer._run_tile
_ran, _shapes, _first = [0, 0], set(), int(os.environ["BENCH_SAMPLED_TILES"])
def _sampled(self, pixels, passes, result, cancel, progress, done_before, tiles_left):
    shape = pixels.shape[:2]
    index = done_before // max(len(passes), 1)
    if index < _first or tiles_left <= _first or shape not in _shapes:
        _shapes.add(shape)
        _ran[0] += 1
        return _tile(self, pixels, passes, result, cancel, progress, done_before, tiles_left)
    _ran[1] += 1
    return {scale: pixels[::scale, ::scale].copy() for scale in self.architecture.outputs}
inference.Deblurrer._run_tile = _sampled
import atexit
atexit.register(lambda: print(f"sampled tiles: the network ran {_ran[0]}, passed through {_ran[1]}", flush=True))
"""

# --phases: where in a run its memory grows. A line ("phase ...") with the process's RSS and high-water mark (VmHWM)
# before and after each of the engine's and the window's hand-backs of the freed heap (engine/heap.py; named by the
# function that calls it: after a tile, after the compose, after Save), at the end of the tiles and the stitched
# result, and at the window script's steps; the per-tile ones only where the high-water mark rose since the last
# line, so the tile that set it shows. The high-water mark at each line says in which phase the peak was reached.
# Comes first: the engine's modules bind the hand-back by name when they are imported.
PHASE_MARKS = r"""
import sys, threading, time
from deblur_app.engine import heap
_began, _shown = time.monotonic(), [0.0]
def _status():
    fields = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS:", "VmHWM:")):
            fields[line[:5]] = int(line.split()[1]) * 1024 / 1e6
    return fields["VmRSS"], fields["VmHWM"]
def _mark(what, only_if_higher=False):
    rss, high = _status()
    if only_if_higher and high < _shown[0] + 1:
        return
    _shown[0] = high
    print(f"phase {time.monotonic() - _began:5.0f} s, {threading.current_thread().name}: {what}: RSS {rss:.0f} MB, "
          f"high-water {high:.0f} MB", flush=True)
_trim = heap.return_freed_memory
def _marked_trim():
    caller = sys._getframe(1).f_code.co_name
    _mark(f"{caller}, before the hand-back", only_if_higher=caller == "_run_tiles")
    _trim()
    _mark(f"{caller}, after", only_if_higher=caller == "_run_tiles")
heap.return_freed_memory = _marked_trim
from deblur_app.engine import inference
_finish = inference.Deblurrer._finish_photo_run
def _marked_finish(self, *args, **kwargs):
    _mark("the end of the tiles")
    result = _finish(self, *args, **kwargs)
    _mark("the stitched result")
    return result
inference.Deblurrer._finish_photo_run = _marked_finish
"""

# The window, driven as a user would: open, choose the network, Deblur, Save (a JPEG saves as a JPEG
# beside it). Dialogs that would wait for a person answer as the tests' do (tests/guikit.py).
RUN_WINDOW = r"""
import sys, time
from pathlib import Path
from PySide6.QtCore import QSettings, QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from deblur_app.gui import dialogs
from deblur_app.gui.main_window import MainWindow
from deblur_app.gui.settings import AppSettings

photo, network, settings_file = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
_mark = globals().get("_mark", lambda what: None)  # --phases
problems = []
dialogs.show_error = lambda _parent, title, reason, details="": problems.append(f"{title}: {reason}")
dialogs.confirm = lambda *_a, **_k: True
dialogs.choose = lambda *_a, **_k: None
app = QApplication([])
window = MainWindow(AppSettings(QSettings(settings_file, QSettings.Format.IniFormat)))
window.resize(1400, 900)
window.show()

def wait(condition, what, seconds=7200):
    deadline = time.monotonic() + seconds
    while not condition():
        if problems:
            raise SystemExit(f"{what}: {problems}")
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)

wait(lambda: window.engine_info is not None, "the engine")
combo = window.panel.model_combo
index = combo.findData(network)
if index < 0:
    raise SystemExit(f"{network} is not offered: {[combo.itemData(i) for i in range(combo.count())]}")
combo.setCurrentIndex(index)
idle = lambda: not window.running and not window.engine.busy
wait(idle, "the network switch")
loaded = []
window.photo_loaded.connect(loaded.append)
window.open_paths([photo])
wait(lambda: loaded and window.current_photo() is not None and window.current_photo().image is not None, "the photo")
finished = []
window.run_finished.connect(finished.append)
wait(window.act_deblur.isEnabled, "Deblur enabled")
window.act_deblur.trigger()
wait(lambda: finished, "the run")
_mark("run finished (window)")
wait(idle, "the run's end")
_mark("the run's end (window idle)")
saved = []
window.saved.connect(saved.append)
wait(window.act_save.isEnabled, "Save enabled")
window.act_save.trigger()
wait(lambda: saved, "the save")
_mark("saved (window)")
window.tasks.shutdown(60_000)
_mark("file tasks shut down")
outcome = finished[0]
print(f"saved {saved[0][0]}; {getattr(outcome, 'summary', '')}".strip())
window.close()
_mark("window closed")
"""


EXPORT = r"""
import sys, tempfile, time
from pathlib import Path
import torch
from deblur_app.engine import openvino_backend
from deblur_app.model import networks
from deblur_app.model.registry import VARIANTS, architecture_of

def status(field):
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith(field))

variant = sys.argv[1]
torch.manual_seed(0)
architecture = architecture_of(variant)
model = networks.build(architecture, VARIANTS[variant].config_dict).eval()
loaded = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # the high-water mark starts afresh here
shape_class = networks.export_classes(architecture)[0]
started = time.perf_counter()
path = openvino_backend.export_onnx(model, Path(tempfile.mkdtemp()), architecture, shape_class)
exported, left = status("VmHWM"), status("VmRSS")
runner = openvino_backend.OpenVinoRunner(model, torch.float32, cache_dir=path.parent, architecture=architecture)
runner.compiled_for(1024, 1024)
print(f"loaded {loaded / 1e6:.0f} MB; export ({shape_class}, {time.perf_counter() - started:.0f} s) peak "
      f"{exported / 1e6:.0f} MB (+{(exported - loaded) / 1e6:.0f}), leaves {left / 1e6:.0f} MB; "
      f"read and compiled for 1024x1024: peak {status('VmHWM') / 1e6:.0f} MB")
"""


COMPILED = r"""
import sys, tempfile, time
from pathlib import Path
import torch
from deblur_app.engine import openvino_backend
from deblur_app.model import networks
from deblur_app.model.registry import VARIANTS, architecture_of

def status(field):
    return next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith(field))

variant, shape = sys.argv[1], sys.argv[2]
height, width = (int(v) for v in shape.split("x")) if "x" in shape else (int(shape),) * 2
torch.manual_seed(0)
architecture = architecture_of(variant)
model = networks.build(architecture, VARIANTS[variant].config_dict).eval()
weights = sum(p.numel() * 4 for p in model.parameters())
runner = openvino_backend.OpenVinoRunner(model, torch.float32, cache_dir=Path(tempfile.mkdtemp()), architecture=architecture)
openvino_backend.return_freed_memory()
before = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")
runner.compiled_for(height, width)
openvino_backend.return_freed_memory()
compiled, compiling = status("VmRSS"), status("VmHWM")
open("/proc/self/clear_refs", "w").write("5")
started = time.perf_counter()
runner(torch.rand(1, 3, height, width))
seconds, working = time.perf_counter() - started, status("VmHWM") - compiled
print(f"{height}x{width}: weights {weights / 2**20:.0f} MiB; compiled +{(compiled - before) / 2**20:.0f} MiB "
      f"({(compiled - before) / weights:.2f} copies), beside its weights {(compiled - before - weights) / 2**20:.0f} MiB; "
      f"compile peak +{(compiling - before) / 2**20:.0f} MiB ({(compiling - before) / weights:.2f} copies); "
      f"tile {working / (height * width):.0f} B/pixel over the compiled model; {seconds:.1f} s")
"""


# The engine the command line opens for this network, prepared for a photo of this size (what a first use would
# export or time before its tiles), in a process of its own so that the measured runs find it all cached.
WARM = r"""
import sys
from deblur_app.jobs.run import open_engine
from deblur_app.jobs.spec import EngineChoices
variant, height, width, tile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
engine = open_engine(EngineChoices(variant=variant)).engine
engine.prepare_photo(height, width, tile=int(tile) if tile else None)
print(f"prepared {engine.backend}-{engine.precision_name}")
"""


def photo(height: int, width: int) -> np.ndarray:
    """A smooth pattern with noise: JPEG-encodes to a photo-like size (a few MB at 12 MP)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 0.5 + 0.25 * np.sin(x / 11)[..., None] * np.cos(y / 13)[..., None] * np.array([1, 0.7, 0.4], np.float32)
    noise = np.random.default_rng(0).normal(0, 0.04, (height, width, 3)).astype(np.float32)
    return np.clip(base + noise, 0, 1).astype(np.float32)


def private_home(folder: Path) -> dict[str, str]:
    """An environment whose data, cache and config folders (platformdirs) are under ``folder``."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen", "HOME": str(folder / "home")}
    for name in ("XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR"):
        path = folder / name.lower()
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        env[name] = str(path)
    return env


def measured(command: list[str], env: dict[str, str]) -> tuple[int, int, float, list[str]]:
    """(peak of the summed RSS of the process tree, largest single process's high-water mark, seconds, output)."""
    import psutil

    started = time.monotonic()
    log = open(LOG[0], "a", buffering=1) if LOG[0] else None
    if log:
        log.write(f"# {time.strftime('%H:%M:%S', time.gmtime())} UTC: {' '.join(command[3:])}\n"
                  f"# seconds, summed RSS MB, peak so far MB, load average\n")
    logged = -LOG_EVERY
    with (open(f"{LOG[0]}.out", "w+") if log else tempfile.TemporaryFile("w+")) as output:
        child = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT, text=True)
        process, tree_peak, status, usage = psutil.Process(child.pid), 0, None, None
        while status is None:
            pid, wait_status, rusage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                status, usage = wait_status, rusage
                break
            now = 0
            try:
                members = [process, *process.children(recursive=True)]
                now = sum(_rss(p) for p in members)
                if now > tree_peak:
                    tree_peak, PEAK_AT[0] = now, time.monotonic() - started
            except psutil.NoSuchProcess:
                pass
            if log and time.monotonic() - started - logged >= LOG_EVERY:
                logged = time.monotonic() - started
                log.write(f"{logged:.0f} {now / MB:.0f} {tree_peak / MB:.0f} {os.getloadavg()[0]:.1f}\n")
            time.sleep(0.02)
        if log:
            log.write(f"# done after {time.monotonic() - started:.0f} s: peak {tree_peak / MB:.0f} MB, "
                      f"largest process {usage.ru_maxrss * 1024 / MB:.0f} MB\n")
            log.close()
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        lines = output.read().strip().splitlines()
    seconds = time.monotonic() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[3:])}: failed ({child.returncode}):\n" + "\n".join(lines[-15:]))
    return tree_peak, usage.ru_maxrss * 1024, seconds, lines


PEAK_AT = [0.0]  # seconds into the last measured run when its summed RSS peaked
LOG = [""]  # --log: the RSS over time of each measured run appended here, the run's output in LOG + ".out"
LOG_EVERY = 10.0  # seconds between the log's lines


def _rss(process) -> int:
    try:
        return process.memory_info().rss
    except Exception:  # gone between listing and reading
        return 0


def stand_in_weights(variant: str, folder: Path) -> Path:
    """The published configuration of ``variant`` from a fixed seed, saved as a checkpoint to install."""
    import torch

    from deblur_app.model import networks
    from deblur_app.model.checkpoints import save_checkpoint
    from deblur_app.model.registry import VARIANTS, architecture_of

    torch.manual_seed(0)
    model = networks.build(architecture_of(variant), VARIANTS[variant].config_dict)
    return save_checkpoint(folder / f"{variant}-stand-in.safetensors", model, {"trained_by": "bench_12mp_memory"})


def modelled(variant: str, weights: Path, height: int, width: int, window: bool = False) -> str:
    """What the engine plans for this photo on the default options (``window``: with what the window holds beside
    the engine, as its worker opens it), and its modelled peak."""
    from deblur_app.engine.inference import Deblurrer, EngineOptions
    from deblur_app.engine.tiling import round_up
    from deblur_app.model.checkpoints import load_checkpoint

    held = {}
    if window:
        from deblur_app.gui.worker import WINDOW_HELD_BYTES, WINDOW_HELD_BYTES_PER_PIXEL

        held = {"held_bytes_per_pixel": WINDOW_HELD_BYTES_PER_PIXEL, "held_bytes": WINDOW_HELD_BYTES}
    engine = Deblurrer.from_checkpoint(load_checkpoint(weights), EngineOptions(device="cpu", **held))
    padded = (round_up(height, engine.size_multiple), round_up(width, engine.size_multiple))
    backend, tile = engine.plan_photo(*padded)
    peak = engine.modelled_peak_bytes(*padded, None, backend)
    count = len(engine.photo_tiles(*padded, tile, True)) if tile else 1
    return f"modelled {peak / MB:5.0f} MB ({backend}-{engine.precision_name}, {count} tiles within {tile} pixels squared)"


def install(variant: str, folder: Path, env: dict[str, str]) -> Path:
    """Install ``variant``'s weights into the private home; print what installing took. The installed file."""
    if variant == "mimo-unet" and STARTER.exists():
        return STARTER  # the starter weights ship with the app: nothing to install
    if (folder / f"{variant}-stand-in.safetensors").exists():  # a kept home (--home): installed already
        return folder / f"{variant}-stand-in.safetensors"
    source = stand_in_weights(variant, folder)
    tree, single, seconds, lines = measured(
        [sys.executable, "-c", RUN_CLI, "weights", "install", str(source), "--no-int8-check"], env)
    print(f"{variant:10s} weights install      peak {tree / MB:5.0f} MB (largest process {single / MB:5.0f} MB), "
          f"{seconds:4.0f} s", flush=True)
    return source


def report(variant: str, what: str, tree: int, single: int, seconds: float, model: str, last: str) -> None:
    verdict = "ok" if max(tree, single) <= GOAL_BYTES else "OVER 1.5 GB"
    print(f"{variant:10s} {what:20s} peak {tree / MB:5.0f} MB (largest process {single / MB:5.0f} MB) {verdict}, "
          f"{seconds:5.0f} s (peak at {PEAK_AT[0]:.0f} s); {model}; {last[:240]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("cli", "export", "window", "compiled"))
    parser.add_argument("--networks", default="mimo-unet,nafnet-64,nafnet-32")
    parser.add_argument("--size", default="3000x4000", help="HEIGHTxWIDTH of the photo")
    parser.add_argument("--runs", type=int, default=2, help="runs per network: the first use, then cached")
    parser.add_argument("--warm", action="store_true", help="prepare the engine for the photo first, unmeasured: "
                        "every run is then a cached one")
    parser.add_argument("--home", type=Path, help="keep the private home in this folder (weights, caches)")
    parser.add_argument("--cli-args", default="", help="more options for `deblur` (cli), e.g. \"--tile 400\" to run a "
                        "plan other than the engine's")
    parser.add_argument("--touched-sums", action="store_true", help="cli, window: the stitcher's sums touched as "
                        "they are made (TOUCH_SUMS), so the end-of-run level of a long run shows from its first tiles")
    parser.add_argument("--sampled-tiles", type=int, default=0, metavar="N", help="cli, window: the network runs "
                        "the first N tiles, the last N and the first of each shape; the others pass through unchanged "
                        "(SAMPLED_TILES): every phase of a long run, its end included, in minutes")
    parser.add_argument("--phases", action="store_true", help="cli, window: print RSS and high-water mark at the "
                        "run's phases (PHASE_MARKS: each hand-back of the freed heap, the tile that raised the "
                        "high-water mark, the end of the tiles, the window's steps); with --log, in LOG.out")
    parser.add_argument("--log", default="", help="append the summed RSS every 10 s of each measured run to this "
                        "file (a run stopped early still shows where its peak was heading); the run's output goes to "
                        "LOG.out as it comes")
    args = parser.parse_args()
    LOG[0] = args.log
    height, width = (int(v) for v in args.size.lower().split("x"))
    from deblur_app import imagefiles

    print(f"{args.what}: a {width}x{height} JPEG; load average {os.getloadavg()[0]:.1f}; CPU: "
          f"{_cpu_name()}, {os.cpu_count()} cores", flush=True)
    if args.what == "compiled":
        for entry in args.networks.split(","):
            variant, _, side = entry.partition(":")
            tree, single, seconds, lines = measured([sys.executable, "-c", COMPILED, variant, side or "400"],
                                                    {**os.environ, "PYTHONPATH": str(REPO)})
            print(f"{variant:10s} {lines[-1] if lines else ''}", flush=True)
        return
    if args.what == "export":
        for variant in args.networks.split(","):
            with tempfile.TemporaryDirectory(prefix="bench-12mp-") as folder:
                tree, single, seconds, lines = measured([sys.executable, "-c", EXPORT, variant],
                                                        private_home(Path(folder)))
            report(variant, "export", tree, single, seconds, "", lines[-1] if lines else "")
        return
    for variant in args.networks.split(","):
        with _home(args.home, variant) as folder:
            folder = Path(folder)
            env = private_home(folder)
            os.environ.update({k: env[k] for k in env if k.startswith("XDG_")})  # the modelled plan sees the same
            source = folder / "photo.jpg"
            if not source.exists():  # a kept home (--home) has it
                imagefiles.save_image(source, photo(height, width), quality=90)
            weights = install(variant, folder, env)
            model = modelled(variant, weights, height, width, window=args.what == "window")
            if args.warm:
                tile = next((v for k, v in zip(args.cli_args.split(), args.cli_args.split()[1:]) if k == "--tile"), "")
                *_, lines = measured([sys.executable, "-c", WARM, variant, str(height), str(width), tile], env)
                print(f"{variant:10s} warmed: {lines[-1] if lines else ''}", flush=True)
            cached = args.warm or any(path.is_file() for path in (folder / "xdg_cache_home").rglob("*"))
            for run in range(args.runs):
                what = f"{args.what} {'first use' if run == 0 and not cached else 'cached'}"
                what += ", sums touched" if args.touched_sums else ""
                what += f", {args.sampled_tiles}+{args.sampled_tiles} tiles run" if args.sampled_tiles else ""
                touch = PHASE_MARKS if args.phases else ""
                touch += TOUCH_SUMS if args.touched_sums else ""
                touch += SAMPLED_TILES if args.sampled_tiles else ""
                env["BENCH_SAMPLED_TILES"] = str(args.sampled_tiles)
                if args.what == "cli":
                    command = [sys.executable, "-c", touch + RUN_CLI, "deblur", str(source), "-o",
                               str(folder / "out.jpg"), "--model", variant, "--overwrite", *args.cli_args.split()]
                else:
                    for old in folder.glob("photo_*"):
                        old.unlink()  # Save names a new file each time otherwise
                    command = [sys.executable, "-c", touch + RUN_WINDOW, str(source), variant,
                               str(folder / f"settings-{run}.ini")]
                tree, single, seconds, lines = measured(command, env)
                sampled = [line for line in lines if line.startswith("sampled tiles:")]
                last = [line for line in lines if not line.startswith(("sampled tiles:", "phase "))][-1:] or [""]
                report(variant, what, tree, single, seconds, model, "; ".join(last + sampled))


def _home(kept: Path | None, variant: str):
    """The private home's folder: a temporary one, or ``kept``/variant, left in place afterwards."""
    if kept is None:
        return tempfile.TemporaryDirectory(prefix="bench-12mp-")
    import contextlib

    (kept / variant).mkdir(parents=True, exist_ok=True)
    return contextlib.nullcontext(str(kept / variant))


def _cpu_name() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="ascii")
                    if line.startswith("model name"))
    except (OSError, StopIteration):
        return "unknown"


if __name__ == "__main__":
    main()
