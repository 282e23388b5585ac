"""Window leftovers of session 16 (session 17, window-polish, found under Xvfb with xdotool): a transparent PNG's
file thumbnail, Preview and the chosen view, the size of a tiny photo, the Chinese terms of the weights, the batch
dialog's folders and the toolbar's overflow arrow."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PIL import Image  # noqa: E402
from PySide6.QtCore import QSize  # noqa: E402
from PySide6.QtWidgets import QToolButton  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from guikit import WAIT, open_photo, run  # noqa: E402


def transparent_png(path, colour=(200, 150, 100)):
    """Left half fully transparent over ``colour``, right half opaque blue."""
    rgba = np.zeros((48, 64, 4), np.uint8)
    rgba[:, :, :3] = colour
    rgba[:, 32:, :3] = (20, 40, 220)
    rgba[:, 32:, 3] = 255
    Image.fromarray(rgba).save(path)
    return path


# ----------------------------------------------------------------------------- 1. a transparent PNG's thumbnail


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P"])
def test_a_transparent_pngs_file_thumbnail_shows_what_the_viewer_shows_not_black(tmp_path, mode):
    """The thumbnail made from the file (before the photo loads) showed black where the photo is transparent
    (Pillow resizes RGBA premultiplied); the viewer, and the thumbnail made once the photo loaded, show the colour."""
    path = transparent_png(tmp_path / "see-through.png")
    if mode != "RGBA":
        image = Image.open(path)
        converted = image.convert("LA") if mode == "LA" else image.convert("RGB").quantize(8)
        converted.save(path, **({"transparency": 0} if mode == "P" else {}))
    thumbnail = imagefiles.load_thumbnail(path, 32)  # smaller than the photo: resized
    shown = np.rint(imagefiles.load_image(path).pixels * 255)  # what the window shows of the photo
    assert thumbnail.shape == (24, 32, 3)
    assert np.abs(thumbnail[12, 4].astype(int) - shown[24, 8]).max() <= 2, "the transparent half"
    assert thumbnail[12, 4].max() > 60, "not black"
    assert np.abs(thumbnail[12, 28].astype(int) - shown[24, 56]).max() <= 2, "the opaque half"


# ----------------------------------------------------------------------------- 2. Preview and the chosen view


def test_preview_from_the_scales_view_keeps_the_users_chosen_view(qtbot, window, photo, settings_file):
    """Preview from Scales showed side by side (a preview is judged at 100 % in one pane) and made that the user's
    choice: the next whole-photo run, and the next start, showed side by side instead of the Scales chosen."""
    window.resize(700, 450)
    qtbot.wait(50)
    current = open_photo(qtbot, window, photo("wide.png", 256))
    window.set_view_mode("scales")
    outcome = run(qtbot, window, window.act_preview)
    assert outcome.preview and current.preview is outcome
    assert window.viewers.mode() == "side", "the preview shows in one pane at 100 %"
    assert window.mode_actions["side"].isChecked()
    assert window.chosen_view == "scales" and window.settings.view_mode == "scales"
    window.save_settings()
    assert window.settings.view_mode == "scales"
    run(qtbot, window)  # a whole-photo run: the Scales view the user chose comes back
    assert window.viewers.mode() == "scales" and window.mode_actions["scales"].isChecked()


@pytest.mark.parametrize("mode", ["split", "difference"])
def test_preview_keeps_split_and_difference(qtbot, window, photo, mode):
    """Preview in the Difference view of a photo not deblurred yet did nothing at all (the view had no picture to
    take the visible area from); in Split it kept the view, as it must."""
    window.resize(700, 450)
    qtbot.wait(50)
    current = open_photo(qtbot, window, photo("wide.png", 640))
    window.set_view_mode(mode)
    outcome = run(qtbot, window, window.act_preview)
    assert outcome.preview and current.preview is outcome
    assert window.viewers.mode() == mode and window.mode_actions[mode].isChecked() and window.chosen_view == mode
    assert window.viewers.main_view().has_image()


# ----------------------------------------------------------------------------- 3. the size of a tiny photo


@pytest.mark.parametrize(("size", "text"), [((3, 2), "3 × 2 (8-bit)"), ((8, 8), "8 × 8 (8-bit)"),
                                            ((200, 200), "200 × 200 (8-bit)"),
                                            ((300, 200), "300 × 200 (0.1 MP, 8-bit)")])
def test_a_tiny_photos_size_says_its_pixels_not_zero_megapixels(qtbot, window, tmp_path, size, text):
    """A 3 x 2 photo was "3 × 2 (0.0 MP, 8-bit)" in the status bar."""
    width, height = size
    path = tmp_path / "tiny.png"
    Image.fromarray(np.full((height, width, 3), 120, np.uint8)).save(path)
    current = open_photo(qtbot, window, path)
    assert current.size_text == text
    assert window.size_label.text() == text


# ----------------------------------------------------------------------------- 6. the toolbar's overflow arrow


def _brightest(icon, size=16) -> int:
    image = icon.pixmap(QSize(size, size)).toImage()
    return max(image.pixelColor(x, y).lightness() for x in range(image.width()) for y in range(image.height())
               if image.pixelColor(x, y).alpha() > 128) if not image.isNull() else 0


def test_the_toolbars_overflow_arrow_is_drawn_in_the_icons_colour(qtbot, window):
    """A narrow window hides toolbar buttons behind an overflow arrow that Fusion drew dark grey on dark grey."""
    window.resize(520, 500)
    qtbot.waitUntil(lambda: window.toolbar.findChild(QToolButton, "qt_toolbar_ext_button").isVisible(), timeout=WAIT)
    arrow = window.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert _brightest(arrow.icon()) >= 200, "as light as the other toolbar icons"
    assert _brightest(window.act_open.icon()) >= 200


def test_the_toolbars_overflow_arrow_goes_when_the_window_is_widened_after_it_was_opened(qtbot, window):
    """Clicked in a narrow window, the arrow shows the hidden tools in a second row and stays pressed; widened
    again, the window kept it beside tools that all fit (Qt keeps it while the toolbar is expanded)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window.resize(520, 500)
    arrow = window.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    qtbot.waitUntil(arrow.isVisible, timeout=WAIT)
    one_row = window.toolbar.height()
    QTest.mouseClick(arrow, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.toolbar.height() > one_row, timeout=WAIT)  # the hidden tools in a second row
    assert arrow.isChecked()
    window.resize(1500, 700)
    qtbot.waitUntil(lambda: not arrow.isVisible(), timeout=WAIT)
    assert not arrow.isChecked() and window.toolbar.height() == one_row
    assert window.toolbar.widgetForAction(window.act_batch).isVisible()  # the last tool, in the one row

    window.resize(520, 500)  # narrow again: the arrow comes back, not pressed, and opens the second row as before
    qtbot.waitUntil(arrow.isVisible, timeout=WAIT)
    assert not arrow.isChecked() and window.toolbar.height() == one_row
    QTest.mouseClick(arrow, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.toolbar.height() > one_row, timeout=WAIT)


