"""The window and several networks: the network list shows the installed ones with what each is for,
"Get more networks…" opens the Weights dialog, the Scales view only for networks with coarse outputs,
a slow network's expected time before it runs, and the Weights dialog's terms before a download."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

import torch  # noqa: E402
from PySide6.QtWidgets import QLabel  # noqa: E402

from deblur_app.gui import network_notes  # noqa: E402
from deblur_app.gui.side_panel import MORE_NETWORKS  # noqa: E402
from deblur_app.model.registry import VARIANTS  # noqa: E402
from test_gui_weights import errors, starter_dir, user_folder, window  # noqa: E402,F401 (fixtures)
from test_network_checkpoints import FFTFORMER_16, NAFNET_16, small_state  # noqa: E402

WAIT = 60_000


def test_every_registry_purpose_is_listed_for_translation():
    assert set(network_notes.PURPOSES) == set(VARIANTS)
    for key, variant in VARIANTS.items():
        assert network_notes.PURPOSES[key] == variant.purpose, key


def test_one_line_names_the_blur_each_network_was_trained_for():
    assert network_notes.one_line("fftformer-realblur").endswith("Blur: real camera shake (RealBlur)")
    assert network_notes.one_line("nafnet-64-reds").endswith("Blur: motion blur in video frames (REDS)")
    assert network_notes.one_line("nafnet-32") == ("camera shake and motion blur; a quarter of NAFNet-64's work. "
                                                   "Blur: camera shake (GoPro)")


def test_expected_time_is_said_only_for_slow_runs_and_grows_with_the_photo():
    twelve_mp = 12_000_000
    assert network_notes.expected_time_note("mimo-unet", 640 * 480, 2) == ""
    slow = network_notes.expected_time_note("fftformer", twelve_mp, 2)
    assert slow.startswith("Slow network: about") and " min" in slow
    # a fast network under a large photo: the run is long, the network is not slow ("fast" in its own line)
    long_run = network_notes.expected_time_note("mimo-unet", 24_000_000, 2)
    assert long_run.startswith("Long run: about") and " min" in long_run
    assert network_notes.expected_time_note("mimo-unet", 24_000_000, 2, ensemble=True).startswith("Slow network")
    assert network_notes.expected_time_note("nafnet-32", 24_000_000, 2).startswith("Long run")
    assert network_notes.expected_seconds("fftformer", twelve_mp, 2) > network_notes.expected_seconds(
        "nafnet-64", twelve_mp, 2) > network_notes.expected_seconds("nafnet-64", twelve_mp // 4, 2)
    assert network_notes.expected_seconds("fftformer", twelve_mp, 8) < network_notes.expected_seconds(
        "fftformer", twelve_mp, 2)
    # once the window has run the network here, its own speed (seconds per megapixel and pass) counts
    assert network_notes.expected_seconds("fftformer", 2_000_000, 2, ensemble=True, measured=10.0) == 160.0
    assert network_notes.expected_time_note("fftformer", 2_000_000, 2, measured=1.0) == ""


def test_the_first_estimate_is_the_registrys_measured_speed_of_every_network():
    from deblur_app.model.registry import CPU_SECONDS_CORES, VARIANTS

    for key, variant in VARIANTS.items():
        assert variant.cpu_seconds_per_megapixel > 0, key
        assert network_notes.expected_seconds(key, 1_000_000, CPU_SECONDS_CORES) == pytest.approx(
            variant.cpu_seconds_per_megapixel)


@pytest.fixture
def two_networks(user_folder):  # noqa: F811
    """A NAFNet and an FFTformer of small unpublished configurations, installed as the user's own."""
    user_folder.mkdir(parents=True, exist_ok=True)
    torch.save({"params": small_state("nafnet", **NAFNET_16)}, user_folder / "nafnet-64.user.pth")
    torch.save(small_state("fftformer", **FFTFORMER_16), user_folder / "fftformer.user.pth")
    return user_folder


def choose(window, key: str) -> None:
    combo = window.panel.model_combo
    combo.setCurrentIndex(combo.findData(key))


