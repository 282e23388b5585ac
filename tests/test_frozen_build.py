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


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("DEBLUR_TEST_FROZEN") != "1", reason="set DEBLUR_TEST_FROZEN=1 to build and run the frozen app")
def test_the_debian_package_of_the_frozen_folder_installs_and_runs(tmp_path):
    """scripts/build_deb.sh on the folder the test above built: contents, measured Depends, --version."""
    import shutil

    from test_deb_package import build_deb, check_package

    if shutil.which("dpkg-deb") is None:
        pytest.skip("needs dpkg-deb (Debian, Ubuntu)")
    dist = REPO / "dist" / "deblur-app"
    assert (dist / "deblur-app").is_file(), "no frozen folder: the smoke test above did not build it"
    # uncompressed: the contents are what is checked, and xz on 1 GB takes minutes on 2 cores
    done, deb = build_deb(dist, tmp_path / "out", compression="none")
    assert done.returncode == 0 and deb is not None, done.stderr[-3000:]
    fields = check_package(deb, tmp_path / "scratch")
    depends = {entry.split()[0] for entry in fields["Depends"].split(", ")}
    # PyInstaller bundles the building machine's libraries except a few it never takes, libGL and
    # libEGL among them (they belong to the graphics driver): those are always measured dependencies
    assert {"libc6", "libegl1", "libgl1"} <= depends, depends
    assert "no Debian package known" not in done.stderr, done.stderr
