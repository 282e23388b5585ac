"""Which blur score separates sharp from blurred photos: ROC AUC and speed of each candidate.

Labelled set: ``deblur_app.training.blur_labels`` (scikit-image's public-domain / CC0
colour photos; sharp, depth of field, smooth content; shake and defocus of known extent
in linear light; noise and JPEG; several sizes). Two renderings of it:

* the *tuning* set (seed 0): where the measure's parameters were chosen and where the
  learned head and the score's curve are fitted;
* the *held-out* set (seed 1): new crops, kernels, noise. Its AUCs decide. The learned
  head is also fitted leaving each photo out and scored on that photo only.

Realblur (``--realblur DIR``, e.g. ../shared/eval/realblur): real blurry photos against
the held-out set's sharp photos. Reported only: nothing is fitted or tuned on them.

    python benchmarks/bench_blur_score.py                 # the table (~2 min on 2 cores)
    python benchmarks/bench_blur_score.py --realblur ../shared/eval/realblur
    python benchmarks/bench_blur_score.py --write         # refit resources/blur_score.json
    python benchmarks/bench_blur_score.py --through-jpeg  # also: the held-out set through the scan's decode

``--through-jpeg``: every held-out photo is enlarged 4x (Lanczos), written as a JPEG (quality 92,
4:2:0, as cameras write) and read back as a folder scan reads it (``imagefiles.load_for_measuring``:
libjpeg's 1/4 DCT-scaled decode back to the working size), both as RGB and as luma alone (what the
scan does); the chosen score's held-out AUC for each.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from deblur_app.training.blur_labels import labelled_set  # noqa: E402
from deblur_app.triage import features as F  # noqa: E402
from deblur_app.triage.blur_score import BlurCalibration, score_from_width  # noqa: E402


def roc_auc(positive, negative) -> float:
    """P(score of a blurred photo > score of a sharp one), ties counting half."""
    pos, neg = np.asarray(positive, float), np.asarray(negative, float)
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    values = np.concatenate([pos, neg])[order]
    ranks = np.empty(len(values))
    i = 0
    while i < len(values):  # average ranks of ties
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[i : j + 1] = (i + j) / 2 + 1
        i = j + 1
    rank_of = np.empty(len(values))
    rank_of[order] = ranks
    return float((rank_of[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def fit_logistic(x: np.ndarray, target: np.ndarray, l2: float = 1e-2, steps: int = 50):
    """Newton's method on L2-regularised logistic regression of standardised features."""
    mean, std = x.mean(0), x.std(0) + 1e-9
    z = np.c_[(x - mean) / std, np.ones(len(x))]
    w = np.zeros(z.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-z @ w))
        hessian = z.T @ (z * (p * (1 - p))[:, None]) + l2 * len(z) * np.eye(len(w))
        w -= np.linalg.solve(hessian, z.T @ (p - target) + l2 * len(z) * w)
    return mean, std, w


def logit(model, x: np.ndarray) -> np.ndarray:
    mean, std, w = model
    return np.c_[(x - mean) / std, np.ones(len(x))] @ w


def timed(fn, luma):
    t = time.perf_counter()
    value = fn(luma)
    return value, time.perf_counter() - t


# name -> (function of the working-size luma, sign that makes "higher = blurrier")
def _blur_effect(luma):
    from skimage.measure import blur_effect

    return blur_effect(luma)


CANDIDATES = {
    "variance of the Laplacian (baseline)": (F.laplacian_variance, -1),
    "skimage blur_effect (baseline)": (_blur_effect, 1),
    "spectral: high-band share, best tile": (F.spectral_sharpness, -1),
    "edge width, gradient magnitude, best tile": (lambda luma: F.edge_sharpness(luma, 7, 98.0)["edge_best"], -1),
    "edge width per direction, best tiles (chosen)": (F.edge_width, 1),
}


def measure(samples):
    """Every candidate's value and time, and the head's features, for each sample."""
    values = {name: [] for name in CANDIDATES}
    seconds = {name: [] for name in CANDIDATES}
    features = []
    for s in samples:
        luma = F.working_luma(s.pixels)
        for name, (fn, sign) in CANDIDATES.items():
            value, dt = timed(fn, luma)
            values[name].append(sign * value)
            seconds[name].append(dt)
        features.append(F.feature_vector(luma))
    return {k: np.array(v) for k, v in values.items()}, seconds, np.array(features)


