"""deblur-app scan DIR: every photo's blur score and verdict, as CSV (and JSON), with a summary.

The CSV contract: a header ``path,blur_score,verdict``, one row per photo that could be
read; ``blur_score`` from 0 to 100 (higher = blurrier), ``verdict`` one of ``sharp``,
``slightly blurred``, ``blurred``. Photos that cannot be read get no row and are named in
the summary with the reason; the exit code is batch's (1 when any failed).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

from .. import reasons
from ..jobs import input_folder_problem
from .cluster import add_cluster_options, ray_missing, validate_cluster_options
from . import reports
from .options import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, error, megapixels


def add_scan_parser(commands) -> None:
    scan = commands.add_parser("scan", help="score how blurred every photo of a folder is (no model needed)")
    scan.add_argument("input_dir", type=Path, metavar="DIR")
    scan.add_argument("--recursive", action="store_true", help="include sub-folders")
    scan.add_argument("--csv", type=Path, metavar="FILE", help="write the rows to FILE (default or -: print them)")
    scan.add_argument("--json", type=Path, metavar="FILE", help="also write rows, failures and counts as JSON")
    scan.add_argument("--sort", action="store_true", help="blurriest first (default: by path)")
    scan.add_argument("--processes", type=int, metavar="N", help="local worker processes (default: one per core)")
    scan.add_argument("--max-megapixels", type=megapixels, default=None, metavar="MP",
                      help="refuse larger photos (decompression-bomb guard; default 200; 0: no limit)")
    add_cluster_options(scan)


def _usage_problem(args) -> str | None:
    if args.gpus_per_worker:
        return "scan runs on CPUs: --gpus-per-worker does not apply"
    problem = validate_cluster_options(args) or (args.cluster and ray_missing())
    if problem:
        return problem
    if args.processes is not None and args.processes < 1:
        return f"--processes must be 1 or more, not {args.processes}"
    problem = input_folder_problem(args.input_dir)
    if problem:
        return str(problem)
    for option, target in (("--csv", args.csv), ("--json", args.json)):
        # a report's one policy (cli.reports): never a folder, a photo below the scanned folder (recursive or not)
        # nor a link to one; '-', a pipe or /dev/stdout is written into
        problem = reports.report_problem(option, target, [args.input_dir])
        if problem:
            return problem
    return None


def run_scan(args) -> int:
    problem = _usage_problem(args)
    if problem:
        error(problem)
        return EXIT_USAGE
    from ..jobs.scan import ScanJob, iter_scan

    job = ScanJob(args.input_dir, args.recursive, args.max_megapixels, args.processes)
    rows, summary, bar, total, ended = [], None, None, 0, 0
    try:
        with _remote(args) as remote:
            for event in iter_scan(job, remote=remote):
                ended += event.kind in ("scored", "failed")
                if event.kind == "start":
                    total = event.total
                    bar = _progress_bar(event.total)
                elif event.kind == "scored":
                    rows.append(event.row)
                    _advance(bar)
                elif event.kind == "failed":
                    _advance(bar, f"FAILED {event.reason}")
                elif event.kind == "end":
                    summary = event.summary
    except KeyboardInterrupt:  # the rows and reports are written at the end: nothing of this scan was
        if bar is not None:
            bar.close()
            bar = None
        error(f"stopped (Ctrl+C) after {ended} of {total} photo(s); no rows or report written")
        return EXIT_INTERRUPTED
    except Exception as problem:  # the cluster could not start or went away
        error(" ".join(str(problem).split()))
        return EXIT_FAILED
    finally:
        if bar is not None:
            bar.close()
    rows.sort(key=(lambda r: (-r.blur_score, str(r.path))) if args.sort else (lambda r: str(r.path)))
    try:
        _write_reports(args, rows, summary)
    except OSError as problem:  # the folder was checked first; a full disk is found only now
        error(f"{problem.filename or args.csv or args.json}: cannot write the report ({problem.strerror or problem})")
        return EXIT_FAILED
    _print_summary(args, summary)
    if summary.total == 0:
        return EXIT_FAILED
    return EXIT_FAILED if summary.failed else EXIT_OK


class _remote:
    """The cluster's scan for --cluster (connected on entry, closed on exit), else None."""

    def __init__(self, args) -> None:
        self.args, self.cluster = args, None

    def __enter__(self):
        if not self.args.cluster:
            return None
        from ..jobs import cluster

        self.cluster = cluster.Cluster(self.args.cluster, self.args.workers, 0)
        print(f"scanning on {self.cluster.describe()}", file=sys.stderr)
        cluster.check_shared_folders(self.args.input_dir, self.args.input_dir, self.args.input_dir)
        return lambda paths: cluster.scan_on(self.cluster, paths, self.args.max_megapixels, self.args.workers)

    def __exit__(self, *exc) -> None:
        if self.cluster is not None:
            self.cluster.close()


def csv_text(rows, for_terminal: bool = False) -> str:
    """The report as CSV: each path as it is (a script reads it back), or, for a terminal, with its control
    characters escaped (reasons.one_line_name), which the terminal would otherwise run ("x\x1b[2J.jpg")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["path", "blur_score", "verdict"])
    for row in rows:
        path = reasons.one_line_name(row.path) if for_terminal else str(row.path)
        writer.writerow([path, f"{row.blur_score:.1f}", row.verdict])
    return out.getvalue()


def _write_reports(args, rows, summary) -> None:
    if args.csv is None or reports.is_standard_output(args.csv):
        sys.stdout.write(csv_text(rows, for_terminal=sys.stdout.isatty()))
    else:
        reports.write_report(args.csv, csv_text(rows))
    if args.json is not None:
        reports.write_report(args.json, json.dumps({
            "photos": [{"path": str(r.path), "blur_score": r.blur_score, "verdict": r.verdict} for r in rows],
            "failed": [{"path": str(path), "reason": reason} for path, reason in summary.failed],
            "ignored": [{"path": str(path), "reason": reason} for path, reason in summary.ignored],
            "counts": summary.counts,
        }, indent=1, ensure_ascii=False) + "\n")


def _print_summary(args, summary) -> None:
    if summary.total == 0:
        error(f"{args.input_dir}: no photos found" + ("" if args.recursive else " (use --recursive for sub-folders)"))
    counts = ", ".join(f"{count} {verdict}" for verdict, count in summary.counts.items())
    print(f"{summary.total} photo(s) scanned in {summary.seconds:.1f} s: {counts}, {len(summary.failed)} unreadable",
          file=sys.stderr)
    for _path, reason in summary.failed:
        print(f"  unreadable: {reasons.one_line_name(reason)}", file=sys.stderr)
    for _path, reason in summary.ignored:  # every file not scored is named with the reason
        print(f"  not scored: {reasons.one_line_name(reason)}", file=sys.stderr)


def _progress_bar(total: int):
    if not sys.stderr.isatty() or not total:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="photo", file=sys.stderr)  # done/total, rate and ETA


def _advance(bar, line: str = "") -> None:
    line = reasons.one_line_name(line)  # a name's control characters escaped, whatever made the line
    if bar is None:
        if line:
            print(line, file=sys.stderr, flush=True)
        return
    if line:
        bar.write(line, file=sys.stderr)
    bar.update(1)
