"""``deblur-app batch --cluster``: the options, and starting the run on a Ray cluster.

Kept free of Ray and torch at import time: the parser is built on every command;
``deblur_app.jobs.cluster`` (and Ray with it) is imported only when --cluster is given.
"""

from __future__ import annotations

import argparse
import importlib.util

from .. import reasons


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("cluster", 'run on a Ray cluster (needs pip install -e ".[cluster]")')
    group.add_argument("--cluster", metavar="ADDRESS",
                       help="the Ray cluster to run on: HOST:PORT, ray://HOST:10001, or 'local' for a private "
                            "Ray instance on this machine; the folders must be on storage every worker sees")
    group.add_argument("--workers", type=int, metavar="N",
                       help="workers in the pool (default: one per GPU where the cluster has GPUs, else one per machine)")
    group.add_argument("--gpus-per-worker", type=float, metavar="G",
                       help="GPUs each worker holds (default: 1 where the cluster has GPUs, else 0: CPU workers)")


def validate_cluster_options(args) -> str | None:
    """The one-line problem with the cluster options, if any (before Ray is even imported)."""
    if args.cluster is None:
        if args.workers is not None or args.gpus_per_worker is not None:
            return "--workers and --gpus-per-worker size a --cluster run; add --cluster ADDRESS (or --cluster local)"
        return None
    if args.workers is not None and args.workers < 1:
        return f"--workers must be 1 or more, not {args.workers}"
    if args.gpus_per_worker is not None and args.gpus_per_worker < 0:
        return f"--gpus-per-worker must be 0 (CPU workers) or more, not {args.gpus_per_worker:g}"
    return None


def ray_missing() -> str | None:
    """The one-line usage error for --cluster without the extra, if Ray is not installed."""
    if importlib.util.find_spec("ray") is None:
        return reasons.reason(reasons.RAY_NOT_INSTALLED)
    return None


def cluster_run(args, save, say):
    """The ``remote`` step of jobs.iter_batch for ``batch --cluster``: the checked photos deblurred by
    a pool of Ray workers. Connects (and loads the weights) only when there is a photo to deblur."""

    def run(plans, cancel):
        from ..jobs import cluster, model_name, open_checkpoint
        from .options import choices_from_args

        choices = choices_from_args(args)
        checkpoint = open_checkpoint(choices)  # loaded once here, sent to every worker
        with cluster.Cluster(args.cluster, args.workers, args.gpus_per_worker) as workers:
            cluster.check_shared_folders(args.input_dir, args.output_dir, plans[0].source)
            say(f"using {model_name(checkpoint, choices.ensemble)} on {workers.describe()}")
            yield from workers.deblur(plans, checkpoint, choices, save, args.max_megapixels, cancel)

    return run
