"""`python -m deblur_app` and the entry script of the frozen executables (build.spec)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # First thing: in a frozen build a multiprocessing child process stops here and runs its task.
    multiprocessing.freeze_support()
    from deblur_app.cli.startup import run

    sys.exit(run())