# ----------------------------------------------------------------------------- 4. the terms in Chinese


def _figures_alone(text: str) -> bool:
    """A dataset's name and its PSNR ("GoPro 31.73 dB"), the same in every language."""
    import re

    return re.fullmatch(r"[A-Za-z-]+( [\d.]+ dB)?", text) is not None


def test_every_line_of_published_weights_we_wrote_is_listed_for_translation():
    from deblur_app.gui import network_notes
    from deblur_app.model.registry import VARIANTS

    lines = {text for v in VARIANTS.values() if v.published
             for text in (v.published.terms, v.published.training_data, v.published.psnr)}
    assert {text for text in lines if not _figures_alone(text)} == set(network_notes.PUBLISHED_WORDS)


def test_the_chinese_weights_dialog_says_the_terms_in_chinese_with_the_authors_names_and_links(qapp, qtbot):
    """The terms of the weights, their training data and published PSNR were English in the Chinese dialog."""
    from deblur_app.gui import i18n
    from deblur_app.gui.weights_dialog import WeightsDialog
    from deblur_app.weights.catalog import downloads

    assert i18n.install(qapp, "zh_CN") == "zh_CN"
    try:
        dialog = WeightsDialog()
        qtbot.addWidget(dialog)
        texts = {key: dialog.terms_text(key) for key in downloads()}
    finally:
        i18n.uninstall(qapp)
    for key, entry in downloads().items():
        text = texts[key]
        assert entry.link in text, key
        for line in (entry.terms, entry.training_data, entry.psnr):
            assert _figures_alone(line) or line not in text, (key, line)
    restormer = texts["restormer-motion"]
    assert "仅限非商业" in restormer and "Academic Public License" in restormer  # the licence's own name stays
    assert "github.com/swz30/Restormer/blob/main/LICENSE.md" in restormer
    assert "github.com/chosj95/MIMO-UNet" in texts["mimo-unet"] and "研究" in texts["mimo-unet"]


# ----------------------------------------------------------------------------- 5. the batch dialog's folders


