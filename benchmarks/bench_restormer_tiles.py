"""Tiled against whole-image Restormer: the published configuration with the conformance weights (the trained ones are
not reachable here), torch float32, on a smooth textured, slightly blurred photo-like image.

    python benchmarks/bench_restormer_tiles.py HEIGHT WIDTH TILE [TILE...]

Restormer's attention is global over its input, so tiles (with the registry's 128 pixels of context) differ from the
whole image; this says by how much (session 15: 320 448 256 -> 6 tiles, at most 0.60/255, 66.1 dB).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from conformance_weights import network_weights  # noqa: E402
from deblur_app.engine.inference import Deblurrer, EngineOptions  # noqa: E402
from deblur_app.model.checkpoints import load_checkpoint  # noqa: E402


def photo(height: int, width: int) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = 0.5 + 0.25 * np.sin(x / 17.0)[..., None] * np.cos(y / 23.0)[..., None] * np.array([1.0, 0.7, 0.4])
    image = np.clip(base + rng.normal(0, 0.05, (height, width, 3)), 0, 1).astype(np.float32)
    return cv2.GaussianBlur(image, (0, 0), 2.0)


def main(argv: list[str]) -> None:
    if len(argv) < 3 or argv[0] in ("-h", "--help"):
        print(__doc__)
        return
    shapes = json.loads((REPO / "tests/data/conformance/networks/keys_Restormer.json").read_text())
    path = Path(tempfile.mkdtemp(prefix="restormer-tiles-")) / "single_image_defocus_deblurring.pth"
    torch.save({"params": {k: torch.from_numpy(v) for k, v in network_weights(shapes).items()}}, path)
    engine = Deblurrer.from_checkpoint(load_checkpoint(path),
                                       EngineOptions(device="cpu", precision="fp32", tile=0, backend="torch"))
    path.unlink()
    image = photo(int(argv[0]), int(argv[1]))
    start = time.time()
    whole = engine.run(image, tile=0)
    print(f"whole {time.time() - start:.0f} s; change by the network (mean abs) {np.abs(whole.full - image).mean():.4f}",
          flush=True)
    for tile in (int(a) for a in argv[2:]):
        start = time.time()
        tiled = engine.run(image, tile=tile)
        d = np.abs(tiled.full - whole.full)
        print(f"tile {tile}: {tiled.tiles} tiles, max {d.max() * 255:.3f}/255, 99.9th percentile "
              f"{np.percentile(d, 99.9) * 255:.3f}/255, mean {d.mean() * 255:.4f}/255, "
              f"{10 * np.log10(1 / np.mean(d ** 2)):.1f} dB, {time.time() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
