"""What the check for a JPEG cut short and closed with an end-of-image marker costs (imagefiles/jpegend.py).

load_image and the blur scan's draft decode ask the decoder whether the picture depends on filler put before the
end marker: a second decode, spent on every progressive JPEG and on a sequential one only when its last pixel is
mid-grey. This times both readers on a 4000x3000 baseline and progressive JPEG (scikit-image's "coffee",
upscaled; quality 90), with the check and with it switched off (jpegend.data_ran_out answering False), in the
same process, each run a pair (with, then without: a loaded machine's drift hits both alike); the median of the
pairs' ratios is the check's cost. The structural walk (completeness.py: the scans' headers, a progressive JPEG's
later scans missing) runs in both.

    nice -n 10 python benchmarks/bench_jpeg_end_check.py [--runs 5] [--size 3000x4000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from deblur_app.imagefiles import load_image, reading, scanning  # noqa: F401 (scanning reads through reading)
from deblur_app.imagefiles.scanning import load_for_measuring


def _photo(height: int, width: int) -> np.ndarray:
    try:
        from skimage.data import coffee
        base = coffee()
    except ImportError:  # a smooth, textured stand-in
        y, x = np.mgrid[0:400, 0:600].astype(np.float32)
        base = (128 + 90 * np.sin(x / 17)[..., None] * np.cos(y / 23)[..., None] * np.array([1, .7, .4])).astype(np.uint8)
    return cv2.resize(base, (width, height), interpolation=cv2.INTER_CUBIC)


def _median(function, runs: int) -> float:
    times = []
    for _ in range(runs):
        begun = time.perf_counter()
        function()
        times.append(time.perf_counter() - begun)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="3000x4000", help="HEIGHTxWIDTH")
    args = parser.parse_args()
    height, width = (int(side) for side in args.size.split("x"))
    pixels = _photo(height, width)
    checked = reading.data_ran_out
    print(f"load {os.getloadavg()[0]:.1f}; {width}x{height}; median of {args.runs}")
    with tempfile.TemporaryDirectory(prefix="bench-jpeg-end-") as folder:
        for name, options in (("baseline", {"quality": 90}), ("progressive", {"quality": 90, "progressive": True})):
            path = Path(folder) / f"{name}.jpg"
            Image.fromarray(pixels).save(path, **options)
            row = []
            for reader, read in (("load_image", lambda: load_image(path)),
                                 ("scan draft", lambda: load_for_measuring(path, grey=True))):
                with_check, without, ratios = [], [], []
                for _ in range(args.runs):  # interleaved, a pair at a time: a loaded machine's drift hits both alike
                    reading.data_ran_out = checked
                    with_check.append(_median(read, 1))
                    reading.data_ran_out = lambda *_args: False
                    without.append(_median(read, 1))
                    ratios.append(with_check[-1] / without[-1])
                reading.data_ran_out = checked
                row.append(f"{reader} {statistics.median(with_check) * 1000:.0f} ms with the check, "
                           f"{statistics.median(without) * 1000:.0f} ms without (median of the pairs' ratios "
                           f"{statistics.median(ratios):.2f}x)")
            print(f"{name}: " + "; ".join(row))


if __name__ == "__main__":
    main()
