"""scripts/screenshots.py's Compare shot must show the stand-in network running, never its result: on an idle
machine the stand-in finished before the shot and the script aborted ("ended before the compare shot"). Its run
is now held on the model thread until the shot cancels it, whatever the machine's speed."""

from __future__ import annotations

import importlib.util
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from deblur_app.engine.progress import CancelToken, Cancelled

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "screenshots.py"


@pytest.fixture(scope="module")
def screenshots():
    spec = importlib.util.spec_from_file_location("screenshots_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_held_run_stays_under_way_until_it_is_cancelled(screenshots):
    ran = []
    real = SimpleNamespace(run=lambda *_a, **_k: ran.append(1), architecture="nafnet")
    held = screenshots._HeldEngine(real)
    assert held.architecture == "nafnet", "everything but run is the real engine's"
    token, ended = CancelToken(), []

    def run() -> None:
        try:
            held.run(None, progress=None, cancel=token)
        except Cancelled:
            ended.append("cancelled")

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    time.sleep(0.5)  # far longer than the stand-in's own run on an idle machine
    assert thread.is_alive() and not ended
    token.cancel()
    thread.join(timeout=10)
    assert ended == ["cancelled"] and ran == [], "the network itself never runs: its result can never be shown"


def test_only_the_chosen_runs_are_held_and_only_inside(screenshots, monkeypatch):
    pytest.importorskip("PySide6")
    from deblur_app.gui.worker import EngineWorker

    engines = {"mimo-unet": object(), "nafnet-64": object()}
    monkeypatch.setattr(EngineWorker, "_engine_for", lambda _worker, settings: engines[settings.variant])
    patched = EngineWorker._engine_for
    with screenshots.held_runs(lambda settings: settings.variant != "mimo-unet"):
        assert EngineWorker._engine_for(None, SimpleNamespace(variant="mimo-unet")) is engines["mimo-unet"]
        held = EngineWorker._engine_for(None, SimpleNamespace(variant="nafnet-64"))
        assert isinstance(held, screenshots._HeldEngine) and held._engine is engines["nafnet-64"]
    assert EngineWorker._engine_for is patched
