"""The `fairgate run` side of the warm worker: hand the command line to the project's standby, or say why not."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from pathlib import Path

from fairgate.adapters.infra import warm_socket
from fairgate.core.errors import StageError

log = logging.getLogger("fairgate.warm")
serving = False  # True inside a standby's run: its `fairgate run` must not hand itself to the worker


def delegate(root: Path, argv: list[str]) -> int | None:
    """Run ``argv`` (a `fairgate` command line) in the project's warm worker; its exit code, or None when
    no worker serves this project or it declined (then the caller runs the command itself)."""
    connection = None if serving else warm_socket.connect(root)
    if connection is None:
        return None
    with connection:
        try:
            warm_socket.send_request(connection, {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ),
                                                  "executable": sys.executable, "root": str(root)})
            answers = warm_socket.replies(connection)
            taken = next(answers, None)
        except OSError:
            taken = None
        if taken is None or "declined" in taken:
            log.info("the warm worker %s; running cold, in this process",
                     f"declined this run: {taken['declined']}" if taken else "went away before taking this run")
            return None
        log.info("running in the warm worker (process %d)", taken["pid"])
        return _wait_for_exit(answers, taken["pid"])


def _wait_for_exit(answers, pid: int) -> int:
    """The run's exit code; Ctrl+C and SIGTERM here reach the run, as they would a run in this process."""
    def forward(signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        ended = next(answers, None)
    except OSError:
        ended = None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if ended is None:
        raise StageError("run", f"the warm worker's run process ({pid}) ended without reporting how: it was killed",
                         "run `fairgate run` again: finished stages are not redone")
    return int(ended["exit"])
