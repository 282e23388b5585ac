"""deblur-app eval --real: how the network changes real blurry photos that have no sharp original."""

from __future__ import annotations

import sys
from pathlib import Path

from . import reports
from .options import EXIT_FAILED, EXIT_OK

FIELDS = ["image", "input_blur_effect", "output_blur_effect", "blur_effect_ratio", "fine_detail_ratio", "sharper"]


def sheet_path(photo: Path, real_dir: Path, sheet_dir: Path) -> Path:
    """Sub-folders are mirrored so two photos of the same name do not share a sheet."""
    relative = photo.relative_to(real_dir)
    return sheet_dir / relative.parent / f"{photo.stem}_input_output.png"


def evaluate_real_photos(args, engine, description: str) -> int:
    from ..training.data import photo_files
    from ..training.real_photos import summary

    photos = photo_files(args.real)[: args.limit]
    if not photos:
        print(f"deblur-app: {args.real}: no photos found", file=sys.stderr)
        return EXIT_FAILED
    out = table_path(args)
    progress = reports.progress_stream(out)
    changes = [change for change in (_measured(path, args, engine, progress) for path in photos) if change is not None]
    if not changes:
        print("deblur-app: no photo could be evaluated", file=sys.stderr)
        return EXIT_FAILED
    totals = summary(changes)
    if not _write_table(out, changes, totals):
        return EXIT_FAILED
    sharper = sum(c.sharper for c in changes)
    print(f"{len(changes)} real photos, {description}: blur_effect out/in median {totals['median_blur_effect_ratio']:.3f}, "
          f"lower on {sharper} of {len(changes)} ({100 * totals['sharper_share']:.0f} %); fine-detail ratio median "
          f"{totals['median_fine_detail_ratio']:.2f}; wrote {reports.shown(out)}"
          + (f" and contact sheets in {args.sheet.resolve()}" if args.sheet else ""), file=progress)
    return EXIT_FAILED if len(changes) < len(photos) else EXIT_OK


def table_path(args) -> Path:
    """Where eval --real writes its table: --csv, else beside the sheets with --sheet DIR (not into whatever folder
    the command ran in), else eval.csv here."""
    return args.csv or (args.sheet / "eval.csv" if args.sheet else Path("eval.csv"))


def _measured(path: Path, args, engine, progress):
    """How deblurring changed one photo (its contact sheet written with --sheet); None, said, if it cannot be read."""
    from .. import imagefiles
    from ..engine.strength import apply_strength
    from ..training.real_photos import caption_of, labelled_sheet, measure

    name = str(path.relative_to(args.real))
    try:
        before = imagefiles.load_image(path).pixels
    except imagefiles.ImageFileError as error:
        print(f"deblur-app: {error}", file=sys.stderr)
        return None
    after = apply_strength(before, engine.run(before).full, args.strength / 100)
    change = measure(name, before, after)
    if args.sheet:
        target = sheet_path(path, args.real, args.sheet)
        target.parent.mkdir(parents=True, exist_ok=True)
        imagefiles.save_image(target, labelled_sheet(before, after, caption_of(change)), bit_depth=8,
                              overwrite=True, marker=imagefiles.app_marker())
    print(f"{name}: blur_effect {change.input_blur_effect:.3f} -> {change.output_blur_effect:.3f} "
          f"(x{change.blur_effect_ratio:.3f}), fine detail x{change.fine_detail_ratio:.2f}", file=progress, flush=True)
    return change


def _write_table(out: Path, changes: list, totals: dict) -> bool:
    """One row a photo, then the medians; False (said) when it cannot be written."""
    rows = [{"image": change.name, "input_blur_effect": change.input_blur_effect,
             "output_blur_effect": change.output_blur_effect, "blur_effect_ratio": change.blur_effect_ratio,
             "fine_detail_ratio": change.fine_detail_ratio, "sharper": int(change.sharper)} for change in changes]
    rows.append({"image": "MEDIAN", "blur_effect_ratio": totals["median_blur_effect_ratio"],
                 "fine_detail_ratio": totals["median_fine_detail_ratio"], "sharper": totals["sharper_share"]})
    return reports.table_written(out, FIELDS, rows)
