"""Compare Networks (gui/compare.py): two installed networks run on the selected photo, their real
outputs side by side with linked zoom, one kept as the photo's result (Save writes it), cancel,
switching photos during a comparison, and the action off with one network installed."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QTimer  # noqa: E402

from deblur_app import imagefiles  # noqa: E402
from deblur_app.gui import imaging  # noqa: E402
from deblur_app.jobs import default_output  # noqa: E402
from guikit import open_photo, run  # noqa: E402
from test_gui_weights import errors, starter_dir, user_folder, window  # noqa: E402,F401 (fixtures)
from test_network_window import two_networks  # noqa: E402,F401 (fixture)

WAIT = 60_000
PAIR = ("mimo-unet", "nafnet-64")  # the seeded starter MIMO-UNet and a small random NAFNet (user file)


@pytest.fixture
def photo_path(tmp_path, photo_like):
    def make(name: str = "photo.png", seed: int = 1):
        path = tmp_path / name
        imagefiles.save_image(path, photo_like(48, 64, seed))
        return path

    return make


def fp32(window) -> None:
    """Float32 runs: the outputs are compared with the engine's own float32 run."""
    combo = window.panel.precision_combo
    combo.setCurrentIndex(combo.findData("fp32"))


def choose_pair(dialog, pair=PAIR) -> None:
    for pane, key in zip(dialog.panes, pair):
        pane.network_combo.setCurrentIndex(pane.network_combo.findData(key))


def compare(qtbot, window, pair=PAIR):
    dialog = window.comparer.show()
    choose_pair(dialog, pair)
    assert dialog.compare_button.isEnabled()
    with qtbot.waitSignal(window.comparer.runs.ended, timeout=WAIT):
        dialog.compare_button.click()
    return dialog


def reference_output(variant: str, pixels: np.ndarray) -> np.ndarray:
    """The network's output computed here, without the window: what the pane must show."""
    from deblur_app.jobs import EngineChoices, open_engine

    engine = open_engine(EngineChoices(variant=variant, device="cpu", precision="fp32")).engine
    return engine.run(pixels, tile=0).full


def shown_pixels(view) -> np.ndarray:
    image = view.item.primary.levels[0].toImage().convertToFormat(view.item.primary.levels[0].toImage().Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8, count=image.sizeInBytes()).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)


def test_both_panes_show_their_networks_outputs_linked_and_the_kept_one_is_saved(
        qtbot, two_networks, window, photo_path):  # noqa: F811
    path = photo_path()
    photo = open_photo(qtbot, window, path)
    fp32(window)
    assert window.act_compare.isEnabled()
    dialog = compare(qtbot, window)
    comparison = photo.comparison
    assert comparison.done and comparison.networks == PAIR
    assert photo.result is None and not photo.unsaved  # comparing changes nothing until one is kept
    for side, variant in enumerate(PAIR):
        outcome = comparison.outcomes[side]
        np.testing.assert_allclose(outcome.full, reference_output(variant, photo.image.pixels), atol=1e-4)
        assert np.abs(shown_pixels(dialog.panes[side].view) - imaging.to_u8(outcome.full).astype(int)).max() <= 1
        name = ("MIMO-UNet", "NAFNet-64")[side]
        assert dialog.panes[side].view.caption == f"{name} — {outcome.facts.seconds:.1f} s"
        assert dialog.panes[side].keep_button.isEnabled()
    assert np.abs(comparison.outcomes[0].full - comparison.outcomes[1].full).max() > 0.01  # two networks

    left, right = (pane.view for pane in dialog.panes)
    left.set_zoom(2.0)
    left.centerOn(20, 15)
    assert right.zoom() == pytest.approx(2.0) and not right.fit_mode
    assert (right.center() - left.center()).manhattanLength() < 1
    right.zoom_step(1)  # either pane leads
    assert left.zoom() == pytest.approx(right.zoom()) and left.zoom() > 2.0
    dialog.fit_button.click()
    assert left.fit_mode and right.fit_mode

    dialog.panes[1].keep_button.click()
    assert window.panel.run_settings().variant == "nafnet-64" and window.settings.model == "nafnet-64"
    assert photo.result is comparison.outcomes[1] and photo.unsaved and comparison.kept == 1
    assert not dialog.panes[1].keep_button.isEnabled() and dialog.panes[0].keep_button.isEnabled()
    assert "NAFNet-64" in window.panel.result_label.text()
    seconds = comparison.outcomes[1].facts.seconds
    assert window.statusBar().elapsed_label.text() == f"Kept from Compare: {seconds:.1f} s"
    with qtbot.waitSignal(window.saved, timeout=WAIT):
        window.act_save.trigger()
    saved = imagefiles.load_image(default_output(path)).pixels
    assert np.abs(saved - np.clip(comparison.outcomes[1].full, 0, 1)).max() <= 0.5 / 255 + 1e-6
    assert not photo.unsaved


