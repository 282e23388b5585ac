"""The names of the engine's choices, and what int8 did to a set of weights: no torch.

The command line's options, the window's settings and menus, and the engine read the
device, precision and backend names from here, so each list is spelled once and whatever
only names a choice (argparse, the settings, the side panel) imports no torch.
``PathVerdict`` (``Int8Verdict``) lives here too: ``devices`` decides with it and ``openvino_backend``
reads and records it, and neither has to import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import reasons

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
PRECISION_CHOICES = ("auto", "fp32", "bf16", "fp16", "int8")
BACKEND_CHOICES = ("auto", "torch", "openvino")

# The fast paths a network may have (registry: Architecture.precisions names their precisions), as
# "backend-precision": each has its own verdict per set of weights (engine/verdicts.py).
FAST_PATHS = ("openvino-int8", "openvino-bf16", "torch-bf16")

# `auto` takes a fast path only where it measurably keeps the picture (issue 14), on every photo of a set
# (issue 22), for the weights it runs (issue 26): int8 and bf16 alike.
INT8_MIN_AGREEMENT_DB = 45.0
INT8_MAX_VALIDATION_LOSS_DB = 0.05
INT8_MIN_CHECK_PHOTOS = 5
# A mean measure (PSNR) hides a local softening: MIMO-UNet's mixed int8 agreed at 45.9 dB on the README's
# coffee photo but was up to 0.15 off along the cup's rim, where int8 sharpened the strongest edges less (issue 21).
# So each check photo's 99.9th percentile of the absolute error against float32 (over its pixels and channels,
# in [0, 1]) must stay within this too (benchmarks/RESULTS.md, "int8 at strong edges").
MAX_PIXEL_ERROR = 0.02
PIXEL_ERROR_PERCENTILE = 99.9


def pixel_error(result, reference) -> float:
    """The per-pixel measure of the rule: the PIXEL_ERROR_PERCENTILE-th percentile of |result - reference| over
    every pixel and channel of one photo (arrays in [0, 1])."""
    import numpy as np

    difference = np.abs(np.asarray(result, np.float64) - np.asarray(reference, np.float64))
    return float(np.percentile(difference, PIXEL_ERROR_PERCENTILE))


def fast_path(backend: str, precision: str) -> str:
    """'openvino-bf16': the name of a fast path, as verdicts are recorded under."""
    return f"{backend}-{precision}"


@dataclass(frozen=True)
class PathVerdict:
    """What a fast path (int8, bf16) did to the picture for one set of weights, measured on the check set
    (engine/verdicts.py) or, for the starter weights' int8, by `deblur-app train check-int8`.

    The agreement is the worst over a set of check photos: on one photo int8 agreed at 47.1 dB
    while a real blurry photo (RealBlur-J scene 050) came out at 39.5 dB (issue 22), so one
    photo proves nothing and a verdict over fewer than INT8_MIN_CHECK_PHOTOS does not qualify.
    The per-pixel error is the worst too (``pixel_error``, MAX_PIXEL_ERROR): a photo can agree at
    45.9 dB on the whole and still lose its strongest edges (issue 21). None: measured before the
    rule had it, which qualifies for nothing (openvino_backend reads such records as unmeasured).
    """

    hd_agreement_db: float  # PSNR of the int8 output against float32: the worst photo of the check set
    validation_change_db: float  # change of the mean PSNR on the validation set (negative: a loss)
    photos: int = 1  # how many check photos the agreement is the worst of
    worst_photo: str = ""
    precision: str = "int8"  # the path's precision: "int8" or "bf16" (its backend is in the record's key)
    pixel_error: float | None = None  # the largest of the check photos' pixel_error() against float32
    pixel_worst_photo: str = ""

    @classmethod
    def over_photos(cls, agreements: dict[str, float], validation_change_db: float,
                    precision: str = "int8", pixel_errors: dict[str, float] | None = None) -> "PathVerdict":
        """The verdict of a check set: {photo name: fast-vs-float32 PSNR} and {photo name: pixel_error()};
        the worst photo of each counts."""
        if not agreements:
            raise ValueError("a verdict needs at least one check photo")
        worst = min(agreements, key=agreements.get)
        largest = max(pixel_errors, key=pixel_errors.get) if pixel_errors else ""
        return cls(agreements[worst], validation_change_db, len(agreements), worst, precision,
                   pixel_errors[largest] if pixel_errors else None, largest)

    def qualifies(self) -> bool:
        return (self.photos >= INT8_MIN_CHECK_PHOTOS and self.hd_agreement_db >= INT8_MIN_AGREEMENT_DB
                and self.pixel_error is not None and self.pixel_error <= MAX_PIXEL_ERROR
                and self.validation_change_db >= -INT8_MAX_VALIDATION_LOSS_DB)

    def describe(self) -> reasons.Reason:
        worst = f" ({self.worst_photo})" if self.worst_photo else ""
        pixel_worst = f" ({self.pixel_worst_photo})" if self.pixel_worst_photo else ""
        return reasons.reason(
            reasons.PATH_VERDICT, precision=self.precision, agreement=f"{self.hd_agreement_db:.1f}",
            photos=self.photos, worst=worst, change=f"{self.validation_change_db:+.2f}",
            pixel_error="?" if self.pixel_error is None else f"{self.pixel_error:.3f}", pixel_worst=pixel_worst,
            min_agreement=f"{INT8_MIN_AGREEMENT_DB:g}", min_photos=INT8_MIN_CHECK_PHOTOS,
            max_pixel_error=f"{MAX_PIXEL_ERROR:g}", max_loss=f"{INT8_MAX_VALIDATION_LOSS_DB:g}")


Int8Verdict = PathVerdict  # the name from when int8 was the only path with verdicts
