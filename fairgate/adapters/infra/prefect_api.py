"""Which Prefect server a long-lived command talks to: PREFECT_API_URL, or a local one it manages."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import signal
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fairgate.adapters.infra import processes
from fairgate.core.errors import StageError

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


class RunServer:
    """Prefect's temporary local server for one `fairgate run`, unless PREFECT_API_URL names a server.

    Prefect starts the same server by itself (uvicorn on its API app, UI and background services off),
    but only once the flow starts, and only after importing its server package into our process: about
    3 s of CPU competing with our own imports for the interpreter lock. Started here, before prefect is
    imported, it boots in its own process on the other core while this one imports and checks.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.process = None
        self.url: str | None = None
        self.log = root / ".fairgate" / "prefect-run-server.log"
        self._primer: threading.Thread | None = None

    def start(self) -> None:
        """Spawn the server; a no-op when one is configured or already started."""
        if self.process is not None or os.environ.get(API_ENV):
            return
        port = processes.free_port()
        app_dir = Path(importlib.util.find_spec("prefect").origin).parent.parent  # without importing prefect
        command = [sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory",
                   "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
                   "--log-level", "error", "--lifespan", "on"]
        env = quiet_env() | {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        self.log.unlink(missing_ok=True)
        # Its own session keeps Ctrl+C away from it (fairgate stops it after recording the interrupt);
        # the parent-death signal stops it when fairgate is killed outright.
        guarded = [sys.executable, "-m", "fairgate.adapters.infra.die_with_parent", str(os.getpid()), *command]
        self.process = processes.spawn(guarded, self.log, env, self.root, own_group=True)
        self.url = f"http://127.0.0.1:{port}/api"
        os.environ[API_ENV] = self.url
        self._primer = threading.Thread(target=self._prime, name="fairgate-prefect-primer", daemon=True)
        self._primer.start()

    def _prime(self) -> None:
        """Once the server is up, make the first calls to the routes a flow run reads.

        A route's first call after the server starts takes 0.5-0.7 s of the server's time (measured here), and
        the flow's start waits on it. Made from this thread, while this process is still importing, they cost
        the run nothing. Read-only: nothing is written to Prefect's database.
        """
        try:
            processes.wait_healthy(f"{self.url}/health", "Prefect's local server", self.log, self.process,
                                   poll_s=0.1)
            urllib.request.urlopen(f"{self.url}/admin/version", timeout=30).close()
            for route in ("flows/filter", "flow_runs/filter", "task_runs/filter"):
                request = urllib.request.Request(f"{self.url}/{route}", data=json.dumps({"limit": 1}).encode(),
                                                 headers={"Content-Type": "application/json"}, method="POST")
                urllib.request.urlopen(request, timeout=30).close()
        except Exception:  # wait_ready reports a server that does not start; priming is only ever a head start
            log.debug("priming Prefect's local server failed", exc_info=True)

    def wait_ready(self) -> None:
        if self.process is not None:
            processes.wait_healthy(f"{self.url}/health", "Prefect's local server", self.log, self.process,
                                   poll_s=0.05)

    @contextmanager
    def flow_settings(self) -> Iterator[None]:
        """Prefect's settings for the flow run: without flow-run heartbeats when the server is this temporary one.

        Heartbeats let a long-lived server notice a crashed run. This server ends with the run, fairgate marks a
        killed run CRASHED itself (``crash_flow_runs``), and ending the heartbeat thread costs the run up to
        a second: Prefect joins it, and it sleeps in one-second steps. With PREFECT_API_URL set, Prefect's own
        setting applies.
        """
        if self.process is None:
            yield
            return
        from prefect.settings import temporary_settings

        with temporary_settings(updates={"flows.heartbeat_frequency": None}):
            yield

    def __enter__(self) -> RunServer:
        return self

    def __exit__(self, *_: object) -> None:
        if self.process is None:
            return
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C must not cut the shutdown short
        try:
            if self.process.poll() is None:
                send_queued_logs_and_events()
        finally:  # whatever draining did, the server must not outlive the run
            os.environ.pop(API_ENV, None)
            processes.stop(self.process.pid, poll_s=0.05)
            self.process = None
            signal.signal(signal.SIGINT, previous)


def crash_flow_runs(flow_run_ids: list[str], message: str) -> None:
    """Mark flow runs whose process was killed as CRASHED (a killed process cannot report its own end)."""
    from prefect.client.orchestration import get_client
    from prefect.states import Crashed

    with get_client(sync_client=True) as client:
        for flow_run_id in flow_run_ids:
            state = client.read_flow_run(flow_run_id).state
            if state is not None and not state.is_final():
                client.set_flow_run_state(flow_run_id, Crashed(message=message), force=True)
                log.warning("marked Prefect flow run %s CRASHED: %s", flow_run_id, message)


def send_queued_logs_and_events() -> None:
    """Prefect ships logs and events from background queues; drain them while the server still listens."""
    if "prefect" not in sys.modules:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=10)
    EventsWorker.drain_all(timeout=10)
