"""The test run itself: `kill` (SIGTERM) stops it after tests of the command line ran in its process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM's default action is POSIX's")
def test_sigterm_stops_a_test_run_after_a_cli_test_installed_the_app_s_handler(tmp_path):
    """A CLI test (main([...]) in the run's process) installs the app's handler, which turns SIGTERM into
    KeyboardInterrupt (cli/main.stop_as_ctrl_c_does); conftest's signal_handlers_restored puts the run's own
    back after each test, so SIGTERM ends the run by its default action, as `kill` should."""
    started = tmp_path / "started"
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(f"""
        import signal, time
        from deblur_app.cli.main import stop_as_ctrl_c_does

        def test_a_cli_command_ran_here():
            stop_as_ctrl_c_does()
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL

        def test_then_a_long_test():
            open({str(started)!r}, "w").close()
            time.sleep(120)
    """))
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
                            "-p", "conftest", "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
                           cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(3000):  # pytest starts (torch's import: seconds on a loaded machine), then the long test
            if started.exists() or run.poll() is not None:
                break
            try:
                run.wait(0.1)
            except subprocess.TimeoutExpired:
                pass
        assert started.exists(), run.communicate()[0].decode(errors="replace")[-2000:]
        run.send_signal(signal.SIGTERM)
        output = run.communicate(timeout=60)[0].decode(errors="replace")
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == -signal.SIGTERM, output[-2000:]
