"""The real window under random use, bounded for CI (the long run: benchmarks/window_long_run.py).

A handful of sequences of a dozen steps each (each example starts a fresh window, which loads
a network): under a minute on a loaded 2-core machine. What the machine checks:
tests/window_machine.py.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from window_machine import PLUS_FILE, Harness, WindowMachine

# benchmarks/window_long_run.py asks for more through the environment
BOUNDED = settings(max_examples=int(os.environ.get("DEBLUR_WINDOW_EXAMPLES", 6)),
                   stateful_step_count=int(os.environ.get("DEBLUR_WINDOW_STEPS", 15)), deadline=None, database=None,
                   suppress_health_check=list(HealthCheck),
                   # shrinking replays a failure many times, each waiting out its timeouts: the long run
                   # may skip it and report the sequence as found
                   phases=[p for p in Phase if p != Phase.shrink or os.environ.get("DEBLUR_WINDOW_SHRINK", "1") == "1"])


def test_the_window_under_random_use(qtbot, make_window, weights_dir, tmp_path, monkeypatch, errors):  # noqa: F811
    from seeded_weights import save_seeded_plus

    source = tmp_path / "weights"
    source.mkdir()
    (source / "mimo-unet.safetensors").write_bytes((weights_dir / "mimo-unet.safetensors").read_bytes())
    save_seeded_plus(source)
    WindowMachine.harness = Harness(qtbot, make_window, tmp_path, source, monkeypatch, errors)

    run_state_machine_as_test(WindowMachine, settings=BOUNDED)

    steps = WindowMachine.harness.steps
    print("steps run:", dict(steps))
    assert WindowMachine.harness.examples >= 2 and (source / PLUS_FILE).exists()  # each example copies the weights
    assert steps["save (compared with the screen)"] > 0, "no save was compared with what the window showed"
