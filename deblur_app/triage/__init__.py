"""Blur triage: how blurred each photo of a folder is (numpy and OpenCV, no torch, no Qt)."""

from .blur_score import VERDICTS, BlurAssessment, BlurCalibration, assess, calibration

__all__ = ["VERDICTS", "BlurAssessment", "BlurCalibration", "assess", "calibration"]
