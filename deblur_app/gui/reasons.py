"""The core's one-line reasons in the window's language (the catalogue: deblur_app/reasons.py).

A reason of the core is a ``Reason``: a template and its fields. The window translates the
template and fills in the fields (file names, OS errors, numbers) as they came, a field that is a
Reason translated the same way; a translation with a broken placeholder shows the English.

A plain str is text a producer handed over without its structure (the core's precision notes of
engine/devices.py still do). For it alone the old recognition stays, as a fallback: each
"; "-separated run that is a catalogue template, after an optional "<file>: " in front, is shown
translated, and anything else as it came: better English than nothing. It guesses (a field that
reads like a template, reasons joined by "; "), which is why reasons travel structured.
"""

from __future__ import annotations

import re
from functools import lru_cache

from PySide6.QtCore import QCoreApplication

from .. import reasons
from ..reasons import QT_TRANSLATE_NOOP, Reason, ReasonText

SEPARATOR = reasons.JOIN
_FIELD = re.compile(r"\{(\w+)\}")
# The core's English is the command line's, and a few of its reasons say which option changes
# the limit they report. The window has no such option: it says these its own way (same fields),
# and its translations translate that wording.
WINDOW_WORDING = {
    reasons.TOO_MANY_PIXELS: QT_TRANSLATE_NOOP("Reason", "{megapixels} megapixels exceeds the limit of {limit} megapixels"),
}


def _in_window_words(template: str) -> str:
    """The template the window shows for a core template: its own wording where it has one."""
    return WINDOW_WORDING.get(template, template)


@lru_cache(maxsize=None)
def _patterns(within_a_part: bool) -> tuple[tuple[re.Pattern, str], ...]:
    """(regular expression of a template, after an optional "<file>: ", the template) for each template.

    ``within_a_part``: no field (nor the file in front) holds a "; ": tried first, so that in
    "1 missing keys (e.g. a); 1 unexpected keys (e.g. b)" the second template does not swallow
    the first as its {count}; a field that does hold one ("not a {network} checkpoint: {problems}")
    is then found a part at a time, and the loose patterns are the last resort."""
    field = r"(?:(?!; ).)+?" if within_a_part else r".+?"
    before = rf"(?P<_before>(?:{field}: )?)"
    patterns = []
    for template in reasons.catalogue():
        parts = _FIELD.split(template)  # literal, field, literal, field, ...
        body = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>{field})" for index, part in enumerate(parts))
        patterns.append((re.compile(before + body, re.DOTALL), template))
    return tuple(patterns)


def _translated_run(text: str, within_a_part: bool) -> str | None:
    """``text`` translated if it is one template (after an optional "<file>: "), else None."""
    for pattern, template in _patterns(within_a_part):
        found = pattern.fullmatch(text)
        if found is None:
            continue
        fields = {k: _recognised(v) for k, v in found.groupdict().items() if k != "_before"}
        translation = QCoreApplication.translate(reasons.CONTEXT, _in_window_words(template))
        try:
            return found.group("_before") + translation.format(**fields)
        except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: the English
            return found.group("_before") + _in_window_words(template).format(**fields)
    return None


def translated(said: ReasonText) -> str:
    """A reason of the core in the window's language (a plain str: see the module docstring)."""
    if isinstance(said, Reason):
        return _translated_reason(said)
    return _recognised(said)


def _translated_reason(said: Reason) -> str:
    fields = {name: translated(value) if isinstance(value, Reason) else value for name, value in said.fields}
    template = _in_window_words(said.template)
    translation = QCoreApplication.translate(reasons.CONTEXT, template)
    try:
        return translation.format(**fields)
    except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: the English
        return template.format(**fields)


def _recognised(message: str) -> str:
    """``message`` with every run of it that is a catalogue reason in the window's language."""
    if not message:
        return message
    parts = message.split(SEPARATOR)
    shown, start = [], 0
    while start < len(parts):
        run, start = _longest_run(parts, start)
        shown.append(run)
    return SEPARATOR.join(shown)


def _longest_run(parts: list[str], start: int) -> tuple[str, int]:
    """The longest run of ``parts`` from ``start`` that is one template, translated, and where the next run starts;
    else the part as it came."""
    for within_a_part in (True, False):
        for end in range(len(parts), start, -1):
            run = _translated_run(SEPARATOR.join(parts[start:end]), within_a_part)
            if run is not None:
                return run, end
    return parts[start], start + 1
