"""The names of the engine's choices, and what int8 did to a set of weights: no torch.

The command line's options, the window's settings and menus, and the engine read the
device, precision and backend names from here, so each list is spelled once and whatever
only names a choice (argparse, the settings, the side panel) imports no torch.
``Int8Verdict`` lives here too: ``devices`` decides with it and ``openvino_backend`` reads and
records it, and neither has to import the other for it.
"""

from __future__ import annotations

from dataclasses import dataclass

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
PRECISION_CHOICES = ("auto", "fp32", "bf16", "fp16", "int8")
BACKEND_CHOICES = ("auto", "torch", "openvino")

# `auto` takes int8 only where it measurably keeps the picture (issue 14).
INT8_MIN_AGREEMENT_DB = 45.0
INT8_MAX_VALIDATION_LOSS_DB = 0.05


@dataclass(frozen=True)
class Int8Verdict:
    """What int8 did to the picture for one set of weights, measured by `deblur-app train check-int8`."""

    hd_agreement_db: float  # PSNR of the int8 output against float32 on an HD photo
    validation_change_db: float  # change of the mean PSNR on the validation set (negative: a loss)

    def qualifies(self) -> bool:
        return (self.hd_agreement_db >= INT8_MIN_AGREEMENT_DB
                and self.validation_change_db >= -INT8_MAX_VALIDATION_LOSS_DB)

    def describe(self) -> str:
        return (f"int8 agrees with float32 at {self.hd_agreement_db:.1f} dB on an HD photo and changes the "
                f"validation PSNR by {self.validation_change_db:+.2f} dB (needs >= {INT8_MIN_AGREEMENT_DB:g} dB "
                f"and a loss <= {INT8_MAX_VALIDATION_LOSS_DB:g} dB)")
