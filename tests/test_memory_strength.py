"""Save at a strength below 1 blends in place (issue 21: 12 MP within 1.5 GB in the window): the same bits as the
blend's plain expression, with one photo-sized array instead of four."""

import tracemalloc

import numpy as np
import pytest

from deblur_app.engine.strength import apply_strength


def plain_blend(original, restored, strength):
    """The blend as it was written before: a copy, the difference, its product and the sum."""
    blended = original.astype(np.float32) + np.float32(strength) * (restored - original)
    return np.clip(blended, 0.0, 1.0, out=blended)


@pytest.mark.parametrize("strength", [0.0, 0.1, 1 / 3, 0.5, 0.7, 0.999])
def test_the_blend_in_place_gives_the_same_bits(strength):
    rng = np.random.default_rng(1)
    original = rng.random((97, 131, 3), dtype=np.float32)
    restored = np.clip(original + rng.normal(0, 0.3, original.shape).astype(np.float32), 0, 1)
    restored[0, :5] = (0.0, 1.0, 1e-8)  # extremes and a denormal-adjacent value
    kept = original.copy()
    blended = apply_strength(original, restored, strength)
    assert blended.dtype == np.float32
    assert np.array_equal(blended.view(np.uint32), plain_blend(original, restored, strength).view(np.uint32))
    assert np.array_equal(original, kept)  # the original is untouched
    assert apply_strength(original, restored, 1.0) is restored


def test_the_blend_allocates_one_array_of_the_photo():
    rng = np.random.default_rng(2)
    original = rng.random((600, 800, 3), dtype=np.float32)
    restored = rng.random((600, 800, 3), dtype=np.float32)
    tracemalloc.start()
    try:
        apply_strength(original, restored, 0.7)
        _now, lean = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        plain_blend(original, restored, 0.7)
        _now, plain = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lean <= original.nbytes * 1.05
    assert plain >= 3 * original.nbytes  # what the window's Save took at 12 MP: 144 MB each
