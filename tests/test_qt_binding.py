"""The Qt binding in use keeps Python's reference counts (issue 22).

PySide6 6.12.0 on Python 3.11 dropped a reference to None on every call of a method that
returns nothing: the window state machine (tests/window_machine.py) ended in "Fatal Python
error: none_dealloc: deallocating None" after a few dozen steps, in the window's own code
(a result shown, the actions updated). Python 3.12 made None immortal, so only older Pythons
crash; pyproject.toml keeps PySide6 below 6.12 there. This measures the binding installed.
"""

from __future__ import annotations

import sys

import pytest


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None, True and False are immortal from Python 3.12")
def test_methods_that_return_nothing_keep_the_references_to_none_and_bools(qapp):
    import PySide6
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    calls = {"setToolTip": lambda: label.setToolTip("tip"), "update": label.update,
             "setEnabled": lambda: label.setEnabled(True), "setVisible": lambda: label.setVisible(False)}
    for name, call in calls.items():
        call()
        none_before, true_before, false_before = sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)
        for _ in range(1000):
            call()
        lost = {"None": none_before - sys.getrefcount(None), "True": true_before - sys.getrefcount(True),
                "False": false_before - sys.getrefcount(False)}
        # a few either way are other threads' work; the broken binding loses one per call
        assert all(count < 100 for count in lost.values()), (
            f"PySide6 {PySide6.__version__} loses references on {name}(): {lost} in 1000 calls; "
            "on this Python the window would crash (pip install 'PySide6-Essentials<6.12')")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None is immortal from Python 3.12")
def test_the_window_refuses_to_start_on_a_binding_that_loses_references(qapp):
    """A binding installed by other means is caught before the window exists, in one line."""
    import ctypes

    from deblur_app.gui.app import binding_problem

    def leaking_call() -> None:  # what PySide6 6.12.0 does on every void call
        ctypes.pythonapi.Py_DecRef(ctypes.py_object(None))

    try:
        problem = binding_problem(leaking_call, calls=200)
    finally:
        for _ in range(200):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))

    assert problem.startswith("PySide6 ") and "PySide6-Essentials<6.12" in problem and "\n" not in problem
    assert binding_problem() == ""  # the binding installed here is sound
