"""The `fairgate` command. Each module registers its subcommands on the one Typer app, in help order."""

# isort: skip_file
import atexit
import contextlib
import os
import sys
import threading

from fairgate.app.cli import run, tune, init, registry, production, schedule, services  # noqa: F401  (registers the commands)
from fairgate.app.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    """The `fairgate` executable: the app, then Python's exit steps (thread joins, exit handlers, flushes) and
    ``os._exit``, which skips the second Python would spend freeing torch, MLflow, Prefect and DVC module by
    module. The warm worker calls ``app`` in-process and goes on after it."""
    try:
        app()
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    if isinstance(code, str):  # as Python prints sys.exit("message")
        print(code, file=sys.stderr)
        code = 1
    threading._shutdown()  # what Python's exit does first: stop thread pools and event loops, join the threads
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more can be written anyway
            stream.flush()
    os._exit(code or 0)
