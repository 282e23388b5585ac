"""A finished run as the window shows it, and re-showing it at another strength.

``compose_outcome`` turns the network's arrays into what the views draw (display
and heatmap pyramids as QImages, which any thread may build). The worker calls
it after a run; ``Reblender`` calls it from a pool thread when the Strength
control moves, so a strength change never queues behind a network run on the
model thread and never touches the model.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QImage

from ..engine.strength import apply_strength
from ..reasons import ReasonText
from . import imaging, qtimage


@dataclass(frozen=True)
class RunFacts:
    """What the result panel reports about the network run that made an outcome; a re-blend keeps them."""

    seconds: float
    tiles: int
    passes: int
    device: str
    precision: str
    model_name: str
    notes: tuple[ReasonText, ...] = ()  # the engine's (reasons.py), shown translated
    backend: str = "torch"
    # the RunSettings the run was asked with (messages.py): Compare reuses a photo's result made with the settings
    # it would run (same_run), instead of running that network again
    settings: object = None
    computed_pixels: int = 0  # the pixels one pass computed: its tiles with their overlap (0: not known)


@dataclass
class DeblurOutcome:
    photo_key: str
    region: tuple[int, int, int, int] | None
    full: np.ndarray  # float32 network outputs at full strength (of the region for a preview)
    half: np.ndarray | None  # None for networks without coarse outputs
    quarter: np.ndarray | None
    display_levels: list[QImage]  # what to show (a preview pasted into the photo), full size first
    heat_levels: list[QImage]
    max_change: float
    scales: dict[str, QImage]  # input_half, input_quarter, out_half, out_quarter
    facts: RunFacts
    strength: float = 1.0  # what the display and heat levels show
    reblended: bool = False  # made from an earlier outcome at another strength

    @property
    def preview(self) -> bool:
        return self.region is not None

    @property
    def has_scales(self) -> bool:
        """Whether the network gave ½ and ¼ outputs (MIMO-UNet; registry Architecture.outputs): the one answer
        for what Save As offers and whether the Scales view is offered for this result."""
        return self.half is not None and self.quarter is not None


def compose_outcome(photo_key: str, photo_pixels: np.ndarray, region: tuple[int, int, int, int] | None,
                    full: np.ndarray, half: np.ndarray | None, quarter: np.ndarray | None, strength: float,
                    facts: RunFacts,
                    scales: dict[str, QImage] | None = None) -> DeblurOutcome:
    """The pictures of one result at ``strength``; ``scales`` reuses the coarse images of an earlier one."""
    if region is not None:
        left, top, _w, _h = region
        source = photo_pixels[top : top + full.shape[0], left : left + full.shape[1]]
    else:
        source = photo_pixels
    display_levels, heat_levels, max_change = _pictures(photo_pixels, region, full, strength)
    if scales is None and (half is None or quarter is None):
        scales = {}  # a network without coarse outputs (registry Architecture.outputs): no Scales view
    if scales is None:  # the network's own coarse outputs: the same at every strength
        in_half, in_quarter = imaging.network_pyramid(source)
        scales = {
            "input_half": qtimage.to_display_image(imaging.to_u8(in_half)),
            "input_quarter": qtimage.to_display_image(imaging.to_u8(in_quarter)),
            "out_half": qtimage.to_display_image(imaging.to_u8(half)),
            "out_quarter": qtimage.to_display_image(imaging.to_u8(quarter)),
        }
    return DeblurOutcome(
        photo_key=photo_key, region=region, full=full, half=half, quarter=quarter,
        display_levels=display_levels, heat_levels=heat_levels, max_change=max_change, scales=scales,
        facts=facts, strength=strength,
    )


def _pictures(photo_pixels: np.ndarray, region: tuple[int, int, int, int] | None, full: np.ndarray,
              strength: float) -> tuple[list[QImage], list[QImage], float]:
    """The result at ``strength`` (a preview's pasted into the photo as opened) and its heatmap (over the photo
    dimmed) as display pyramids, and the largest change. Written a band of rows at a time (imaging.BAND_ROWS)
    straight into the full-size QImages, whose smaller levels are made from them: the blend of a whole 12 MP photo
    alone is 144 MB of float32, the heatmap's temporaries some 0.6 GB, and the whole 8-bit picture and heatmap
    beside their QImages were 72 MB more at the end of a 12 MP run (issue 26)."""
    height, width = photo_pixels.shape[:2] if region is not None else full.shape[:2]
    display, heat = qtimage.blank_display_image(width, height), qtimage.blank_display_image(width, height)
    left, top = (region[0], region[1]) if region is not None else (0, 0)
    if region is not None:  # around the preview: the photo as opened, and dimmed under the heatmap
        for rows, columns in _around(height, width, top, left, full.shape[:2]):
            for band in imaging.row_bands(rows.stop - rows.start):
                part = photo_pixels[rows.start + band.start : rows.start + band.stop, columns]
                qtimage.write_rows(display, rows.start + band.start, columns.start, imaging.to_u8(part))
                qtimage.write_rows(heat, rows.start + band.start, columns.start, imaging.dimmed(part))
    source = photo_pixels[top : top + full.shape[0], left : left + full.shape[1]]
    max_change = 0.0
    for band in imaging.row_bands(full.shape[0]):
        shown = apply_strength(source[band], full[band], strength)
        qtimage.write_rows(display, top + band.start, left, imaging.to_u8(shown))
        heat_band, change = imaging.heatmap(source[band], shown)
        qtimage.write_rows(heat, top + band.start, left, heat_band)
        max_change = max(max_change, change)
    return qtimage.display_pyramid(display), qtimage.display_pyramid(heat), max_change


def _around(height: int, width: int, top: int, left: int, inner: tuple[int, int]) -> list[tuple[slice, slice]]:
    """The (rows, columns) blocks of a ``height`` x ``width`` picture outside the ``inner`` (height, width) block at
    (``left``, ``top``): above it, either side of it, below it; none empty."""
    bottom, right = top + inner[0], left + inner[1]
    blocks = [(slice(0, top), slice(0, width)), (slice(top, bottom), slice(0, left)),
              (slice(top, bottom), slice(right, width)), (slice(bottom, height), slice(0, width))]
    return [(rows, columns) for rows, columns in blocks if rows.stop > rows.start and columns.stop > columns.start]


def reblend(outcome: DeblurOutcome, photo_pixels: np.ndarray, strength: float) -> DeblurOutcome:
    """The same result shown at another strength: a numpy blend, no network run."""
    again = compose_outcome(outcome.photo_key, photo_pixels, outcome.region, outcome.full, outcome.half,
                            outcome.quarter, strength, outcome.facts, scales=outcome.scales)
    return dataclasses.replace(again, reblended=True)


class _BlendTask(QRunnable):
    def __init__(self, reblender: "Reblender", ticket: int, outcome: DeblurOutcome, pixels: np.ndarray,
                 strength: float) -> None:
        super().__init__()
        self.reblender, self.ticket = reblender, ticket
        self.outcome, self.pixels, self.strength = outcome, pixels, strength

    def run(self) -> None:
        try:
            result = reblend(self.outcome, self.pixels, self.strength)
        except Exception as error:  # a blend of arrays we made ourselves: should not happen, never crash
            self.reblender.failed.emit(self.ticket, f"{type(error).__name__}: {error}")
            return
        self.reblender.done.emit(self.ticket, result)


class Reblender(QObject):
    """Re-shows outcomes at another strength in a one-thread pool; only the newest request per photo counts."""

    reblended = Signal(object)  # DeblurOutcome, delivered in the GUI thread
    done = Signal(int, object)  # internal: ticket, outcome (queued from the pool thread)
    failed = Signal(int, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._tickets = itertools.count(1)
        self._latest: dict[str, int] = {}  # photo key -> newest ticket
        self.done.connect(self._deliver)
        self.failed.connect(self._forget)

    def request(self, outcome: DeblurOutcome, photo_pixels: np.ndarray, strength: float) -> int:
        ticket = next(self._tickets)
        self._latest[outcome.photo_key] = ticket
        self._pool.start(_BlendTask(self, ticket, outcome, photo_pixels, strength))
        return ticket

    def forget(self, photo_key: str) -> None:
        """Drop whatever is pending for a photo (closed, or a new run replaced its result)."""
        self._latest.pop(photo_key, None)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        self._latest.clear()
        return self._pool.waitForDone(timeout_ms)

    def _deliver(self, ticket: int, outcome: DeblurOutcome) -> None:
        if self._latest.get(outcome.photo_key) != ticket:
            return  # a newer strength was asked for meanwhile
        del self._latest[outcome.photo_key]
        self.reblended.emit(outcome)

    def _forget(self, ticket: int, _reason: str) -> None:
        for key, latest in list(self._latest.items()):
            if latest == ticket:
                del self._latest[key]
