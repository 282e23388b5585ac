"""Tests for the synthetic camera-shake blur (deblur_app.training.blur, .kernels, .srgb)."""

import pickle

import cv2
import numpy as np
import pytest

from deblur_app.training import blur as B
from deblur_app.training import kernels as K
from deblur_app.training.blur import BlurConfig, blur_linear, degrade_with_kernel, synthesize_pair
from deblur_app.training.kernels import load_kernel_png, trajectory_kernel
from deblur_app.training.srgb import DECODE_LUT, linear_to_srgb, linear_to_u8, srgb_to_linear

# no noise, no JPEG, no sharp pairs, no non-uniform blur: pure blur
PURE = BlurConfig(sharp_fraction=0.0, noise_prob=0.0, jpeg_prob=0.0, nonuniform_prob=0.0, highlight_prob=0.0)


def _centroid(k):
    k = np.asarray(k, np.float64)
    yy, xx = np.mgrid[: k.shape[0], : k.shape[1]]
    s = k.sum()
    return (k * yy).sum() / s, (k * xx).sum() / s


def _support_side(k):
    ys, xs = np.nonzero(k > 0)
    return max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1)


def _texture(seed, h=320, w=320):
    """Smooth-ish random colour texture with edges (no flat regions)."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    noise = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
    return cv2.add(img, noise)


def _is_crop_of(img, crop):
    """Exact check at the best match (matchTemplate's float32 sums are not exact)."""
    crop = np.ascontiguousarray(crop)
    _, _, (x, y), _ = cv2.minMaxLoc(cv2.matchTemplate(img, crop, cv2.TM_SQDIFF))
    return np.array_equal(img[y : y + crop.shape[0], x : x + crop.shape[1]], crop)


# --------------------------------------------------------------------- kernels


def test_kernels_valid_and_centred():
    rng = np.random.default_rng(0)
    for _ in range(300):
        k = trajectory_kernel(rng)
        assert k.dtype == np.float32 and k.ndim == 2
        assert k.shape[0] == k.shape[1] and k.shape[0] % 2 == 1
        assert k.min() >= 0.0
        assert abs(float(k.sum()) - 1.0) < 1e-5
        c = k.shape[0] // 2
        cy, cx = _centroid(k)
        assert abs(cy - c) < 0.5 and abs(cx - c) < 0.5
        # the border was trimmed: some weight on the outermost ring
        assert k[0].sum() + k[-1].sum() + k[:, 0].sum() + k[:, -1].sum() > 0 or k.shape[0] == 1


def test_kernel_sizes_cover_range():
    rng = np.random.default_rng(1)
    sides = np.array([_support_side(trajectory_kernel(rng)) for _ in range(300)])
    assert sides.min() <= 5
    assert 30 <= sides.max() <= 42
    assert 10 <= np.median(sides) <= 28
    for size in (3, 9, 15, 25, 35):
        for _ in range(5):
            s = _support_side(trajectory_kernel(rng, size))
            assert size - 1 <= s <= size + 6, (size, s)


def test_kernels_are_continuous_paths():
    """Dense sub-pixel sampling: the support is one connected thin path, not
    dots and not a blob."""
    rng = np.random.default_rng(2)
    for _ in range(40):
        k = trajectory_kernel(rng, 35)
        n, _ = cv2.connectedComponents((k > 0).astype(np.uint8), connectivity=8)
        assert n == 2  # background + one path
        # thin: far fewer pixels than the bounding box
        assert (k > k.max() * 0.05).sum() < 0.5 * _support_side(k) ** 2


def test_nonuniform_kernels_centred_and_varying():
    rng = np.random.default_rng(3)
    ks = K._nonuniform_kernels(rng, 30.0, 256, (0.3, 0.3))
    assert ks.shape[0] in (4, 9)
    c = ks.shape[-1] // 2
    for k in ks:
        assert abs(float(k.sum()) - 1.0) < 1e-5
        cy, cx = _centroid(k)
        assert abs(cy - c) < 0.5 and abs(cx - c) < 0.5
    assert np.abs(ks[0] - ks[-1]).sum() > 0.1  # corners differ


# ------------------------------------------------------------------ sRGB curve


def test_srgb_roundtrip_and_known_values():
    x = np.linspace(0, 1, 10001, dtype=np.float32)
    assert np.abs(linear_to_srgb(srgb_to_linear(x)) - x).max() < 1e-6
    assert np.abs(srgb_to_linear(linear_to_srgb(x)) - x).max() < 1e-6
    assert srgb_to_linear(np.float32(0.5)) == pytest.approx(0.214041, abs=1e-6)
    assert linear_to_srgb(np.float32(0.18)) == pytest.approx(0.461356, abs=1e-6)
    assert srgb_to_linear(np.float32(0.04045)) == pytest.approx(0.04045 / 12.92, abs=1e-7)
    assert srgb_to_linear(np.float32(1.0)) == pytest.approx(1.0, abs=1e-7)
    assert srgb_to_linear(np.float32(0.0)) == 0.0
    assert srgb_to_linear(x).dtype == np.float32
    # the fast 8-bit encoder agrees with the exact curve
    lin = srgb_to_linear(np.arange(256) / 255.0)
    assert np.array_equal(linear_to_u8(lin), np.arange(256))


def test_identity_kernel_is_lossless():
    img = _texture(0, 64, 80)
    out = degrade_with_kernel(img, np.ones((1, 1), np.float32), np.random.default_rng(0), noise_sigma=0.0)
    assert out.dtype == np.uint8 and out.shape == img.shape
    assert np.array_equal(out, img)


def test_linear_light_blur_brighter_than_srgb_blur_on_edge():
    img = np.zeros((32, 64, 3), np.uint8)
    img[:, 32:] = 255
    k = np.zeros((9, 9), np.float32)
    k[4, :] = 1.0 / 9.0  # horizontal box blur
    lin = degrade_with_kernel(img, k, np.random.default_rng(0), noise_sigma=0.0)
    naive = cv2.filter2D(img.astype(np.float32), -1, k, borderType=cv2.BORDER_REFLECT)
    mid = lin[16, 30:34, 0].astype(np.float32)
    assert np.all(mid > naive[16, 30:34, 0] + 20)
    # at the exact edge linear-light blur gives ~sRGB(0.5) ~ 188, not ~128
    assert abs(int(lin[16, 32, 0]) - int(round(255 * float(linear_to_srgb(np.float32(5 / 9)))))) <= 1


def test_blur_linear_is_convolution_and_matches_fft_path():
    rng = np.random.default_rng(4)
    img = _texture(1, 160, 160)
    k = trajectory_kernel(rng, 31)
    ref = blur_linear(img, k)
    # FFT path used for large kernels inside synthesize_pair
    r = k.shape[0] // 2
    n = cv2.getOptimalDFTSize(64 + 2 * r)
    m = (n - 64) // 2
    y0 = 40
    window = img[y0 : y0 + n, y0 : y0 + n]
    planes = [cv2.LUT(np.ascontiguousarray(p), DECODE_LUT) for p in cv2.split(np.ascontiguousarray(window))]
    out = B._convolve_planes(planes, k[None], m, 64)
    got = np.transpose(out, (1, 2, 0))
    want = ref[y0 + m : y0 + m + 64, y0 + m : y0 + m + 64]
    assert np.abs(got - want).max() < 1e-4
    # true convolution: an impulse reproduces the kernel itself (not flipped)
    imp = np.zeros((81, 81, 3), np.float32)
    imp[40, 40] = 1.0
    resp = blur_linear(imp, k)[..., 0]
    assert np.abs(resp[40 - r : 40 + r + 1, 40 - r : 40 + r + 1] - k).max() < 1e-6


def test_nonuniform_blend_matches_anchor_kernels_at_corners():
    rng = np.random.default_rng(5)
    ks = K._nonuniform_kernels(rng, 25.0, 128, (0.3, 0.3))
    g = int(round(np.sqrt(ks.shape[0])))
    img = _texture(2, 256, 256)
    r = ks.shape[-1] // 2
    n = cv2.getOptimalDFTSize(128 + 2 * r)
    m = (n - 128) // 2
    planes = [cv2.LUT(p, DECODE_LUT) for p in cv2.split(np.ascontiguousarray(img[:n, :n]))]
    out = B._convolve_planes(planes, ks, m, 128)
    lin = cv2.LUT(np.ascontiguousarray(img[:n, :n]), DECODE_LUT)
    for a, (yy, xx) in {0: (0, 0), g - 1: (0, 127), g * g - 1: (127, 127)}.items():
        ref = cv2.filter2D(lin, cv2.CV_32F, np.ascontiguousarray(ks[a][::-1, ::-1]), borderType=cv2.BORDER_REFLECT)
        # nearest pixel to an anchor is dominated by that anchor's kernel
        assert np.abs(out[:, yy, xx] - ref[m + yy, m + xx]).max() < 0.02


# ---------------------------------------------------------------- pairs


def test_synthesize_pair_shapes_and_alignment():
    img = _texture(3, 300, 420)
    rng = np.random.default_rng(6)
    for _ in range(20):
        b, s = synthesize_pair(img, rng, 96)
        assert b.shape == s.shape == (96, 96, 3)
        assert b.dtype == s.dtype == np.uint8
    # every sharp crop is a real crop of the photo, seen in one of its 8 orientations
    for _ in range(10):
        _, s = synthesize_pair(img, rng, 64, PURE)
        assert any(_is_crop_of(img, np.rot90(v, turns)) for v in (s, s[:, ::-1]) for turns in range(4))
    # crop as small as the photo works (reflect padding for the margin)
    b, s = synthesize_pair(img[:64, :64], rng, 64, PURE)
    assert b.shape == (64, 64, 3)
    with pytest.raises(ValueError):
        synthesize_pair(img[:50], rng, 64)


def test_blurry_not_shifted_relative_to_sharp():
    """Isolated dots: the centre of mass of each blurred dot (linear light)
    stays on the dot."""
    img = np.zeros((400, 400, 3), np.uint8)
    img[60::70, 60::70] = 200
    cfg = BlurConfig(sharp_fraction=0.0, noise_prob=0.0, jpeg_prob=0.0, highlight_prob=0.0, kernel_size=(15, 25))
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(6):
        b, s = synthesize_pair(img, rng, 192, cfg)
        lb = DECODE_LUT[b[..., 1]].astype(np.float64)
        ys, xs = np.nonzero(s[..., 1] == 200)
        for y, x in zip(ys, xs):
            if 25 <= y < 192 - 25 and 25 <= x < 192 - 25:
                patch = lb[y - 25 : y + 26, x - 25 : x + 26]
                cy, cx = _centroid(patch)
                assert abs(cy - 25) < 0.5 and abs(cx - 25) < 0.5
                checked += 1
    assert checked >= 6


@pytest.mark.parametrize("orientations", [1, 2, 8])
def test_crops_come_in_the_configured_orientations(orientations):
    """Red rises down the photo and green rises across it, so the direction each
    rises in inside a crop tells which of the 8 views it is."""
    ramp = np.arange(256, dtype=np.uint8)
    img = np.zeros((256, 256, 3), np.uint8)
    img[..., 0] = ramp[:, None]
    img[..., 1] = ramp[None, :]
    rng = np.random.default_rng(11)
    cfg = BlurConfig(sharp_fraction=1.0, sharp_clean_fraction=1.0, orientations=orientations)
    seen = set()
    for _ in range(120):
        _, s = synthesize_pair(img, rng, 32, cfg)
        red_rise = tuple(np.sign(np.diff(s[:2, :2, 0].astype(int), axis=a)[0, 0]) for a in (0, 1))
        green_rise = tuple(np.sign(np.diff(s[:2, :2, 1].astype(int), axis=a)[0, 0]) for a in (0, 1))
        seen.add((red_rise, green_rise))
    assert len(seen) == orientations
    assert ((1, 0), (0, 1)) in seen  # as shot
    with pytest.raises(ValueError):
        BlurConfig(orientations=4)


def test_seed_reproducible_and_different_seeds_differ():
    img = _texture(4)

    def batch(seed):
        rng = np.random.default_rng(seed)
        return [synthesize_pair(img, rng, 64) for _ in range(12)]

    a, b, c = batch(123), batch(123), batch(124)
    for (ab, as_), (bb, bs) in zip(a, b):
        assert np.array_equal(ab, bb) and np.array_equal(as_, bs)
    assert any(not np.array_equal(x[0], y[0]) for x, y in zip(a, c))


def test_sharp_pair_fraction():
    img = _texture(5, 96, 96)
    rng = np.random.default_rng(8)
    cfg = BlurConfig(noise_prob=0.0, jpeg_prob=0.0, kernel_size=(3, 7))
    n = 1500
    same = sum(np.array_equal(*synthesize_pair(img, rng, 48, cfg)) for _ in range(n))
    assert 0.03 <= same / n <= 0.07  # sharp_fraction = 0.05
    # with default noise/JPEG only half of the sharp pairs are exactly clean
    rng = np.random.default_rng(9)
    cfg = BlurConfig(sharp_fraction=1.0, noise_prob=1.0)
    clean = sum(np.array_equal(*synthesize_pair(img, rng, 48, cfg)) for _ in range(200))
    assert 70 <= clean <= 130


def test_highlight_boost_brightens_streaks():
    img = np.zeros((300, 300, 3), np.uint8)
    img[20::40, 20::40] = 255  # saturated point lights on black
    base = dict(sharp_fraction=0.0, noise_prob=0.0, jpeg_prob=0.0, nonuniform_prob=0.0, kernel_size=(20, 30))
    on = BlurConfig(highlight_prob=1.0, highlight_gain=(3.0, 3.0), **base)
    off = BlurConfig(highlight_prob=1.0, highlight_gain=(1.0, 1.0), **base)
    for seed in range(3):
        b_on, s_on = synthesize_pair(img, np.random.default_rng(seed), 128, on)
        b_off, s_off = synthesize_pair(img, np.random.default_rng(seed), 128, off)
        assert np.array_equal(s_on, s_off)  # same crop, same kernel
        e_on = DECODE_LUT[b_on].sum()
        e_off = DECODE_LUT[b_off].sum()
        assert e_on > 2.0 * e_off  # gain 3, minus what clips at 1.0
        assert b_on.max() >= b_off.max()


def test_noise_and_jpeg_change_output():
    img = _texture(6)
    base = dict(sharp_fraction=0.0, nonuniform_prob=0.0, highlight_prob=0.0)
    plain = synthesize_pair(img, np.random.default_rng(1), 64, BlurConfig(noise_prob=0, jpeg_prob=0, **base))[0]
    noisy = synthesize_pair(img, np.random.default_rng(1), 64, BlurConfig(noise_prob=1, jpeg_prob=0, **base))[0]
    jpeg = synthesize_pair(img, np.random.default_rng(1), 64, BlurConfig(noise_prob=0, jpeg_prob=1, **base))[0]
    assert not np.array_equal(plain, noisy)
    assert not np.array_equal(plain, jpeg)
    assert np.abs(plain.astype(int) - noisy.astype(int)).mean() < 20


def test_gaussian_table_noise_statistics():
    g = B._gaussian(np.random.default_rng(0), (3, 128, 128))
    assert g.dtype == np.float32 and g.shape == (3, 128, 128)
    assert abs(float(g.mean())) < 0.02 and abs(float(g.std()) - 1.0) < 0.02
    assert 0.035 < float((np.abs(g) > 2).mean()) < 0.056


# ------------------------------------------------------- validation helpers


def test_load_kernel_png_and_degrade(tmp_path):
    k = np.zeros((15, 15), np.uint8)
    cv2.line(k, (2, 3), (12, 9), 255, 1)
    k[3, 2] = 255
    path = tmp_path / "k.png"
    cv2.imwrite(str(path), k)
    loaded = load_kernel_png(path)
    assert loaded.dtype == np.float32 and loaded.shape == (15, 15)
    assert abs(float(loaded.sum()) - 1.0) < 1e-6
    centred = load_kernel_png(path, center=True)
    c = centred.shape[0] // 2
    assert centred.shape[0] % 2 == 1
    assert np.allclose(_centroid(centred), (c, c), atol=1e-3)
    img = _texture(7, 64, 64)
    a = degrade_with_kernel(img, loaded, np.random.default_rng(0))
    b = degrade_with_kernel(img, loaded, np.random.default_rng(0))
    assert a.shape == img.shape and a.dtype == np.uint8
    assert np.array_equal(a, b)
    # sigma 0.01 of range ~ 2.55 levels
    clean = degrade_with_kernel(img, loaded, np.random.default_rng(0), noise_sigma=0.0)
    d = a.astype(np.float64) - clean
    assert 2.0 < d.std() < 3.1
    with pytest.raises(FileNotFoundError):
        load_kernel_png(tmp_path / "missing.png")


def test_config_picklable():
    cfg = BlurConfig(jpeg_prob=0.3)
    assert pickle.loads(pickle.dumps(cfg)) == cfg
    assert pickle.loads(pickle.dumps(synthesize_pair)) is synthesize_pair


def test_noise_in_target_puts_the_inputs_noise_on_the_target():
    img = _texture(7)
    base = dict(nonuniform_prob=0.0, highlight_prob=0.0, jpeg_prob=0.0, noise_prob=1.0,
                shot_noise=(4e-3, 4e-3), read_noise=(2e-3, 2e-3))
    clean_target = synthesize_pair(img, np.random.default_rng(3), 64, BlurConfig(sharp_fraction=0.0, **base))
    noisy_target = synthesize_pair(img, np.random.default_rng(3), 64,
                                   BlurConfig(sharp_fraction=0.0, noise_in_target=True, **base))
    assert np.array_equal(clean_target[0], noisy_target[0])  # the input is unchanged
    added = noisy_target[1].astype(int) - clean_target[1].astype(int)
    assert added.std() > 1  # the target now carries grain...
    blur_noise = clean_target[0].astype(int) - synthesize_pair(
        img, np.random.default_rng(3), 64, BlurConfig(sharp_fraction=0.0, **{**base, "noise_prob": 0.0}))[0].astype(int)
    assert np.corrcoef(added.ravel(), blur_noise.ravel())[0, 1] > 0.8  # ...the very grain of the input
    # a noisy sharp-in/sharp-out pair then asks for exactly nothing to be done
    blurry, sharp = synthesize_pair(img, np.random.default_rng(3), 64, BlurConfig(
        sharp_fraction=1.0, sharp_clean_fraction=0.0, noise_in_target=True, **base))
    assert np.array_equal(blurry, sharp)
