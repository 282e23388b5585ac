"""What limits the starter weights?  Four evaluations that separate the causes.

1. the fixed validation set (validation photos x Levin's 8 recorded kernels);
2. the same photos blurred with 8 of our own synthetic trajectory kernels, each as long
   as the Levin kernel it replaces: if the network gains much more here, the gap between
   our blur model and real shake is a limit;
3. training photos x Levin's kernels: if the network gains much more on photos it has
   seen, the small photo set (over-fitting) is a limit; if not, the network is simply
   under-trained (compute);
4. Levin's 32 real captured blurry photos against their sharp captures (grayscale,
   real shake, real sensor), by plain PSNR and by PSNR at the best shift (the captures
   are not registered to the pixel), fed as they are and fed as linear data;
5. optionally (--real) real blurry photos without a reference: the change of their mean
   level and of their fine detail.

Evaluation only: nothing here trains on Levin's kernels or photos, and nothing it writes
belongs in the repository. Other options (e.g. --precision fp32) go to `deblur-app eval`.

    python scripts/study_limits.py --photos /work/data/photos \
        --levin ../shared/eval/realblur/levin09 --work /tmp/limits [--weights W] [--real PHOTO ...]
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from deblur_app.jobs.naming import default_output  # noqa: E402
from deblur_app.training.data import build_validation_set, kernel_files  # noqa: E402
from deblur_app.training.kernels import load_kernel_png, trajectory_kernel  # noqa: E402
from deblur_app.training.srgb import linear_to_srgb, srgb_to_linear  # noqa: E402


def kernel_extent(kernel: np.ndarray, floor: float = 0.05) -> int:
    """Longest side of the box holding the kernel's pixels above 5 % of its peak."""
    ys, xs = np.nonzero(kernel > floor * kernel.max())
    return int(max(ys.max() - ys.min(), xs.max() - xs.min()) + 1)


def write_synthetic_kernels(levin_kernels: list[Path], folder: Path) -> list[tuple[int, int]]:
    folder.mkdir(parents=True, exist_ok=True)
    extents = []
    for number, path in enumerate(levin_kernels, start=1):
        real = load_kernel_png(path)
        target = kernel_extent(real)
        rng = np.random.default_rng(1000 + number)
        synthetic = trajectory_kernel(rng, size=target)
        png = np.rint(synthetic / synthetic.max() * 65535).astype(np.uint16)
        cv2.imwrite(str(folder / f"kernel{number}.png"), png)
        extents.append((target, kernel_extent(synthetic)))
    return extents


