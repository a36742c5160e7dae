"""Run a command that dies with the process that started it: `python -m fairgate.adapters.infra.die_with_parent PID CMD...`.

A helper server started by `fairgate run` lives in its own session, so that Ctrl+C on the terminal
reaches only fairgate, which then stops the flow, records it, and stops the server in that order.
But a `kill -9` of fairgate would then orphan the server. Linux's parent-death signal closes that
gap: it is set here, then the server's command replaces this process (the setting survives exec).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    parent, command = int(argv[0]), argv[1:]
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(0)
    os.execv(command[0], command)


if __name__ == "__main__":
    main(sys.argv[1:])
