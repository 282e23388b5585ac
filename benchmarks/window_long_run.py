"""The long run of the window state machine (tests/window_machine.py): the real window, offscreen,
under many more random sequences than CI's bounded run (tests/test_window_states.py), for as long
as asked. Each round is one pytest run of that test with more examples and longer sequences
(fresh random sequences each round), so the fixtures are the suite's own.

    nice -n 10 python benchmarks/window_long_run.py --minutes 30 [--examples 25] [--steps 40]

Prints the steps each round covered; exits 1 with Hypothesis' shortest failing sequence if one fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--examples", type=int, default=25, help="sequences per round (CI: 6)")
    parser.add_argument("--steps", type=int, default=40, help="steps per sequence (CI: 15)")
    parser.add_argument("--shrink", action="store_true", help="shrink a failing sequence (slow: each replay waits out its timeouts)")
    args = parser.parse_args()
    environment = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   "DEBLUR_WINDOW_EXAMPLES": str(args.examples), "DEBLUR_WINDOW_STEPS": str(args.steps),
                   "DEBLUR_WINDOW_SHRINK": "1" if args.shrink else "0"}
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "-o", "faulthandler_timeout=600",
               str(REPO / "tests" / "test_window_states.py")]
    deadline, rounds = time.monotonic() + 60 * args.minutes, 0
    while time.monotonic() < deadline:
        began = time.monotonic()
        result = subprocess.run(command, cwd=REPO, env=environment, capture_output=True, text=True)
        rounds += 1
        covered = next((line for line in result.stdout.splitlines() if line.startswith("steps run:")), "")
        if result.returncode != 0:
            print(f"round {rounds} failed:\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}", file=sys.stderr)
            return 1
        print(f"round {rounds}: {args.examples} sequences of up to {args.steps} steps in "
              f"{time.monotonic() - began:.0f} s, no failure; {covered}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
