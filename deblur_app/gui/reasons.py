"""The core's one-line reasons in the window's language (the catalogue: deblur_app/reasons.py).

A reason of the core is a ``Reason``: a template and its fields. The window translates the
template and fills in the fields (file names, OS errors, numbers) as they came, a field that is a
Reason translated the same way; a translation with a broken placeholder shows the English.

A plain str is text from outside the catalogue (an OS error, a library's message, the window's
own words already translated) and is shown as it came. The English of a catalogue template is
never recognised in a plain str: guessing (a file name or a cause that reads like a template,
reasons joined by "; ") went wrong, so every producer hands over Reasons (tests/test_reasons.py
holds the core to it).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from .. import reasons
from ..reasons import QT_TRANSLATE_NOOP, Reason, ReasonText

# The core's English is the command line's, and a few of its reasons say which option changes
# the limit they report. The window has no such option: it says these its own way (same fields),
# and its translations translate that wording.
WINDOW_WORDING = {
    reasons.TOO_MANY_PIXELS: QT_TRANSLATE_NOOP("Reason", "{megapixels} megapixels exceeds the limit of {limit} megapixels"),
}


def _in_window_words(template: str) -> str:
    """The template the window shows for a core template: its own wording where it has one."""
    return WINDOW_WORDING.get(template, template)


def translated(said: ReasonText) -> str:
    """A reason of the core in the window's language; a plain str as it came."""
    if not isinstance(said, Reason):
        return said
    fields = {name: translated(value) if isinstance(value, Reason) else value for name, value in said.fields}
    template = _in_window_words(said.template)
    translation = QCoreApplication.translate(reasons.CONTEXT, template)
    try:
        return translation.format(**fields)
    except (KeyError, IndexError, ValueError):  # a translation with a broken placeholder: the English
        return template.format(**fields)