def test_network_list_scales_view_and_expected_time(qtbot, two_networks, window):  # noqa: F811
    combo, view = window.panel.model_combo, window.panel.model_combo.view()
    shown = [combo.itemData(r) for r in range(combo.count()) if combo.itemData(r) and not view.isRowHidden(r)]
    assert shown == ["mimo-unet", "nafnet-64", "fftformer", MORE_NETWORKS]  # installed ones, then Get more
    tip = combo.itemData(combo.findData("nafnet-64"), 3)  # Qt.ToolTipRole
    assert tip.startswith(network_notes.one_line("nafnet-64"))

    choose(window, "nafnet-64")
    assert window.settings.model == "nafnet-64"
    assert window.panel.network_note.text() == network_notes.one_line("nafnet-64")
    scales = window.mode_actions["scales"]
    assert not scales.isEnabled() and "no ¼ and ½ outputs" in scales.toolTip() and "NAFNet" in scales.toolTip()
    assert scales.statusTip() == scales.toolTip()  # hovering it, the status bar says why too
    choose(window, "mimo-unet")
    assert scales.isEnabled() and scales.statusTip() == scales.toolTip() and "(F7)" in scales.statusTip()
    window.set_view_mode("scales")
    choose(window, "fftformer")  # a network without coarse outputs leaves the Scales view
    assert window.viewers.mode() == "side" and not scales.isEnabled()

    window.panel.show_photo_size(12_000_000, 2, on_cpu=True)  # a 12 MP photo on a 2-core CPU
    assert "Slow network: about" in window.panel.network_note.text()
    window.panel.show_photo_size(12_000_000, 2, on_cpu=False)  # a GPU: no CPU estimate
    assert "Slow network" not in window.panel.network_note.text()


def test_get_more_networks_opens_the_weights_dialog_with_terms(qtbot, two_networks, window):  # noqa: F811
    choose(window, "nafnet-64")
    with qtbot.waitSignal(window.panel.weights_requested, timeout=WAIT):
        choose(window, MORE_NETWORKS)
    assert window.panel.model_combo.currentData() == "nafnet-64"  # the network in use stays chosen
    assert window.settings.model == "nafnet-64"
    dialog = window.weights_dialog
    assert dialog is not None and dialog.isVisible()
    choices = [dialog.download_choice.itemData(i) for i in range(dialog.download_choice.count())]
    assert choices == [k for k, v in VARIANTS.items() if v.published is not None]
    dialog.download_choice.setCurrentIndex(choices.index("fftformer-realblur"))
    terms = dialog.terms_label.text()
    assert "no licence" in terms and "RealBlur-J" in terms and "drive.google.com/drive/folders" in terms
    assert any("research use" in label.text() for label in dialog.findChildren(QLabel))


def test_about_and_info_name_every_network(capsys):
    from deblur_app.cli.main import main
    from deblur_app.gui.about import about_html
    from deblur_app.model.registry import ARCHITECTURES

    about = about_html(None, None)
    assert main(["info"]) == 0
    info = capsys.readouterr().out
    for architecture in ARCHITECTURES.values():
        assert f"<b>{architecture.display_name}</b>" in about and architecture.paper in about
        assert f"({architecture.display_name}): " in info
    for key in VARIANTS:
        assert f"  {key} " in info, key


def test_the_scales_view_of_a_network_run_without_them_says_so_not_that_it_was_a_preview(
        qtbot, two_networks, window, tmp_path, monkeypatch):  # noqa: F811
    """Found driving the window: deblur with NAFNet, choose MIMO-UNet again (Scales enabled for it) and open the
    Scales view on the NAFNet result: it said "a preview has no ½ and ¼ outputs" of a whole-photo run."""
    import numpy as np

    from deblur_app import imagefiles
    from deblur_app.gui import dialogs
    from guikit import open_photo, run

    monkeypatch.setattr(dialogs, "choose", lambda *_a, **_k: "quit")  # closing with the result unsaved

    photo = tmp_path / "shaken.png"
    imagefiles.save_image(photo, np.full((48, 64, 3), 0.5, np.float32))
    open_photo(qtbot, window, photo)
    choose(window, "nafnet-64")
    run(qtbot, window)
    choose(window, "mimo-unet")
    window.set_view_mode("scales")
    said = window.viewers.scales.message
    assert "NAFNet" in said and "no ¼ and ½ outputs" in said and "preview" not in said


