"""Soak: does memory stay flat over a long run? (issue 22)

1. ``deblur-app batch`` over 1,000 small photos with the real network (MIMO-UNet with the
   project's starter weights, weights/mimo-unet.safetensors: the real architecture and real
   trained weights, at a small photo size so that the run takes minutes);
2. the window's batch (the real MainWindow, offscreen, its Batch dialog) over 200 photos.

Each runs in a child process whose resident memory (VmRSS, /proc) is sampled every 0.2 s
with the number of outputs written so far. The first --warm-up share of the photos is
warm-up (model load, allocator and caches filling); after it, a least-squares line through
(photos done, RSS) gives the growth per photo, and the RSS at the end is compared with the
RSS when warm-up ended. The reference is the same process after warm-up, so the numbers
are ratios and slopes, not absolute times: meaningful on a loaded machine too.

    nice -n 10 python benchmarks/soak.py                       # 1,000 CLI + 200 window photos
    nice -n 10 python benchmarks/soak.py --cli-photos 300 --window-photos 100   # a shorter soak

"flat" means: growth under --max-kib-per-photo after warm-up and end/warm-up RSS under
--max-ratio; exits 1 otherwise.
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

from deblur_app import imagefiles  # noqa: E402

STARTER_WEIGHTS = REPO / "weights" / "mimo-unet.safetensors"
RUN_CLI = "import sys\nfrom deblur_app.cli.main import main\nsys.exit(main(sys.argv[1:]))\n"
# The window's batch, as a user starts it: the Batch dialog of a real MainWindow (offscreen).
RUN_WINDOW_BATCH = """
import sys
from pathlib import Path
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from deblur_app.gui.main_window import MainWindow
from deblur_app.gui.settings import AppSettings


def wait_until(condition, poll_ms=20):
    # An event loop polled by a timer. Not a loop of app.processEvents(): PySide6 6.12's
    # processEvents() drops a reference to None on every call, and a busy loop of it ends
    # the process ("none_dealloc: deallocating None") within seconds.
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: condition() and loop.quit())
    timer.start(poll_ms)
    if not condition():
        loop.exec()
    timer.stop()


source, out, settings_file = map(Path, sys.argv[1:4])
app = QApplication([])
window = MainWindow(AppSettings(QSettings(str(settings_file), QSettings.Format.IniFormat)))
window.show()
wait_until(lambda: window.engine_info is not None)
window.show_batch()
dialog = window.batch_dialog
dialog.input_edit.setText(str(source))
dialog.output_edit.setText(str(out))
wait_until(dialog.start_button.isEnabled)
dialog.start()
wait_until(lambda: not dialog.running, poll_ms=100)
print(sum(1 for p in out.glob("*.jpg") if not p.name.startswith(".")), "photos deblurred;",
      " ".join(dialog.summary_label.text().split()), flush=True)
