"""Peak memory of `deblur-app scan` over one very large photo (150 MP PNG or TIFF), against the whole decode.

Makes the photo once (``--folder``, kept between runs): a scene of edges of every orientation, upscaled to
``--size`` (15000x10000 = 150 MP by default) with sensor-like noise, so it compresses as a camera's photo does
(8-bit RGB PNG ~2.5 bytes a pixel), written by OpenCV: PNG, 16-bit PNG, deflate TIFF, LZW TIFF (OpenCV's default,
with the predictor) or JPEG-in-TIFF (16-row strips); or by tifffile: a deflate TIFF of 256x256 tiles; or the PNG
interlaced (Adam7, by tests/test_pngbands.py's writer, in 8 KiB IDAT chunks as libpng writes) (``--formats``).
Each photo alone in a folder, then in fresh processes, one after another:

- ``scan``: ``deblur-app scan FOLDER`` as a user runs it (its pool of worker processes included);
- ``load_image``: the plain whole decode, ``imagefiles.load_image`` of the photo (the reference: what the scan
  did before it read large photos in a lean way, less the area downscale after it);
- ``--thumbnail``: the window's filmstrip thumbnail of it (``imagefiles.load_thumbnail``, 160 px).

Peak RSS: the sum of the RSS of the process and its children (psutil, sampled every 20 ms), and the largest
single process's high-water mark (VmHWM). Then, in this process, the scan's blur score and verdict beside the
ones from the whole decode shrunk as the scan shrinks it (imagefiles.load_reduced, then the same luma), so a
leaner read is seen to keep the verdict.

    python benchmarks/bench_scan_large_memory.py                          # 150 MP PNG
    python benchmarks/bench_scan_large_memory.py --formats png,png16,tif,tif-lzw,tif-jpeg,tif-tiled \
        --folder /tmp/scan-large
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bench_12mp_memory import RUN_CLI, _cpu_name  # noqa: E402
from bench_network_memory import peak_rss_bytes  # noqa: E402

MB = 1024 * 1024
THUMBNAIL = ("import sys\nfrom deblur_app import imagefiles\nimagefiles.set_max_megapixels(0)\n"
             "print(imagefiles.load_thumbnail(sys.argv[1], 160).shape)\n")
LOAD = ("import sys\nfrom deblur_app import imagefiles\n"
        "image = imagefiles.load_image(sys.argv[1], max_pixels=0)\nprint(image.width, image.height)\n")


def make_photo(path: Path, width: int, height: int, kind: str, seed: int = 0) -> None:
    """The photo, made a band of rows at a time into one uint8 (or uint16) array: what it costs is this
    process's, not the measured ones'."""
    from test_blur_score import scene

    base = scene(height // 10, width // 10, seed=seed)  # 8-bit RGB, edges of every orientation
    deep = kind == "png16"
    photo = np.empty((height, width, 3), np.uint16 if deep else np.uint8)
    rng = np.random.default_rng(seed)
    band = 500
    for top in range(0, height, band):
        rows = min(band, height - top)
        # the scene's rows for this band, upscaled as the whole would be (a margin for the cubic's reach)
        y0, y1 = max(0, top // 10 - 2), min(base.shape[0], (top + rows) // 10 + 3)
        part = cv2.resize(base[y0:y1], (width, (y1 - y0) * 10), interpolation=cv2.INTER_CUBIC)
        part = part[top - y0 * 10: top - y0 * 10 + rows].astype(np.float32)
        part += rng.normal(0, 3, part.shape).astype(np.float32)
        if deep:
            photo[top: top + rows] = np.clip(part * 257, 0, 65535).astype(np.uint16)
        else:
            photo[top: top + rows] = np.clip(part, 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "tif-tiled":
        import tifffile

        tifffile.imwrite(path, photo, compression="zlib", predictor=2, photometric="rgb", tile=(256, 256))
        return
    params = {"tif": [cv2.IMWRITE_TIFF_COMPRESSION, 8],  # deflate, as the app writes TIFF
              "tif-lzw": [cv2.IMWRITE_TIFF_COMPRESSION, 5],
              "tif-jpeg": [cv2.IMWRITE_TIFF_COMPRESSION, 7, cv2.IMWRITE_TIFF_ROWSPERSTRIP, 16]}.get(kind, [])
    if not cv2.imwrite(str(path), photo[..., ::-1], params):
        raise SystemExit(f"{path}: could not be written")
    if kind == "png-interlaced":
        from test_pngbands import _interlaced

        del photo
        path.write_bytes(_in_chunks(_interlaced(path.read_bytes())))


def _in_chunks(png: bytes, size: int = 8192) -> bytes:
    """The PNG with its one IDAT chunk split into chunks of ``size`` bytes, as libpng writes them: Pillow's CRC
    check (reading.verify_png) reads a chunk whole, twice over (778 MiB for a 254 MiB chunk)."""
    import struct
    import zlib

    start = png.index(b"IDAT") - 4
    length = struct.unpack(">I", png[start : start + 4])[0]
    body = png[start + 8 : start + 8 + length]
    chunks = b"".join(struct.pack(">I", len(part)) + b"IDAT" + part + struct.pack(">I", zlib.crc32(b"IDAT" + part))
                      for part in (body[at : at + size] for at in range(0, length, size)))
    return png[:start] + chunks + png[start + 12 + length :]


def measured(command: list[str]) -> tuple[int, int, float, str]:
    """(peak of the summed RSS of the process tree, largest single process's VmHWM, seconds, output)."""
    import psutil

    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    started = time.monotonic()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    process, tree_peak, single_peak = psutil.Process(child.pid), 0, 0
    while child.poll() is None:
        try:
            members = [process, *process.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        now = 0
        for member in members:
            try:
                now += member.memory_info().rss
                single_peak = max(single_peak, peak_rss_bytes(member.pid))
            except psutil.Error:
                pass
        tree_peak = max(tree_peak, now)
        time.sleep(0.02)
    output = child.communicate()[0]
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[2:])}: failed ({child.returncode}):\n{output[-2000:]}")
    return tree_peak, single_peak, time.monotonic() - started, output


