"""deblur-app train make-calibration / check-int8: the data and the measurement behind the int8 path.

The engine may not import the training package, so the calibration crops are
made here, from the allowed training photos blurred by the project's own
synthesis, and shipped as a small file (resources/int8/calibration.npz).
`check-int8` measures what int8 does to the picture for one set of weights
and records it; `--precision auto` takes int8 only for weights with a
record that meets the rule in engine.devices.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import time
from pathlib import Path

import numpy as np

from .options import EXIT_FAILED, EXIT_OK, EXIT_USAGE, path_argument_problem, written_file_problem

ACTIONS = ("make-calibration", "make-check-set", "check-int8")
HD = (720, 1280)


def build_parser() -> argparse.ArgumentParser:
    from ..resources import resource_path
    from ..training.calibration import CALIBRATION_COUNT, CALIBRATION_CROP

    parser = argparse.ArgumentParser(prog="deblur-app train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", required=True)
    make = actions.add_parser("make-calibration", help="blurry crops of the training photos for the int8 calibration")
    make.add_argument("--photos", type=Path, required=True,
                      help="sharp training photos (the train/ folder of 'train prepare-photos'; never evaluation photos)")
    make.add_argument("--out", type=Path, default=resource_path("int8", "calibration.npz"))
    make.add_argument("--count", type=int, default=CALIBRATION_COUNT)
    make.add_argument("--crop", type=int, default=CALIBRATION_CROP)
    make.add_argument("--seed", type=int, default=0)
    check_set_parser = actions.add_parser(
        "make-check-set", help="the check set shipped for installed weights (engine/int8_check.py): scikit-image's "
        "CC0 and public-domain sample photos, blurred by the training synthesis, with their sharp originals")
    check_set_parser.add_argument("--out", type=Path, default=resource_path("int8", "check_set.npz"))
    check = actions.add_parser("check-int8", help="measure int8 against float32 and record whether auto may use it")
    check.add_argument("--weights", type=Path, help="weights file (default: the installed MIMO-UNet weights)")
    check.add_argument("--photos", type=Path, required=True,
                       help="validation photos: each becomes a 1280x720 check photo, blurred synthetically")
    check.add_argument("--check-photos", type=int, default=8, metavar="N",
                       help="use the first N of --photos (default 8; the worst photo of the set counts)")
    check.add_argument("--real", type=Path, metavar="DIR",
                       help="also real blurry photos (centre 1280x720, no added blur): the check set's hardest cases")
    check.add_argument("--valset", type=Path, required=True, help="validation set (.npz of 'train make-valset')")
    check.add_argument("--limit", type=int, help="use this many validation crops only (evenly spaced)")
    check.add_argument("--out", type=Path, help="verdicts file to add the result to (default: your user data folder; "
                       "resources/int8/verdicts.json ships with the app)")
    return parser


def int8_main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    problem = path_argument_problem(args)
    if problem:
        print(f"deblur-app: {problem}", file=sys.stderr)
        return EXIT_USAGE
    read = {"make-calibration": lambda: [args.photos], "make-check-set": lambda: [],  # check-int8:
            }.get(args.action, lambda: [args.weights, args.photos, args.real, args.valset])()
    problem = written_file_problem("--out", args.out, read) or (args.action == "check-int8" and _not_verdicts(args.out))
    if problem:
        print(f"deblur-app: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        run = {"make-calibration": make_calibration, "make-check-set": make_check_set}.get(args.action, check_int8)
        return run(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"deblur-app: {error}", file=sys.stderr)
        return EXIT_USAGE


def _not_verdicts(out: Path | None) -> str | None:
    """Why check-int8 may not add its verdict to ``out``: an existing file that is no verdicts file (a JSON
    object) would be replaced by one, once the measurement (minutes) is done; None when it may."""
    if out is None or not out.is_file():
        return None
    import json

    try:
        if isinstance(json.loads(out.read_text(encoding="utf-8")), dict):
            return None
    except (OSError, ValueError):
        pass
    return f"--out {out}: not a verdicts file (a JSON object), and the verdict would replace it; name a verdicts file or a new one"


def make_calibration(args) -> int:
    from ..training.calibration import make_calibration_crops

    crops, sources = make_calibration_crops(args.photos, count=args.count, crop=args.crop, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temp = args.out.with_name(f".{args.out.stem}.tmp.npz")
    np.savez_compressed(temp, crops=crops, sources=np.array(sources))
    temp.replace(args.out)
    print(f"{args.out}: {len(crops)} crops of {args.crop}x{args.crop} from {len(set(sources))} photos of "
          f"{args.photos} ({args.out.stat().st_size / 1e6:.1f} MB); sources:")
    for source in sorted(set(sources)):
        print(f"  {source}")
    return EXIT_OK


def make_check_set(args) -> int:
    """The check set of engine/int8_check.py, from the photos scikit-image ships (a development dependency)."""
    from skimage import data

    from ..training.calibration import CHECK_PHOTOS, make_check_set as make

    blurry, sharp, sources = make({name: getattr(data, name)() for name in CHECK_PHOTOS})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    temp = args.out.with_name(f".{args.out.stem}.tmp.npz")
    np.savez_compressed(temp, blurry=blurry, sharp=sharp, sources=np.array(sources))
    temp.replace(args.out)
    print(f"{args.out}: {len(blurry)} pairs of {blurry.shape[2]}x{blurry.shape[1]} ({args.out.stat().st_size / 1e6:.2f} MB)")
    return EXIT_OK


def hd_crop(pixels: np.ndarray) -> np.ndarray:
    """Scaled to cover 1280x720 and cropped to its centre."""
    import cv2

    scale = max(HD[0] / pixels.shape[0], HD[1] / pixels.shape[1])
    size = (max(HD[1], round(pixels.shape[1] * scale)), max(HD[0], round(pixels.shape[0] * scale)))
    pixels = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    top, left = (pixels.shape[0] - HD[0]) // 2, (pixels.shape[1] - HD[1]) // 2
    return np.ascontiguousarray(pixels[top : top + HD[0], left : left + HD[1]])


def hd_test_photo(folder: Path) -> tuple[np.ndarray, str]:
    """The first check photo (benchmarks/int8_search.py): one photo, for timing, not for a verdict."""
    name, pixels = next(iter(check_set(folder, 1).items()))
    return pixels, name


def check_set(folder: Path, count: int, real: Path | None = None) -> dict[str, np.ndarray]:
    """The check photos, float32 in [0, 1]: the first ``count`` photos of ``folder`` at 1280x720 with
    synthetic camera shake, then every real blurry photo of ``real`` (its centre, as it is)."""
    from .. import imagefiles
    from ..training import blur
    from ..training.data import load_rgb_u8, photo_files
    from ..training.kernels import trajectory_kernel

    files = photo_files(folder)[:count]
    if not files:
        raise FileNotFoundError(f"{folder}: no photos")
    photos = {}
    for index, path in enumerate(files):
        rng = np.random.default_rng(index)
        blurry = blur.degrade_with_kernel(hd_crop(load_rgb_u8(path)), trajectory_kernel(rng, size=15), rng)
        photos[path.name] = blurry.astype(np.float32) / 255.0
    for path in (photo_files(real) if real is not None else []):
        photos[f"real/{path.name}"] = hd_crop(imagefiles.load_image(path).pixels)
    return photos


def check_int8(args) -> int:
    """Measure int8 against float32 with these weights (check photos, then the validation set) and record the verdict."""
    from ..engine.choices import Int8Verdict
    from ..engine.openvino_backend import openvino_available
    from ..jobs import JobError
    from ..training.data import ValidationSet

    if not openvino_available():
        print("deblur-app: check-int8 needs OpenVINO (pip install deblur-app)", file=sys.stderr)
        return EXIT_FAILED
    try:  # the photos and the validation set first: a wrong one is said before the int8 model is made (a minute)
        photos = check_set(args.photos, args.check_photos, args.real)
        valset = ValidationSet.load(args.valset).subset(args.limit)
        checkpoint, engines = _float32_and_int8_engines(args.weights)
    except (JobError, ValueError, FileNotFoundError) as error:
        print(f"deblur-app: {error}", file=sys.stderr)
        return EXIT_FAILED
    for engine in engines.values():
        engine.run(next(iter(photos.values()))[:64, :64])  # builds (int8: quantises) the model outside the timing
    if engines["int8"].precision_name != "int8":
        print(f"deblur-app: no int8 model: {engines['int8'].precision.reason}", file=sys.stderr)
        return EXIT_FAILED
    agreements, largest, errors = _agreements_on_photos(engines, photos)
    means = _validation_psnr(engines, valset)
    verdict = Int8Verdict.over_photos(agreements, means["int8"] - means["fp32"], pixel_errors=errors)
    print(f"validation set {args.valset.name} ({len(valset.names)} crops): float32 {means['fp32']:.3f} dB, "
          f"int8 {means['int8']:.3f} dB ({verdict.validation_change_db:+.3f} dB)")
    print(("auto may use int8: " if verdict.qualifies() else "auto keeps float: ") + verdict.describe())
    out = _record_verdict(args, checkpoint, verdict, agreements, largest, f"{args.valset.name} ({len(valset.names)} crops)")
    print(f"recorded in {out}")
    return EXIT_OK


def _float32_and_int8_engines(weights: Path | None) -> tuple:
    """The weights, and an OpenVINO engine of them per precision compared ("fp32", "int8"); JobError if they cannot open."""
    from ..jobs import EngineChoices, open_checkpoint, open_engine

    checkpoint = open_checkpoint(EngineChoices(weights=weights))
    engines = {name: open_engine(EngineChoices(weights=weights, device="cpu", precision=name, backend="openvino", tile=0),
                                 checkpoint).engine
               for name in ("fp32", "int8")}
    return checkpoint, engines


def _agreements_on_photos(engines: dict, photos: dict[str, np.ndarray]) -> tuple[dict[str, float], float, dict[str, float]]:
    """Each check photo's agreement of int8 with float32 (PSNR, dB), the largest pixel difference, and each photo's
    per-pixel error of the rule (choices.pixel_error); prints each photo's timings as it goes."""
    from ..engine.choices import pixel_error
    from ..training.metrics import psnr

    agreements, largest, errors = {}, 0.0, {}
    for photo_name, photo in photos.items():
        outputs, seconds = {}, {}
        for name, engine in engines.items():
            started = time.perf_counter()
            outputs[name] = engine.run(photo).full
            seconds[name] = time.perf_counter() - started
        agreements[photo_name] = psnr(outputs["int8"], outputs["fp32"])
        largest = max(largest, float(np.abs(outputs["int8"] - outputs["fp32"]).max()))
        errors[photo_name] = pixel_error(outputs["int8"], outputs["fp32"])
        print(f"1280x720 {photo_name}: int8 {seconds['int8']:.2f} s, float32 {seconds['fp32']:.2f} s; "
              f"agreement {agreements[photo_name]:.2f} dB", flush=True)
    return agreements, largest, errors


