"""The Debian package (scripts/build_deb.sh), built from a tiny stand-in for the standalone folder.

The package of the real frozen folder is checked by tests/test_frozen_build.py (DEBLUR_TEST_FROZEN=1),
with the same check_package() below.
"""

from __future__ import annotations

import ctypes.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import deblur_app

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "build_deb.sh"
APP_ID = "io.github.deblur_app.Deblur"
ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)

pytestmark = pytest.mark.skipif(shutil.which("dpkg-deb") is None or shutil.which("ldd") is None,
                                reason="needs dpkg-deb and ldd (Debian, Ubuntu)")


def build_deb(dist: Path, out: Path, compression: str = "zstd") -> tuple[subprocess.CompletedProcess, Path | None]:
    env = {**os.environ, "DEB_COMPRESSION": compression}
    done = subprocess.run(["bash", str(SCRIPT), "--dist", str(dist), "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=1800)
    debs = sorted(out.glob("*.deb")) if out.is_dir() else []
    return done, (debs[0] if debs else None)


def control_fields(deb: Path) -> dict[str, str]:
    info = subprocess.run(["dpkg-deb", "--field", str(deb)], capture_output=True, text=True, check=True).stdout
    return dict(re.findall(r"^(\S+): (.*)$", info, flags=re.MULTILINE))


def check_package(deb: Path, scratch: Path) -> dict[str, str]:
    """What every deblur-app .deb must hold; returns its control fields. Installs it into ``scratch``."""
    fields = control_fields(deb)
    assert fields["Package"] == "deblur-app" and fields["Version"] == deblur_app.__version__
    assert re.match(r"libc6 \(>= 2\.\d+\)", fields["Depends"]), fields["Depends"]
    assert int(fields["Installed-Size"]) > 0
    info = subprocess.run(["dpkg-deb", "--info", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "Description: remove camera shake" in info
    listing = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True, text=True, check=True).stdout
    entries = {line.split()[5].removeprefix("."): line for line in listing.splitlines()}
    assert "/opt/deblur-app/deblur-app" in entries
    assert entries["/usr/bin/deblur-app"].endswith("/usr/bin/deblur-app -> ../../opt/deblur-app/deblur-app")
    expected = [f"/usr/share/applications/{APP_ID}.desktop", f"/usr/share/metainfo/{APP_ID}.metainfo.xml",
                f"/usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg", "/usr/share/doc/deblur-app/copyright",
                *(f"/usr/share/icons/hicolor/{n}x{n}/apps/{APP_ID}.png" for n in ICON_SIZES)]
    for path in expected:
        assert path in entries, path
    assert all(" root/root " in line for line in listing.splitlines())
    subprocess.run(["dpkg", "-x", str(deb), str(scratch)], check=True)
    version = subprocess.run([str(scratch / "usr" / "bin" / "deblur-app"), "--version"], capture_output=True,
                             text=True, timeout=600, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert version.returncode == 0 and version.stdout.strip() == f"deblur-app {deblur_app.__version__}", version
    installed = scratch / "usr" / "share" / "applications" / f"{APP_ID}.desktop"
    assert installed.read_bytes() == (REPO / "resources" / "linux" / f"{APP_ID}.desktop").read_bytes()
    if shutil.which("appstreamcli"):
        # the installed tree as a software centre reads it: the metainfo finds its desktop entry
        tree = subprocess.run(["appstreamcli", "validate-tree", "--no-net", "--no-color", str(scratch)],
                              capture_output=True, text=True, timeout=120)
        assert tree.returncode == 0, tree.stdout + tree.stderr
    return fields


@pytest.fixture
def fake_dist(tmp_path) -> Path:
    """A folder shaped like dist/deblur-app/: the executable and, in _internal/, one real system library
    (fontconfig), so the measured Depends has something to find."""
    fontconfig = ctypes.util.find_library("fontconfig")
    found = [Path(folder) / fontconfig for folder in ("/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu",
                                                      "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib")
             if fontconfig and (Path(folder) / fontconfig).is_file()]
    if not found:
        pytest.skip("libfontconfig1 is not installed")
    folder = tmp_path / "dist" / "deblur-app"
    (folder / "_internal").mkdir(parents=True)
    shutil.copy2(found[0], folder / "_internal" / found[0].name)
    app = folder / "deblur-app"
    app.write_text(f'#!/bin/sh\n[ "$1" = --version ] && echo "deblur-app {deblur_app.__version__}"\n')
    app.chmod(0o755)
    return folder


def test_the_package_of_a_folder_installs_and_runs_with_measured_depends(fake_dist, tmp_path):
    done, deb = build_deb(fake_dist, tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert deb is not None and deb.name == f"deblur-app_{deblur_app.__version__}_{control_fields(deb)['Architecture']}.deb"
    fields = check_package(deb, tmp_path / "scratch")
    depends = [entry.split()[0] for entry in fields["Depends"].split(", ")]
    # fontconfig's own libraries are outside the folder: dependencies; fontconfig itself is bundled: not one
    assert "libfreetype6" in depends and "libexpat1" in depends
    assert "libfontconfig1" not in depends
    measured = deb.with_name(deb.name.removesuffix(".deb") + ".depends.txt").read_text()
    assert measured.startswith(f"Depends: {fields['Depends']}\n") and "libfreetype.so.6" in measured


def test_no_folder_is_one_clear_line(tmp_path):
    done, deb = build_deb(tmp_path / "nothing-here", tmp_path / "out")
    assert done.returncode != 0 and deb is None
    assert done.stderr.strip().startswith("build_deb.sh:"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
