"""The blur score of a photo: 0 (sharp) to 100 (blurred), and its verdict.

Arrays in, numbers out: ``assess(pixels)`` takes the decoded photo (any size, RGB or
grey) and returns a :class:`BlurAssessment`. The measure is the width of the photo's
sharpest edges, direction by direction, at a fixed working size (``features``); a
logistic curve fitted on the labelled set turns it into the score, and two thresholds
chosen on that set into the verdict. Curve and thresholds live in
``resources/blur_score.json``, written by ``benchmarks/bench_blur_score.py --write``.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass

import numpy as np

from ..resources import resource_path
from .features import edge_width, working_luma

__all__ = ["VERDICTS", "BlurAssessment", "BlurCalibration", "assess", "calibration", "score_from_width", "verdict_of"]

SHARP, SLIGHTLY_BLURRED, BLURRED = "sharp", "slightly blurred", "blurred"
VERDICTS = (SHARP, SLIGHTLY_BLURRED, BLURRED)
CALIBRATION_FILE = "blur_score.json"


@dataclass(frozen=True)
class BlurCalibration:
    slope: float  # of the logistic curve over log(edge width)
    offset: float
    slightly_blurred_from: float  # score thresholds of the verdicts
    blurred_from: float

    @classmethod
    def from_json(cls, data: dict) -> "BlurCalibration":
        return cls(float(data["slope"]), float(data["offset"]),
                   float(data["slightly_blurred_from"]), float(data["blurred_from"]))


@dataclass(frozen=True)
class BlurAssessment:
    blur_score: float  # 0..100, higher = blurrier
    verdict: str  # one of VERDICTS
    edge_width: float  # px at working size, what the score is made of


@functools.lru_cache(maxsize=1)
def calibration() -> BlurCalibration:
    return BlurCalibration.from_json(json.loads(resource_path(CALIBRATION_FILE).read_text(encoding="utf-8")))


def score_from_width(width: float, cal: BlurCalibration) -> float:
    z = cal.slope * math.log(max(width, 1e-3)) + cal.offset
    return 100.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def verdict_of(score: float, cal: BlurCalibration) -> str:
    if score >= cal.blurred_from:
        return BLURRED
    return SLIGHTLY_BLURRED if score >= cal.slightly_blurred_from else SHARP


def assess(pixels: np.ndarray, cal: BlurCalibration | None = None) -> BlurAssessment:
    """Score one decoded photo (HxW or HxWxC; uint8, uint16 or float 0..1)."""
    cal = cal or calibration()
    width = edge_width(working_luma(pixels))
    score = score_from_width(width, cal)
    return BlurAssessment(round(score, 1), verdict_of(round(score, 1), cal), width)
