"""Elapsed time and time-left estimates, worded for the status bar and the batch dialog."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

translate = QCoreApplication.translate


def format_eta(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds >= 3600:
        return translate("Timing", "{hours} h {minutes:02d} min").format(hours=seconds // 3600,
                                                                        minutes=seconds % 3600 // 60)
    if seconds >= 60:
        return translate("Timing", "{minutes} min {seconds:02d} s").format(minutes=seconds // 60,
                                                                          seconds=seconds % 60)
    return translate("Timing", "{seconds} s").format(seconds=seconds)


# A run of fewer megapixels (times ensemble passes) says little of the network's speed: its time is mostly what
# every run costs whatever its size (a model compiled for the photo's size, tiles set up). An 8 x 8 photo's
# 9.7 s taught 150,000 s per megapixel, and the next 0.5 MP photo said "Slow network: about 20 h".
MIN_TIMED_MEGAPIXELS = 0.25


def seconds_per_megapixel(seconds: float, megapixels: float) -> float | None:
    """The speed a finished run teaches for the next estimates (RunTracker, Compare Networks); None for a run
    too small to tell it, or without a time."""
    if seconds <= 0 or megapixels < MIN_TIMED_MEGAPIXELS:
        return None
    return seconds / megapixels


def computed_megapixel_passes(facts, photo_megapixel_passes: float) -> float:
    """What a finished run's time is divided by for its speed: the megapixels its tiles computed (overlap
    included) times its passes (RunFacts.computed_pixels), else the photo's megapixels times its passes. A tiled run
    computes more than its photo: its speed in photo megapixels would make a whole-photo estimate too long."""
    computed = getattr(facts, "computed_pixels", 0)
    return computed / 1e6 * facts.passes if computed else photo_megapixel_passes


def time_left(elapsed: float, done: float, total: float) -> float | None:
    """Seconds left if the rest goes at the pace of what is done; None before anything is done."""
    if done <= 0 or total <= 0:
        return None
    return max(0.0, elapsed / done * (total - done))


def batch_time_left(done_seconds: list[float], current_seconds: float, current_fraction: float,
                    photos_left: int) -> float | None:
    """Seconds left in a batch, from how long its deblurred photos took (skipped and failed ones are quick).

    ``photos_left`` counts the current photo. A current photo slower than the ones before raises
    the pace for the rest; before any photo is done, the current one's progress sets it.
    """
    if photos_left <= 0:
        return 0.0
    if done_seconds:
        pace = sum(done_seconds) / len(done_seconds)
        if current_seconds > pace:
            pace = (sum(done_seconds) + current_seconds) / (len(done_seconds) + 1)
    elif current_fraction > 0:
        pace = current_seconds / current_fraction
    else:
        return None
    return pace * (photos_left - 1) + max(0.0, pace - current_seconds)


def describe_progress(elapsed: float, left: float | None) -> str:
    """'12 s elapsed · about 3 min 10 s left' (or '… almost done' once the estimate has run out)."""
    text = translate("Timing", "{elapsed} elapsed").format(elapsed=format_eta(elapsed))
    if left is None:
        return text
    if left < 0.5:
        return text + " · " + translate("Timing", "almost done")
    return text + " · " + translate("Timing", "about {left} left").format(left=format_eta(left))
