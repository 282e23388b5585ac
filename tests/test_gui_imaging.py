"""The window's pure-array helpers, and that the widgets stay free of torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from deblur_app.gui import imaging


def test_network_pyramid_matches_the_models_input_pyramid(photo_like):
    pixels = photo_like(37, 54)  # odd sizes: the engine pads, then crops ceil(H/2)
    half, quarter = imaging.network_pyramid(pixels)
    x = torch.from_numpy(pixels.transpose(2, 0, 1))[None]
    x2 = F.interpolate(x, scale_factor=0.5)  # what MIMOUNet.forward does
    x4 = F.interpolate(x2, scale_factor=0.5)
    assert half.shape == (19, 27, 3) and quarter.shape == (10, 14, 3)
    assert np.array_equal(half[: x2.shape[2], : x2.shape[3]], x2[0].numpy().transpose(1, 2, 0))
    assert np.array_equal(quarter[: x4.shape[2], : x4.shape[3]], x4[0].numpy().transpose(1, 2, 0))


def test_heatmap_is_dark_where_nothing_changed_and_bright_where_it_did(photo_like):
    original = photo_like(32, 32)
    result = original.copy()
    result[8:16, 8:16] = np.clip(result[8:16, 8:16] + 0.3, 0, 1)
    heat, largest = imaging.heatmap(original, result)
    assert heat.shape == (32, 32, 3) and heat.dtype == np.uint8
    assert np.array_equal(heat[20:, 20:], imaging.dimmed(original)[20:, 20:])
    assert heat[8:16, 8:16].mean() > 2.5 * heat[20:, 20:].mean()
    assert largest == pytest.approx(0.3, abs=0.05)


def test_display_levels_halve_down_to_the_floor():
    image = np.zeros((1000, 3000, 3), np.uint8)
    levels = imaging.display_levels(image, floor=400)
    assert [level.shape[1] for level in levels] == [3000, 1500, 750, 375]
    assert imaging.display_levels(np.zeros((50, 60, 3), np.uint8))[0].shape == (50, 60, 3)


def test_preview_region_adds_context_clamps_and_aligns():
    assert imaging.preview_region((100, 50, 200, 100), (1000, 800), margin=32) == (68, 16, 264, 166)
    m = imaging.PREVIEW_MARGIN
    assert imaging.preview_region((100, 52, 200, 100), (1000, 800)) == (100 - m, 52 - m, 200 + 2 * m, 100 + 2 * m)
    left, top, width, height = imaging.preview_region((0, 0, 5000, 5000), (640, 480))
    assert (left, top, width, height) == (0, 0, 640, 480)
    left, top, width, height = imaging.preview_region((630, 470, 40, 40), (640, 480))
    assert left % 4 == 0 and top % 4 == 0 and left + width == 640 and top + height == 480


def test_to_u8_rounds_and_clips():
    values = np.array([[[-0.1, 0.5, 1.2]]], np.float32)
    assert imaging.to_u8(values).tolist() == [[[0, 128, 255]]]


def test_file_names_match_the_command_line():
    from deblur_app.gui import tasks
    from deblur_app.jobs.naming import DEFAULT_NAME, default_output, output_name

    # the window names outputs with naming only: no second spelling of "_deblurred"
    assert not hasattr(tasks, "default_output_path") and not hasattr(tasks, "scale_targets")
    assert default_output(Path("/photos/x.png")) == Path("/photos/x_deblurred.png")
    assert output_name(Path("/a/shot.tif"), DEFAULT_NAME) == "shot_deblurred.tif"
    assert output_name(Path("/a/shot.heic"), DEFAULT_NAME) == "shot_deblurred.jpg"


def test_the_window_modules_do_not_import_torch():
    """Only the worker thread imports torch (lazily): the widgets must not pull it in."""
    code = (
        "import sys\n"
        "import deblur_app.gui.main_window, deblur_app.gui.viewers, deblur_app.gui.batch_dialog, "
        "deblur_app.gui.about, deblur_app.gui.app, deblur_app.gui.worker, deblur_app.gui.client, deblur_app.gui.messages, deblur_app.gui.tasks\n"
        "print('torch' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
