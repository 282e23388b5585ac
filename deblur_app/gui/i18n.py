"""The interface language: Qt translators for the window's texts and for Qt's own dialogs.

The window's translations are ``resources/i18n/deblur_app_<language>.qm``, compiled by
``scripts/translations.py`` from the ``.ts`` files beside them; adding a language is adding
one ``.ts`` file. ``deblur_app_en`` holds only the English plural forms ("1 photo",
"2 photos"): the English texts themselves are the source strings. Qt's own buttons and
dialogs (file dialog, message boxes) are translated by the ``qtbase_<language>.qm`` that
PySide6 ships. The command line is never translated: scripts parse its output.
"""

from __future__ import annotations

import re
from pathlib import Path

import PySide6
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator

from ..resources import resource_path

CATALOG = "deblur_app"
SYSTEM = "system"  # the language setting's default: follow the system locale
SOURCE_LANGUAGE = "en"  # the language of the texts in the code

_installed: list[QTranslator] = []
_in_use = SOURCE_LANGUAGE


def translations_dir() -> Path:
    return resource_path("i18n")


def available_languages() -> dict[str, str]:
    """Language code -> the language's name in itself, English first ('zh_CN' -> '简体中文')."""
    names = {SOURCE_LANGUAGE: "English"}
    for path in sorted(translations_dir().glob(f"{CATALOG}_*.qm")):
        code = path.stem.removeprefix(f"{CATALOG}_")
        names.setdefault(code, QLocale(code).nativeLanguageName() or code)
    return names


def wanted_locale(language: str) -> QLocale:
    """The locale whose translations ``language`` ('system' or a code) asks for."""
    if language != SYSTEM and language in available_languages():
        return QLocale(language)
    return QLocale.system()


def ui_locale() -> QLocale:
    """The locale of the language the window speaks: for lists ('A and B') and the like."""
    return QLocale(_in_use)


# Qt 6 gave some labels of its own file dialog mnemonics ("&Look in:", "Files of &type:"), and
# Qt's qtbase_zh_CN.qm still has only the old texts, so a Chinese window showed them in English
# (issue 22). Our catalogue carries these few in Qt's context; Qt searches the translator
# installed last (its own) first and falls back to ours for what it lacks.
QT_OWN_GAPS = (
    QT_TRANSLATE_NOOP("QFileDialog", "&Look in:"),
    QT_TRANSLATE_NOOP("QFileDialog", "Files of &type:"),
)


def _qt_translations_dirs() -> list[str]:
    """Where qtbase_*.qm may be: Qt's configured folder, else PySide6's own (a frozen build)."""
    folders = [QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath),
               str(Path(PySide6.__file__).resolve().parent / "Qt" / "translations")]
    return [folder for index, folder in enumerate(folders) if folder and folder not in folders[:index]]


def install(app: QCoreApplication, language: str = SYSTEM) -> str:
    """Install the translators for ``language`` on ``app``; returns the language code in use.

    The system locale's preferred languages are tried in order; when none is translated the
    window is English, and so are Qt's dialogs (no mix of two languages). Translators from an
    earlier call are removed first.
    """
    global _in_use
    uninstall(app)
    ours = QTranslator(app)
    if not ours.load(wanted_locale(language), CATALOG, "_", str(translations_dir())):
        ours.load(QLocale(SOURCE_LANGUAGE), CATALOG, "_", str(translations_dir()))
    in_use = ours.language().replace("-", "_") or SOURCE_LANGUAGE
    translators = [ours]
    if in_use != SOURCE_LANGUAGE:
        qt_own = QTranslator(app)
        if any(qt_own.load(QLocale(in_use), "qtbase", "_", folder) for folder in _qt_translations_dirs()):
            translators.append(qt_own)
    for translator in translators:
        if not translator.isEmpty():
            app.installTranslator(translator)
            _installed.append(translator)
    _in_use = in_use
    return in_use


def in_language(language: str, context: str, text: str) -> str:
    """``text`` as ``language`` ('system' or a code) says it, whatever language the window speaks now; the
    source text where that language has no translation of it."""
    translator = QTranslator()
    if language == SOURCE_LANGUAGE or not translator.load(wanted_locale(language), CATALOG, "_",
                                                           str(translations_dir())):
        return text
    return translator.translate(context, text) or text


def uninstall(app: QCoreApplication) -> None:
    """Remove the translators :func:`install` put on ``app``: back to the source texts."""
    global _in_use
    for translator in _installed:
        app.removeTranslator(translator)
    _installed.clear()
    _in_use = SOURCE_LANGUAGE


def bit_depth_text(bits: int) -> str:
    """The window's one wording of a bit depth ("16-bit"), wherever it shows one: the photo's
    size line and the Save As choices (the rule for 16 bits is deblur_app/reasons.py's)."""
    return QCoreApplication.translate("BitDepth", "{bits}-bit").format(bits=bits)


def shown_device(device: str) -> str:
    """A device as the window names it, the status bar's way ("CPU", "CUDA:0", "MPS"): the last run's panel said
    "MIMO-UNet on cpu (fp32, openvino)" beside the status bar's "Device: CPU (fp32)"."""
    return device.upper()


def shown_backend(backend: str) -> str:
    return {"openvino": "OpenVINO", "torch": "PyTorch"}.get(backend, backend)


def shown_path(path: str) -> str:
    """An engine path ("openvino-int8") in words of any language: "int8 (OpenVINO)". The background check
    said "Measuring openvino-int8…"."""
    backend, _, precision = path.partition("-")
    return f"{precision} ({shown_backend(backend)})"


def plain_text(text: str) -> str:
    """A menu text without its mnemonic and ellipsis, for tool buttons and tooltips.

    Qt strips '&' and '...' itself, but not the '(&O)' mnemonic of Chinese and Japanese
    menus: '打开(&O)…' -> '打开', '&Open…' -> 'Open'.
    """
    return re.sub(r"\s*\(&\w\)", "", text).replace("&&", "\0").replace("&", "").replace("\0", "&") \
        .replace("…", "").replace("...", "").strip()


def shown_model_name(settings) -> str:
    """A run's network as the window names it (RunSettings.model_name) in the window's language: the Chinese status
    bar said "MIMO-UNet ×8 ensemble". A preset's own name (MIMO-UNet++) is a name, not translated."""
    from ..model.registry import ENSEMBLE_PASSES, VARIANTS, preset_for

    if not settings.ensemble or preset_for(settings.variant, True) is not None:
        return settings.model_name
    variant = VARIANTS.get(settings.variant)
    return QCoreApplication.translate("RunName", "{network} ×{passes} ensemble").format(
        network=variant.display_name if variant is not None else settings.variant, passes=ENSEMBLE_PASSES)
