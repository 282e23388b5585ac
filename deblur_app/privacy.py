"""No usage telemetry from the libraries the app loads: nothing leaves the machine, nothing is written about it.

Run once, when the deblur_app package is imported (deblur_app/__init__.py), so it comes
before OpenVINO, NNCF or Ray in every process that runs the app's code: the window, the
command line, the frozen executables (whose entry script imports the package first),
multiprocessing children and Ray workers (which import deblur_app.jobs.cluster to run a task).

- OpenVINO (its model converter, imported with ``openvino``) and NNCF send usage data
  through the ``openvino_telemetry`` package, and on import create ~/intel/openvino_ga_cid
  (a client id) and ~/intel/stats, without asking. The documented opt-out,
  ``opt_in_out --opt_out``, writes the user's global consent file (~/intel/openvino_telemetry),
  a choice for every OpenVINO tool on the machine that is not ours to make. Both libraries
  import the package in ``try: ... except ImportError`` and fall back to their own stubs
  ("openvino_telemetry package not found. No telemetry will be sent."), so the package is
  made unimportable in this process instead; build.spec leaves it out of the frozen build.
- Ray's usage statistics (on by default for clusters ray.init starts) are off through
  RAY_USAGE_STATS_ENABLED=0, its documented switch; an explicit setting by the user stays.
"""

from __future__ import annotations

import os
import sys

TELEMETRY_PACKAGES = ("openvino_telemetry",)
RAY_USAGE_STATS = "RAY_USAGE_STATS_ENABLED"


def turn_off_telemetry() -> None:
    for name in TELEMETRY_PACKAGES:
        sys.modules.setdefault(name, None)  # `import name` now raises ImportError
    os.environ.setdefault(RAY_USAGE_STATS, "0")  # inherited by the Ray processes ray.init starts
