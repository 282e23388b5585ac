"""deblur-app deblur / batch."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from pathlib import Path

from .. import reasons
from ..imagefiles import ImageFileError, names_an_image_file, output_format_for
from ..jobs import (BatchEvent, BatchJob, JobError, NotAFileName, SaveOptions, batch_log_header, default_output,
                    existing_output_rule, input_folder_problem, iter_batch, prepare_output_folder)
from .cluster import cluster_run, ray_missing, validate_cluster_options
from .options import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, check_weights_from_args, engine_from_args,
                      validate_options)
from .options import error as _error


def _save_options(args, overwrite: bool) -> SaveOptions:
    return SaveOptions(save_scales=args.save_scales, bit_depth=args.bit_depth, quality=args.quality,
                       overwrite=overwrite, strength=args.strength / 100)


def _outputs_for(inputs: list[Path], output: Path | None, names_a_folder: bool) -> list[Path]:
    if output is None:
        return [default_output(p) for p in inputs]
    if len(inputs) > 1 or names_a_folder or output.is_dir():
        if output.exists() and not output.is_dir():
            why = "several inputs need -o to be a folder" if len(inputs) > 1 else "not a folder (-o ends with /)"
            raise JobError(f"{output}: {why}")
        if len(inputs) > 1 and not output.exists() and names_an_image_file(output):
            # a typo for one input, not a folder to create: `deblur a.jpg b.jpg -o single.jpg`
            raise JobError(f"{output}: several inputs need -o to be a folder, and this names an image file; "
                           "give an existing folder or a new folder name without an image extension")
        prepare_output_folder(output)
        return [default_output(p, output) for p in inputs]
    return [output]


def run_deblur(args) -> int:
    """The photos named, through the batch loop (jobs.iter_batch): every photo that cannot be read or
    written is reported before the model loads, then the rest run one by one."""
    problem = validate_options(args)
    if problem:
        _error(problem)
        return EXIT_USAGE
    _, overwrite = existing_output_rule("replace" if args.overwrite else "refuse")
    try:
        pairs = list(zip(args.inputs, _outputs_for(args.inputs, args.output, args.output_names_a_folder)))
    except JobError as error:
        _error(str(error))
        return EXIT_FAILED
    job = BatchJob.of_files(pairs, _save_options(args, overwrite), max_megapixels=args.max_megapixels)

    def load_engine():
        engine, description = engine_from_args(args)
        print(reasons.one_line_name(f"using {description}"), file=sys.stderr)  # --weights names a file
        prepare_int8(engine, lambda line: print(reasons.one_line_name(line), file=sys.stderr))
        return engine

    summary, seen, cancel = None, _BatchProgress(), threading.Event()
    finish = "name the photos not yet deblurred to finish"
    try:
        with ctrl_c_cancels(cancel):
            for event in iter_batch(job, load_engine, cancel=cancel, on_progress=_terminal_progress,
                                    check_model=lambda: check_weights_from_args(args)):
                _show_photo(event)
                seen.count(event)
                summary = event.summary or summary
    except JobError as error:
        _error(str(error))
        return EXIT_FAILED
    except KeyboardInterrupt:
        _clear_line()
        _error(seen.stopped_line(finish=finish))
        return EXIT_INTERRUPTED
    if summary.cancelled:
        _clear_line()
        _error(seen.stopped_line(finish=finish))
        return EXIT_INTERRUPTED
    return EXIT_FAILED if summary.failed else EXIT_OK


@contextlib.contextmanager
def ctrl_c_cancels(cancel: threading.Event):
    """The first Ctrl+C cancels the batch as the window's Cancel does: the pass under way stops, no other begins,
    and the photos the network had finished are written and reported (minutes of work each), so the "stopped" line
    counts every file written. A second Ctrl+C raises KeyboardInterrupt: stop at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def cancel_the_batch(_signum, _frame):
        cancel.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, cancel_the_batch)
    try:
        yield
    finally:  # None: a handler installed outside Python, which cannot be put back; Python's own then
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def _show_photo(event: BatchEvent) -> None:
    if event.kind == "failed":
        _clear_line()
        _error(event.reason)
    elif event.kind == "done":
        _clear_line()
        facts = event.facts
        print(f"{reasons.one_line_name(event.path)} -> {', '.join(reasons.one_line_name(p) for p in facts.outputs)} "
              f"({facts.width}x{facts.height}, {facts.seconds:.1f} s, {facts.tiles} tile(s))")
        for note in facts.notes:
            print(f"  note: {reasons.one_line_name(note)}", file=sys.stderr)


