"""No-reference measures for real blurry photos, which have no sharp original to compare with.

Two numbers per photo, both output over input, so below/above 1 reads at a glance:
- scikit-image's ``blur_effect`` (Crété-Roffet et al. 2007: how much a further blur changes
  the image; 0 sharp .. 1 blurred): lower after deblurring means sharper;
- the fine-detail ratio: spread of the Laplacian of the luma, out over in. Below 1 means
  smoother, which a network that mostly denoises also produces; above 1 means more fine
  detail (sharper edges, or amplified noise and ringing: look at the contact sheet).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SHEET_GAP = 8  # white pixels between input and output on a contact sheet
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # Rec. 601, as skimage's rgb2gray would weigh


class MissingScikitImage(RuntimeError):
    pass


def _blur_effect_function():
    try:
        from skimage.measure import blur_effect
    except ImportError as error:
        raise MissingScikitImage("real-photo evaluation needs scikit-image: pip install 'deblur-app[eval]'") from error
    return blur_effect


def require_scikit_image() -> None:
    """Raise MissingScikitImage now, before any slow work."""
    _blur_effect_function()


def luma(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(rgb, np.float32) @ _LUMA


def blur_effect(rgb: np.ndarray) -> float:
    return float(_blur_effect_function()(luma(rgb)))


def fine_detail(rgb: np.ndarray) -> float:
    return float(cv2.Laplacian(luma(rgb).astype(np.float64), cv2.CV_64F).std())


@dataclass
class RealPhotoChange:
    name: str
    input_blur_effect: float
    output_blur_effect: float
    fine_detail_ratio: float

    @property
    def blur_effect_ratio(self) -> float:
        return self.output_blur_effect / self.input_blur_effect

    @property
    def sharper(self) -> bool:
        return self.output_blur_effect < self.input_blur_effect


def measure(name: str, before: np.ndarray, after: np.ndarray) -> RealPhotoChange:
    """How ``after`` (the network's output, float RGB in [0, 1]) differs from ``before``."""
    detail_before = fine_detail(before)
    ratio = fine_detail(after) / detail_before if detail_before > 0 else float("nan")
    return RealPhotoChange(name, blur_effect(before), blur_effect(after), ratio)


def summary(changes: list[RealPhotoChange]) -> dict[str, float]:
    return {
        "photos": len(changes),
        "median_blur_effect_ratio": float(np.median([c.blur_effect_ratio for c in changes])),
        "median_fine_detail_ratio": float(np.nanmedian([c.fine_detail_ratio for c in changes])),
        "sharper_share": sum(c.sharper for c in changes) / len(changes),
    }


def side_by_side(before: np.ndarray, after: np.ndarray, gap: int = SHEET_GAP) -> np.ndarray:
    """Input | output on one canvas, separated by a white gap, for looking at both at once."""
    height, width = before.shape[:2]
    sheet = np.ones((height, 2 * width + gap, 3), np.float32)
    sheet[:, :width] = before
    sheet[:, width + gap :] = after
    return sheet


def caption_of(change: RealPhotoChange) -> str:
    return (f"{change.name}   left: input, right: output   blur_effect {change.input_blur_effect:.3f} -> "
            f"{change.output_blur_effect:.3f} (x{change.blur_effect_ratio:.3f})   fine detail x{change.fine_detail_ratio:.2f}")


def labelled_sheet(before: np.ndarray, after: np.ndarray, caption: str, gap: int = SHEET_GAP) -> np.ndarray:
    """The contact sheet with a white band below it carrying ``caption`` (name and numbers): a sheet
    looked at later, alone, says what it shows. The pictures above the band are untouched."""
    sheet = side_by_side(before, after, gap)
    width = sheet.shape[1]
    font, thickness = cv2.FONT_HERSHEY_SIMPLEX, 1
    (text_width, text_height), baseline = cv2.getTextSize(caption, font, 1.0, thickness)
    scale = min(1.0, (width - 8) / max(1, text_width))  # shrink a long caption to the sheet's width
    band = max(16, int((text_height + baseline) * scale) + 10)
    strip = np.full((band, width, 3), 255, np.uint8)  # OpenCV draws text on 8-bit pictures only
    cv2.putText(strip, caption, (4, band - 5 - int(baseline * scale)), font, scale, (0, 0, 0), thickness,
                cv2.LINE_AA)
    return np.concatenate([sheet, strip.astype(np.float32) / 255.0])
