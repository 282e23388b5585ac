"""How long the app takes to start: `deblur-app --help`, `deblur-app info` and the window's first paint.

Every command runs as a fresh subprocess (wall time from spawn to exit, so the interpreter's own
start counts, as it does for a user), ``--runs`` interleaved rounds so that a busy machine slows
every command alike; the table shows medians and the ratio to the reference measured in the same
rounds: ``python -c pass``, the interpreter alone, which no change to the app can make faster.

- ``--help``: builds every subcommand's parser (issue 21's goal: <= 0.5 s).
- ``info``: devices, the path `auto` runs each installed network with and why, weights, versions.
- window first paint: ``deblur-app gui --new-window`` until the main window's first paint event,
  where the driver exits (QT_QPA_PLATFORM=offscreen unless set; a private settings folder).
- image stack (for scale): ``python -c "import numpy, cv2, PIL.Image"``.

``--importtime`` also prints the modules `--help` spends most time importing (``python -X importtime``),
cumulative, for finding what to make lazy.

    python benchmarks/bench_startup.py                # 5 rounds
    python benchmarks/bench_startup.py --runs 9 --importtime
    python benchmarks/bench_startup.py --only help window
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The window's path of the command line (cli.main -> gui.app.run_app), stopped at the main window's
# first paint: an application-wide event filter installed when run_app makes the application.
FIRST_PAINT_DRIVER = """
import os, sys
from PySide6.QtCore import QEvent, QObject
import deblur_app.gui.app as app_module
from deblur_app.cli.main import main

class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and watched.inherits("QMainWindow"):
            sys.stdout.write("painted\\n")
            sys.stdout.flush()
            os._exit(0)
        return False

make_application = app_module.make_application

def make_and_watch(argv=None):
    app = make_application(argv)
    app._first_paint = FirstPaint()
    app.installEventFilter(app._first_paint)
    return app

app_module.make_application = make_and_watch
main(["gui", "--new-window"])
sys.exit("the window closed without painting")
"""

COMMANDS = {
    "reference": ("python -c pass (the interpreter alone)", ["-c", "pass"]),
    "image-stack": ('python -c "import numpy, cv2, PIL.Image"', ["-c", "import numpy, cv2, PIL.Image"]),
    "help": ("deblur-app --help", ["-m", "deblur_app", "--help"]),
    "info": ("deblur-app info", ["-m", "deblur_app", "info"]),
    "window": ("window first paint (deblur-app gui --new-window)", ["-c", FIRST_PAINT_DRIVER]),
}


def environment(home: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        (home / name).mkdir(mode=0o700, exist_ok=True)
        env[name] = str(home / name)  # the window's settings and single-instance socket, not the user's
    return env


def time_once(arguments: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, *arguments], cwd=REPO, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, timeout=600)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)[:60]} failed ({run.returncode}): {run.stderr[-1000:]}")
    return seconds


def import_costs(env: dict[str, str], top: int) -> list[tuple[float, str]]:
    """The modules `--help` imports that take longest, cumulative seconds, top-level packages only."""
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "deblur_app", "--help"], cwd=REPO, env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=600, check=True)
    costs = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if not name.startswith("   "):  # imported by the app itself, not by another library
            costs.append((int(cumulative) / 1e6, name.strip()))
    return sorted(costs, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", nargs="+", choices=[name for name in COMMANDS if name != "reference"],
                        help="time only these (the reference always runs)")
    parser.add_argument("--importtime", action="store_true", help="also list --help's slowest imports")
    args = parser.parse_args()
    names = ["reference", *(args.only or [name for name in COMMANDS if name != "reference"])]
    times: dict[str, list[float]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as home:
        env = environment(Path(home))
        for name in names:  # untimed: page cache and .pyc files warm, as on a second start
            time_once(COMMANDS[name][1], env)
        for _ in range(args.runs):
            for name in names:
                times[name].append(time_once(COMMANDS[name][1], env))
        costs = import_costs(env, 12) if args.importtime else []
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}; "
          f"medians of {args.runs} interleaved rounds")
    reference = statistics.median(times["reference"])
    print(f"| {'command':52s} | median | vs interpreter | min |")
    print(f"|{'-' * 54}|--------|----------------|-----|")
    for name in names:
        median = statistics.median(times[name])
        print(f"| {COMMANDS[name][0]:52s} | {median:5.2f} s | {median / reference:13.1f}x | {min(times[name]):.2f} s |")
    if costs:
        print("\n--help's slowest imports (cumulative, python -X importtime):")
        for seconds, module in costs:
            print(f"  {seconds:6.3f} s  {module}")


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
