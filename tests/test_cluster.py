"""batch --cluster: the local batch's results from a pool of Ray workers (a small local Ray instance).

The instance has 2 CPUs and a small object store, and listens on loopback only; the
photos are tiny and the weights are the deterministic conformance weights.
"""

import importlib.util
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from deblur_app import imagefiles
from deblur_app.cli.main import main

MODEL = ["--precision", "fp32", "--device", "cpu"]


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    """A Ray instance for the module; its workers die on the photos named in DEBLUR_TEST_WORKER_EXIT."""
    if importlib.util.find_spec("ray") is None and not os.environ.get("CI"):
        pytest.skip('needs the cluster extra: pip install -e ".[cluster]" (CI installs it)')
    import ray

    from deblur_app.jobs.cluster import WORKER_CTRL_C_VARIABLE, WORKER_DISK_FULL_VARIABLE, WORKER_EXIT_VARIABLE

    died_once = tmp_path_factory.mktemp("worker-exits") / "died-once"
    # Set before Ray starts: the workers inherit the environment of the instance.
    os.environ[WORKER_EXIT_VARIABLE] = f"dies-once.png:{died_once};dies-always.png:"
    os.environ[WORKER_DISK_FULL_VARIABLE] = "a-disk-full.png"
    os.environ[WORKER_CTRL_C_VARIABLE] = f"a-ctrl-c.png:{os.getpid()}"  # this process is the driver
    ray.init(num_cpus=2, object_store_memory=128 * 1024**2, include_dashboard=False,
             log_to_driver=False, logging_level=logging.WARNING)
    try:
        yield died_once
    finally:
        ray.shutdown()
        del os.environ[WORKER_EXIT_VARIABLE], os.environ[WORKER_DISK_FULL_VARIABLE], os.environ[WORKER_CTRL_C_VARIABLE]


def make_photos(folder: Path, extra: tuple[str, ...] = (), count: int = 0) -> None:
    """A few small photos of different kinds (EXIF JPEG, 16-bit PNG in a sub-folder), one unreadable."""
    rng = np.random.default_rng(7)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sub").mkdir(exist_ok=True)
    imagefiles.save_image(folder / "a.png", rng.random((40, 56, 3)).astype(np.float32))
    exif = Image.Exif()
    exif[0x010F] = "deblur_app test camera"
    Image.fromarray((rng.random((48, 40, 3)) * 255).astype(np.uint8)).save(folder / "b.jpg", exif=exif.tobytes())
    imagefiles.save_image(folder / "sub" / "c.png", (rng.random((36, 44, 3)) * 65535).astype(np.uint16))
    (folder / "bad.png").write_bytes(b"this is not a PNG")
    for name in extra + tuple(f"n{i:02d}.png" for i in range(count)):
        imagefiles.save_image(folder / name, rng.random((40, 48, 3)).astype(np.float32))


def files_in(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too: a left-over temporary would show), by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def batch(source: Path, target: Path, weights: Path, *options: str) -> int:
    return main(["batch", str(source), str(target), "--recursive", "--weights", str(weights), *MODEL, *options])


def test_cluster_outputs_equal_the_local_batch_and_name_the_bad_file(local_ray, published_checkpoint, tmp_path, capsys):
    make_photos(tmp_path / "in")
    assert batch(tmp_path / "in", tmp_path / "here", published_checkpoint) == 1
    capsys.readouterr()

    code = batch(tmp_path / "in", tmp_path / "cluster", published_checkpoint, "--cluster", "local", "--workers", "2")

    out, err = capsys.readouterr()
    assert code == 1
    expected = files_in(tmp_path / "here")
    assert set(expected) == {"a_deblurred.png", "b_deblurred.jpg", "sub/c_deblurred.png"}
    assert files_in(tmp_path / "cluster") == expected  # byte for byte: pixels, EXIF, 16 bits
    assert "2 worker(s)" in err
    failed = [line for line in err.splitlines() if line.startswith("  failed:")]
    assert len(failed) == 1 and "bad.png" in failed[0]
    assert "3 deblurred, 0 skipped, 1 failed" in err
    assert files_in(tmp_path / "in").keys() == {"a.png", "b.jpg", "sub/c.png", "bad.png"}  # inputs untouched


def test_a_worker_killed_once_still_yields_every_output(local_ray, published_checkpoint, tmp_path, capsys):
    make_photos(tmp_path / "in", extra=("dies-once.png",))
    (tmp_path / "in" / "bad.png").unlink()
    assert batch(tmp_path / "in", tmp_path / "here", published_checkpoint) == 0
    capsys.readouterr()

    code = batch(tmp_path / "in", tmp_path / "cluster", published_checkpoint, "--cluster", "local", "--workers", "2")

    assert local_ray.exists(), "no worker died: the test hook did not fire"
    assert code == 0, capsys.readouterr().err
    assert files_in(tmp_path / "cluster") == files_in(tmp_path / "here")  # all there, identical, no partial file