def prepare_int8(engine, say) -> None:
    """Do the first use's slow work now, having said so: quantise the int8 model (once per weights: 2 minutes
    for MIMO-UNet on 2 idle AVX2 cores, more on a busy machine) and time the paths `auto` may take on this CPU (once, seconds); silence there looks like a hang."""
    timing = engine.timing_pending
    if engine.int8_preparation_needed():
        from ..engine.openvino_backend import default_cache_dir

        say(f"preparing the int8 model for these weights (once): a few minutes on a laptop's CPU, then it is kept in "
            f"{default_cache_dir()}")
    elif timing:
        say("timing the paths that keep the picture on this CPU for these weights (once, seconds)")
    if engine.preparation_needed():
        engine.prepare()  # a failure falls back to float; its note comes with the first result
        if timing:
            say(f"running {engine.precision.name}: {engine.precision.reason}")


def _terminal_progress(event: BatchEvent) -> None:
    if sys.stderr.isatty():
        print(f"\r{reasons.one_line_name(event.path.name)}: {event.fraction:.0%}", end="", file=sys.stderr, flush=True)


def _clear_line() -> None:
    if sys.stderr.isatty():
        print("\r\033[K", end="", file=sys.stderr, flush=True)


def run_batch(args) -> int:
    problem = _batch_usage_problem(args)
    if problem:
        _error(problem)
        return EXIT_USAGE
    job = _batch_job(args)
    shown = _BatchProgress()

    def load_engine():
        engine, description = engine_from_args(args)
        shown.say(f"using {description}")
        prepare_int8(engine, shown.say)
        return engine

    summary, cancel = None, threading.Event()
    finish = ("run the same command again to finish (finished outputs are skipped)"
              if not (args.overwrite and not args.skip_existing) else
              "add --skip-existing to finish the rest without redoing them")
    try:
        remote = cluster_run(args, job.save, shown.say) if args.cluster else None
        with ctrl_c_cancels(cancel):
            for event in iter_batch(job, load_engine, cancel=cancel, remote=remote,
                                    check_model=lambda: check_weights_from_args(args)):
                shown(event)
                summary = event.summary or summary
    except JobError as error:
        shown.say(f"deblur-app: {error}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        shown.close()
        _error(shown.stopped_line(finish=finish))
        return EXIT_INTERRUPTED
    finally:
        shown.close()
    if summary.cancelled:
        _error(shown.stopped_line(finish=finish))
        return EXIT_INTERRUPTED
    return _batch_report(args, summary)


def _batch_usage_problem(args) -> str | None:
    """The options' one-line usage error, if any, found before anything is read."""
    problem = (validate_options(args) or validate_cluster_options(args) or (args.cluster and ray_missing())
               or _blur_filter_problem(args))
    if problem:
        return problem
    problem = input_folder_problem(args.input_dir)
    if problem:
        return str(problem)
    try:
        named = default_output(Path("x.png"), None, args.name)
    except NotAFileName as error:
        return f"--name {error}; it names the file written in the output folder"
    except (KeyError, IndexError, ValueError) as error:
        return f"--name {args.name!r}: unknown placeholder {error}; use {{stem}}, {{ext}} or {{name}}"
    try:  # an extension no photo's output can have ({stem} alone, {stem}.gif) fails every photo: said once, first
        output_format_for(named)
    except ImageFileError as error:
        return f"--name {args.name!r} gives {named.name!r}: {error.reason}"
    return None


def _batch_job(args) -> BatchJob:
    # existing outputs are skipped unless --overwrite (as in the window); --skip-existing wins over it
    skip, overwrite = existing_output_rule("replace" if args.overwrite and not args.skip_existing else "skip")
    job = BatchJob(args.input_dir, args.output_dir, args.recursive, args.name, skip_existing=skip,
                   save=_save_options(args, overwrite), max_megapixels=args.max_megapixels, min_blur=_min_blur(args))
    if args.log:  # the window's log; the terminal has the same lines already
        job.log_header = batch_log_header(job, _model_named(args), args.device)
    return job


_COUNTERS = {"skipped": "skipped", "done": "done", "failed": "failures"}


class _BatchProgress:
    """A batch's events on the terminal: a progress bar where stderr is one, else a line each."""

    def __init__(self) -> None:
        self.bar = None
        self.failures = 0
        self.total = self.done = self.skipped = 0

    def say(self, line: str) -> None:
        _say(self.bar, line)

    def count(self, event: BatchEvent) -> None:
        """Count the photo the event ends (for the line a Ctrl+C ends with)."""
        if event.kind == "start":
            self.total = event.total
        elif event.kind in ("skipped", "done", "failed"):
            setattr(self, _COUNTERS[event.kind], getattr(self, _COUNTERS[event.kind]) + 1)

    def __call__(self, event: BatchEvent) -> None:
        self.count(event)
        if event.kind == "start":
            self.bar = _progress_bar(event.total) if event.total else None
        elif event.kind == "left_out":
            _say(self.bar, f"left out {event.reason}", error=False)
        elif event.kind == "skipped":
            _advance(self.bar, f"skipped {reasons.about(event.path, event.reason)}")
        elif event.kind == "done":
            _advance(self.bar, f"{reasons.one_line_name(event.path)} -> {reasons.one_line_name(event.output)}")
        elif event.kind == "failed":
            if self.bar is not None:  # the bar shows done/total, the ETA and this
                self.bar.set_postfix(failed=self.failures, refresh=False)
            _advance(self.bar, f"FAILED {event.reason}", error=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def stopped_line(self, finish: str) -> str:
        """The one line a Ctrl+C ends the batch with: how far it got, and how to finish."""
        if not self.total:
            return "stopped (Ctrl+C) before any photo ran; nothing was written"
        seen = self.done + self.skipped + self.failures
        return (f"stopped (Ctrl+C) after {seen} of {self.total} photo(s) ({self.done} deblurred, {self.skipped} "
                f"skipped, {self.failures} failed); no half-written file is left: {finish}")


def _batch_report(args, summary) -> int:
    """The summary lines, and the exit code: 1 if a photo failed or there was none."""
    if not summary.total:
        _error(f"{args.input_dir}: no photos found" + ("" if args.recursive else " (use --recursive for sub-folders)")
               + (f"; {len(summary.left_out)} other file(s) left out, see above" if summary.left_out else ""))
        return EXIT_FAILED
    left_out = f", {len(summary.left_out)} left out (not photos to deblur, listed above)" if summary.left_out else ""
    print(f"{summary.done} deblurred, {summary.skipped} skipped, {len(summary.failed)} failed{left_out} "
          f"in {summary.seconds:.1f} s", file=sys.stderr)
    for _source, reason in summary.failed:
        print(f"  failed: {reasons.one_line_name(reason)}", file=sys.stderr)
    if summary.log_path:
        print(f"log: {reasons.one_line_name(summary.log_path)}", file=sys.stderr)
    return EXIT_FAILED if summary.failed else EXIT_OK


def _blur_filter_problem(args) -> str | None:
    if args.min_blur is not None and not 0 <= args.min_blur <= 100:
        return f"--min-blur must be a blur score from 0 to 100, not {args.min_blur:g}"
    return None


def _min_blur(args) -> float | None:
    """The blur score below which batch skips a photo: --min-blur, or the 'blurred' verdict's threshold."""
    if args.only_blurred:
        from ..triage import calibration

        return calibration().blurred_from
    return args.min_blur


def _model_named(args) -> str:
    """The network as the options name it, for the log's header (the model loads later, if at all)."""
    name = args.model or (f"weights {args.weights}" if args.weights else "default")
    return name + (" with self-ensemble" if args.ensemble else "")


def _say(bar, line: str, error: bool = True) -> None:
    """A message line that does not break the progress bar (its names' control characters escaped)."""
    line = reasons.one_line_name(line)
    if bar is not None:
        bar.write(line, file=sys.stderr)
    else:
        print(line, file=sys.stderr if error else sys.stdout, flush=True)


def _progress_bar(total: int):
    if not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="photo", file=sys.stderr)


def _advance(bar, line: str, error: bool = False) -> None:
    line = reasons.one_line_name(line)
    if bar is None:
        print(line, file=sys.stderr if error else sys.stdout, flush=True)
        return
    if error:
        bar.write(line, file=sys.stderr)
    bar.update(1)
