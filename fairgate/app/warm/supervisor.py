"""`fairgate warm` itself: a Prefect server, and one standby at a time, restarted after each run it serves."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from fairgate.adapters.infra import warm_socket
from fairgate.adapters.infra.prefect_api import API_ENV
from fairgate.core.errors import StageError

STANDBY = "from fairgate.app.cli.standby import standby_main; standby_main()"
QUICK_FAILURE_S = 60.0
FAILURES_BEFORE_GIVING_UP = 3


def supervise(root: Path) -> None:
    """Block, keeping a Prefect server and one warm standby for ``root``, until interrupted."""
    from fairgate.adapters.infra.prefect_api import prefect_api
    from fairgate.adapters.infra.processes import free_port

    existing = warm_socket.connect(root)
    if existing is not None:
        existing.close()
        raise StageError("warm", f"a `fairgate warm` already serves {root}",
                         "use it (`fairgate run` starts there), or stop it first (Ctrl+C in its terminal)")
    os.chdir(root)  # the socket's address may be relative to the project
    path = root / warm_socket.SOCKET
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(warm_socket.address(root))
        os.chmod(path, 0o600)
        listener.listen(8)
        with prefect_api(root, free_port()) as api:
            _keep_a_standby(root, listener, os.environ | {API_ENV: api})
    finally:
        listener.close()
        path.unlink(missing_ok=True)


def _keep_a_standby(root: Path, listener: socket.socket, env: dict[str, str]) -> None:
    quick_failures = 0
    while True:
        started = time.monotonic()
        # Its own session: Ctrl+C in this terminal stops the supervisor, which then stops the standby (letting
        # a run it serves end cleanly); Ctrl+C in the terminal of the `fairgate run` it serves is forwarded.
        # -P: the project directory (which may hold a copy of fairgate itself) must not shadow the installed package.
        standby = subprocess.Popen([sys.executable, "-P", "-c", STANDBY, str(listener.fileno())], cwd=root, env=env,
                                   pass_fds=(listener.fileno(),), start_new_session=True)
        try:
            code = standby.wait()
        except BaseException:
            _stop(standby)
            raise
        if code == 0 or time.monotonic() - started > QUICK_FAILURE_S:
            quick_failures = 0
            continue
        quick_failures += 1
        if quick_failures >= FAILURES_BEFORE_GIVING_UP:
            raise StageError("warm", f"the standby process exited with code {code} while starting, "
                             f"{FAILURES_BEFORE_GIVING_UP} times in a row",
                             "run `fairgate run` to see the error, fix it, then start `fairgate warm` again")


def _stop(standby: subprocess.Popen) -> None:
    """SIGTERM: an idle standby stops, a run it serves ends as on `kill` (recorded, nothing promoted)."""
    if standby.poll() is None:
        standby.send_signal(signal.SIGTERM)
    try:
        standby.wait(timeout=60)
    except subprocess.TimeoutExpired:
        standby.kill()
        standby.wait()
