"""FSAS's 8x8 patch correlation in OpenVINO: the dense DFT products (the app's) against separable ones (issue 26).

The app's export (fftformer.patch_correlation) moves each 8x8 patch into a row of 64 pixels and multiplies it by
(64, 80) DFT matrices: 80 multiply-adds per pixel and channel for each of q and k, 80 back. Done separably (rows,
then columns, as a 2-D FFT is) the same transform is 30 forward and 30 back. This exports the correlation alone,
each way, and times them interleaved in one process on FSAS's maps (OpenVINO float32, LATENCY, as the runner):

- ``dense``: the app's fftformer.patch_correlation;
- ``left``: rows of 8 pixels by (8, 10) right products (no patch transpose), the columns by 8x8 matrices multiplied
  from the left (a MatMul with a constant first input broadcast over the batch axes), complex parts apart;
- ``permuted``: rows by (8, 10), then one permute puts the real and imaginary parts beside the 8 pixels of a column,
  so every product is a right product over the last axis (as the dense one), and one permute back before the rows'
  inverse.

It first checks, in float64, that both separable forms are the authors' torch.fft correlation (printed).

    nice -n 10 python benchmarks/bench_fftformer_separable.py [--shapes 1x96x128x192,1x384x96x160] [--runs 5]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app.engine.devices import cpu_features  # noqa: E402
from deblur_app.model import fftformer  # noqa: E402

P, HALF = fftformer.PATCH, fftformer.PATCH // 2 + 1


def separable_matrices(dtype: torch.dtype) -> dict[str, torch.Tensor]:
    """The 1-D DFTs: along a row (8 pixels -> 5 half-spectrum columns), along a column (8 -> 8), and back."""
    pixel, half = torch.arange(P, dtype=torch.float64), torch.arange(HALF, dtype=torch.float64)
    row_angle = pixel[:, None] * half[None, :] * (2 * math.pi / P)  # (8 w, 5 c)
    col_angle = pixel[:, None] * pixel[None, :] * (2 * math.pi / P)  # (8 r, 8 h), symmetric
    cos, sin = col_angle.cos(), col_angle.sin()
    counted = torch.tensor([1.0, 2, 2, 2, 1], dtype=torch.float64)[:, None] / P  # irfft's mirrored columns
    m = {"row_re": row_angle.cos(), "row_im": -row_angle.sin(), "cos": cos, "sin": sin,
         "icos": cos / P, "isin": sin / P, "irow_re": counted * row_angle.cos().T, "irow_im": -counted * row_angle.sin().T}
    m["row"] = torch.cat((m["row_re"], m["row_im"]), 1)  # (8, 10)
    m["col_re"], m["col_im"] = torch.cat((cos.T, sin.T), 0), torch.cat((-sin.T, cos.T), 0)  # (16, 8)
    m["icol_re"], m["icol_im"] = torch.cat((m["icos"], m["isin"]), 1), torch.cat((-m["isin"], m["icos"]), 1)  # (8, 16)
    m["irow"] = torch.cat((m["irow_re"], m["irow_im"]), 0)  # (10, 8)
    return {name: value.to(dtype).contiguous() for name, value in m.items()}


def left_correlation(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    b, c, height, width = q.shape
    m = separable_matrices(q.dtype)
    cols = width // P * HALF

    def spectrum(x):
        rows = x.reshape(b, c, height, width // P, P)
        re = torch.matmul(rows, m["row_re"]).reshape(b, c, height // P, P, cols)
        im = torch.matmul(rows, m["row_im"]).reshape(b, c, height // P, P, cols)
        return (torch.matmul(m["cos"], re) + torch.matmul(m["sin"], im),
                torch.matmul(m["cos"], im) - torch.matmul(m["sin"], re))

    (q_re, q_im), (k_re, k_im) = spectrum(q), spectrum(k)
    p_re, p_im = q_re * k_re - q_im * k_im, q_re * k_im + q_im * k_re
    v_re = (torch.matmul(m["icos"], p_re) - torch.matmul(m["isin"], p_im)).reshape(b, c, height, width // P, HALF)
    v_im = (torch.matmul(m["icos"], p_im) + torch.matmul(m["isin"], p_re)).reshape(b, c, height, width // P, HALF)
    return (torch.matmul(v_re, m["irow_re"]) + torch.matmul(v_im, m["irow_im"])).reshape(b, c, height, width)


def permuted_correlation(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    b, c, height, width = q.shape
    m = separable_matrices(q.dtype)
    grid = (b, c, height // P, width // P)

    def spectrum(x):
        rows = torch.matmul(x.reshape(b, c, height // P, P, width // P, P), m["row"])  # (..., 8 h, W/8, 10)
        columns = (rows.reshape(b, c, height // P, P, width // P, 2, HALF).permute(0, 1, 2, 4, 6, 5, 3)
                   .reshape(*grid, HALF, 2 * P))  # (..., W/8, 5, [re h, im h])
        return torch.matmul(columns, m["col_re"]), torch.matmul(columns, m["col_im"])

    (q_re, q_im), (k_re, k_im) = spectrum(q), spectrum(k)
    back = torch.matmul(q_re * k_re - q_im * k_im, m["icol_re"]) + torch.matmul(q_re * k_im + q_im * k_re, m["icol_im"])
    rows = back.reshape(*grid, HALF, 2, P).permute(0, 1, 2, 6, 3, 5, 4).reshape(b, c, height // P, P, width // P, 2 * HALF)
    return torch.matmul(rows, m["irow"]).reshape(b, c, height, width)


FORMS = {"dense": fftformer.patch_correlation, "left": left_correlation, "permuted": permuted_correlation}


def fft_correlation(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """The authors' form: irfft2(rfft2(q) * rfft2(k)) of each 8x8 patch."""
    def cells(x):
        return torch.fft.rfft2(x.reshape(*x.shape[:2], x.shape[2] // P, P, x.shape[3] // P, P), dim=(3, 5))
    return torch.fft.irfft2(cells(q) * cells(k), s=(P, P), dim=(3, 5)).reshape(q.shape)


class Correlation(torch.nn.Module):
    def __init__(self, form) -> None:
        super().__init__()
        self.form = form

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        return self.form(q, k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", default="1x96x128x192,1x384x96x160,1x96x384x640",
                        help="FSAS maps BxCxHxW (default: level 1 at 192x128, level 3 and level 1 at 640x384)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import openvino

    generator = torch.Generator().manual_seed(0)
    q, k = (torch.randn(1, 3, 16, 24, dtype=torch.float64, generator=generator) for _ in range(2))
    reference = fft_correlation(q, k)
    print("float64 inputs (dense computes in float32, as the app), largest difference from torch.fft:",
          ", ".join(f"{name} {(form(q, k) - reference).abs().max().item():.1e}" for name, form in FORMS.items()))
    core = openvino.Core()
    print(f"{os.cpu_count()} CPUs, {', '.join(sorted(cpu_features()))}; OpenVINO fp32, medians of {args.runs}")
    for shape in args.shapes.split(","):
        dims = tuple(int(v) for v in shape.split("x"))
        q, k = (torch.randn(*dims, generator=generator) for _ in range(2))
        requests = {}
        with tempfile.TemporaryDirectory(prefix="bench-separable-") as folder:
            for name, form in FORMS.items():
                path = Path(folder) / f"{name}.onnx"
                torch.onnx.export(Correlation(form), (q, k), str(path), dynamo=False, opset_version=17)
                requests[name] = core.compile_model(core.read_model(str(path)), "CPU", {
                    "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}).create_infer_request()
        inputs = [q.numpy(), k.numpy()]
        outputs = {name: request.infer(inputs)[0].copy() for name, request in requests.items()}
        times: dict[str, list[float]] = {name: [] for name in requests}
        for _ in range(args.runs):
            for name, request in requests.items():
                started = time.perf_counter()
                request.infer(inputs)
                times[name].append(time.perf_counter() - started)
        dense = statistics.median(times["dense"])
        print(f"{shape} (load average {os.getloadavg()[0]:.1f}):")
        for name, values in times.items():
            difference = np.abs(outputs[name] - outputs["dense"]).max()
            print(f"  {name:9s} {statistics.median(values) * 1e3:8.1f} ms {statistics.median(values) / dense:6.2f}x"
                  f"   max |difference from dense| {difference:.1e}")


if __name__ == "__main__":
    main()
