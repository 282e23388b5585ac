"""The long run of the session state machine (tests/session_machine.py): many more random sequences
than CI's bounded run (tests/test_session_states.py), for as long as asked.

    python benchmarks/session_long_run.py --minutes 30 [--steps 200]

Prints how many sequences ran; exits 1 with Hypothesis' shortest failing sequence if one fails.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.stateful import run_state_machine_as_test  # noqa: E402

from session_machine import SessionMachine  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--steps", type=int, default=200, help="steps per sequence (CI: 40)")
    parser.add_argument("--batch", type=int, default=500, help="sequences per Hypothesis run")
    args = parser.parse_args()
    deadline, runs = time.monotonic() + 60 * args.minutes, 0
    while time.monotonic() < deadline:
        try:
            run_state_machine_as_test(SessionMachine, settings=settings(
                max_examples=args.batch, stateful_step_count=args.steps, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow]))
        except AssertionError as failure:
            print(f"failed after {runs} sequences:\n{failure}", file=sys.stderr)
            return 1
        runs += args.batch
        print(f"{runs} sequences of up to {args.steps} steps: no failure", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
