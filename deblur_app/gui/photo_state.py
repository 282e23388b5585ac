"""An opened photo as the window shows it: the session's record of it (session.py) and its pixmaps."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, QRectF

from ..reasons import file_name
from .i18n import bit_depth_text, shown_backend, shown_device, shown_model_name
from .image_view import Layer
from .outcomes import DeblurOutcome
from .qtimage import pixmaps
from .reasons import translated
from .session import PhotoRecord, same_strength  # noqa: F401  (same_strength: the window's)
from .viewers import ScaleImages

translate = QCoreApplication.translate

_BREAK_AFTER = "_-.)]"


def breakable(name: str) -> str:
    """A file name a word-wrapping label may break after _ - . (a zero-width space there): a long
    name without spaces was clipped at the side panel's edge ("Saved to" in Last run, issue 22)."""
    return "".join(f"{char}\u200b" if char in _BREAK_AFTER else char for char in name)


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
    if not outcome.preview and outcome.scales:  # empty for networks without coarse outputs
        s = outcome.scales
        scales = ScaleImages(
            inputs={"full": original, **{k: Layer(pixmaps([s[f"input_{k}"]])) for k in ("half", "quarter")}},
            outputs={"full": result, **{k: Layer(pixmaps([s[f"out_{k}"]])) for k in ("half", "quarter")}},
        )
    mark = QRectF(*outcome.region) if outcome.region else None
    return Shown(result, Layer(pixmaps(outcome.heat_levels)), scales, mark)


@dataclass
class Photo(PhotoRecord):
    """A photo of the session (session.PhotoRecord: its state) and what the window shows of it."""

    original: Layer | None = None
    shown: Shown | None = None

    @property
    def shown_outcome(self) -> DeblurOutcome | None:
        """The outcome on screen: the preview while its pixmaps are shown, else the whole-photo result."""
        if self.preview is not None and self.shown is not None and self.shown.mark is not None:
            return self.preview
        return self.result

    def tr(self, text: str, disambiguation: str = "", n: int = -1) -> str:
        # PySide6 6.11's lupdate reads a plural form (%n) only from a self.tr call
        return translate("Photo", text, disambiguation, n)

    @property
    def size_text(self) -> str:
        if self.image is None:
            return ""
        w, h = self.image.width, self.image.height
        depth = bit_depth_text(self.image.bit_depth)
        if round(w * h / 1e6, 1) == 0:  # "3 × 2 (0.0 MP, 8-bit)": under 0.05 MP the pixels alone say the size
            return translate("Photo", "{width} × {height} ({depth})").format(width=w, height=h, depth=depth)
        return translate("Photo", "{width} × {height} ({megapixels:.1f} MP, {depth})").format(
            width=w, height=h, megapixels=w * h / 1e6, depth=depth)

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
        backend = f", {shown_backend(facts.backend)}" if facts.backend != "torch" else ""
        if facts.passes > 1:
            run = self.tr("{seconds:.1f} s, {tiles} tile(s) × {passes} passes", "", facts.tiles)
        else:
            run = self.tr("{seconds:.1f} s, {tiles} tile(s)", "", facts.tiles)
        lines = [
            size.format(width=outcome.full.shape[1], height=outcome.full.shape[0]),
            translate("Photo", "{model} on {device} ({precision}{backend})").format(
                model=shown_model_name(facts.settings) if facts.settings is not None else facts.model_name,
                device=shown_device(facts.device), precision=facts.precision,
                backend=backend),
            run.format(seconds=facts.seconds, tiles=facts.tiles, passes=facts.passes),
            translate("Photo", "Largest change {percent:.1f} %").format(percent=outcome.max_change * 100),
        ]
        if outcome.strength < 1:
            lines.append(translate("Photo", "Showing {percent:.0f} % of the correction").format(
                percent=outcome.strength * 100))
        lines += [translated(note) for note in facts.notes]  # the engine's notes are English (reasons.py)
        if not outcome.preview:
            if self.saved_path is None:
                lines.append(translate("Photo", "Not saved yet"))
            elif self.unsaved:
                lines.append(translate("Photo", "Saved to {name} at {percent:.0f} %; not saved at this strength").format(
                    name=breakable(file_name(self.saved_path)), percent=(self.saved_strength or 0) * 100))
            else:
                lines.append(translate("Photo", "Saved to {name}").format(name=breakable(file_name(self.saved_path))))
        return "\n".join(lines)