window.close()
wait_until(lambda: not window.engine.thread_running)
sys.exit(0)
"""


def make_photos(folder: Path, count: int, width: int, height: int, seed: int = 0) -> None:
    """``count`` small JPEGs, each a little different (texture and noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    for index in range(count):
        base = 0.5 + 0.25 * np.sin(x / (5 + index % 7))[..., None] * np.cos(y / 9)[..., None] * np.array([1, 0.7, 0.4])
        pixels = np.clip(base + rng.normal(0, 0.04, (height, width, 3)), 0, 1).astype(np.float32)
        imagefiles.save_image(folder / f"photo{index:04d}.jpg", pixels, quality=90)


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def outputs_done(folder: Path) -> int:
    try:
        return sum(1 for entry in os.scandir(folder) if entry.name.endswith(".jpg") and not entry.name.startswith("."))
    except FileNotFoundError:
        return 0


def sample_child(command: list[str], out: Path, env: dict) -> tuple[list[tuple[int, int]], str, float]:
    """Run ``command``; (photos done, RSS KiB) every 0.2 s, its stdout+stderr tail, its seconds."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as said:  # a file, not a pipe: 1,000 progress lines fill a pipe and block the child
        child = subprocess.Popen(command, env=env, stdout=said, stderr=subprocess.STDOUT, text=True)
        samples = []
        while child.poll() is None:
            rss = rss_kib(child.pid)
            if rss is not None:
                samples.append((outputs_done(out), rss))
            time.sleep(0.2)
        said.seek(0)
        text = said.read()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])}… failed ({child.returncode}):\n{text[-3000:]}")
    return samples, text.strip().splitlines()[-1] if text.strip() else "", time.monotonic() - started


def verdict(name: str, samples: list[tuple[int, int]], photos: int, args) -> bool:
    """Print the growth after warm-up; True when flat."""
    warm = max(1, int(photos * args.warm_up))
    after = [(done, rss) for done, rss in samples if done >= warm]
    if len(after) < 3:
        print(f"{name}: too few samples after warm-up ({len(after)}): run more photos")
        return False
    done, rss = np.array(after, dtype=np.float64).T
    slope = np.polyfit(done, rss, 1)[0] if np.ptp(done) > 0 else 0.0
    at_warm, at_end, peak = rss[0], rss[-1], rss.max()
    ratio = at_end / at_warm
    flat = slope < args.max_kib_per_photo and ratio < args.max_ratio
    print(f"{name}: RSS {at_warm / 1024:.1f} MiB after warm-up (photo {int(done[0])}), {at_end / 1024:.1f} MiB at the "
          f"end (photo {int(done[-1])}), peak {peak / 1024:.1f} MiB; growth {slope:+.2f} KiB/photo, end/warm-up "
          f"{ratio:.3f} -> {'flat' if flat else 'GROWING'}", flush=True)
    return flat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cli-photos", type=int, default=1000)
    parser.add_argument("--window-photos", type=int, default=200)
    parser.add_argument("--size", default="160x120", help="photo size WIDTHxHEIGHT (small: the soak is about memory)")
    parser.add_argument("--warm-up", type=float, default=0.1, help="share of the photos that is warm-up")
    parser.add_argument("--max-kib-per-photo", type=float, default=16.0)
    parser.add_argument("--max-ratio", type=float, default=1.10)
    args = parser.parse_args()
    if not Path("/proc/self/status").exists():
        raise SystemExit("needs Linux (/proc/<pid>/status)")
    width, height = map(int, args.size.lower().split("x"))
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    flat = True
    with tempfile.TemporaryDirectory(prefix="soak-") as folder:
        folder = Path(folder)
        if args.cli_photos:
            source, out = folder / "cli-in", folder / "cli-out"
            source.mkdir()
            print(f"making {args.cli_photos} photos of {width}x{height}…", flush=True)
            make_photos(source, args.cli_photos, width, height)
            command = [sys.executable, "-c", RUN_CLI, "batch", str(source), str(out), "--weights", str(STARTER_WEIGHTS),
                       "--device", "cpu"]
            samples, summary, seconds = sample_child(command, out, env)
            print(f"CLI batch, MIMO-UNet (starter weights), {seconds:.0f} s: {summary}", flush=True)
            flat = verdict(f"CLI batch of {args.cli_photos}", samples, args.cli_photos, args) and flat
        if args.window_photos:
            source, out = folder / "window-in", folder / "window-out"
            source.mkdir()
            print(f"making {args.window_photos} photos of {width}x{height}…", flush=True)
            make_photos(source, args.window_photos, width, height, seed=1)
            # the window finds the starter weights in the app's own folder (resources.bundled_weights_dir);
            # no user folder (weights installed there would be chosen first), no other window's socket
            env_window = {**env, "XDG_DATA_HOME": str(folder / "data"), "XDG_CONFIG_HOME": str(folder / "config"),
                          "XDG_RUNTIME_DIR": str(folder)}
            command = [sys.executable, "-c", RUN_WINDOW_BATCH, str(source), str(out), str(folder / "settings.ini")]
            samples, summary, seconds = sample_child(command, out, env_window)
            print(f"window batch, MIMO-UNet, {seconds:.0f} s: {summary}", flush=True)
            flat = verdict(f"window batch of {args.window_photos}", samples, args.window_photos, args) and flat
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
