"""Camera RAW: deblur the linear data then apply the tone curve, or deblur the sRGB photo?

Camera shake blurs light, before the camera's tone curve, so a RAW photo's blur is a plain
convolution of its linear data. The networks were trained on sRGB photos (blurred in linear
light, then encoded: training/blur.py). This measures both ways of feeding a RAW photo to the
shipped weights on RAW-like data:

    scene     = srgb_to_linear(photo)                       the sharp linear light
    blurry    = blur_linear(photo, kernel) (+ sensor noise)  what the sensor records, 16-bit
    sRGB in   : y = net(linear_to_srgb(blurry))              then compared with the photo
    linear in : y = linear_to_srgb(net(blurry))              tone curve after the network

Both are scored in sRGB against the sharp photo (PSNR, SSIM), which is what a viewer sees.
Photos: scikit-image's sample photos (public domain / CC0: astronaut, chelsea, coffee, rocket).
Kernels: camera-shake trajectories (training/kernels.py) of 9, 15 and 23 pixels, fixed seeds.
Noise: none, and a RAW-like shot + read noise (sigma^2 = 1e-4 x + 1e-6 in linear units).

    python benchmarks/bench_raw_linear.py [--model weights/mimo-unet.safetensors] [--size 384]

Runs the plain torch float32 forward pass (no tiling, no int8) so both arms get the same network.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402
from deblur_app.training.blur import blur_linear  # noqa: E402
from deblur_app.training.kernels import trajectory_kernel  # noqa: E402
from deblur_app.training.metrics import psnr, ssim  # noqa: E402
from deblur_app.training.srgb import linear_to_srgb, srgb_to_linear  # noqa: E402

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket")
KERNEL_SIZES = (9, 15, 23)
NOISE = {"none": (0.0, 0.0), "raw-like": (1e-4, 1e-6)}


def sample_photo(name: str, size: int) -> np.ndarray:
    """The centre ``size`` x ``size`` crop (or the whole photo, if smaller) of a scikit-image sample, float sRGB."""
    import skimage.data

    photo = getattr(skimage.data, name)()[..., :3]
    h, w = photo.shape[:2]
    ch, cw = min(size, h) // 8 * 8, min(size, w) // 8 * 8
    top, left = (h - ch) // 2, (w - cw) // 2
    return np.ascontiguousarray(photo[top:top + ch, left:left + cw]).astype(np.float32) / 255.0


def sensor(blurred_linear: np.ndarray, noise: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Sensor noise (shot + read) and 16-bit quantisation of linear light."""
    shot, read = noise
    x = np.clip(blurred_linear, 0.0, 1.0)
    if shot or read:
        x = x + np.sqrt(shot * x + read) * rng.standard_normal(x.shape).astype(np.float32)
    return (np.rint(np.clip(x, 0.0, 1.0) * 65535.0) / 65535.0).astype(np.float32)


def measure(engine: Deblurrer, sharp: np.ndarray, kernel: np.ndarray, noise, seed: int) -> dict[str, tuple]:
    blurry_linear = sensor(blur_linear(sharp, kernel), noise, np.random.default_rng(seed))
    blurry_srgb = linear_to_srgb(blurry_linear)
    out_srgb = np.clip(engine.run(blurry_srgb).full, 0, 1)
    out_linear = linear_to_srgb(np.clip(engine.run(blurry_linear).full, 0, 1))
    return {name: (psnr(image, sharp), ssim(image, sharp))
            for name, image in (("blurry", blurry_srgb), ("srgb_in", out_srgb), ("linear_in", out_linear))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO / "weights" / "mimo-unet.safetensors")
    parser.add_argument("--size", type=int, default=384, help="centre crop side of each photo (pixels)")
    args = parser.parse_args()
    torch.set_num_threads(2)
    engine = Deblurrer.from_checkpoint(load_checkpoint(args.model),
                                       EngineOptions(device="cpu", precision="fp32", tile=0, backend="torch"))
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, weights {args.model.name}, "
          f"crops up to {args.size}px, photos {', '.join(PHOTOS)}")
    started = time.perf_counter()
    rows = {noise: [] for noise in NOISE}
    for photo_index, name in enumerate(PHOTOS):
        sharp = sample_photo(name, args.size)
        for size in KERNEL_SIZES:
            kernel = trajectory_kernel(np.random.default_rng(1000 * photo_index + size), size=size)
            for noise_name, noise in NOISE.items():
                result = measure(engine, sharp, kernel, noise, seed=photo_index * 100 + size)
                rows[noise_name].append(result)
                print(f"{name:10s} kernel {size:2d}px noise {noise_name:8s}  " + "  ".join(
                    f"{arm} {p:6.2f} dB / {s:.4f}" for arm, (p, s) in result.items()), flush=True)
    print(f"\n# mean over {len(PHOTOS) * len(KERNEL_SIZES)} photo x kernel cases "
          f"({time.perf_counter() - started:.0f} s)")
    print("| noise | blurry PSNR / SSIM | sRGB in | linear in | linear in better on |")
    print("|---|---|---|---|---|")
    for noise_name, results in rows.items():
        cells = []
        for arm in ("blurry", "srgb_in", "linear_in"):
            cells.append(f"{statistics.mean(r[arm][0] for r in results):.2f} dB / "
                         f"{statistics.mean(r[arm][1] for r in results):.4f}")
        wins = sum(r["linear_in"][0] > r["srgb_in"][0] for r in results)
        print(f"| {noise_name} | {' | '.join(cells)} | {wins} of {len(results)} |")


if __name__ == "__main__":
    main()