def test_a_photo_that_kills_every_worker_is_reported_not_retried_for_ever(local_ray, published_checkpoint, tmp_path, capsys):
    from deblur_app.jobs.cluster import MAX_ATTEMPTS

    make_photos(tmp_path / "in", extra=("dies-always.png",))
    (tmp_path / "in" / "bad.png").unlink()

    code = batch(tmp_path / "in", tmp_path / "cluster", published_checkpoint, "--cluster", "local", "--workers", "1")

    err = capsys.readouterr().err
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("  failed:")]
    assert len(failed) == 1 and "dies-always.png" in failed[0] and f"{MAX_ATTEMPTS} workers died" in failed[0]
    assert set(files_in(tmp_path / "cluster")) == {"a_deblurred.png", "b_deblurred.jpg", "sub/c_deblurred.png"}


def test_skip_existing_after_the_driver_was_killed_does_only_the_rest(local_ray, published_checkpoint, tmp_path, capsys):
    make_photos(tmp_path / "in", count=10)
    (tmp_path / "in" / "bad.png").unlink()
    out = tmp_path / "cluster"
    command = [sys.executable, "-m", "deblur_app", "batch", str(tmp_path / "in"), str(out), "--recursive",
               "--weights", str(published_checkpoint), *MODEL, "--cluster", "local", "--workers", "1"]
    driver = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while not list(out.rglob("*_deblurred.*")) and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert driver.poll() is None, f"the run ended before it could be killed: {driver.stderr.read().decode()[-2000:]}"
    finally:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait()
        _end_session(driver.pid)  # the driver's private Ray instance, so that nothing writes any more
    before = {p: p.stat().st_ino for p in out.rglob("*_deblurred.*")}
    assert 1 <= len(before) < 13, sorted(p.name for p in before)

    code = batch(tmp_path / "in", out, published_checkpoint, "--cluster", "local", "--workers", "2", "--skip-existing")

    err = capsys.readouterr().err
    assert code == 0, err
    assert f"{13 - len(before)} deblurred, {len(before)} skipped, 0 failed" in err
    assert all(p.stat().st_ino == inode for p, inode in before.items()), err  # not written again
    assert batch(tmp_path / "in", tmp_path / "here", published_checkpoint) == 0
    assert files_in(out) == files_in(tmp_path / "here"), err  # and no temporary left by the killed run