def test_the_first_batch_proposes_the_shown_photos_folder_and_a_deblurred_sub_folder(qtbot, window, photo, tmp_path):
    """The batch dialog opened with both folders empty; Start said "Choose an input folder that exists."."""
    folder = tmp_path / "holiday"
    folder.mkdir()
    shot = folder / "shot.png"
    imagefiles.save_image(shot, imagefiles.load_image(photo("s.png", 64)).pixels)
    open_photo(qtbot, window, shot)
    dialog = window.show_batch()
    assert dialog.input_edit.text() == str(folder)
    assert dialog.output_edit.text() == str(folder / "deblurred")
    assert dialog.validate() == ""
    dialog.input_edit.setText(str(tmp_path))  # another input: the output is still the one proposed, so it follows
    assert dialog.output_edit.text() == str(tmp_path / "deblurred")
    dialog.output_edit.setText(str(tmp_path / "mine"))  # chosen: it stays whatever the input
    dialog.input_edit.setText(str(folder))
    assert dialog.output_edit.text() == str(tmp_path / "mine")
    dialog.output_edit.setText(str(folder / "deblurred"))
    with qtbot.waitSignal(window.engine.finished, timeout=WAIT):
        dialog.start_button.click()
    assert dialog.summary.done == 1 and (folder / "deblurred" / "shot_deblurred.png").is_file()
    assert shot.is_file() and window.settings.folder("batch_output") == str(folder / "deblurred")
    with qtbot.waitSignal(window.engine.finished, timeout=WAIT):
        dialog.start_button.click()  # again, sub-folders included: its own outputs are not deblurred again
    assert dialog.summary.done == 0 and not (folder / "deblurred" / "deblurred").exists()


def test_the_batch_dialog_keeps_the_folders_of_the_last_batch(qtbot, make_window, photo, tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    window = make_window()
    window.settings.set_folder("batch_input", source)
    window.settings.set_folder("batch_output", target)
    open_photo(qtbot, window, photo("elsewhere.png", 64))
    dialog = window.show_batch()
    assert (dialog.input_edit.text(), dialog.output_edit.text()) == (str(source), str(target))
    source.rmdir()  # gone since: the shown photo's folder instead; the output chosen last stays
    dialog.close()
    dialog = window.show_batch()
    assert (dialog.input_edit.text(), dialog.output_edit.text()) == (str(tmp_path), str(target))


def test_the_batch_output_proposed_is_the_one_rule_of_jobs_naming(tmp_path):
    from deblur_app.jobs import batch_pairs, default_batch_output

    (tmp_path / "a.png").write_bytes(b"")
    assert default_batch_output(tmp_path) == tmp_path / "deblurred" != tmp_path
    assert all(out.parent == tmp_path / "deblurred" for _src, out in batch_pairs(tmp_path, default_batch_output(tmp_path), True))


# ----------------------------------------------------------------------------- the selected photo's thumbnail


def test_the_selected_photos_thumbnail_keeps_its_colours(qtbot, window, tmp_path):
    """Qt tinted the selected photo's filmstrip icon with the highlight colour: a dark brown photo's thumbnail
    turned blue while the view beside it showed brown (seen under Xvfb on coffee.png's 3 x 2 corner)."""
    from PySide6.QtGui import QIcon

    path = tmp_path / "dark.png"
    Image.fromarray(np.full((24, 32, 3), (90, 50, 20), np.uint8)).save(path)
    photo = open_photo(qtbot, window, path)
    item = window.filmstrip.item_for(photo.key)
    assert item.isSelected()
    box = window.filmstrip.iconSize()
    qtbot.waitUntil(lambda: not item.icon().isNull(), timeout=WAIT)
    for mode in (QIcon.Mode.Normal, QIcon.Mode.Selected):
        image = item.icon().pixmap(box, mode).toImage()
        colour = image.pixelColor(image.width() // 2, image.height() // 2)
        assert (colour.red(), colour.green(), colour.blue()) == (90, 50, 20), mode


def test_a_preview_says_previewing_in_the_status_bar_all_along(qtbot, window, photo):
    """The status bar said "Previewing wide.png with MIMO-UNet…" and, a second later, "Deblurring with MIMO-UNet…"
    for the rest of the preview (seen under Xvfb); and "MIMO-UNet ready on cpu" beside its own "Device: CPU"."""
    window.resize(700, 450)
    qtbot.wait(50)
    open_photo(qtbot, window, photo("wide.png", 640))
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    outcome = run(qtbot, window, window.act_preview)
    assert outcome.preview
    assert "Previewing with MIMO-UNet…" in said, said
    assert not [text for text in said if " on cpu" in text], said  # "MIMO-UNet ready on CPU", as the status bar
    assert not [text for text in said if text.startswith("Deblurring")], said


def test_a_client_deleted_after_its_thread_says_nothing(qapp):
    """scripts/screenshots.py ended with a traceback: the Compare window's engine client was deleted after its
    QThread, and its clean-up asked the deleted thread whether it ran (RuntimeError: Internal C++ object already
    deleted)."""
    import shiboken6
    from PySide6.QtCore import QThread

    from deblur_app.gui.client import _stop_orphaned_thread

    thread = QThread()
    shiboken6.delete(thread)
    _stop_orphaned_thread(thread, {}, {})  # no exception: nothing is running