def verdicts(path: Path) -> str:
    """The scan's score and verdict beside those of the whole decode shrunk as the scan shrinks it."""
    from deblur_app import imagefiles
    from deblur_app.jobs.scan import score_photo
    from deblur_app.triage import assess

    row, reason = score_photo(path, max_megapixels=0)
    if row is None:
        return f"scan failed: {reason}"
    whole = imagefiles.load_reduced(path, 768, max_pixels=0)
    luma = cv2.cvtColor(np.clip(np.rint(whole * 255), 0, 255).astype(np.uint8), cv2.COLOR_RGB2GRAY)
    reference = assess(luma)
    return (f"score {row.blur_score:.2f} ({row.verdict}); whole decode shrunk: {reference.blur_score:.2f} "
            f"({reference.verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--folder", type=Path, default=Path("/tmp/bench-scan-large"))
    parser.add_argument("--size", default="15000x10000", help="WIDTHxHEIGHT of the photo")
    parser.add_argument("--formats", default="png",
                        help="comma-separated: png, png16, png-interlaced, tif, tif-lzw, tif-jpeg, tif-tiled")
    parser.add_argument("--no-reference", action="store_true", help="skip the whole-decode reference run")
    parser.add_argument("--thumbnail", action="store_true",
                        help="also the window's filmstrip thumbnail of the photo (imagefiles.load_thumbnail)")
    args = parser.parse_args()
    width, height = (int(side) for side in args.size.lower().split("x"))
    print(f"CPU: {_cpu_name()}, {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}; "
          f"photo {width}x{height} ({width * height / 1e6:.0f} MP)")
    for kind in args.formats.split(","):
        folder = args.folder / f"{kind}-{width}x{height}"
        path = folder / ("photo.tif" if kind.startswith("tif") else "photo.png")
        if not path.exists():
            began = time.monotonic()
            make_photo(path, width, height, kind)
            print(f"{kind}: made {path} ({path.stat().st_size / MB:.0f} MiB) in {time.monotonic() - began:.0f} s")
        size = path.stat().st_size / MB
        tree, single, seconds, output = measured([sys.executable, "-c", RUN_CLI, "scan", str(folder),
                                                  "--max-megapixels", "0"])
        print(f"{kind} ({size:.0f} MiB file): scan peak {tree / MB:.0f} MiB (largest process {single / MB:.0f} MiB), "
              f"{seconds:.1f} s, load {os.getloadavg()[0]:.1f}")
        if not args.no_reference:
            tree_ref, single_ref, seconds_ref, _ = measured([sys.executable, "-c", LOAD, str(path)])
            print(f"{kind}: load_image (whole decode) peak {tree_ref / MB:.0f} MiB, {seconds_ref:.1f} s; "
                  f"scan / whole decode = {tree / tree_ref:.2f}")
        if args.thumbnail:
            tree_thumb, _, seconds_thumb, _ = measured([sys.executable, "-c", THUMBNAIL, str(path)])
            print(f"{kind}: thumbnail peak {tree_thumb / MB:.0f} MiB, {seconds_thumb:.1f} s")
        print(f"{kind}: {verdicts(path)}")
        print("  scan said: " + " | ".join(line for line in output.strip().splitlines()[-3:]))


if __name__ == "__main__":
    main()
