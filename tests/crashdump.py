"""A crash anywhere in the run prints every thread's Python stack: faulthandler stays installed.

pytest's faulthandler plugin installs faulthandler once, at the start, on a copy of stderr that
output capturing leaves alone. A library may put its own handlers in its place afterwards, and
Python does not notice (faulthandler.is_enabled() still says True). Ray does: ray.shutdown() leaves
SIGSEGV, SIGFPE, SIGABRT and SIGILL at their default action, so from tests/test_cluster.py on, a crash
ended the run with the shell's "Segmentation fault" alone (CI, session 15: test 252 of the ordered suite,
exit status 139, no stack). Before each test the handlers are installed again, writing where pytest's
went, for every thread; with pytest's faulthandler plugin disabled (-p no:faulthandler) nothing is done.
"""

from __future__ import annotations

import faulthandler
import os

import pytest

_stderr: int | None = None


def reinstall() -> None:
    """faulthandler's handlers again, whatever replaced them (enable() alone does nothing while Python
    believes they are installed)."""
    if _stderr is None:
        return
    faulthandler.disable()
    faulthandler.enable(file=_stderr, all_threads=True)


@pytest.hookimpl(trylast=True)
def pytest_configure(config) -> None:
    global _stderr
    if not config.pluginmanager.has_plugin("faulthandler") or _stderr is not None:
        return
    # Output capturing is suspended while plugins configure: descriptor 2 is the terminal or CI's log.
    _stderr = os.dup(2)


@pytest.hookimpl(tryfirst=True)  # before pytest's own: it then puts back what was there before the run
def pytest_unconfigure(config) -> None:
    global _stderr
    if _stderr is not None:
        faulthandler.disable()
        os.close(_stderr)
        _stderr = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    reinstall()
