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


def _whole_photo_heatmap(original, result, value_range=imaging.HEAT_RANGE):
    """The heatmap as it was computed before banding: whole-photo float temporaries."""
    diff = np.abs(result.astype(np.float32) - original.astype(np.float32)).mean(axis=2)
    strength = np.clip(diff / np.float32(value_range), 0.0, 1.0)
    import cv2

    coloured = cv2.applyColorMap(np.rint(strength * 255).astype(np.uint8), cv2.COLORMAP_INFERNO)[..., ::-1]
    grey = original.astype(np.float32).mean(axis=2, keepdims=True) * np.float32(0.55 * 255.0)
    grey = np.repeat(np.rint(grey).astype(np.uint8), 3, axis=2).astype(np.float32)
    alpha = np.sqrt(strength)[..., None]
    blended = grey * (1.0 - alpha) + coloured.astype(np.float32) * alpha
    return np.clip(blended, 0, 255).astype(np.uint8), float(diff.max(initial=0.0))


def test_whole_photo_pictures_made_in_bands_equal_the_whole_photo_formulas(photo_like):
    height = 2 * imaging.BAND_ROWS + 37  # three bands, the last one short
    original = photo_like(height, 90, seed=1)
    result = np.clip(original + np.random.default_rng(2).normal(0, 0.05, original.shape), 0, 1).astype(np.float32)
    expected_u8 = np.rint(np.clip(result, 0.0, 1.0) * np.float32(255.0)).astype(np.uint8)
    np.testing.assert_array_equal(imaging.to_u8(result), expected_u8)
    heat, largest = imaging.heatmap(original, result)
    expected_heat, expected_largest = _whole_photo_heatmap(original, result)
    np.testing.assert_array_equal(heat, expected_heat)
    assert largest == expected_largest
    grey = np.rint(original.astype(np.float32).mean(axis=2, keepdims=True) * np.float32(0.55 * 255.0))
    np.testing.assert_array_equal(imaging.dimmed(original), np.repeat(grey.astype(np.uint8), 3, axis=2))


def _as_rgb(image) -> np.ndarray:
    """A native 32-bit QImage's pixels as (h, w, 3) uint8 RGB."""
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(rgb.constBits(), np.uint8).reshape(rgb.height(), rgb.bytesPerLine())
    return rows[:, : rgb.width() * 3].reshape(rgb.height(), rgb.width(), 3).copy()


def test_a_results_pictures_take_little_memory_beyond_themselves(qapp, photo_like):
    """The window's 12 MP result within 1.5 GB (issues 21, 26): its picture and heatmap at a strength are written a
    band at a time straight into their QImages (not traced here), whose smaller levels come from them; numpy holds a
    band's temporaries (some 80 bytes a pixel of the band) and the halved levels (1.3 bytes a pixel), where the whole
    photo's temporaries took that much for every pixel and the 8-bit picture and heatmap 6 bytes a pixel more."""
    import tracemalloc

    from deblur_app.gui.outcomes import _pictures

    original = photo_like(1536, 1024, seed=3)  # 1.5 MP: 6 bands
    result = np.clip(original * 0.9 + 0.05, 0, 1).astype(np.float32)
    tracemalloc.start()
    try:
        display, heat, _change = _pictures(original, None, result, 0.6)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    pixels = original.shape[0] * original.shape[1]
    assert peak < 2 * pixels + 100 * imaging.BAND_ROWS * original.shape[1], f"{peak / pixels:.1f} bytes/pixel"
    shown = np.clip(original + np.float32(0.6) * (result - original), 0, 1)
    np.testing.assert_array_equal(_as_rgb(display[0]), imaging.to_u8(shown))
    np.testing.assert_array_equal(_as_rgb(heat[0]), _whole_photo_heatmap(original, shown)[0])


@pytest.mark.parametrize("size, region", [((1536, 1024), None), ((1031, 2111), None), ((700, 1500), (3, 0, 1101, 517)),
                                          ((700, 1500), (400, 180, 1100, 520))])
def test_a_results_pyramids_are_the_pictures_the_8_bit_arrays_gave(qapp, photo_like, size, region):
    """Every level of the result's and the heatmap's pyramids, a preview's pasted into the photo too, is what the whole
    8-bit arrays gave through imaging.display_levels and qtimage.display_images (odd sizes: areas that do not halve)."""
    from deblur_app.engine.strength import apply_strength
    from deblur_app.gui import qtimage
    from deblur_app.gui.outcomes import _pictures

    original = photo_like(*size, seed=7)
    left, top, width, height = region or (0, 0, size[1], size[0])
    source = original[top : top + height, left : left + width]
    result = np.clip(source * 0.8 + np.float32(0.1), 0, 1).astype(np.float32)
    display, heat, change = _pictures(original, region, result, 0.7)
    shown = apply_strength(source, result, 0.7)
    expected_display, expected_heat = imaging.to_u8(original), imaging.dimmed(original)
    expected_display[top : top + height, left : left + width] = imaging.to_u8(shown)
    expected_heat[top : top + height, left : left + width], expected_change = _whole_photo_heatmap(source, shown)
    for made, expected in ((display, expected_display), (heat, expected_heat)):
        wanted = qtimage.display_images(imaging.display_levels(expected))
        assert len(made) == len(wanted) > 1
        assert all(level == want for level, want in zip(made, wanted))
    assert change == expected_change


def test_display_images_written_straight_to_32_bits_equal_qts_own_conversion():
    """to_display_image writes the native 32-bit QImage itself (no RGB888 copy of a 12 MP photo on top of the
    window's peak, issue 21); every pixel must be what Qt's conversion of the RGB888 picture gives."""
    from PySide6.QtGui import QImage

    from deblur_app.gui import qtimage

    pixels = np.random.default_rng(4).integers(0, 256, (37, 53, 3), dtype=np.uint8)  # odd width: padded lines
    for array in (pixels, pixels[:, ::2], pixels[5:9]):  # also views that are not contiguous
        made = qtimage.to_display_image(array)
        expected = qtimage.to_qimage(array).convertToFormat(QImage.Format.Format_RGB32)
        assert made.format() == QImage.Format.Format_RGB32 and made == expected
        assert made.pixelColor(3, 2).getRgb()[:3] == tuple(int(v) for v in array[2, 3])
    empty = qtimage.to_display_image(np.zeros((0, 4, 3), np.uint8))
    assert empty.isNull() or empty.height() == 0
    with pytest.raises(ValueError):
        qtimage.to_display_image(np.zeros((4, 4, 4), np.uint8))
