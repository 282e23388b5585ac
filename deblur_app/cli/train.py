"""deblur-app train / eval: the only entry into the training package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import reasons
from ..model.registry import DEFAULT_VARIANT, trainable_variants
from . import reports
from .options import (EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_model_options, engine_from_args, path_argument_problem,
                      validate_options, written_file_problem)

def add_train_parser(commands) -> None:
    train = commands.add_parser(
        "train", help="train or fine-tune (also: train prepare-photos DIR, train make-valset)",
        description="Train on sharp photos with synthetic camera shake, or on real pairs in the GoPro "
        "layout (*/blur/*.png + */sharp/*.png). Other actions: 'train prepare-photos DIR' builds the "
        "photo set; 'train make-valset' builds the fixed validation set.",
    )
    train.add_argument("--data", required=True, type=Path, help="photo folder (with train/) or GoPro-style pairs")
    train.add_argument("--run-dir", required=True, type=Path, help="checkpoints, log.csv and exported weights go here")
    train.add_argument("--model", default=DEFAULT_VARIANT, choices=tuple(trainable_variants()))
    train.add_argument("--crop", type=int, default=256)
    train.add_argument("--batch", type=int, default=4)
    train.add_argument("--lr", type=float, default=3e-4, help="peak learning rate (cosine decay over --hours)")
    train.add_argument("--lr-min", type=float, default=1e-5)
    train.add_argument("--warmup-steps", type=int, default=300)
    train.add_argument("--hours", type=float, default=1.0, help="time budget of this run")
    train.add_argument("--checkpoint-minutes", type=float, default=5.0)
    train.add_argument("--validation", type=Path, help="validation set (.npz from 'train make-valset')")
    train.add_argument("--val-minutes", type=float, default=20.0)
    train.add_argument("--val-limit", type=int, help="validate on this many images only")
    train.add_argument("--workers", type=int, default=2, help="data-synthesis processes")
    train.add_argument("--device", default="auto")
    train.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in plain float32")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--init", type=Path, help="start from these weights (fine-tuning)")
    train.add_argument("--ema-decay", type=float, default=0.999,
                       help="validate and export a moving average of the weights with this decay per step (0: off)")
    train.add_argument("--max-blur", type=float, default=35.0, metavar="PX",
                       help="longest synthetic camera shake in pixels (default 35; real photos can show more)")
    train.add_argument("--noise-scale", type=float, default=1.0, metavar="F",
                       help="multiply the synthetic sensor noise's standard deviation by F (0: none; real "
                       "camera JPEGs are much cleaner than the default)")
    train.add_argument("--noise-prob", type=float, default=0.9, metavar="P", help="share of pairs with sensor noise")
    train.add_argument("--noise-in-target", action="store_true",
                       help="add the same noise to the sharp target, so the network deblurs and leaves grain alone")
    train.add_argument("--jpeg-prob", type=float, default=0.5, metavar="P", help="share of blurry inputs JPEG-compressed")
    train.add_argument("--jpeg-quality", default="60-95", metavar="LO-HI", help="JPEG quality range (default 60-95)")
    train.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    train.add_argument("--max-steps", type=int, help="stop after this many steps of this run (smoke runs)")


def add_eval_parser(commands) -> None:
    evaluate = commands.add_parser(
        "eval", help="PSNR/SSIM on paired folders or the synthetic validation set; sharpness change on real photos")
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--pairs", type=Path, help="GoPro-layout folder (*/blur + */sharp)")
    source.add_argument("--valset", type=Path, help="validation set .npz")
    source.add_argument("--real", type=Path, metavar="DIR",
                        help="real blurry photos without a sharp original (DIR and its sub-folders): blur_effect "
                        "and fine-detail change, output over input (needs scikit-image: deblur-app[eval])")
    evaluate.add_argument("--sheet", type=Path, metavar="OUT_DIR",
                          help="with --real: write an input | output contact sheet of each photo here")
    evaluate.add_argument("--csv", type=Path, metavar="FILE",
                          help="per-image results (default: eval.csv in the current folder; -: print them)")
    evaluate.add_argument("--limit", type=int, help="evaluate this many images only")
    add_model_options(evaluate)


def prepare_main(argv: list[str]) -> int:
    if argv[0] == "prepare-photos":
        from ..training import photoset

        return photoset.main(argv[1:])
    parser = argparse.ArgumentParser(prog="deblur-app train make-valset",
                                     description="Blur the validation photos with the 8 recorded kernels of Levin et al. 2009")
    parser.add_argument("--photos", required=True, type=Path, help="validation photos (e.g. DIR/val)")
    # required: the recorded kernels are not part of this project (README, Training), and a default
    # pointing beside a checkout read whatever sat there, or nothing, in a user's clone
    parser.add_argument("--kernels", type=Path, required=True,
                        help="folder of kernel*.png (e.g. Levin et al.'s levin09/gt)")
    parser.add_argument("--out", required=True, type=Path, help="output .npz")
    parser.add_argument("--noise", type=float, default=None, metavar="SIGMA",
                        help="Gaussian noise after the blur, a fraction of the 0-1 range (default 0.01; "
                             "0 measures deblurring apart from denoising)")
    args = parser.parse_args(argv[1:])
    problem = path_argument_problem(args)
    if problem:
        print(f"deblur-app: {problem}", file=sys.stderr)
        return EXIT_USAGE
    from ..training.data import VALIDATION_NOISE, build_validation_set

    noise = VALIDATION_NOISE if args.noise is None else args.noise
    if not 0 <= noise <= 0.2:
        print(f"deblur-app: --noise must be from 0 to 0.2, not {noise:g}", file=sys.stderr)
        return EXIT_USAGE
    problem = written_file_problem("--out", args.out, [args.photos, args.kernels])
    if problem:
        print(f"deblur-app: {problem}", file=sys.stderr)
        return EXIT_USAGE
    try:
        valset = build_validation_set(args.photos, args.kernels, noise=noise)
    except FileNotFoundError as error:
        print(f"deblur-app: {error}", file=sys.stderr)
        return EXIT_FAILED
    valset.save(args.out)
    print(f"{args.out}: {len(valset.names)} validation crops")
    return EXIT_OK


def _degradation_problem(args) -> str | None:
    """Checks the synthetic-degradation options (and turns --jpeg-quality into a pair)."""
    if not 5 <= args.max_blur <= 99:
        return f"--max-blur must be from 5 to 99 pixels, not {args.max_blur:g}"
    if not 0 <= args.noise_scale <= 4:
        return f"--noise-scale must be from 0 to 4, not {args.noise_scale:g}"
    for option, value in (("--noise-prob", args.noise_prob), ("--jpeg-prob", args.jpeg_prob)):
        if not 0 <= value <= 1:
            return f"{option} must be from 0 to 1, not {value:g}"
    low, _, high = args.jpeg_quality.partition("-")
    try:
        quality = (int(low), int(high or low))
    except ValueError:
        quality = (0, 0)
    if not 1 <= quality[0] <= quality[1] <= 100:
        return f"--jpeg-quality must be LO-HI with 1 <= LO <= HI <= 100, not {args.jpeg_quality}"
    args.jpeg_quality = quality
    return None


def run_train(args) -> int:
    from ..training.trainer import TrainConfig, run_training

    if not args.data.exists():
        print(f"deblur-app: {args.data}: no such folder", file=sys.stderr)
        return EXIT_USAGE
    if args.run_dir.exists() and not args.run_dir.is_dir():
        print(f"deblur-app: --run-dir {args.run_dir}: is a file, not a folder for the run", file=sys.stderr)
        return EXIT_USAGE
    problem = _degradation_problem(args)
    if problem:
        print(f"deblur-app: {problem}", file=sys.stderr)
        return EXIT_USAGE
    config = TrainConfig(
        data=str(args.data), run_dir=str(args.run_dir), model=args.model, crop=args.crop, batch=args.batch,
        lr=args.lr, lr_min=args.lr_min, warmup_steps=args.warmup_steps, hours=args.hours,
        checkpoint_minutes=args.checkpoint_minutes, validation=str(args.validation) if args.validation else None,
        val_minutes=args.val_minutes, val_limit=args.val_limit, workers=args.workers, device=args.device,
        bf16=args.bf16, seed=args.seed, init=str(args.init) if args.init else None, max_steps=args.max_steps,
        ema_decay=args.ema_decay, max_blur=args.max_blur, noise_scale=args.noise_scale, noise_prob=args.noise_prob,
        noise_in_target=args.noise_in_target, jpeg_prob=args.jpeg_prob, jpeg_quality=args.jpeg_quality,
    )
    from ..model.checkpoints import CheckpointError
    from ..training.data import ValidationSetError

    try:
        best = run_training(config, resume=args.resume, log=lambda m: print(m, flush=True))
    except ValidationSetError as error:  # found as the run starts, before any step
        print(f"deblur-app: --validation {error}", file=sys.stderr)
        return EXIT_USAGE
    except (CheckpointError, FileNotFoundError) as error:  # --init's weights; --data without photos or pairs
        print(f"deblur-app: {reasons.one_line_name(str(error))}", file=sys.stderr)
        return EXIT_USAGE
    print(f"best weights: {best}")
    return EXIT_OK


def _real_photo_problem(args) -> str | None:
    if args.sheet and not args.real:
        return "--sheet needs --real (contact sheets are of real photos)"
    if not args.real:
        return None
    if not args.real.is_dir():
        return f"{args.real}: no such folder"
    if args.sheet:
        real, sheet = args.real.resolve(), args.sheet.resolve()
        if sheet == real or real in sheet.parents:
            return f"--sheet {args.sheet}: must be outside {args.real} (the photos are never written to)"
    return None


def run_eval(args) -> int:
    from ..jobs import JobError

    refusal = _eval_refusal(args)
    if refusal is not None:
        code, message = refusal
        print(f"deblur-app: {message}", file=sys.stderr)
        return code
    try:
        pairs = _eval_source(args)  # before the model loads: a wrong --valset or --pairs is said at once
        engine, description = engine_from_args(args)
    except (JobError, ValueError, FileNotFoundError) as error:
        print(f"deblur-app: {error}", file=sys.stderr)
        return EXIT_FAILED
    if args.strength != 100:
        description += f" at {args.strength:g} % strength"
    if args.real:
        from .real_eval import evaluate_real_photos

        return evaluate_real_photos(args, engine, description)
    out = _table_path(args)
    rows = _scored_pairs(args, engine, pairs, reports.progress_stream(out))
    if not rows:
        print("deblur-app: nothing to evaluate", file=sys.stderr)
        return EXIT_FAILED
    means = _write_eval_csv(rows, out)
    if means is None:
        return EXIT_FAILED
    print(f"{len(rows)} images, {description}: input {means['input_psnr']:.2f} dB / SSIM "
          f"{means['input_ssim']:.4f} -> output {means['psnr']:.2f} dB / SSIM {means['ssim']:.4f}; "
          f"wrote {reports.shown(out)}", file=reports.progress_stream(out))
    return EXIT_OK


def _eval_refusal(args) -> tuple[int, str] | None:
    """(exit code, why) when the evaluation cannot start: its options, or --real without scikit-image."""
    problem = (validate_options(args) or _real_photo_problem(args)
               or reports.report_problem("--csv", _table_path(args), [args.pairs, args.valset, args.real]))
    if problem:
        return EXIT_USAGE, problem
    if args.real:
        from ..training.real_photos import MissingScikitImage, require_scikit_image

        try:
            require_scikit_image()
        except MissingScikitImage as error:
            return EXIT_FAILED, str(error)
    return None


def _table_path(args) -> Path:
    """The file (or '-', a stream) eval writes its table to."""
    if args.real:
        from .real_eval import table_path

        return table_path(args)
    return args.csv or Path("eval.csv")


def _eval_source(args):
    """What --valset or --pairs names (None for --real): the validation set, or the (blurry, sharp) files.
    Raises ValueError (a file that is no validation set) or FileNotFoundError (no pairs), each one line."""
    from ..training.data import ValidationSet, paired_files

    if args.valset:
        return ValidationSet.load(args.valset).subset(args.limit)
    if args.pairs:
        return paired_files(args.pairs)[: args.limit]
    return None


def _eval_pairs(args, source):
    """(name, blurry, sharp) float32 arrays in [0, 1]: of the validation set, or of the --pairs files."""
    import numpy as np

    from .. import imagefiles
    from ..training.data import ValidationSet

    if isinstance(source, ValidationSet):
        for name, blurry, sharp in zip(source.names, source.blurry, source.sharp):
            yield name, blurry.astype(np.float32) / 255, sharp.astype(np.float32) / 255
    else:
        for blurry_path, sharp_path in source:
            yield (str(blurry_path.relative_to(args.pairs)), imagefiles.load_image(blurry_path).pixels,
                   imagefiles.load_image(sharp_path).pixels)


def _scored_pairs(args, engine, pairs, progress) -> list[dict]:
    """Each pair's PSNR and SSIM before and after deblurring (at --strength), printed to ``progress`` as it goes."""
    from ..engine.strength import apply_strength
    from ..training.metrics import psnr, ssim

    rows = []
    for name, blurry, sharp in _eval_pairs(args, pairs):
        output = apply_strength(blurry, engine.run(blurry).full, args.strength / 100)
        rows.append({"image": name, "input_psnr": psnr(blurry, sharp), "input_ssim": ssim(blurry, sharp),
                     "psnr": psnr(output, sharp), "ssim": ssim(output, sharp)})
        print(f"{name}: {rows[-1]['input_psnr']:.2f} -> {rows[-1]['psnr']:.2f} dB", file=progress, flush=True)
    return rows


def _write_eval_csv(rows: list[dict], out: Path) -> dict[str, float] | None:
    """The rows and their means (a last row, MEAN) to ``out``; returns the means (None, said: not written)."""
    import numpy as np

    means = {k: float(np.mean([r[k] for r in rows])) for k in ("input_psnr", "input_ssim", "psnr", "ssim")}
    written = reports.table_written(out, ["image", "input_psnr", "input_ssim", "psnr", "ssim"],
                                    [*rows, {"image": "MEAN", **means}])
    return means if written else None
