"""No telemetry: preparing the int8 model (OpenVINO + NNCF) leaves nothing in the home folder.

Runs in a child process with a fresh HOME: NNCF turns its telemetry off by itself when pytest
is imported, and OpenVINO's is off when CI=true, so in-process checks would pass vacuously.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from deblur_app.engine.openvino_backend import openvino_available

REPO = Path(__file__).resolve().parent.parent

# what OpenVINO's telemetry creates under ~/intel: a client id, usage counters, a consent file
TELEMETRY_FILES = ("openvino_ga_cid", "stats", "openvino_telemetry")

PREPARE_INT8 = """
import sys
from pathlib import Path
import numpy as np
import torch
from deblur_app.engine import openvino_backend
from deblur_app.model.mimo_unet import build_model

calibration, cache = Path(sys.argv[1]), Path(sys.argv[2])
crops = np.random.default_rng(0).integers(0, 256, (4, 64, 64, 3), dtype=np.uint8)
np.savez_compressed(calibration, crops=crops)
torch.manual_seed(0)
model = build_model("mimo-unet").eval()
runner = openvino_backend.OpenVinoRunner(model, torch.float32, cache_dir=cache,
                                         int8=openvino_backend.Int8Plan(calibration))
outputs = runner(torch.rand(1, 3, 64, 64))
print("int8 ran", tuple(outputs[-1].shape), "pytest" in sys.modules)
"""


def child_environment(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("CI", "TF_BUILD", "JENKINS_URL", "NNCF_CI", "NNCF_DEV") and not k.startswith("PYTEST")}
    return {**env, "HOME": str(home), "USERPROFILE": str(home), "PYTHONPATH": str(REPO)}


def telemetry_traces(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if p.name in TELEMETRY_FILES or p.name == "intel")


@pytest.mark.slow
@pytest.mark.skipif(not openvino_available(), reason="OpenVINO not installed")
def test_preparing_the_int8_model_writes_no_telemetry_files(tmp_path):
    pytest.importorskip("nncf")
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", PREPARE_INT8, str(tmp_path / "calibration.npz"), str(tmp_path / "cache")],
        env=child_environment(home), capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    # really quantised, NNCF saw no pytest, and its progress bar ("Statistics collection ━━ 100%") stayed out
    assert done.stdout.splitlines() == ["int8 ran (1, 3, 64, 64) False"], done.stdout
    assert list((tmp_path / "cache").glob("mimo-unet-int8-*.xml"))
    assert telemetry_traces(home) == []


@pytest.mark.parametrize("entry", ["deblur_app", "deblur_app.cli.main", "deblur_app.jobs.cluster", "deblur_app.cli.startup"])
def test_every_entry_point_blocks_telemetry_before_openvino_loads(tmp_path, entry):
    """The window and CLI (cli.main, startup: also the frozen build's), and Ray workers (cluster) import these first."""
    home = tmp_path / "home"
    home.mkdir()
    code = (f"import {entry}, importlib, os, sys\n"
            "assert sys.modules['openvino_telemetry'] is None\n"
            "assert os.environ['RAY_USAGE_STATS_ENABLED'] == '0'\n"
            "print('blocked')\n")
    env = child_environment(home)
    env.pop("RAY_USAGE_STATS_ENABLED", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "blocked" in done.stdout, done.stderr[-2000:]
    assert telemetry_traces(home) == []
