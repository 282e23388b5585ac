"""Jobs: what the command line, the window and the cluster ask of the engine, in files.

- ``spec``: what a job is (SaveOptions, BatchJob, BatchEvent, BatchSummary, BatchLog); no torch.
- ``naming``: where results go (output names, planned outputs); no torch.
- ``run``: the per-photo step (``deblur_file``), whole folders (``iter_batch``), the checks
  done before slow work, and opening a model and an engine (``open_engine``, the one way to open one).
- ``cluster``: the same batch on Ray workers (imported only for --cluster).

The front ends import from this package. ``spec`` and ``naming`` are imported eagerly; the
names of ``run`` load on first use (PEP 562), so that a window that only describes a job or
names an output does not import torch before a model is needed.
"""

from __future__ import annotations

from .naming import (DEFAULT_NAME, BatchCandidates, NotAFileName, PlannedOutput, batch_candidates, batch_pairs,
                     default_batch_output, default_output, input_folder_problem, output_name, output_refusal, own_earlier_outputs, plan_outputs, scale_paths)
from .spec import (EXISTING_OUTPUT_RULES, BatchEvent, BatchJob, BatchLog, BatchSummary, EngineChoices, PhotoFacts,
                   SaveOptions, batch_log_header, existing_output_rule)

# names of jobs.run, loaded on first use (see the docstring)
_RUN_NAMES = frozenset({
    "JobError", "ModelChoice", "parse_model", "load_model", "make_engine", "open_checkpoint", "engine_options",
    "OpenedEngine", "model_name", "open_engine", "FileResult", "deblur_file", "deblur_planned",
    "save_result", "input_problem", "prepare_output_folder", "folder_problem", "output_problem",
    "check_outputs", "iter_batch", "one_line_reason", "check_weights",
})


def __getattr__(name: str):
    if name in _RUN_NAMES:
        from . import run

        return getattr(run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _RUN_NAMES)