def test_a_photo_deblurred_with_network_a_compares_without_running_it_again(
        qtbot, two_networks, window, photo_path):  # noqa: F811
    photo = open_photo(qtbot, window, photo_path())
    fp32(window)
    outcome = run(qtbot, window)
    assert photo.result is outcome and outcome.facts.settings.variant == "mimo-unet"
    submitted = []
    window.engine._submit.connect(lambda job: submitted.append(job.request.settings.variant))
    compare(qtbot, window)
    assert submitted == ["nafnet-64"], "MIMO-UNet's result with these settings is the photo's already"
    assert photo.comparison.done and photo.comparison.outcomes[0] is outcome
    with qtbot.waitSignal(window.saved, timeout=WAIT):  # nothing left unsaved for the window's close
        window.act_save.trigger()


def test_one_network_installed_leaves_compare_off_and_says_why(qtbot, window, photo_path):  # noqa: F811
    open_photo(qtbot, window, photo_path())
    assert not window.act_compare.isEnabled()
    assert "Only one network is installed" in window.act_compare.toolTip()
    assert window.act_compare in window.run_menu.actions()


def test_cancel_mid_way_leaves_no_result(qtbot, two_networks, window, photo_path):  # noqa: F811
    photo = open_photo(qtbot, window, photo_path())
    dialog = window.comparer.show()
    choose_pair(dialog, ("mimo-unet", "fftformer"))
    cancelled_while = []

    def cancel_once_the_second_runs(event) -> None:
        comparison = photo.comparison
        if event.kind == "comparison" and comparison.running == 1 and not cancelled_while:
            cancelled_while.append(True)
            QTimer.singleShot(0, dialog.cancel_button.click)  # after FFTformer's run was handed to the model thread

    window.session.observe(cancel_once_the_second_runs)
    with qtbot.waitSignal(window.comparer.runs.ended, timeout=WAIT):
        dialog.compare_button.click()
    qtbot.waitUntil(lambda: not window.engine.busy, timeout=WAIT)  # whatever the model thread still said came
    comparison = photo.comparison
    assert cancelled_while and comparison.ended == "cancelled"
    assert 1 not in comparison.outcomes and photo.result is None and not photo.unsaved
    assert not window.act_save.isEnabled() and not dialog.panes[1].keep_button.isEnabled()
    assert dialog.panes[1].view.message == "Cancelled: no result from FFTformer"
    assert dialog.status_label.text() == "Cancelled; the photo keeps its result"
    assert not dialog.cancel_button.isEnabled() and window.act_deblur.isEnabled()


def test_closing_the_compare_window_stops_its_runs(qtbot, two_networks, window, photo_path):  # noqa: F811
    """Closed mid-way (Close, the title bar's X), the comparison went on out of sight: the main window's Deblur stayed
    disabled with nothing on screen saying why, for as long as the second network ran (minutes for FFTformer's first
    use under Xvfb, reliability session 18). Closing stops it; the side finished first stays the photo's."""
    photo = open_photo(qtbot, window, photo_path())
    dialog = window.comparer.show()
    choose_pair(dialog, ("mimo-unet", "fftformer"))
    closed_while = []

    def close_once_the_second_runs(event) -> None:
        if event.kind == "comparison" and photo.comparison.running == 1 and not closed_while:
            closed_while.append(True)
            QTimer.singleShot(0, dialog.close_button.click)

    window.session.observe(close_once_the_second_runs)
    with qtbot.waitSignal(window.comparer.runs.ended, timeout=WAIT):
        dialog.compare_button.click()
    assert closed_while and not dialog.isVisible() and not window.comparer.running
    assert photo.comparison.ended == "cancelled" and 0 in photo.comparison.outcomes and 1 not in photo.comparison.outcomes
    qtbot.waitUntil(lambda: not window.engine.busy, timeout=WAIT)
    assert window.act_deblur.isEnabled() and window.panel.run_button.isEnabled()