def _validation_psnr(engines: dict, valset) -> dict[str, float]:
    """Each engine's mean PSNR against the sharp crops of the validation set."""
    from ..training.metrics import psnr

    scores = {name: [] for name in engines}
    for blurry_u8, sharp_u8 in zip(valset.blurry, valset.sharp):
        blurry, sharp = blurry_u8.astype(np.float32) / 255.0, sharp_u8.astype(np.float32) / 255.0
        for name, engine in engines.items():
            scores[name].append(psnr(engine.run(blurry).full, sharp))
    return {name: float(np.mean(values)) for name, values in scores.items()}


def _record_verdict(args, checkpoint, verdict, agreements: dict[str, float], largest: float, valset: str) -> Path:
    """The verdict written for these weights' int8 model (``--out``, else the user's verdicts file); its path."""
    import openvino

    from ..engine.devices import cpu_features
    from ..engine.openvino_backend import int8_key, record_int8_verdict, shipped_int8_plan, user_verdicts_file

    out = args.out or user_verdicts_file()
    record_int8_verdict(out, int8_key(checkpoint.build(lean_fusion=True), shipped_int8_plan()), verdict, {
        "weights": checkpoint.path.name, "largest_error": round(largest, 4),
        "agreement_db": {name: round(value, 2) for name, value in agreements.items()},
        "valset": valset, "openvino": openvino.__version__,
        "cpu": f"{platform.machine()} {' '.join(sorted(cpu_features()))}",
        "date": datetime.date.today().isoformat(),
    })
    return out