def test_a_result_with_scales_keeps_the_scales_view_whatever_network_is_chosen_next(
        qtbot, two_networks, window, tmp_path, monkeypatch):  # noqa: F811
    """The Scales view shows the selected photo's result: a MIMO-UNet result's ¼ and ½ outputs stay viewable while
    NAFNet is chosen for the next run (the action followed the chosen network alone and greyed them out)."""
    import numpy as np

    from deblur_app import imagefiles
    from deblur_app.gui import dialogs
    from guikit import open_photo, run

    monkeypatch.setattr(dialogs, "choose", lambda *_a, **_k: "quit")  # closing with the result unsaved
    photo = tmp_path / "shaken.png"
    imagefiles.save_image(photo, np.full((48, 64, 3), 0.5, np.float32))
    open_photo(qtbot, window, photo)
    scales = window.mode_actions["scales"]
    choose(window, "nafnet-64")
    assert not scales.isEnabled()  # no result yet: the chosen network decides
    choose(window, "mimo-unet")
    run(qtbot, window)
    choose(window, "nafnet-64")
    assert scales.isEnabled() and "no ¼ and ½ outputs" not in scales.toolTip()
    window.set_view_mode("scales")
    assert window.viewers.mode() == "scales" and window.viewers.scales.message == ""
    run(qtbot, window)  # NAFNet's own result has none: the view goes back to side by side
    assert not scales.isEnabled() and window.viewers.mode() == "side"


def test_the_chosen_scales_view_comes_back_with_a_photo_that_has_scales(
        qtbot, two_networks, window, tmp_path, monkeypatch):  # noqa: F811
    """A NAFNet photo shows Side by side in place of Scales; the next MIMO-UNet photo showed Side by side too (the
    fallback had become the user's choice for good). The user's Scales comes back, and is the one remembered."""
    import numpy as np

    from deblur_app import imagefiles
    from deblur_app.gui import dialogs
    from guikit import open_photo, run

    monkeypatch.setattr(dialogs, "choose", lambda *_a, **_k: "quit")  # closing with the results unsaved
    paths = []
    for name in ("mimo.png", "nafnet.png"):
        paths.append(tmp_path / name)
        imagefiles.save_image(paths[-1], np.full((48, 64, 3), 0.5, np.float32))
    scales, side = window.mode_actions["scales"], window.mode_actions["side"]
    mimo = open_photo(qtbot, window, paths[0])
    run(qtbot, window)
    window.set_view_mode("scales")
    nafnet = open_photo(qtbot, window, paths[1])
    choose(window, "nafnet-64")
    run(qtbot, window)
    assert window.viewers.mode() == "side" and side.isChecked() and not scales.isEnabled()
    assert "no ¼ and ½ outputs" in scales.toolTip()
    window.filmstrip.select(mimo.key)  # the MIMO-UNet result has its scales: the user's view again
    assert window.current_photo() is mimo
    assert scales.isEnabled() and window.viewers.mode() == "scales" and scales.isChecked()
    window.filmstrip.select(nafnet.key)
    assert window.viewers.mode() == "side"
    choose(window, "mimo-unet")  # the next run's network has scales, the photo's NAFNet result has none to show
    assert scales.isEnabled() and window.viewers.mode() == "side"
    choose(window, "nafnet-64")
    window.save_settings()
    assert window.viewers.mode() == "side" and window.settings.view_mode == "scales"
    window.set_view_mode("split")  # the user's own choice of another view is the one kept
    window.filmstrip.select(mimo.key)
    assert window.viewers.mode() == "split" and window.settings.view_mode == "split"


def test_the_about_box_shows_a_checkpoints_psnr_as_info_does_to_2_decimals():
    """Training writes the mean PSNR it measured ("31.273849..."): `info` and the weights line show 31.27 dB, and so
    does the About box (it printed every decimal); a field that is not a PSNR is shown as written."""
    from pathlib import Path

    from deblur_app.gui.about import about_html
    from deblur_app.gui.messages import LoadedModel

    model = LoadedModel("mimo-unet", "MIMO-UNet", Path("w.safetensors"), "", device="cpu", precision="fp32",
                        metadata={"val_psnr": "31.273849291", "identity_psnr": "25.1", "steps": "120000.5"})
    about = about_html(None, model)
    assert "31.27" in about and "31.2738" not in about and "25.10" in about
    assert "120000.5" in about