def head_out_of_fold(tune, tune_x, held, held_x):
    """The learned head fitted on the tuning set less one photo, scored on that photo of the held-out set."""
    out = np.zeros(len(held))
    tune_groups, held_groups = np.array([s.group for s in tune]), np.array([s.group for s in held])
    usable = np.array([s.label != "slight" for s in tune])
    target = np.array([s.label == "blurred" for s in tune], float)
    for group in np.unique(held_groups):
        train = usable & (tune_groups != group)
        out[held_groups == group] = logit(fit_logistic(tune_x[train], target[train]), held_x[held_groups == group])
    return out


def auc_rows(held, scores):
    labels = np.array([s.label for s in held])
    kinds = np.array([s.kind for s in held])
    blurred, sharp = labels == "blurred", labels == "sharp"
    return {
        "all": roc_auc(scores[blurred], scores[sharp]),
        "vs depth of field": roc_auc(scores[blurred], scores[sharp & (kinds == "dof")]),
        "vs smooth content": roc_auc(scores[blurred], scores[sharp & (kinds == "smooth")]),
        "slight vs sharp": roc_auc(scores[labels == "slight"], scores[sharp]),
    }


def calibrate(samples, widths) -> BlurCalibration:
    """The score's logistic curve over log(width), and the verdicts' thresholds."""
    labels = np.array([s.label for s in samples])
    fit = labels != "slight"
    model = fit_logistic(np.log(widths[fit])[:, None], (labels[fit] == "blurred").astype(float))
    mean, std, w = model
    slope, offset = w[0] / std[0], w[1] - w[0] * mean[0] / std[0]
    provisional = BlurCalibration(slope, offset, 0, 0)
    scores = np.array([score_from_width(x, provisional) for x in widths])

    # "blurred" is said of at most 5 % of the sharp photos: calling a sharp photo blurred
    # costs a photographer a keeper; "slightly blurred" starts where sharp and blurred
    # separate best (Youden's J), so the doubtful middle is named as such
    sharp_scores, blurred_scores = scores[labels == "sharp"], scores[labels == "blurred"]
    candidates = np.unique(np.round(scores, 1))
    j = [np.mean(blurred_scores >= t) - np.mean(sharp_scores >= t) for t in candidates]
    slight_from = float(candidates[int(np.argmax(j))])
    blurred_from = float(np.round(np.percentile(sharp_scores, 95), 1))
    return BlurCalibration(round(float(slope), 4), round(float(offset), 4), min(slight_from, blurred_from), blurred_from)


def realblur_rows(folder: Path, held, held_scores_fn):
    """Real blurry photos (every image under folder except levin09/gt) against the held-out sharp photos."""
    import cv2

    blurry = [p for p in sorted(folder.rglob("*")) if p.suffix.lower() in (".png", ".jpg", ".jpeg")
              and "gt" not in p.relative_to(folder).parts]
    real = []
    for path in blurry:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)  # benchmark only: the app reads via imagefiles
        if bgr is not None:
            real.append(held_scores_fn(F.working_luma(bgr[..., ::-1])))
    sharp = [held_scores_fn(F.working_luma(s.pixels)) for s in held if s.label == "sharp"]
    return len(real), roc_auc(real, sharp), real


