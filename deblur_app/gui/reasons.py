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

# The core's English is the command line's, and some of its reasons say which option or command
# to use. The window has neither: it says these its own way, in the names of its menus and buttons
# (same fields; one it does not need, such as a command's key, is left out), and its translations
# translate that wording. tests/test_reasons.py holds every template that names an option or a
# command to an entry here or to COMMAND_LINE_ONLY.
WINDOW_WORDING = {
    reasons.TOO_MANY_PIXELS: QT_TRANSLATE_NOOP("Reason", "{megapixels} megapixels exceeds the limit of {limit} megapixels"),
    # Save checks for an existing file, then writes in the background: one that appeared meanwhile is
    # refused there (jobs.check_outputs), and saving again asks whether to replace it
    reasons.USE_OVERWRITE: QT_TRANSLATE_NOOP("Reason", "{problem} (save again to replace it)"),
    # a download that failed (weights.store.download), shown by the Weights window
    reasons.DOWNLOAD_IN_A_BROWSER: QT_TRANSLATE_NOOP(
        "Reason", "download it in a browser from {link}, then use Install from File…"),
    # Remove of a file that went from the weights folder after the Weights window listed it
    reasons.NO_SUCH_WEIGHTS: QT_TRANSLATE_NOOP("Reason", "no such installed weights (it may have been removed meanwhile)"),
    # no weights for a network (weights.catalog.missing_weights_message): the network lists' tooltips
    reasons.NO_WEIGHTS_FOUND: QT_TRANSLATE_NOOP(
        "Reason", "no {network} weights found: {get}, put {published} or {own} into {folders}, "
        "or use Install from File… in File › Weights…"),
    reasons.RUN_WEIGHTS_DOWNLOAD: QT_TRANSLATE_NOOP("Reason", "download the paper's release ({file}) in File › Weights…"),
    reasons.NO_WEIGHTS_FOUND_UNNAMED: QT_TRANSLATE_NOOP(
        "Reason", "no {network} weights found: {get}, put {own} into {folders}, "
        "or use Install from File… in File › Weights…"),
    reasons.RUN_WEIGHTS_DOWNLOAD_UNNAMED: QT_TRANSLATE_NOOP("Reason", "download the paper's release in File › Weights…"),
    # Install from File of a file taken for the first of same-shaped variants (weights.store.install_notes)
    reasons.TAKEN_FOR_FIRST_ALIKE_RENAME: QT_TRANSLATE_NOOP(
        "Reason", "taken for {model}'s weights by default: {other}'s have the same shapes and its name is neither's; "
        "if it holds those, remove it and install it again named {file}"),
    # Fastest (int8) with a GPU as the Device (engine.devices)
    reasons.INT8_CPU_ONLY: QT_TRANSLATE_NOOP("Reason", "int8 runs on the CPU only (with OpenVINO); choose CPU as the Device"),
}

# Templates that name an option or a command and never reach the window, so need no wording of their own
COMMAND_LINE_ONLY = (
    # the window catches AlreadyInstalled and asks its own question (weights_dialog: Replace Weights)
    reasons.ALREADY_INSTALLED_REPLACE,
    # a Ray cluster runs from the command line only (--cluster); the window never starts one
    reasons.RAY_NOT_INSTALLED, reasons.TOO_MANY_GPUS_PER_WORKER,
    # raised only for the backend "openvino" asked for by name; the window always runs the backend "auto"
    reasons.OPENVINO_CPU_ONLY, reasons.OPENVINO_NOT_INSTALLED,
)


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
