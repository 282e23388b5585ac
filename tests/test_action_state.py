"""The window's enabled actions, decided without a window (gui/action_state.py has no Qt)."""

import subprocess
import sys
from pathlib import Path

from deblur_app.gui.action_state import VIEW_ACTIONS, WindowFacts, enabled_actions, pending_hint, run_button

READY = WindowFacts(photo_selected=True, image_loaded=True, engine_known=True, model_available=True, photo_count=1)


def enabled(facts: WindowFacts) -> set[str]:
    return {name for name, on in enabled_actions(facts).items() if on}


def test_nothing_open_leaves_only_the_batch_once_the_engine_is_known():
    assert enabled(WindowFacts()) == set()
    assert enabled(WindowFacts(engine_known=True)) == {"batch"}
    assert enabled(WindowFacts(recent_files=True)) == {"clear_recent"}


def test_a_loaded_photo_can_be_deblurred_viewed_and_closed():
    assert enabled(READY) == {"deblur", "preview", "close_photo", "batch", *VIEW_ACTIONS}
    still_loading = WindowFacts(photo_selected=True, engine_known=True, model_available=True)
    assert enabled(still_loading) == {"close_photo", "batch"}


def test_a_run_is_cancelled_not_started_again_and_the_button_says_so():
    running = WindowFacts(**{**READY.__dict__, "run_running": True})
    assert {"cancel"} <= enabled(running) and not {"deblur", "preview"} & enabled(running)
    assert run_button(running) == "cancel" and run_button(READY) == "deblur"


def test_a_batch_or_missing_weights_keep_deblur_off_and_say_why():
    batch = WindowFacts(**{**READY.__dict__, "batch_running": True})
    no_weights = WindowFacts(**{**READY.__dict__, "model_available": False})
    for facts, why in ((batch, "batch_running"), (no_weights, "no_weights")):
        assert not {"deblur", "preview"} & enabled(facts) and run_button(facts) == why


def test_a_photo_not_deblurred_yet_gives_the_same_reason_as_the_run_button():
    """The hint and the button answer "why not Deblur?" from one rule; only a run under way and a photo still
    loading are the hint's own."""
    for change, why in (({"batch_running": True}, "batch_running"), ({"comparing": True}, "comparing"),
                        ({"model_available": False}, "no_weights")):
        facts = WindowFacts(**{**READY.__dict__, **change})
        assert pending_hint(facts) == run_button(facts) == why
    assert pending_hint(READY) == "deblur"
    assert pending_hint(WindowFacts(**{**READY.__dict__, "run_running": True})) == "run_running"
    assert pending_hint(WindowFacts(**{**READY.__dict__, "run_running": True, "cancelling": True})) == "deblur"
    assert pending_hint(WindowFacts(photo_selected=True, engine_known=True, model_available=True)) == "not_ready"


def test_save_follows_the_result_and_not_a_result_in_the_making():
    result = WindowFacts(**{**READY.__dict__, "has_result": True, "unsaved": True, "any_unsaved": True})
    assert {"save", "save_as", "save_all"} <= enabled(result)
    building = WindowFacts(**{**result.__dict__, "building": True})
    assert not {"save", "save_as"} & enabled(building) and "save_all" in enabled(building)
    saved = WindowFacts(**{**result.__dict__, "unsaved": False, "any_unsaved": False})
    assert enabled(saved) & {"save", "save_as", "save_all"} == {"save_as"}


def test_next_and_previous_need_two_photos():
    assert not {"next", "previous"} & enabled(READY)
    assert {"next", "previous"} <= enabled(WindowFacts(**{**READY.__dict__, "photo_count": 2}))


def test_the_rule_imports_no_qt():
    code = "import sys, deblur_app.gui.action_state; sys.exit(any(m.startswith('PySide6') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent).returncode == 0


def test_compare_needs_two_networks_a_photo_and_the_model_thread_and_blocks_deblur_while_it_runs():
    from deblur_app.gui.action_state import compare_unavailable

    two = WindowFacts(**{**READY.__dict__, "networks_installed": 2})
    assert "compare" in enabled(two) and compare_unavailable(two) == ""
    assert compare_unavailable(READY) == "one_network" and "compare" not in enabled(READY)
    no_photo = WindowFacts(engine_known=True, networks_installed=2)
    assert compare_unavailable(no_photo) == "no_photo"
    assert compare_unavailable(WindowFacts(**{**two.__dict__, "run_running": True})) == "run_running"
    assert compare_unavailable(WindowFacts(**{**two.__dict__, "batch_running": True})) == "batch_running"
    comparing = WindowFacts(**{**two.__dict__, "comparing": True})
    assert not {"deblur", "preview"} & enabled(comparing) and run_button(comparing) == "comparing"
    assert "compare" in enabled(comparing)  # the Compare window stays reachable to cancel it
