"""A crash in a test prints where it happened, even after a library replaced faulthandler's handlers (tests/crashdump.py)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

CRASHING = '''
import ctypes
import signal


def test_a_library_puts_its_own_handler_in_place():
    signal.signal(signal.SIGSEGV, signal.SIG_DFL)  # as ray.shutdown() leaves it


def test_that_crashes():
    ctypes.string_at(0)
'''


def test_a_segfault_after_a_library_replaced_the_handler_prints_the_crashing_tests_stack(tmp_path):
    (tmp_path / "test_crash.py").write_text(CRASHING)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONFAULTHANDLER", "PYTEST_ADDOPTS")}
    env["PYTHONPATH"] = str(TESTS)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "crashdump",
                           "test_crash.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGSEGV, done.stdout + done.stderr
    assert "Fatal Python error: Segmentation fault" in done.stderr, done.stderr
    assert 'test_crash.py", line 11 in test_that_crashes' in done.stderr, done.stderr
