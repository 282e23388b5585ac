"""deblur-app deblur / batch."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ..engine.progress import Progress
from ..jobs import JobError, SaveOptions, deblur_file, input_problem, output_problem, prepare_output_folder
from ..naming import batch_pairs, default_output, plan_outputs
from .options import EXIT_FAILED, EXIT_OK, EXIT_USAGE, engine_from_args, validate_options
from .options import error as _error


def _save_options(args) -> SaveOptions:
    return SaveOptions(save_scales=args.save_scales, bit_depth=args.bit_depth, quality=args.quality,
                       overwrite=args.overwrite, strength=args.strength / 100)


def _outputs_for(inputs: list[Path], output: Path | None) -> list[Path]:
    if output is None:
        return [default_output(p) for p in inputs]
    if len(inputs) > 1 or output.is_dir():
        if output.exists() and not output.is_dir():
            raise JobError(f"{output}: several inputs need -o to be a folder")
        prepare_output_folder(output)
        return [default_output(p, output) for p in inputs]
    return [output]


def run_deblur(args) -> int:
    problem = validate_options(args)
    if problem:
        _error(problem)
        return EXIT_USAGE
    save = _save_options(args)
    try:
        outputs = _outputs_for(args.inputs, args.output)
    except JobError as error:
        _error(str(error))
        return EXIT_FAILED
    # every photo that cannot be read or written is reported before the model loads
    failures, runnable = 0, []
    for plan in plan_outputs(list(zip(args.inputs, outputs)), save.save_scales, inputs=args.inputs):
        problem = input_problem(plan.source) or output_problem(plan, save.overwrite)
        if problem:
            _error(problem)
            failures += 1
        else:
            runnable.append(plan)
    if not runnable:
        return EXIT_FAILED
    try:
        engine, description = engine_from_args(args)
    except JobError as error:
        _error(str(error))
        return EXIT_FAILED
    print(f"using {description}", file=sys.stderr)
    for plan in runnable:
        source, target = plan.source, plan.target
        try:
            done = deblur_file(source, target, engine, save,
                               progress=_terminal_progress(source.name), max_megapixels=args.max_megapixels)
        except JobError as error:
            _clear_line()
            _error(str(error))
            failures += 1
            continue
        _clear_line()
        result = done.result
        print(f"{source} -> {', '.join(str(p) for p in done.outputs)} "
              f"({result.full.shape[1]}x{result.full.shape[0]}, {result.seconds:.1f} s, {result.tiles} tile(s))")
        for note in result.notes:
            print(f"  note: {note}", file=sys.stderr)
    return EXIT_FAILED if failures else EXIT_OK


def _terminal_progress(label: str):
    if not sys.stderr.isatty():
        return None

    def show(event: Progress) -> None:
        print(f"\r{label}: {event.done}/{event.total} ({event.fraction:.0%})", end="", file=sys.stderr, flush=True)

    return show


def _clear_line() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def run_batch(args) -> int:
    problem = validate_options(args)
    if problem:
        _error(problem)
        return EXIT_USAGE
    if not args.input_dir.is_dir():
        _error(f"{args.input_dir}: not a folder")
        return EXIT_USAGE
    try:
        default_output(Path("x.png"), None, args.name)
    except (KeyError, IndexError, ValueError) as error:
        _error(f"--name {args.name!r}: unknown placeholder {error}; use {{stem}}, {{ext}} or {{name}}")
        return EXIT_USAGE
    pairs = batch_pairs(args.input_dir, args.output_dir, args.recursive, args.name)
    if not pairs:
        _error(f"{args.input_dir}: no photos found" + ("" if args.recursive else " (use --recursive for sub-folders)"))
        return EXIT_FAILED
    try:
        engine, description = engine_from_args(args)
    except JobError as error:
        _error(str(error))
        return EXIT_FAILED
    print(f"using {description}", file=sys.stderr)
    done, skipped, failures = 0, 0, []
    started = time.monotonic()
    bar = _progress_bar(len(pairs))
    try:
        for plan in plan_outputs(pairs, args.save_scales):
            source, target = plan.source, plan.target
            if args.skip_existing and plan.existing:
                skipped += 1
                _advance(bar, f"skipped {source}")
                continue
            if plan.refusal:
                failures.append(plan.refusal)
                _advance(bar, f"FAILED {plan.refusal}", error=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                deblur_file(source, target, engine, _save_options(args), max_megapixels=args.max_megapixels)
                done += 1
                _advance(bar, f"{source} -> {target}")
            except JobError as error:
                failures.append(str(error))
                _advance(bar, f"FAILED {error}", error=True)
    finally:
        if bar is not None:
            bar.close()
    print(f"{done} deblurred, {skipped} skipped, {len(failures)} failed "
          f"in {time.monotonic() - started:.1f} s", file=sys.stderr)
    for failure in failures:
        print(f"  failed: {failure}", file=sys.stderr)
    return EXIT_FAILED if failures else EXIT_OK


def _progress_bar(total: int):
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="photo", file=sys.stderr)


def _advance(bar, line: str, error: bool = False) -> None:
    if bar is None:
        print(line, file=sys.stderr if error else sys.stdout, flush=True)
        return
    if error:
        bar.write(line, file=sys.stderr)
    bar.update(1)
