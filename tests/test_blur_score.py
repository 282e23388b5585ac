"""The blur score: blurred photos score higher than sharp ones, whatever their size, content or shake direction."""

import cv2
import numpy as np
import pytest

from deblur_app.training.blur_labels import blur_extent_label, disc_kernel
from deblur_app.training.blur import blur_linear
from deblur_app.training.srgb import linear_to_u8
from deblur_app.triage import VERDICTS, assess, calibration
from deblur_app.triage.features import WORKING_LONG_SIDE, working_luma


def scene(height=512, width=768, seed=0, shapes=60):
    """Sharp synthetic photo: random ellipses, rectangles and lines of random grey and
    angle on a mid-grey ground (edges of every orientation, as photos have), drawn at 4x
    and area-downscaled, so edges are as sharp as a good lens gives."""
    rng = np.random.default_rng(seed)
    big = np.full((height * 4, width * 4, 3), 128, np.uint8)
    for i in range(shapes):
        centre = (int(rng.integers(0, width * 4)), int(rng.integers(0, height * 4)))
        axes = (int(rng.integers(20, width // 2)), int(rng.integers(20, height // 2)))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if i % 3 == 0:
            cv2.ellipse(big, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1, cv2.LINE_AA)
        elif i % 3 == 1:
            box = cv2.boxPoints((centre, axes, float(rng.uniform(0, 90)))).astype(np.int32)
            cv2.fillPoly(big, [box], colour, cv2.LINE_AA)
        else:
            end = (centre[0] + axes[0], centre[1] + axes[1])
            cv2.line(big, centre, end, colour, int(rng.integers(4, 24)), cv2.LINE_AA)
    return cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA)


def blurred(img, kernel):
    return linear_to_u8(np.clip(blur_linear(img, kernel), 0, 1))


def horizontal_shake(length):
    k = np.zeros((length, length), np.float32)
    k[length // 2, :] = 1
    return k / k.sum()


def test_sharp_scores_low_and_blur_raises_the_score_step_by_step():
    sharp = scene()
    scores = [assess(sharp).blur_score] + [assess(blurred(sharp, disc_kernel(r))).blur_score for r in (1.5, 3, 6)]
    assert scores == sorted(scores), scores
    assert assess(sharp).verdict == "sharp"
    assert assess(blurred(sharp, disc_kernel(6))).verdict == "blurred"


def test_shake_along_one_direction_is_blurred_although_edges_along_it_stay_sharp():
    # a horizontal smear leaves horizontal edges perfectly sharp: the gradient magnitude
    # alone would call this sharp; the score looks at each direction
    shaken = blurred(scene(), horizontal_shake(15))
    assert assess(shaken).verdict == "blurred"
    assert assess(shaken).blur_score > assess(scene()).blur_score + 40


def test_a_sharp_subject_on_a_smooth_or_defocused_background_is_sharp():
    photo = blurred(scene(seed=3), disc_kernel(12))  # out-of-focus background
    subject = scene(160, 200, seed=4, shapes=25)
    photo[170:330, 280:480] = subject  # the subject: 8 % of the frame
    assert assess(photo).verdict == "sharp"
    flat = np.full((512, 768, 3), 90, np.uint8)  # sky / wall
    flat[170:330, 280:480] = subject
    assert assess(flat).verdict == "sharp"


def test_the_score_does_not_depend_on_pixel_count():
    large = scene(1024, 1536, seed=5)
    small = cv2.resize(large, (WORKING_LONG_SIDE, 512), interpolation=cv2.INTER_AREA)
    assert abs(assess(large).blur_score - assess(small).blur_score) <= 1.0
    assert working_luma(large).shape == (512, WORKING_LONG_SIDE)
    shaken_large = blurred(large, horizontal_shake(21))
    shaken_small = cv2.resize(shaken_large, (WORKING_LONG_SIDE, 512), interpolation=cv2.INTER_AREA)
    assert abs(assess(shaken_large).blur_score - assess(shaken_small).blur_score) <= 2.0


def test_grey_16_bit_and_float_photos_score_like_their_8_bit_colour_original():
    photo = blurred(scene(seed=6), disc_kernel(2.5))
    reference = assess(photo).edge_width
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    assert abs(assess(grey).edge_width - reference) <= 0.03 * reference
    assert abs(assess(photo.astype(np.uint16) * 257).edge_width - reference) <= 0.03 * reference
    assert abs(assess(photo.astype(np.float32) / 255).edge_width - reference) <= 0.03 * reference
    with_alpha = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    assert abs(assess(with_alpha).edge_width - reference) <= 0.03 * reference


def test_featureless_photos_get_a_score_and_no_error():
    for pixels in (np.zeros((300, 400, 3), np.uint8), np.full((8, 8), 200, np.uint8)):
        result = assess(pixels)
        assert 0 <= result.blur_score <= 100 and result.verdict in VERDICTS


def test_the_calibration_orders_its_thresholds():
    cal = calibration()
    assert 0 < cal.slightly_blurred_from <= cal.blurred_from < 100
    assert cal.slope > 0  # wider edges, higher score


@pytest.mark.parametrize("kind,extent,label", [("shake", 1.5, "sharp"), ("shake", 3, "slight"), ("shake", 9, "blurred"),
                                               ("defocus", 0.5, "sharp"), ("defocus", 1.5, "slight"),
                                               ("defocus", 4, "blurred")])
def test_labels_follow_the_blur_extent(kind, extent, label):
    assert blur_extent_label(kind, extent) == label


def test_the_labelled_set_is_reproducible_and_holds_every_kind():
    pytest.importorskip("skimage")
    from deblur_app.training.blur_labels import labelled_set

    first, again = labelled_set(1, seed=3), labelled_set(1, seed=3)
    assert [s.kind for s in first] == [s.kind for s in again]
    assert all(np.array_equal(a.pixels, b.pixels) for a, b in zip(first, again))
    assert {s.kind for s in first} == {"sharp", "dof", "smooth", "shake", "defocus"}
    assert {s.label for s in first} == {"sharp", "slight", "blurred"}
    assert len({s.group for s in first}) == 7  # every source photo, grey ones included
    from deblur_app.training.blur_labels import SOURCE_PHOTOS

    assert all("CC0" in licence or "public domain" in licence for licence in SOURCE_PHOTOS.values())
