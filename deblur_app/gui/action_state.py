"""Which of the window's actions are enabled, decided from plain facts about the window (no Qt).

The rule is read, and tested, here in one place; MainWindow.update_actions gathers the facts
(WindowFacts), applies ``enabled_actions`` to its act_<name> actions and words the run button
from ``run_button``.
"""

from __future__ import annotations

from dataclasses import dataclass

VIEW_ACTIONS = ("zoom_in", "zoom_out", "fit", "actual", "original")


@dataclass(frozen=True)
class WindowFacts:
    photo_selected: bool = False
    image_loaded: bool = False  # the selected photo's pixels are read
    has_result: bool = False  # the selected photo has a whole-photo result
    unsaved: bool = False  # the selected photo's result is not on disk as it is shown
    any_unsaved: bool = False  # some open photo's result is not
    building: bool = False  # the view shows a run's result so far: Save would write another picture
    engine_known: bool = False  # the model thread has said what it can run
    model_available: bool = False  # weights for the chosen network are installed
    batch_running: bool = False
    run_running: bool = False
    cancelling: bool = False  # the run under way was cancelled and the model thread has not confirmed it yet
    comparing: bool = False  # the Compare window's two runs are under way (the model thread's one job)
    networks_installed: int = 0  # networks with weights: Compare needs two
    photo_count: int = 0  # photos in the filmstrip
    recent_files: bool = False


def enabled_actions(facts: WindowFacts) -> dict[str, bool]:
    """MainWindow's act_<name> -> whether it is enabled."""
    can_run = facts.image_loaded and facts.engine_known and facts.model_available and not facts.batch_running
    # one network run at a time; a cancelled one is on its way out: a run asked for now starts after it
    # (Ctrl+R right after Esc did nothing, its action disabled until the cancel was confirmed)
    idle = (not facts.run_running or facts.cancelling) and not facts.comparing
    enabled = {
        "deblur": can_run and idle,
        "preview": can_run and idle,
        "compare": not compare_unavailable(facts),
        "cancel": facts.run_running and not facts.cancelling,
        "save": facts.photo_selected and facts.unsaved and not facts.building,
        "save_all": facts.any_unsaved,
        "save_as": facts.has_result and not facts.building,
        "close_photo": facts.photo_selected,
        "next": facts.photo_count > 1,
        "previous": facts.photo_count > 1,
        "batch": facts.engine_known,
        "clear_recent": facts.recent_files,
    }
    enabled.update({name: facts.image_loaded for name in VIEW_ACTIONS})
    return enabled


def compare_unavailable(facts: WindowFacts) -> str:
    """Why Compare Networks cannot be opened ("" when it can): 'one_network' (it needs two with
    weights), 'no_photo', 'batch_running' or 'run_running' (the model thread runs one job at a time)."""
    if facts.engine_known and facts.networks_installed < 2:
        return "one_network"
    if not facts.image_loaded or not facts.engine_known:
        return "no_photo"
    if facts.batch_running:
        return "batch_running"
    if facts.run_running:
        return "run_running"
    return ""


def run_button(facts: WindowFacts) -> str:
    """What the side panel's big button says: 'cancel' while a run goes (and is not being cancelled), else why
    Deblur is (not) available: 'batch_running', 'comparing', 'no_weights' or 'deblur'."""
    if facts.run_running and not facts.cancelling:
        return "cancel"
    return _deblur_blocked_by(facts) or "deblur"


def pending_hint(facts: WindowFacts) -> str:
    """What the result view of a photo not deblurred yet invites: 'deblur' when Deblur is enabled, else why not
    ('run_running', 'batch_running', 'comparing', 'no_weights', 'not_ready'). Photo B's view said "press Deblur
    (Ctrl+R)" while photo A's run kept Ctrl+R disabled."""
    if enabled_actions(facts)["deblur"]:
        return "deblur"
    if facts.run_running:
        return "run_running"
    return _deblur_blocked_by(facts) or "not_ready"


def _deblur_blocked_by(facts: WindowFacts) -> str:
    """The window-wide reason Deblur cannot start, whichever photo is shown ("" when none). A batch comes first:
    the model thread runs one job, so a batch and Compare's runs never overlap, and the order only has to be one."""
    if facts.batch_running:
        return "batch_running"
    if facts.comparing:
        return "comparing"
    if facts.engine_known and not facts.model_available:
        return "no_weights"
    return ""
