"""The standalone folder, built and run for real (scripts/smoke_frozen.sh).

Slow (a PyInstaller build: about 3-4 minutes on 2 cores, ~1 GB on disk) and needs PyInstaller
(pip install -e ".[build]"), so it runs only when DEBLUR_TEST_FROZEN=1. The cheap always-on
checks of the spec are in test_build_spec.py.
"""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("DEBLUR_TEST_FROZEN") != "1", reason="set DEBLUR_TEST_FROZEN=1 to build and run the frozen app")
def test_frozen_app_matches_source_and_opens_the_window():
    pytest.importorskip("PyInstaller")
    args = ["bash", str(REPO / "scripts" / "smoke_frozen.sh")]
    if os.environ.get("DEBLUR_TEST_FROZEN_NO_BUILD") == "1":
        args.append("--no-build")  # test an existing dist/deblur-app/
    result = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=1800)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-6000:]
    assert "smoke: all checks passed" in result.stdout
