"""The core's one-line reasons in the window's language (the catalogue: deblur_app/reasons.py).

A message from the core is English: "photo.jpg: file not found", "user: installed by you;
validation 31.2 dB". Each "; "-separated run of it that is a catalogue template, after an
optional "<file>: " in front, is shown translated, its fields (file names, OS errors, numbers)
kept as they were. Anything not in the catalogue is shown as it came: better English than
nothing.
"""

from __future__ import annotations

import re
from functools import lru_cache

from PySide6.QtCore import QCoreApplication

from .. import reasons

SEPARATOR = "; "
_FIELD = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=None)
def _patterns() -> tuple[tuple[re.Pattern, str], ...]:
    """(regular expression of a template, after an optional "<file>: ", the template) for each template."""
    patterns = []
    for template in reasons.catalogue():
        parts = _FIELD.split(template)  # literal, field, literal, field, ...
        body = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+?)" for index, part in enumerate(parts))
        patterns.append((re.compile(rf"(?P<_before>(?:.*: )?){body}", re.DOTALL), template))
    return tuple(patterns)


def _translated_run(text: str) -> str | None:
    """``text`` translated if it is one template (after an optional "<file>: "), else None."""
    for pattern, template in _patterns():
        found = pattern.fullmatch(text)
        if found is None:
            continue
        fields = {k: _translated_run(v) or v for k, v in found.groupdict().items() if k != "_before"}
        translation = QCoreApplication.translate(reasons.CONTEXT, template)
        try:
            return found.group("_before") + translation.format(**fields)
        except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: the English
            return text
    return None


def translated(message: str) -> str:
    """``message`` with every run of it that is a catalogue reason in the window's language."""
    if not message:
        return message
    parts = message.split(SEPARATOR)
    shown, start = [], 0
    while start < len(parts):
        for end in range(len(parts), start, -1):  # the longest run that is one template
            run = _translated_run(SEPARATOR.join(parts[start:end]))
            if run is not None:
                shown.append(run)
                start = end
                break
        else:
            shown.append(parts[start])
            start += 1
    return SEPARATOR.join(shown)