def _end_session(session: int) -> None:
    """Kill what is left of the processes of ``session`` (started by this test), by process id."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        members = []
        for entry in os.listdir("/proc"):
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                if entry.isdigit() and int(stat.rsplit(")", 1)[1].split()[3]) == session:
                    members.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
        if not members:
            return
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.2)


def test_a_full_output_disk_stops_the_cluster_s_network_as_it_stops_the_local_batch(local_ray, published_checkpoint,
                                                                                    tmp_path, capsys):
    """The local batch stops at the first write that finds the disk full (the rest: "not deblurred: the output
    folder's disk is full"); a cluster batch ran the network on every photo and failed each write. Its workers
    share the local batch's decision (jobs.pipeline.disk_full, jobs.run.not_run_for_full_disk): after the first
    such failure no worker runs the network again, and each photo not begun is reported as not run."""
    make_photos(tmp_path / "in", extra=("a-disk-full.png",), count=6)  # first in order
    (tmp_path / "in" / "bad.png").unlink()

    code = batch(tmp_path / "in", tmp_path / "cluster", published_checkpoint, "--cluster", "local", "--workers", "1")

    err = capsys.readouterr().err
    assert code == 1
    failed = [line for line in err.splitlines() if line.startswith("  failed:")]
    full = [line for line in failed if "a-disk-full.png" in line]
    not_run = [line for line in failed if "not deblurred: the output folder's disk is full" in line]
    assert len(full) == 1 and "No space left on device" in full[0], err
    written = list((tmp_path / "cluster").rglob("*_deblurred.*"))
    assert len(not_run) >= 5 and len(written) + len(failed) == 10, err  # every photo after it: not run
    assert not [p for p in (tmp_path / "cluster").rglob(".*") if p.is_file()], "no temporary left"


def test_ctrl_c_in_a_cluster_batch_runs_nothing_more_and_counts_every_file_written(local_ray, published_checkpoint,
                                                                                 tmp_path, capsys):
    """A cluster batch stopped at Ctrl+C as the driver's generator closed: workers went on with their photo (or were
    killed mid-write with the private instance) and files appeared that no count included. The first Ctrl+C cancels
    as the local batch does: no worker begins a network run, the photos written come back and are counted, and the
    "stopped" line's count is the folder's. A worker sends the Ctrl+C in the middle of a-ctrl-c.png, first in order,
    and waits for the cancel to reach it, so no timing is involved."""
    make_photos(tmp_path / "in", extra=("a-ctrl-c.png",), count=6)
    (tmp_path / "in" / "bad.png").unlink()

    code = batch(tmp_path / "in", tmp_path / "cluster", published_checkpoint, "--cluster", "local", "--workers", "1")

    err = capsys.readouterr().err
    assert code == 130, err
    said = [line for line in err.splitlines() if "stopped (Ctrl+C)" in line]
    written = sorted(p.name for p in (tmp_path / "cluster").rglob("*") if p.is_file())
    assert all(name.endswith("_deblurred.png") or name.endswith("_deblurred.jpg") for name in written), written
    assert len(said) == 1 and f"({len(written)} deblurred, 0 skipped, 0 failed)" in said[0], (said, written)
    assert written in ([], ["a-ctrl-c_deblurred.png"]), "a photo after the cancel ran"


def test_a_worker_that_cannot_start_stops_the_run_with_one_line(local_ray, published_checkpoint, tmp_path, capsys):
    import torch

    missing = "cuda" if not torch.cuda.is_available() else "mps"
    make_photos(tmp_path / "in")

    code = main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--weights", str(published_checkpoint),
                 "--device", missing, "--cluster", "local", "--workers", "1"])

    err = capsys.readouterr().err
    assert code == 1
    assert [line for line in err.splitlines() if line.startswith("deblur-app:")] == [
        line for line in err.splitlines() if "cannot start" in line]
    assert f"deblur-app: a worker on " in err and "cannot start:" in err and "Traceback" not in err
    assert files_in(tmp_path / "out") == {}


def test_the_pool_is_sized_from_the_cluster(local_ray):
    from deblur_app.jobs.cluster import ClusterError, plan_pool

    one = plan_pool(None, None)  # no GPUs: one CPU worker per machine, with all its cores
    assert (one.workers, one.gpus_per_worker, one.cpus_per_worker) == (1, 0, 2)
    two = plan_pool(2, None)
    assert (two.workers, two.cpus_per_worker) == (2, 1)
    with pytest.raises(ClusterError, match="more GPUs than the cluster has"):
        plan_pool(None, 1)
    with pytest.raises(ClusterError, match="3 workers need a CPU core each; the cluster has 2"):
        plan_pool(3, None)  # a pool Ray would wait for for ever


def test_a_worker_that_cannot_see_the_photos_stops_the_run_with_one_line(local_ray, tmp_path):
    from deblur_app.jobs.cluster import ClusterError, check_shared_folders

    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    check_shared_folders(tmp_path / "in", tmp_path / "out", tmp_path / "in")
    with pytest.raises(ClusterError, match=r"worker \S+ cannot see the input folder .*in; put the photos on storage") as seen:
        check_shared_folders(tmp_path / "in", tmp_path / "out", tmp_path / "in" / "only-on-the-driver.png")
    assert "\n" not in str(seen.value)
    with pytest.raises(ClusterError, match="cannot see the output folder"):
        check_shared_folders(tmp_path / "in", tmp_path / "elsewhere", tmp_path / "in")


def test_without_ray_cluster_is_a_one_line_usage_error(monkeypatch, tmp_path, capsys):
    make_photos(tmp_path / "in")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if the extra were not installed

    assert main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--cluster", "local"]) == 2

    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['deblur-app: --cluster needs Ray, which is not installed; pip install -e ".[cluster]" adds it']
    assert not (tmp_path / "out").exists()


def test_pool_options_need_cluster(tmp_path, capsys):
    make_photos(tmp_path / "in")
    assert main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--workers", "2"]) == 2
    assert "add --cluster ADDRESS" in capsys.readouterr().err
    assert main(["batch", str(tmp_path / "in"), str(tmp_path / "out"), "--cluster", "local", "--workers", "0"]) == 2
    assert "--workers must be 1 or more" in capsys.readouterr().err


def test_temporaries_of_a_writer_killed_mid_write_are_removed(tmp_path):
    from deblur_app.imagefiles.writing import _atomic_write

    target = tmp_path / "photo_deblurred.png"
    child = os.fork()
    if child == 0:  # a writer killed in the middle of its write
        _atomic_write(target, lambda handle: (handle.write(b"half a PNG"), os._exit(9)), overwrite=False)
        os._exit(0)
    assert os.waitpid(child, 0)[1] >> 8 == 9
    (tmp_path / "other.png").write_bytes(b"kept")
    (tmp_path / ".other.png.tmp-1234").write_bytes(b"someone else's")
    orphans = [p.name for p in tmp_path.iterdir() if p.name.startswith(".photo_deblurred.png.tmp-")]
    assert len(orphans) == 1 and not target.exists()

    assert imagefiles.remove_orphaned_temporaries([target]) == 1

    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.png.tmp-1234", "other.png"]


def test_a_cluster_scan_gives_the_local_scan_rows(local_ray, tmp_path, capsys):
    from deblur_app.training.blur_labels import disc_kernel
    from test_blur_score import blurred, scene

    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    sharp = scene(200, 300, seed=1)
    imagefiles.save_image(folder / "sharp.png", sharp.astype(np.float32) / 255)
    imagefiles.save_image(folder / "sub" / "soft.png", blurred(sharp, disc_kernel(5)).astype(np.float32) / 255)
    (folder / "bad.png").write_bytes(b"not a png")
    assert main(["scan", str(folder), "--recursive", "--csv", str(tmp_path / "here.csv")]) == 1
    capsys.readouterr()

    code = main(["scan", str(folder), "--recursive", "--csv", str(tmp_path / "cluster.csv"), "--cluster", "local"])

    err = capsys.readouterr().err
    assert code == 1
    assert (tmp_path / "cluster.csv").read_text() == (tmp_path / "here.csv").read_text()
    assert "sharp.png" in (tmp_path / "cluster.csv").read_text() and "bad.png" not in (tmp_path / "cluster.csv").read_text()
    assert f"unreadable: {folder / 'bad.png'}" in err and "scanning on" in err


# A line of Ray's own log format, "[2026-12-06 05:43:54,306 E 17759 17759] core_worker.cc:2465: ...".
RAY_LOG_LINE = r"^\[\d{4}-\d\d-\d\d [\d:,]+ [A-Z] \d+ \d+\] "


def test_a_successful_cluster_run_says_only_its_own_lines_on_stderr(published_checkpoint, tmp_path):
    """Ray's C++ core printed an ERROR line (ray-project/ray#53727, about Ray Data's restartable
    workers) on every successful run; silencing it by its log level made it print an INFO line
    instead. A new process, as a user runs it: the driver starts its own private Ray instance."""
    if importlib.util.find_spec("ray") is None and not os.environ.get("CI"):
        pytest.skip('needs the cluster extra: pip install -e ".[cluster]" (CI installs it)')
    import re

    make_photos(tmp_path / "in")
    (tmp_path / "in" / "bad.png").unlink()
    environment = {k: v for k, v in os.environ.items() if k != "RAY_BACKEND_LOG_LEVEL"}
    command = [sys.executable, "-m", "deblur_app", "batch", str(tmp_path / "in"), str(tmp_path / "out"),
               "--recursive", "--weights", str(published_checkpoint), *MODEL, "--cluster", "local", "--workers", "1"]

    run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)

    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert not [line for line in lines if re.match(RAY_LOG_LINE, line) or "ERROR" in line.upper()], run.stderr
    assert len(lines) == 2 and lines[0].startswith("using MIMO-UNet") and "3 deblurred, 0 skipped, 0 failed" in lines[1], run.stderr
    assert "RAY_BACKEND_LOG_LEVEL" not in environment and len(list((tmp_path / "out").rglob("*_deblurred.*"))) == 3


class _Finished:
    """What _finished_photos reads of a Ray dataset: its batches of rows (numpy columns)."""

    def __init__(self, *batches: dict) -> None:
        self.batches = batches

    def iter_batches(self, **_options):
        return iter(self.batches)


def test_each_finished_photo_comes_back_with_its_reason_and_a_worker_that_cannot_start_stops_the_run():
    from deblur_app import reasons
    from deblur_app.jobs.cluster import ClusterError, _finished_photos, packed

    failed = reasons.about("/in/b.png", reasons.reason(reasons.WORKERS_DIED, count=3))
    rows = {"source": np.array(["/in/a.png", "/in/n.png", "/in/b.png"]),
            "error": np.array([packed(""), packed(""), packed(failed)], object), "fatal": np.array([False] * 3),
            "seconds": np.array([0.5, 0.0, 1.5]), "cancelled": np.array([False, True, False])}  # n.png: not run
    stopped = {"source": np.array(["/in/c.png"]), "error": np.array([packed("a worker on h cannot start: x")], object),
               "fatal": np.array([True]), "seconds": np.array([0.0]), "cancelled": np.array([False])}

    finished = _finished_photos(_Finished(rows, stopped))
    assert next(finished) == ("/in/a.png", "", 0.5)
    source, reason, seconds = next(finished)
    assert (source, seconds) == ("/in/b.png", 1.5) and reason.template == failed.template and reason == failed
    with pytest.raises(ClusterError, match="^a worker on h cannot start: x$"):
        next(finished)
