"""An opened photo and what the window knows about it: its result, strength and saved state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QRectF

from ..imagefiles import LoadedImage
from .image_view import Layer
from .outcomes import DeblurOutcome
from .qtimage import pixmaps
from .viewers import ScaleImages

translate = QCoreApplication.translate


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
    # the share of the correction this photo's result keeps (0..1); None until it has a result or
    # preview, then the window's remembered strength is the default
    strength: float | None = None
    saved_path: Path | None = None  # where the current result was saved
    saved_strength: float | None = None  # the strength of the saved file
    save_target: Path | None = None  # the last Save As choice
    run_note: str = ""  # how its last run ended ("Last run 3.2 s"), shown while it is selected
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
        """A result whose file on disk (if any) is not what Save would write now."""
        if self.result is None:
            return False
        return self.saved_path is None or not same_strength(self.saved_strength, self.strength)

    def result_replaced(self) -> None:
        """A new network result: the file saved before holds another picture."""
        self.saved_path = self.saved_strength = None

    @property
    def size_text(self) -> str:
        if self.image is None:
            return ""
        w, h = self.image.width, self.image.height
        return translate("Photo", "{width} × {height} ({megapixels:.1f} MP, {bits}-bit)").format(
            width=w, height=h, megapixels=w * h / 1e6, bits=self.image.bit_depth)

    def describe(self) -> str:
        """The result panel's text for what is on screen."""
        outcome = self.shown_outcome
        if outcome is None:
            return translate("Photo", "No result yet")
        if outcome.preview:
            size = translate("Photo", "Preview of the visible area: {width} × {height}")
        else:
            size = translate("Photo", "Whole photo: {width} × {height}")
        facts = outcome.facts
        backend = f", {facts.backend}" if facts.backend != "torch" else ""
        if facts.passes > 1:
            run = translate("Photo", "{seconds:.1f} s, {tiles} tile(s) × {passes} passes", "", facts.tiles)
        else:
            run = translate("Photo", "{seconds:.1f} s, {tiles} tile(s)", "", facts.tiles)
        lines = [
            size.format(width=outcome.full.shape[1], height=outcome.full.shape[0]),
            translate("Photo", "{model} on {device} ({precision}{backend})").format(
                model=facts.model_name, device=facts.device, precision=facts.precision, backend=backend),
            run.format(seconds=facts.seconds, tiles=facts.tiles, passes=facts.passes),
            translate("Photo", "Largest change {percent:.1f} %").format(percent=outcome.max_change * 100),
        ]
        if outcome.strength < 1:
            lines.append(translate("Photo", "Showing {percent:.0f} % of the correction").format(
                percent=outcome.strength * 100))
        lines += facts.notes
        if not outcome.preview:
            if self.saved_path is None:
                lines.append(translate("Photo", "Not saved yet"))
            elif self.unsaved:
                lines.append(translate("Photo", "Saved to {name} at {percent:.0f} %; not saved at this strength").format(
                    name=self.saved_path.name, percent=(self.saved_strength or 0) * 100))
            else:
                lines.append(translate("Photo", "Saved to {name}").format(name=self.saved_path.name))
        return "\n".join(lines)


def same_strength(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None and abs(a - b) < 1e-6
