"""An opened photo and what the window knows about it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QRectF

from ..imagefiles import LoadedImage
from .qtimage import pixmaps
from .viewers import Layer, ScaleImages
from .worker import DeblurOutcome


@dataclass
class Shown:
    """Pixmaps of a result, built once when it arrives."""

    result: Layer
    heat: Layer
    scales: ScaleImages | None
    mark: QRectF | None


def shown_for(outcome: DeblurOutcome, original: Layer) -> Shown:
    result = Layer(pixmaps(outcome.display_levels))
    scales = None
    if not outcome.preview:
        s = outcome.scales
        scales = ScaleImages(
            inputs={"full": original, **{k: Layer(pixmaps([s[f"input_{k}"]])) for k in ("half", "quarter")}},
            outputs={"full": result, **{k: Layer(pixmaps([s[f"out_{k}"]])) for k in ("half", "quarter")}},
        )
    mark = QRectF(*outcome.region) if outcome.region else None
    return Shown(result, Layer(pixmaps(outcome.heat_levels)), scales, mark)


@dataclass
class Photo:
    key: str
    path: Path
    image: LoadedImage | None = None
    original: Layer | None = None
    result: DeblurOutcome | None = None  # the last whole-photo result
    preview: DeblurOutcome | None = None  # the last preview (shown when newer than the result)
    shown: Shown | None = None
    saved_path: Path | None = None  # where the current result was saved
    save_target: Path | None = None  # the last Save As choice
    loading: bool = False

    @property
    def loaded(self) -> bool:
        return self.image is not None

    @property
    def shown_outcome(self) -> DeblurOutcome | None:
        """The outcome on screen: the preview while its pixmaps are shown, else the whole-photo result."""
        if self.preview is not None and self.shown is not None and self.shown.mark is not None:
            return self.preview
        return self.result

    @property
    def unsaved(self) -> bool:
        return self.result is not None and self.saved_path is None

    @property
    def size_text(self) -> str:
        if self.image is None:
            return ""
        w, h = self.image.width, self.image.height
        return QCoreApplication.translate("Photo", "{width} × {height} ({megapixels:.1f} MP, {bits}-bit)").format(
            width=w, height=h, megapixels=w * h / 1e6, bits=self.image.bit_depth)
