"""Whether every JPEG cut short and closed with an end-of-image marker is refused, and no whole one is.

Random cuts (FF D9 appended) of JPEGs of every kind the reader meets: skimage's photos and random sizes of them;
baseline, progressive, 4:2:2 and 4:4:4, optimised tables, restart markers with and without progressive, grey,
CMYK. Each cut must be refused by load_image (completeness.py's structural checks, then jpegend.py's decoder
check); each whole file must load, also with the decoder check forced on every file (not only those whose last
pixel is mid-grey). Prints the counts and any cut that got through.

    python benchmarks/check_jpeg_cuts.py [--cuts 18] [--seed 0]
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from deblur_app.imagefiles import ImageFileError, jpegend, load_image


def _photos(rng: np.random.Generator) -> list[np.ndarray]:
    from skimage import data

    photos = [data.coffee(), data.astronaut(), data.chelsea(), data.rocket()]
    sized = []
    for photo in photos:
        sized.append(photo)
        for _ in range(4):
            height, width = int(rng.integers(17, photo.shape[0])), int(rng.integers(17, photo.shape[1]))
            top, left = int(rng.integers(0, photo.shape[0] - height + 1)), int(rng.integers(0, photo.shape[1] - width + 1))
            sized.append(photo[top: top + height, left: left + width])
    return sized


KINDS = (("baseline", "RGB", {"quality": 90}), ("progressive", "RGB", {"progressive": True, "quality": 85}),
         ("422", "RGB", {"subsampling": 1}), ("444_optimised", "RGB", {"subsampling": 0, "optimize": True}),
         ("restart", "RGB", {"restart_marker_blocks": 5}),
         ("restart_progressive", "RGB", {"progressive": True, "restart_marker_rows": 1}),
         ("grey_progressive", "L", {"progressive": True}), ("cmyk_progressive", "CMYK", {"progressive": True}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=18, help="random cuts per JPEG")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    cuts = caught = files = 0
    missed = []
    with tempfile.TemporaryDirectory(prefix="check-jpeg-cuts-") as folder:
        for index, photo in enumerate(_photos(rng)):
            for name, mode, options in KINDS[index % 2::2] if index % 5 else KINDS:
                buffer = io.BytesIO()
                Image.fromarray(photo).convert(mode).save(buffer, "JPEG", **options)
                data = buffer.getvalue()
                whole = Path(folder) / f"{index}_{name}.jpg"
                whole.write_bytes(data)
                load_image(whole)
                files += 1
                end = jpegend.scans_end(data)[0]
                first_scan = data.find(b"\xff\xda")
                for _ in range(args.cuts):
                    keep = int(rng.integers(first_scan + 4, end))
                    keep -= data[keep - 1] == 0xFF  # not between a stuffed FF and its 00
                    path = Path(folder) / "cut.jpg"
                    path.write_bytes(data[:keep] + b"\xff\xd9")
                    cuts += 1
                    try:
                        load_image(path)
                        missed.append(f"{whole.name} cut at {keep} of {len(data)}")
                    except ImageFileError:
                        caught += 1
        checked = jpegend._blank_corner
        jpegend._blank_corner = lambda decoded: True  # the second decode on every whole file
        try:
            for whole in sorted(Path(folder).glob("*_*.jpg")):
                load_image(whole)
        finally:
            jpegend._blank_corner = checked
    print(f"{files} whole JPEGs load (also with the decoder check forced); {caught} of {cuts} cuts refused")
    for line in missed:
        print("missed:", line)


if __name__ == "__main__":
    main()
