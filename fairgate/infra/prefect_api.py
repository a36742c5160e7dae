"""Which Prefect server a long-lived command talks to: PREFECT_API_URL, or a local one it manages."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fairgate.errors import StageError
from fairgate.infra import processes

log = logging.getLogger(__name__)
API_ENV = "PREFECT_API_URL"


def server_command(host: str, port: int) -> list[str]:
    return [processes.executable("prefect"), "server", "start", "--host", host, "--port", str(port)]


def quiet_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Prefect processes we start: no telemetry, fairgate's own log lines kept."""
    env = dict(os.environ if base is None else base)
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "fairgate")
    env.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    return env


@contextmanager
def prefect_api(root: Path, port: int, host: str = "127.0.0.1") -> Iterator[str]:
    """Yield the API URL to use, starting a local Prefect server (and stopping it afterwards) if none is set.

    Must run before prefect is imported in this process: Prefect reads its settings once, at import.
    """
    if os.environ.get(API_ENV):
        yield os.environ[API_ENV]
        return
    if not processes.port_free(host, port):
        raise StageError("serve", f"port {port} on {host} is taken, so a local Prefect server cannot start there",
                         "pass --port with a free port, or set PREFECT_API_URL to a running Prefect server")
    logfile = root / ".fairgate" / "prefect-server.log"
    server = processes.spawn(server_command(host, port), logfile, quiet_env(), root)
    url = f"http://{host}:{port}/api"
    try:
        processes.wait_healthy(f"{url}/health", "the local Prefect server", logfile, server)
        log.info("started a local Prefect server at %s (log: %s)", url, logfile)
        os.environ[API_ENV] = url
        yield url
    finally:
        os.environ.pop(API_ENV, None)
        processes.stop(server.pid)  # its whole process group: the server runs its web app in a child
