"""Screenshots of the window in each view mode, for the README.

Runs the real window on a real X server (Xvfb), deblurs a synthetically
blurred CC0 photo with the shipped weights and saves ``window.grab()`` of each
view mode to ``docs/``, then the window in Simplified Chinese
(``docs/screenshot-zh_CN.png``, for README.zh-CN.md):

    xvfb-run -a -s "-screen 0 1600x1000x24" python scripts/screenshots.py
    python scripts/screenshots.py --languages zh_CN     # only the Chinese window

The Chinese texts need a CJK font on the machine (Debian/Ubuntu: apt-get install fonts-noto-cjk).

Without a DISPLAY the script re-runs itself under ``xvfb-run`` when that is
installed. The photo is scikit-image's ``coffee.png`` (CC0), blurred with a
camera-shake kernel from the project's own blur synthesis.

``docs/screenshot-compare.png`` is Compare Networks… (gui/compare.py) with MIMO-UNet beside a
second network (``--compare-only`` takes just that one). The project ships only MIMO-UNet's
starter weights: where no second network is installed, a stand-in NAFNet of random weights is
put into the script's own data folder and the shot is taken while it runs, so its (meaningless)
result is never shown: its run is held on the model thread until the shot is taken (a tiny network
on an idle machine used to finish first, and the script gave up); with a second network
installed, both results are shown at 200 %.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
PHOTO = Path("/work/data/photos/val/scikit-image__coffee.png")
COMPARE_NOTE = ("`screenshot-compare.png`: Compare Networks… with MIMO-UNet's result on the left while the second "
                "network runs; only MIMO-UNet's starter weights ship, so when no second network is installed the "
                "script runs a stand-in NAFNet of random weights there and takes the shot before its result exists.")
STAND_IN = "nafnet-64.user.pth"  # the catalogue's name for the user's own NAFNet-64 weights (catalog.user_file_name)
CREDIT = ("Photo: scikit-image `coffee.png` (Rachel Michetti, CC0 1.0), blurred synthetically with a "
          "camera-shake kernel (`deblur_app.training.kernels`, seed 3) for these screenshots.")
MAX_BYTES = 395_000  # the brief: < 400 KB each; bigger grabs get a 256-colour palette


def blurred_photo(source: Path, folder: Path) -> Path:
    from deblur_app import imagefiles
    from deblur_app.training import blur
    from deblur_app.training.kernels import trajectory_kernel

    sharp = np.rint(imagefiles.load_image(source).pixels * 255).astype(np.uint8)
    rng = np.random.default_rng(3)
    kernel = trajectory_kernel(rng, size=15)
    shaken = blur.degrade_with_kernel(sharp, kernel, rng)
    path = folder / "coffee_shaken.png"
    imagefiles.save_image(path, shaken)
    return path


def wait_for(app, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"screenshots: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.02)


def settle(app, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def save_png(pixmap, path: Path) -> int:
    """Save a grab as PNG; reduce to a 256-colour palette when the file would be too big."""
    from PIL import Image


    image = pixmap.toImage().convertToFormat(pixmap.toImage().Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes())
    rows = data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3)
    picture = Image.fromarray(rows.copy())
    picture.save(path, optimize=True)
    if path.stat().st_size > MAX_BYTES:
        picture.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)
    return path.stat().st_size


def main() -> int:
    args = _arguments()
    if not os.environ.get("DISPLAY") and os.environ.get("QT_QPA_PLATFORM") != "offscreen":
        return _again_under_xvfb()
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    sys.path.insert(0, str(REPO))
    _take_shots(args, args.languages.split(","))
    (args.out / "README-screenshots.md").write_text(
        "# Screenshots\n\nMade by `scripts/screenshots.py` (the real window under Xvfb, the shipped "
        "`weights/mimo-unet.safetensors`).\n\n" + CREDIT + "\n\n" + COMPARE_NOTE + "\n"
    )
    return 0


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs")
    parser.add_argument("--photo", type=Path, default=PHOTO)
    parser.add_argument("--size", default="1280x800", help="window size, WxH")
    parser.add_argument("--languages", default="en,zh_CN",
                        help="en: every view and the batch dialog in English; zh_CN: the window in Chinese")
    parser.add_argument("--compare-only", action="store_true", help="only docs/screenshot-compare.png")
    args = parser.parse_args()
    if not args.photo.is_file():  # scikit-image ships the photo itself
        import skimage

        args.photo = Path(skimage.__file__).parent / "data" / "coffee.png"
    return args


def _again_under_xvfb() -> int:
    """Without a display: this script again under xvfb-run (its exit code), or 1 where there is none."""
    if shutil.which("xvfb-run") and not os.environ.get("DEBLUR_SCREENSHOTS_CHILD"):
        env = dict(os.environ, DEBLUR_SCREENSHOTS_CHILD="1")
        command = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv]
        return subprocess.call(command, env=env)
    print("screenshots: no DISPLAY and no xvfb-run; install xvfb", file=sys.stderr)
    return 1


def _take_shots(args: argparse.Namespace, languages: list[str]) -> None:
    """The real window's shots into ``args.out``: every view in English, Compare, the window in Chinese."""
    from deblur_app.gui import dialogs, i18n
    from deblur_app.gui.app import make_application

    work = Path(tempfile.mkdtemp(prefix="deblur-shots-"))
    stand_in = own_data_folder_if_needed(work)
    photo = blurred_photo(args.photo, work)
    errors: list[str] = []
    dialogs.show_error = lambda _parent, title, reason, details="": errors.append(f"{title}: {reason}")
    dialogs.confirm = lambda *_a, **_k: True
    app = make_application()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.compare_only:
        compare_shot(app, photo, work, args, errors, stand_in)
        languages = []
    if "en" in languages:
        i18n.install(app, "en")  # the English plural forms ("1 tile", "2 tiles"), as the app installs them
        english_shots(app, photo, work, args, errors)
        compare_shot(app, photo, work, args, errors, stand_in)
        i18n.uninstall(app)
    if "zh_CN" in languages:
        chinese_shot(app, photo, work, args, errors)
    shutil.rmtree(work, ignore_errors=True)