def test_switching_photos_during_a_comparison_keeps_it_with_its_photo(qtbot, two_networks, window,
                                                                      photo_path):  # noqa: F811
    first = open_photo(qtbot, window, photo_path("first.png", 1))
    second = open_photo(qtbot, window, photo_path("second.png", 2))
    window.filmstrip.step(-1)
    assert window.current_photo() is first
    dialog = window.comparer.show()
    choose_pair(dialog)
    with qtbot.waitSignal(window.comparer.runs.ended, timeout=WAIT):
        dialog.compare_button.click()
        assert not window.act_deblur.isEnabled()  # one run at a time on the model thread
        window.filmstrip.step(1)
        assert window.current_photo() is second and "second.png" in dialog.windowTitle()
        assert dialog.status_label.text().startswith("Comparing on first.png")
        assert [pane.view.caption for pane in dialog.panes] == ["Original", "Original"]
    assert first.comparison.done and second.comparison is None and second.result is None
    assert dialog.compare_button.isEnabled()  # the second photo can be compared now
    window.filmstrip.step(-1)
    assert "first.png" in dialog.windowTitle()
    assert [pane.view.caption.split(" — ")[0] for pane in dialog.panes] == ["MIMO-UNet", "NAFNet-64"]
    assert dialog.networks() == PAIR


def test_expected_time_of_a_slow_network_is_said_before_it_runs(qtbot, two_networks, window,
                                                                photo_path):  # noqa: F811
    open_photo(qtbot, window, photo_path())
    dialog = window.comparer.show()
    window.runs.speeds[("fftformer", "auto", "auto")] = 1e5  # s per megapixel measured here: 5 min for this photo
    choose_pair(dialog, ("mimo-unet", "fftformer"))
    assert "Slow network: about" in dialog.panes[1].note.text()
    assert dialog.panes[1].note.text().startswith("camera shake and motion blur; best quality on GoPro")
    assert "Slow network" not in dialog.panes[0].note.text()
    choose_pair(dialog, ("fftformer", "fftformer"))
    assert not dialog.compare_button.isEnabled() and "two different" in dialog.compare_button.toolTip()


def test_closing_the_photo_cancels_its_comparison(qtbot, two_networks, window, photo_path):  # noqa: F811
    open_photo(qtbot, window, photo_path())
    dialog = window.comparer.show()
    choose_pair(dialog)
    with qtbot.waitSignal(window.comparer.runs.ended, timeout=WAIT):
        dialog.compare_button.click()
        window.act_close_photo.trigger()
    assert not window.comparer.running and window.current_photo() is None
    qtbot.waitUntil(lambda: not window.engine.busy, timeout=WAIT)
    assert not dialog.compare_button.isEnabled() and not any(p.keep_button.isEnabled() for p in dialog.panes)
    assert dialog.photo_label.text() == "Open a photo to compare networks on it"


def test_the_network_lists_follow_weights_installed_while_the_window_is_open(qtbot, window, user_folder,
                                                                            photo_path):  # noqa: F811
    import torch
    from test_network_checkpoints import NAFNET_16, small_state

    open_photo(qtbot, window, photo_path())
    dialog = window.comparer.show()
    assert dialog.panes[0].network_combo.count() == 1 and not dialog.compare_button.isEnabled()
    user_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"params": small_state("nafnet", **NAFNET_16)}, user_folder / "nafnet-64.user.pth")
    window.engine.refresh_info()
    qtbot.waitUntil(lambda: dialog.panes[1].network_combo.count() == 2, timeout=WAIT)
    assert dialog.networks() == PAIR and dialog.compare_button.isEnabled() and window.act_compare.isEnabled()
