"""Filmstrip thumbnails of camera RAW files: 100 files, embedded previews (issue 25's goal: < 5 s).

Writes one DNG like a modern camera's (24 MP of 12-bit Bayer data, about 50 MB, a JPEG preview
at full size as Canon and Nikon embed, or at 1/--preview-step, and with --camera-thumbnail also
the 160x107 thumbnail cameras put in the EXIF) with tests/rawfiles.py, links it under 100 names,
and times imagefiles.load_thumbnail(path, 160) (the filmstrip's size) over them; the reference is
the same call on the largest preview's JPEG bytes as a plain file (what a folder of camera JPEGs
costs),
timed in the same process. The files are read from the page cache (same inode): this measures
decoding, not a card reader.

    python benchmarks/bench_raw_thumbnails.py [--megapixels 24] [--preview-step 1] [--camera-thumbnail] [--count 100]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

import numpy as np  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from rawfiles import dng_bytes  # noqa: E402

THUMB = 160  # the filmstrip's size (gui/tasks.py THUMB_SIZE)


def timed(paths, load) -> float:
    started = time.perf_counter()
    for path in paths:
        if load(path) is None:
            raise SystemExit(f"no thumbnail for {path}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megapixels", type=float, default=24)
    parser.add_argument("--preview-step", type=int, default=1, help="preview size: 1 full, 2 half, 4 quarter")
    parser.add_argument("--camera-thumbnail", action="store_true", help="also embed a 160x107 thumbnail")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    height = int((args.megapixels * 1e6 / 1.5) ** 0.5) // 2 * 2
    width = height * 3 // 2
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        thumbnail = np.full((107, 160, 3), 128, np.uint8)
        data = dng_bytes(height=height, width=width, preview_step=args.preview_step,
                         extra_previews=(thumbnail,) if args.camera_thumbnail else ())
        first = folder / "IMG_0000.DNG"
        first.write_bytes(data)
        raws = [first] + [folder / f"IMG_{i:04d}.DNG" for i in range(1, args.count)]
        for path in raws[1:]:
            os.link(first, path)
        # the reference: the very same (largest) preview JPEG as a plain file
        import rawpy

        with rawpy.imread(str(first)) as sensor:
            jpeg = folder / "preview.jpg"
            jpeg.write_bytes(sensor.extract_thumb().data)
        jpegs = [jpeg] * args.count
        print(f"# {platform.machine()}, {os.cpu_count()} CPUs; DNG {width}x{height} ({len(data) / 1e6:.0f} MB), "
              f"preview 1/{args.preview_step} ({jpeg.stat().st_size / 1e6:.1f} MB JPEG)"
              f"{' + a 160x107 thumbnail' if args.camera_thumbnail else ''}, {args.count} files, "
              f"thumbnails {THUMB} px")
        raw_times, jpeg_times = [], []
        for _ in range(args.rounds):
            raw_times.append(timed(raws, lambda p: imagefiles.load_thumbnail(p, THUMB)))
            jpeg_times.append(timed(jpegs, lambda p: imagefiles.load_thumbnail(p, THUMB)))
        raw, ref = statistics.median(raw_times), statistics.median(jpeg_times)
        print(f"RAW thumbnails : {raw:.2f} s for {args.count} (median of {args.rounds}), {1000 * raw / args.count:.0f} ms each")
        print(f"JPEG reference : {ref:.2f} s for {args.count}, {1000 * ref / args.count:.0f} ms each")
        print(f"ratio RAW / JPEG: {raw / ref:.2f}")


if __name__ == "__main__":
    main()
