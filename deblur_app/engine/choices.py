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
    """

    hd_agreement_db: float  # PSNR of the int8 output against float32: the worst photo of the check set
    validation_change_db: float  # change of the mean PSNR on the validation set (negative: a loss)
    photos: int = 1  # how many check photos the agreement is the worst of
    worst_photo: str = ""
    precision: str = "int8"  # the path's precision: "int8" or "bf16" (its backend is in the record's key)

    @classmethod
    def over_photos(cls, agreements: dict[str, float], validation_change_db: float,
                    precision: str = "int8") -> "PathVerdict":
        """The verdict of a check set: {photo name: fast-vs-float32 PSNR}; the worst photo counts."""
        if not agreements:
            raise ValueError("a verdict needs at least one check photo")
        worst = min(agreements, key=agreements.get)
        return cls(agreements[worst], validation_change_db, len(agreements), worst, precision)

    def qualifies(self) -> bool:
        return (self.photos >= INT8_MIN_CHECK_PHOTOS and self.hd_agreement_db >= INT8_MIN_AGREEMENT_DB
                and self.validation_change_db >= -INT8_MAX_VALIDATION_LOSS_DB)

    def describe(self) -> reasons.Reason:
        worst = f" ({self.worst_photo})" if self.worst_photo else ""
        return reasons.reason(
            reasons.PATH_VERDICT, precision=self.precision, agreement=f"{self.hd_agreement_db:.1f}",
            photos=self.photos, worst=worst, change=f"{self.validation_change_db:+.2f}", min_agreement=f"{INT8_MIN_AGREEMENT_DB:g}",
            min_photos=INT8_MIN_CHECK_PHOTOS, max_loss=f"{INT8_MAX_VALIDATION_LOSS_DB:g}")


Int8Verdict = PathVerdict  # the name from when int8 was the only path with verdicts
