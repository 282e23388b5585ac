"""Translations: every text of the window is translated, and the window speaks the chosen language."""

from __future__ import annotations

import importlib.util
import os
import re
import string
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from seeded_weights import save_seeded_weights

REPO = Path(__file__).resolve().parent.parent
I18N = REPO / "resources" / "i18n"


def _load_script():
    spec = importlib.util.spec_from_file_location("translations_script", REPO / "scripts" / "translations.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


translations = _load_script()


def messages(ts: Path) -> dict[tuple[str, str, str], ET.Element]:
    """(context, source, disambiguation) -> <message> of a .ts file."""
    found = {}
    for context in ET.parse(ts).getroot().iter("context"):
        for message in context.iter("message"):
            key = (context.findtext("name"), message.findtext("source"), message.findtext("comment") or "")
            found[key] = message
    return found


def translated_forms(message: ET.Element) -> list[str] | None:
    """The finished translation's text(s), None if missing or unfinished."""
    translation = message.find("translation")
    if translation is None or translation.get("type") in ("unfinished", "vanished", "obsolete"):
        return None
    forms = [form.text or "" for form in translation.iter("numerusform")] if message.get("numerus") == "yes" \
        else [translation.text or ""]
    return forms if forms and all(forms) else None


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict:
    """What lupdate finds in the sources now, in a fresh .ts."""
    ts = tmp_path_factory.mktemp("lupdate") / "deblur_app_xx.ts"
    translations.lupdate(ts)
    found = messages(ts)
    assert len(found) > 150, "lupdate found too few texts: is it reading the sources?"
    return found


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_text_of_the_window_is_translated(extracted, language):
    """A new English text cannot ship untranslated: run scripts/translations.py and translate it."""
    committed = messages(I18N / f"deblur_app_{language}.ts")
    wanted = {key: message for key, message in extracted.items()
              if language not in translations.PLURAL_ONLY or message.get("numerus") == "yes"}
    missing = [key for key in wanted if key not in committed]
    unfinished = [key for key in wanted if key in committed and translated_forms(committed[key]) is None]
    assert not missing, f"not in deblur_app_{language}.ts (run scripts/translations.py): {missing}"
    assert not unfinished, f"unfinished in deblur_app_{language}.ts: {unfinished}"


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_running_the_script_would_drop_no_committed_translation(extracted, language):
    """Every committed message is still found by lupdate, with its plural forms: otherwise the next
    scripts/translations.py run deletes it (PySide6 6.11's lupdate reads %n only from self.tr calls)."""
    committed = messages(I18N / f"deblur_app_{language}.ts")
    dropped = [key for key in committed if key not in extracted]
    not_plural = [key for key, message in committed.items()
                  if message.get("numerus") == "yes" and key in extracted
                  and extracted[key].get("numerus") != "yes"]
    assert not dropped, f"lupdate no longer finds these committed messages: {dropped}"
    assert not not_plural, f"lupdate sees these plural messages without their plural forms: {not_plural}"


def test_lupdate_sees_every_context_as_a_class_or_named_context(extracted):
    # lupdate's Python parser can mistake a context (e.g. 'QCoreApplication.self'), and then the
    # translation exists but is never found at run time
    contexts = {context for context, _source, _comment in extracted}
    assert all(context.isidentifier() for context in contexts), sorted(contexts)


def _placeholders(text: str) -> list[str]:
    fields = sorted(field for _literal, field, _spec, _conversion in string.Formatter().parse(text)
                    if field is not None)
    percent = sorted(re.findall(r"%[nvmp]", text))
    return fields + percent


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_translations_keep_placeholders_and_accelerators(language):
    for (context, source, _comment), message in messages(I18N / f"deblur_app_{language}.ts").items():
        for form in translated_forms(message) or []:
            assert _placeholders(form) == _placeholders(source), (context, source, form)
            assert ("&" in form) == ("&" in source), (context, source, form)


def test_compiled_translations_are_those_of_the_ts_files(tmp_path):
    sources = sorted(I18N.glob("deblur_app_*.ts"))
    assert {ts.stem for ts in sources} >= {"deblur_app_zh_CN", "deblur_app_en"}
    for ts in sources:
        fresh = tmp_path / ts.with_suffix(".qm").name
        translations.lrelease(ts, fresh)
        committed = ts.with_suffix(".qm")
        assert committed.is_file() and committed.read_bytes() == fresh.read_bytes(), \
            f"{committed.name} is out of date: python scripts/translations.py --compile"


# -- the language in use


def _language_under(environment: dict, setting: str = "system") -> str:
    code = ("import sys\n"
            "from PySide6.QtCore import QCoreApplication\n"
            "from deblur_app.gui import i18n\n"
            "app = QCoreApplication([])\n"
            f"language = i18n.install(app, {setting!r})\n"
            "print(language, QCoreApplication.translate('SidePanel', 'Strength'),"
            " QCoreApplication.translate('QPlatformTheme', 'Cancel'))\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_") and k not in ("LANG", "LANGUAGE")}
    env.update(environment, PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, encoding="utf-8",
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_language_follows_the_system_locale_by_default():
    assert _language_under({"LANG": "zh_CN.UTF-8"}) == "zh_CN 强度 取消"
    assert _language_under({"LANG": "en_GB.UTF-8"}) == "en Strength Cancel"
    # a language without a translation: English throughout, Qt's own buttons included
    assert _language_under({"LANG": "de_DE.UTF-8"}) == "en Strength Cancel"


def test_a_chosen_language_wins_over_the_system_locale():
    assert _language_under({"LANG": "de_DE.UTF-8"}, "zh_CN") == "zh_CN 强度 取消"
    assert _language_under({"LANG": "zh_CN.UTF-8"}, "en") == "en Strength Cancel"
    assert _language_under({"LANG": "zh_CN.UTF-8"}, "tlh") == "zh_CN 强度 取消"  # unknown: as the system


def test_available_languages_name_themselves():
    from deblur_app.gui import i18n

    assert i18n.available_languages() == {"en": "English", "zh_CN": "简体中文"}


def test_language_setting_round_trips(tmp_path):
    from PySide6.QtCore import QSettings

    from deblur_app.gui.settings import AppSettings

    path = str(tmp_path / "settings.ini")
    settings = AppSettings(QSettings(path, QSettings.Format.IniFormat))
    assert settings.language == "system"
    settings.language = "zh_CN"
    settings.sync()
    assert AppSettings(QSettings(path, QSettings.Format.IniFormat)).language == "zh_CN"


def test_language_menu_offers_system_english_and_chinese_and_remembers_the_choice(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from deblur_app.gui.language_menu import LanguageMenu
    from deblur_app.gui.settings import AppSettings

    path = str(tmp_path / "settings.ini")
    menu = LanguageMenu(AppSettings(QSettings(path, QSettings.Format.IniFormat)))
    qtbot.addWidget(menu)
    assert [action.text() for action in menu.actions()] == ["System", "English", "简体中文"]
    assert menu.chosen() == "system" and menu.actions()[0].isChecked()
    with qtbot.waitSignal(menu.language_chosen) as chosen:
        menu.actions()[2].trigger()
    assert chosen.args == ["zh_CN"] and menu.chosen() == "zh_CN"

    reopened = LanguageMenu(AppSettings(QSettings(path, QSettings.Format.IniFormat)))
    qtbot.addWidget(reopened)
    assert reopened.chosen() == "zh_CN" and reopened.actions()[2].isChecked()
    reopened.actions()[1].trigger()
    assert AppSettings(QSettings(path, QSettings.Format.IniFormat)).language == "en"


# -- the window in each language


@pytest.fixture(scope="module")
def gui_weights(tmp_path_factory) -> Path:
    return save_seeded_weights(tmp_path_factory.mktemp("i18n-weights"), "i18n test")


@pytest.fixture
def window_in(qtbot, qapp, gui_weights, tmp_path, monkeypatch):
    """A main window whose texts are in the given language (translators installed first, as at start-up)."""
    from PySide6.QtCore import QSettings

    from deblur_app.gui import i18n
    from deblur_app.gui.main_window import MainWindow
    from deblur_app.gui.settings import AppSettings

    monkeypatch.setattr("deblur_app.weights.catalog.weights_search_dirs", lambda: [gui_weights])
    windows = []

    def make(language: str):
        assert i18n.install(qapp, language) == language
        window = MainWindow(AppSettings(QSettings(str(tmp_path / f"{language}.ini"), QSettings.Format.IniFormat)))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.engine_info is not None, timeout=60_000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.close()
    i18n.uninstall(qapp)


def _window_texts(window) -> dict[str, str]:
    window.show_batch()
    batch = window.batch_dialog
    return {
        "menus": " ".join(action.text() for action in window.menuBar().actions()),
        "open": window.act_open.text(),
        "open button": window.act_open.iconText(),
        "status": window.statusBar().currentMessage(),
        "run button": window.panel.run_button.text(),
        "model group": window.panel.findChildren(type(window.panel.result_group))[0].title(),
        "ensemble": window.panel.ensemble_check.text(),
        "tile auto": window.panel.tile_spin.specialValueText(),
        "precision auto": window.panel.precision_combo.itemText(0),
        "batch title": batch.windowTitle(),
        "batch start": batch.start_button.text(),
        "batch failures": batch.failures.headerItem().text(0),
    }


@pytest.mark.parametrize("language, expected", [
    ("zh_CN", {"menus": "文件(&F) 视图(&V) 处理(&P) 帮助(&H)", "open": "打开(&O)…", "open button": "打开",
               "status": "就绪", "run button": "去模糊", "model group": "模型", "ensemble": "自集成（约慢 8 倍）",
               "tile auto": "自动",
               "precision auto": "自动（最快）", "batch title": "批量去模糊", "batch start": "开始",
               "batch failures": "未去模糊的文件"}),
    ("en", {"menus": "&File &View &Process &Help", "open": "&Open…", "open button": "Open",
            "status": "Ready", "run button": "Deblur", "model group": "Model", "ensemble": "Self-ensemble (≈8× slower)",
            "tile auto": "Auto",
            "precision auto": "Auto (fastest)", "batch title": "Batch Deblur", "batch start": "Start",
            "batch failures": "File not deblurred"}),
])
def test_the_window_speaks_the_chosen_language(qtbot, window_in, language, expected):
    window = window_in(language)
    assert _window_texts(window) == expected


def test_language_menu_is_in_the_view_menu_and_a_choice_says_when_it_applies(qtbot, window_in):
    window = window_in("en")
    view_menu = window.menuBar().actions()[1].menu()
    assert window.language_menu.menuAction() in view_menu.actions()
    window.language_menu.choose("zh_CN")
    assert window.settings.language == "zh_CN"
    said = window.statusBar().currentMessage()  # in English and in the language chosen (it was English alone)
    assert said.startswith("The new language is used from the next start · ") and "下次启动" in said
    window.language_menu.choose("en")
    assert window.statusBar().currentMessage() == "The new language is used from the next start"


def test_plain_text_drops_mnemonics_of_both_styles_and_ellipses():
    from deblur_app.gui.i18n import plain_text

    assert plain_text("&Open…") == "Open" and plain_text("Save &As…") == "Save As"
    assert plain_text("打开(&O)…") == "打开" and plain_text("实际像素 (100 %)(&A)") == "实际像素 (100 %)"
    assert plain_text("Fish && Chips") == "Fish & Chips"


@pytest.mark.parametrize("language, tiles, expected", [
    ("en", 1, "1 tile"), ("en", 3, "3 tiles"), ("zh_CN", 1, "1 个图块"), ("zh_CN", 3, "3 个图块"),
])
def test_plural_forms_follow_the_count(qapp, language, tiles, expected):
    from PySide6.QtCore import QCoreApplication

    from deblur_app.gui import i18n

    i18n.install(qapp, language)
    try:
        text = QCoreApplication.translate("Photo", "{seconds:.1f} s, {tiles} tile(s)", "", tiles).format(
            seconds=2, tiles=tiles)
    finally:
        i18n.uninstall(qapp)
    assert expected in text


def test_the_device_tooltip_says_why_in_the_window_s_language(qtbot, window_in):
    """Half of it was English under zh_CN (issue 22): the engine's reason for the precision."""
    import torch

    from deblur_app.engine.choices import PathVerdict
    from deblur_app.engine.devices import choose_precision
    from deblur_app.gui.messages import LoadedModel

    window = window_in("zh_CN")
    keeps = PathVerdict(61.2, 0.0, photos=6, worst_photo="coffee (check set crop 3)", precision="bf16",
                        pixel_error=0.002)
    reason = choose_precision("auto", torch.device("cpu"), features=frozenset({"avx512_bf16"}), consider_int8=False,
                              bf16_verdict=keeps).reason
    model = LoadedModel("mimo-unet", "MIMO-UNet", Path("/w/MIMO-UNet.pkl"), "user: installed by you", {}, "cpu", "bf16",
                        reason)

    window._on_model_loaded(model)

    tip = window.device_label.toolTip()
    assert tip.startswith("以 bf16 运行，原因：CPU 原生支持 bf16 计算（avx512_bf16）")
    assert "bf16 与 float32 的一致度为 61.2 dB" in tip and "agrees" not in tip  # the verdict, in Chinese too


@pytest.mark.parametrize("language, expected_two, expected_seven", [
    ("en", "a.jpg and b.jpg", "a.jpg, b.jpg, c.jpg, d.jpg, e.jpg, and 2 more"),
    ("zh_CN", "a.jpg和b.jpg", "a.jpg、b.jpg、c.jpg、d.jpg、e.jpg和另外 2 张"),
])
def test_the_unsaved_photos_are_listed_as_the_window_s_language_lists(qapp, language, expected_two, expected_seven):
    """Quitting a Chinese window listed its unsaved photos "a, b, c" with English commas, cut at five with " …"."""
    from deblur_app.gui import i18n
    from deblur_app.gui.main_window import listed_names

    i18n.install(qapp, language)
    try:
        two = listed_names(["a.jpg", "b.jpg"])
        seven = listed_names([f"{name}.jpg" for name in "abcdefg"])
    finally:
        i18n.uninstall(qapp)
    assert (two, seven) == (expected_two, expected_seven)