def link_folder(files: list[Path], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for path in files:
        link = folder / path.name
        if not link.exists():
            link.symlink_to(path.resolve())
    return folder


def levin_pairs(levin: Path, folder: Path) -> Path:
    """Levin's captures in the GoPro layout that `deblur-app eval --pairs` reads."""
    blurry, sharp = folder / "levin" / "blur", folder / "levin" / "sharp"
    blurry.mkdir(parents=True, exist_ok=True)
    sharp.mkdir(parents=True, exist_ok=True)
    for path in sorted((levin / "blur").glob("im*_kernel*_img.png")):
        name = path.name.replace("_img", "")
        for link, target in ((blurry / name, path), (sharp / name, levin / "gt" / f"{name.split('_')[0]}.png")):
            if not link.exists():
                link.symlink_to(target.resolve())
    return folder


def aligned_psnr(image: np.ndarray, reference: np.ndarray, border: int = 16, reach: int = 10) -> float:
    """PSNR at the best integer shift within +-reach px: Levin's blurry and sharp captures
    are not registered to the pixel, so unaligned PSNR mostly measures the offset."""
    h, w = reference.shape
    target = reference[border : h - border, border : w - border].astype(np.float64)
    best = np.inf
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            window = image[border + dy : h - border + dy, border + dx : w - border + dx].astype(np.float64)
            best = min(best, float(np.mean((window - target) ** 2)))
    return 10 * np.log10(255.0**2 / best)


def _deblur_folder(inputs: list[Path], folder: Path, extra: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "deblur_app", "deblur", *map(str, inputs), "-o", str(folder), "--overwrite",
               *extra]
    print("$", " ".join(command[:4]), "...", " ".join(command[-len(extra) - 3:]), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO)


def _read_gray(path: Path) -> np.ndarray:
    """Grayscale as float 0..1 from an 8- or 16-bit file."""
    image = cv2.imread(str(path), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_GRAYSCALE)
    return image.astype(np.float32) / (65535.0 if image.dtype == np.uint16 else 255.0)


def _to_u8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def levin_aligned(pairs: Path, work: Path, extra: list[str]) -> dict[str, dict[str, float]]:
    """Aligned PSNR of Levin's captures, fed as they are and fed as linear data (sRGB-encoded
    before the network, decoded after): the captures look like linear sensor values, while
    the network was trained on camera-rendered sRGB."""
    blurry = sorted((pairs / "levin" / "blur").glob("*.png"))
    encoded_folder = work / "levin_encoded"
    encoded_folder.mkdir(parents=True, exist_ok=True)
    encoded = []
    for path in blurry:
        encoded.append(encoded_folder / path.name)
        srgb = linear_to_srgb(_read_gray(path))
        cv2.imwrite(str(encoded[-1]), np.rint(srgb * 65535).astype(np.uint16))
    _deblur_folder(blurry, work / "levin_out", extra)
    _deblur_folder(encoded, work / "levin_encoded_out", extra)
    inputs, direct, as_linear = [], [], []
    for path in blurry:
        sharp = cv2.imread(str(pairs / "levin" / "sharp" / path.name), cv2.IMREAD_GRAYSCALE)
        inputs.append(aligned_psnr(cv2.imread(str(path), cv2.IMREAD_GRAYSCALE), sharp))
        out = _read_gray(default_output(path, work / "levin_out"))
        direct.append(aligned_psnr(_to_u8(out), sharp))
        out = srgb_to_linear(_read_gray(default_output(path, work / "levin_encoded_out")))
        as_linear.append(aligned_psnr(_to_u8(out), sharp))
    row = {"count": len(blurry), "input_psnr": float(np.mean(inputs)), "input_ssim": float("nan"), "ssim": float("nan")}
    return {"Levin's captures, PSNR at the best shift (+-10 px)": row | {"psnr": float(np.mean(direct))},
            "the same, fed as linear data": row | {"psnr": float(np.mean(as_linear))}}


def evaluate(source: list[str], csv_path: Path, extra: list[str]) -> dict[str, float]:
    command = [sys.executable, "-m", "deblur_app", "eval", *source, "--csv", str(csv_path), *extra]
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=REPO)
    with open(csv_path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {key: float(value) for key, value in rows[-1].items() if key != "image"} | {"count": len(rows) - 1}


def per_photo_gains(csv_path: Path) -> list[tuple[float, float]]:
    """(mean input PSNR, mean gain) of each photo over its kernels."""
    with open(csv_path, newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["image"] != "MEAN"]
    photos: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        before = float(row["input_psnr"])
        photos.setdefault(row["image"].split("@")[0], []).append((before, float(row["psnr"]) - before))
    return [tuple(np.mean(values, axis=0)) for values in photos.values()]


def describe_gains(photos: list[tuple[float, float]]) -> str:
    gains = np.array([gain for _, gain in photos])
    spread = gains.std(ddof=1) / np.sqrt(len(gains)) if len(gains) > 1 else float("nan")
    return f"{len(gains)} | {gains.mean():+.2f} +- {spread:.2f} | {np.median(gains):+.2f}"


def real_photo_changes(inputs: list[Path], folder: Path, extra: list[str]) -> None:
    """Real blurry photos without a sharp reference: how the mean level and the fine
    detail (standard deviation of the Laplacian of the luma) change."""
    _deblur_folder(inputs, folder, extra)
    print("\n| photo | mean level in -> out | fine detail out / in |")
    print("|---|---|---|")
    ratios = []
    for path in inputs:
        before = cv2.imread(str(path), cv2.IMREAD_COLOR)
        after = cv2.imread(str(default_output(path, folder)), cv2.IMREAD_COLOR)
        detail = [cv2.Laplacian(cv2.cvtColor(i, cv2.COLOR_BGR2GRAY), cv2.CV_64F).std() for i in (before, after)]
        ratios.append(detail[1] / detail[0])
        print(f"| {path.name} | {before.mean():.1f} -> {after.mean():.1f} | {ratios[-1]:.2f} |")
    print(f"median fine-detail ratio {np.median(ratios):.2f} over {len(ratios)} photos")


def main() -> int:
    args, eval_options = _arguments()
    results = _results_by_set(args, eval_options)
    _print_results(results)
    _print_per_photo_gains(args.work)
    if args.real:
        real_photo_changes(args.real, args.work / "real_out", eval_options)
    return 0


def _arguments() -> tuple[argparse.Namespace, list[str]]:
    """The script's options, and the options passed on to every evaluation (unknown ones, --weights)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, required=True, help="folder from 'deblur-app train prepare-photos'")
    parser.add_argument("--levin", type=Path, required=True, help="levin09 folder (gt/kernel*.png, gt/im*.png, blur/)")
    parser.add_argument("--work", type=Path, required=True, help="scratch folder")
    parser.add_argument("--weights", help="weights to study (default: the installed ones)")
    parser.add_argument("--real", type=Path, nargs="*", default=[],
                        help="real blurry photos (no reference) to report level and detail changes for")
    parser.add_argument("--train-every", type=int, default=4, help="use every n-th training photo (default 4)")
    args, eval_options = parser.parse_known_args()
    if args.weights:
        eval_options += ["--weights", args.weights]
    return args, eval_options


def _results_by_set(args: argparse.Namespace, eval_options: list[str]) -> dict[str, dict]:
    """The evaluation of each set: photos x (Levin's, synthetic) kernels, then Levin's real captures."""
    levin_kernels = kernel_files(args.levin / "gt")
    extents = write_synthetic_kernels(levin_kernels, args.work / "synthetic_kernels")
    print("kernel extents, Levin -> synthetic:", ", ".join(f"{a}->{b}" for a, b in extents))
    train_photos = sorted((args.photos / "train").glob("*.png"))[:: args.train_every]

    sets = {
        "validation photos x Levin kernels": (args.photos / "val", args.levin / "gt"),
        "validation photos x synthetic kernels": (args.photos / "val", args.work / "synthetic_kernels"),
        f"{len(train_photos)} training photos x Levin kernels": (
            link_folder(train_photos, args.work / "train_subset"), args.levin / "gt"),
    }
    results = {}
    for label, (photos, kernels) in sets.items():
        npz = args.work / (label.split(" x ")[1].split()[0] + "_" + photos.name + ".npz")
        if not npz.exists():
            build_validation_set(photos, kernels).save(npz)
        results[label] = evaluate(["--valset", str(npz)], npz.with_suffix(".csv"), eval_options)
    pairs = levin_pairs(args.levin, args.work)
    results["Levin's real captures (grayscale)"] = evaluate(["--pairs", str(pairs)], args.work / "levin.csv",
                                                           eval_options)
    return results | levin_aligned(pairs, args.work, eval_options)


def _print_results(results: dict[str, dict]) -> None:
    print("\n| set | images | input PSNR | output PSNR | gain | input SSIM | output SSIM |")
    print("|---|---|---|---|---|---|---|")
    for label, r in results.items():
        ssim = " | ".join("-" if np.isnan(r[k]) else f"{r[k]:.3f}" for k in ("input_ssim", "ssim"))
        print(f"| {label} | {r['count']} | {r['input_psnr']:.2f} | {r['psnr']:.2f} | "
              f"{r['psnr'] - r['input_psnr']:+.2f} | {ssim} |")


def _print_per_photo_gains(work: Path) -> None:
    # Nearly flat photos (blurry input already above 35 dB) gain mostly by losing the 1 %
    # noise; textured ones show what deblurring does.
    print("\nPer photo, gain over its 8 kernels: photos | mean +- standard error | median")
    print("| set | all photos | | | textured (input < 35 dB) | | |")
    print("|---|---|---|---|---|---|---|")
    for label, name in (("validation x Levin", "Levin_val"), ("validation x synthetic", "synthetic_val"),
                        ("training x Levin", "Levin_train_subset")):
        photos = per_photo_gains(work / f"{name}.csv")
        textured = [p for p in photos if p[0] < 35.0]
        print(f"| {label} | {describe_gains(photos)} | {describe_gains(textured)} |")


if __name__ == "__main__":
    sys.exit(main())
