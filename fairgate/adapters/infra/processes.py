"""Long-lived helper processes (servers, workers): start with a log file, wait until healthy, stop."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from fairgate.core.errors import StageError

BIN = Path(sys.executable).parent


def executable(name: str) -> str:
    """A console script installed beside this Python (prefect, mlflow), so the venv need not be on PATH."""
    candidate = BIN / name
    return str(candidate) if candidate.exists() else name


def port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def spawn(command: list[str], log: Path, env: dict[str, str], cwd: Path, own_group: bool = True) -> subprocess.Popen:
    """Start ``command`` with stdout and stderr in ``log``.

    ``own_group`` detaches it from our terminal (services outlive the command that started them);
    without it, Ctrl+C on our process group reaches the child too.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd, start_new_session=own_group)


def wait_healthy(url: str, what: str, log: Path, process: subprocess.Popen | None = None,
                 timeout_s: float = 120.0, poll_s: float = 0.5) -> None:
    """Poll ``url`` until it answers 200; fail early, quoting the log, if the process exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise StageError("services", f"{what} exited with code {process.returncode} while starting:\n"
                             f"{tail(log)}", f"read {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(poll_s)
    raise StageError("services", f"{what} did not answer {url} within {timeout_s:.0f} s:\n{tail(log)}", f"read {log}")


def tail(log: Path, lines: int = 15) -> str:
    if not log.exists():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(pid: int, group: bool = True, grace_s: float = 15.0, poll_s: float = 0.2) -> None:
    """SIGTERM (the process group, when it leads one), then SIGKILL if it is still there after ``grace_s``."""
    def send(sig: signal.Signals) -> None:
        try:
            if group and os.getpgid(pid) == pid:
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            pass

    send(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(poll_s)
    if alive(pid):
        send(signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> None:
    """Collect our own exited child, so that it does not linger as a zombie that looks alive."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