def own_data_folder_if_needed(work: Path) -> bool:
    """With fewer than two networks installed, the script takes its shots with a data folder of its own
    (XDG_DATA_HOME), where the Compare shot gets a stand-in NAFNet; True if it does."""
    from deblur_app.weights import catalog

    if sum(found is not None for found in catalog.available_weights().values()) >= 2:
        return False
    os.environ["XDG_DATA_HOME"] = str(work / "data")
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # the stand-in's exports stay out of the user's cache
    return True


def install_stand_in() -> None:
    """A NAFNet of random weights, installed only for the Compare shot: the other shots must not list it."""
    import torch

    from deblur_app.model import networks
    from deblur_app.model.registry import ARCHITECTURES
    from deblur_app.weights import store

    folder = store.user_weights_dir()
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    config = dict(img_channel=3, width=16, middle_blk_num=1, enc_blk_nums=(1, 1), dec_blk_nums=(1, 1))
    torch.save({"params": networks.build(ARCHITECTURES["nafnet"], config).state_dict()}, folder / STAND_IN)


def compare_shot(app, photo: Path, work: Path, args, errors: list[str], stand_in: bool) -> None:
    """Compare Networks…: MIMO-UNet beside the second network (see the module docstring)."""
    if not stand_in:
        return take_compare_shot(app, photo, work, args, errors, stand_in)
    install_stand_in()
    try:
        with held_runs(lambda settings: settings.variant != "mimo-unet"):
            take_compare_shot(app, photo, work, args, errors, stand_in)
    finally:
        from deblur_app.weights import store

        (store.user_weights_dir() / STAND_IN).unlink(missing_ok=True)


class _HeldEngine:
    """An engine whose run waits until it is cancelled: the stand-in's run stays under way, whatever the
    machine's speed, for as long as the Compare shot needs it (the shot then cancels the comparison)."""

    def __init__(self, engine) -> None:
        self._engine = engine

    def __getattr__(self, name: str):
        return getattr(self._engine, name)

    def run(self, pixels, *, progress=None, cancel=None, **_options):
        from deblur_app.engine.progress import raise_if_cancelled

        if cancel is None:
            raise RuntimeError("screenshots: a held run needs a cancel token")
        while not cancel.is_set():  # a CancelToken (is_set only) or a threading.Event
            time.sleep(0.05)
        raise_if_cancelled(cancel)


@contextlib.contextmanager
def held_runs(held):
    """While inside, the model thread's runs whose settings ``held`` picks never end on their own."""
    from deblur_app.gui.worker import EngineWorker

    real_engine_for = EngineWorker._engine_for

    def engine_for(worker, settings):
        engine = real_engine_for(worker, settings)
        return _HeldEngine(engine) if held(settings) else engine

    EngineWorker._engine_for = engine_for
    try:
        yield
    finally:
        EngineWorker._engine_for = real_engine_for