def through_jpeg_rows(held) -> dict[str, float]:
    """The chosen score's held-out AUC after a 4x JPEG and the scan's reduced decodes (see the docstring)."""
    import tempfile

    import cv2

    from deblur_app import imagefiles

    labels = np.array([s.label for s in held])
    widths = {"RGB draft decode": [], "luma draft decode (the scan)": []}
    with tempfile.TemporaryDirectory(prefix="bench-blur-jpeg-") as folder:
        path = Path(folder) / "photo.jpg"
        for sample in held:
            h, w = sample.pixels.shape[:2]
            large = cv2.resize(sample.pixels, (4 * w, 4 * h), interpolation=cv2.INTER_LANCZOS4)
            cv2.imwrite(str(path), large[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
            for name, grey in (("RGB draft decode", False), ("luma draft decode (the scan)", True)):
                pixels = imagefiles.load_for_measuring(path, max_side=max(h, w), grey=grey)
                widths[name].append(F.edge_width(F.working_luma(pixels)))
    blurred, sharp = labels == "blurred", labels == "sharp"
    return {name: roc_auc(np.array(v)[blurred], np.array(v)[sharp]) for name, v in widths.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenes", type=int, default=10, help="scenes per source photo and set (default 10)")
    ap.add_argument("--realblur", type=Path, help="folder of real blurry photos to report on (never fitted)")
    ap.add_argument("--write", action="store_true", help="write resources/blur_score.json from the tuning set")
    ap.add_argument("--through-jpeg", action="store_true", help="also the held-out AUC through 4x JPEGs and the scan's decode")
    args = ap.parse_args(argv)
    print(f"CPU: {platform.processor() or platform.machine()}; python {platform.python_version()}")
    tune, held = labelled_set(args.scenes, seed=0), labelled_set(args.scenes, seed=1)
    counts = {lab: sum(s.label == lab for s in held) for lab in ("sharp", "slight", "blurred")}
    print(f"tuning set {len(tune)} photos, held-out set {len(held)} photos {counts}")
    tune_values, _, tune_x = measure(tune)
    held_values, seconds, held_x = measure(held)
    held_values["learned head (logistic, 9 features)"] = head_out_of_fold(tune, tune_x, held, held_x)
    head_seconds = [sum(seconds[n][i] for n in list(CANDIDATES)[2:]) for i in range(len(held))]
    seconds["learned head (logistic, 9 features)"] = head_seconds
    print(f"\n| candidate | AUC held-out | vs depth of field | vs smooth content | slight vs sharp | ms / photo |")
    print("|---|---|---|---|---|---|")
    for name, scores in held_values.items():
        rows = auc_rows(held, scores)
        print(f"| {name} | {rows['all']:.3f} | {rows['vs depth of field']:.3f} | {rows['vs smooth content']:.3f} "
              f"| {rows['slight vs sharp']:.3f} | {1000 * np.median(seconds[name]):.1f} |")
    chosen = "edge width per direction, best tiles (chosen)"
    cal = calibrate(tune, tune_values[chosen])
    print(f"\ncalibration from the tuning set: {cal}")
    held_scores = np.array([score_from_width(w, cal) for w in held_values[chosen]])
    for label in ("sharp", "slight", "blurred"):
        mine = held_scores[np.array([s.label for s in held]) == label]
        verdicts = [("sharp" if x < cal.slightly_blurred_from else "blurred" if x >= cal.blurred_from else "slight")
                    for x in mine]
        print(f"held-out {label:8s}: verdicts " + ", ".join(f"{v} {verdicts.count(v)}" for v in ("sharp", "slight", "blurred")))
    if args.through_jpeg:
        print(f"\nheld-out AUC of the chosen score: arrays {auc_rows(held, held_values[chosen])['all']:.3f}; "
              "through 4x JPEGs (quality 92) and the scan's 1/4 DCT-scaled decode: "
              + "; ".join(f"{name} {auc:.3f}" for name, auc in through_jpeg_rows(held).items()))
    if args.realblur:
        n, auc, _ = realblur_rows(args.realblur, held, F.edge_width)
        n_lap, auc_lap, _ = realblur_rows(args.realblur, held, lambda luma: -F.laplacian_variance(luma))
        print(f"\nrealblur: {n} real blurry photos vs the held-out set's sharp photos: AUC {auc:.3f} "
              f"(chosen); variance of the Laplacian {auc_lap:.3f}")
    if args.write:
        out = REPO / "resources" / "blur_score.json"
        out.write_text(json.dumps({"slope": cal.slope, "offset": cal.offset,
                                   "slightly_blurred_from": cal.slightly_blurred_from,
                                   "blurred_from": cal.blurred_from,
                                   "fitted_on": f"bench_blur_score.py tuning set, seed 0, {args.scenes} scenes per photo"},
                                  indent=1) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