def take_compare_shot(app, photo: Path, work: Path, args, errors: list[str], stand_in: bool) -> None:
    window, _opened = deblurred_window(app, photo, work, args, errors, "compare")
    comparer = window.comparer
    dialog = comparer.show()
    dialog.resize(1240, 720)
    second = next(key for key in comparer._installed() if key != "mimo-unet")
    for pane, key in zip(dialog.panes, ("mimo-unet", second)):
        pane.network_combo.setCurrentIndex(pane.network_combo.findData(key))
    dialog.compare_button.click()
    comparison = window.current_photo().comparison
    if stand_in:  # the stand-in's result must never be shown: its run is held (held_runs) while the shot is taken
        wait_for(app, lambda: comparison.running == 1 or comparison.ended or errors, 900, "the first network")
        if comparison.running != 1:
            raise SystemExit("screenshots: the first network did not finish: " + "; ".join(errors))
        settle(app, 1.5)  # the running side's progress text and the first side's picture painted
        if comparison.running != 1 or errors:
            raise SystemExit(f"screenshots: the held second network ended ({comparison.ended}): " + "; ".join(errors))
    else:
        wait_for(app, lambda: comparison.ended or errors, 1800, "the comparison")
        dialog.panes[0].view.set_zoom(2.0)
        dialog.panes[0].view.centerOn(300, 150)
        settle(app)
    size = save_png(dialog.grab(), args.out / "screenshot-compare.png")
    print(f"compare ({'stand-in running' if stand_in else second}): {size // 1024} KB")
    comparer.cancel()
    dialog.close()
    close(window)


def deblurred_window(app, photo: Path, work: Path, args, errors: list[str], name: str):
    """A main window (own settings) showing ``photo`` deblurred."""
    from PySide6.QtCore import QSettings

    from deblur_app.gui.main_window import MainWindow
    from deblur_app.gui.settings import AppSettings

    width, height = (int(v) for v in args.size.split("x"))
    settings = AppSettings(QSettings(str(work / f"{name}.ini"), QSettings.Format.IniFormat))
    window = MainWindow(settings)
    window.resize(width, height)
    window.show()
    wait_for(app, lambda: window.engine_info is not None, 120, "the engine")
    window.open_paths([photo])
    wait_for(app, lambda: window.current_photo() is not None and window.current_photo().loaded or errors, 60, "the photo")
    if errors:
        raise SystemExit("screenshots: " + "; ".join(errors))
    settle(app)
    opened = window.grab()

    results = []
    window.run_finished.connect(results.append)
    window.deblur()
    wait_for(app, lambda: results or errors, 900, "the deblur run")
    if errors:
        raise SystemExit("screenshots: " + "; ".join(errors))
    facts = results[0].facts
    print(f"deblurred in {facts.seconds:.1f} s on {facts.device} ({facts.precision}, {facts.backend})")
    return window, opened


def close(window) -> None:
    """Close without the Unsaved Results prompt: each result counts as saved at its strength (a result
    saved at another strength is unsaved, so the saved path alone left the prompt waiting)."""
    for photo_state in window.photos.values():
        photo_state.saved_path = photo_state.saved_path or photo_state.path
        photo_state.saved_strength = photo_state.strength
    window.close()


def chinese_shot(app, photo: Path, work: Path, args, errors: list[str]) -> None:
    """The side-by-side view with every text in Simplified Chinese (translators installed first, as at start-up)."""
    from deblur_app.gui import i18n

    if i18n.install(app, "zh_CN") != "zh_CN":
        raise SystemExit("screenshots: no zh_CN translation in resources/i18n")
    window, _opened = deblurred_window(app, photo, work, args, errors, "zh_CN")
    window.set_view_mode("side")
    window.viewers.fit()
    settle(app)
    size = save_png(window.grab(), args.out / "screenshot-zh_CN.png")
    print(f"zh_CN: {size // 1024} KB")
    close(window)
    i18n.uninstall(app)


def english_shots(app, photo: Path, work: Path, args, errors: list[str]) -> None:
    window, opened = deblurred_window(app, photo, work, args, errors, "en")
    size = save_png(opened, args.out / "screenshot-opened.png")
    print(f"opened: {size // 1024} KB")

    shots = {"side": "side-by-side", "split": "split", "scales": "scales", "difference": "difference"}
    for mode, name in shots.items():
        window.set_view_mode(mode)
        window.viewers.fit()
        settle(app)
        size = save_png(window.grab(), args.out / f"screenshot-{name}.png")
        print(f"{name}: {size // 1024} KB")

    # a close look: side by side at 200 % on the cup's rim
    window.set_view_mode("side")
    window.viewers.compare.left.set_zoom(2.0)
    window.viewers.compare.left.centerOn(300, 150)
    settle(app)
    size = save_png(window.grab(), args.out / "screenshot-zoom.png")
    print(f"zoom: {size // 1024} KB")

    window.show_batch()
    dialog = window.batch_dialog
    dialog.input_edit.setText(str(Path.home() / "Pictures" / "holiday"))  # the output: the app's "deblurred" sub-folder
    settle(app)
    size = save_png(dialog.grab(), args.out / "screenshot-batch.png")
    print(f"batch dialog: {size // 1024} KB")
    dialog.hide()
    close(window)


if __name__ == "__main__":
    sys.exit(main())
