"""The production profile on loopback: MLflow and Prefect servers on PostgreSQL, and a process worker.

`fairgate services up` creates the databases it needs, starts the three processes detached (each in
its own process group, logging under .fairgate/services/), waits until each answers, and records
them in .fairgate/services/state.json; `fairgate services down` stops what that file lists.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fairgate.adapters.infra import files, processes
from fairgate.adapters.infra.mlflow_store import redact
from fairgate.adapters.infra.prefect_api import quiet_env, server_command
from fairgate.core.errors import StageError

log = logging.getLogger(__name__)
STATE_DIR = ".fairgate/services"
POSTGRES_ENV = "FAIRGATE_POSTGRES_URL"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432"


@dataclass(frozen=True)
class Settings:
    postgres: str = DEFAULT_POSTGRES  # server URL without a database
    prefix: str = "fairgate"          # databases are <prefix>_mlflow and <prefix>_prefect
    mlflow_port: int = 5000
    prefect_port: int = 4200
    pool: str = "fairgate"
    host: str = "127.0.0.1"

    def database_url(self, purpose: str, driver: str = "postgresql") -> str:
        parts = urlsplit(self.postgres)
        return urlunsplit((driver, parts.netloc, f"/{self.prefix}_{purpose}", "", ""))

    @property
    def mlflow_url(self) -> str:
        return f"http://{self.host}:{self.mlflow_port}"

    @property
    def prefect_api(self) -> str:
        return f"http://{self.host}:{self.prefect_port}/api"


def client_env(root: Path, settings: Settings) -> dict[str, str]:
    """What `fairgate run` (or any shell) needs to use these servers."""
    return {"MLFLOW_TRACKING_URI": settings.mlflow_url, "PREFECT_API_URL": settings.prefect_api,
            "FAIRGATE_LOCK_DIR": str((root / STATE_DIR / "locks").resolve())}


def ensure_databases(settings: Settings) -> list[str]:
    """Create the MLflow and Prefect databases when missing; return the names created."""
    import psycopg2
    from psycopg2 import sql

    try:
        connection = psycopg2.connect(urlunsplit((*urlsplit(settings.postgres)[:2], "/postgres", "", "")),
                                      connect_timeout=5)
    except psycopg2.OperationalError as exc:
        raise StageError("services", f"cannot reach PostgreSQL at {redact(settings.postgres)}: "
                         f"{str(exc).strip().splitlines()[0]}",
                         f"start PostgreSQL, or point {POSTGRES_ENV} / --postgres at a server you can use") from None
    created = []
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for purpose in ("mlflow", "prefect"):
                name = f"{settings.prefix}_{purpose}"
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                    created.append(name)
    finally:
        connection.close()
    return created


def _specs(root: Path, settings: Settings) -> list[dict[str, Any]]:
    state = root / STATE_DIR
    base = quiet_env()
    for key in ("MLFLOW_TRACKING_URI", "PREFECT_API_URL"):
        base.pop(key, None)
    mlflow = {
        "name": "mlflow", "url": settings.mlflow_url, "health": f"{settings.mlflow_url}/health",
        "command": [processes.executable("mlflow"), "server",
                    "--backend-store-uri", settings.database_url("mlflow"),
                    "--serve-artifacts", "--artifacts-destination", str((state / "mlartifacts").resolve()),
                    "--host", settings.host, "--port", str(settings.mlflow_port), "--workers", "1"],
        "env": base,
    }
    prefect = {
        "name": "prefect", "url": settings.prefect_api, "health": f"{settings.prefect_api}/health",
        "command": server_command(settings.host, settings.prefect_port),
        "env": base | {"PREFECT_API_DATABASE_CONNECTION_URL": settings.database_url("prefect", "postgresql+asyncpg"),
                       "PREFECT_HOME": str((state / "prefect-home").resolve())},
    }
    worker = {  # `--type process` creates the pool when it does not exist yet
        "name": "worker", "url": f"work pool '{settings.pool}'", "health": None,
        "command": [processes.executable("prefect"), "worker", "start", "--pool", settings.pool, "--type", "process"],
        "env": base | client_env(root, settings) | {"PREFECT_HOME": str((state / "worker-home").resolve())},
    }
    return [mlflow, prefect, worker]


def state_path(root: Path) -> Path:
    return root / STATE_DIR / "state.json"


def read_state(root: Path) -> dict[str, Any]:
    path = state_path(root)
    return files.read_json(path) if path.exists() else {}


def running(root: Path) -> dict[str, Any]:
    """The recorded services whose process is still alive."""
    state = read_state(root)
    return {name: s for name, s in state.get("services", {}).items() if processes.alive(s["pid"])}


def up(root: Path, settings: Settings) -> dict[str, Any]:
    """Start the MLflow server, the Prefect server and a worker; return the state written to disk."""
    alive = running(root)
    if alive:
        raise StageError("services", f"services already running from this project: {', '.join(alive)}",
                         "run `fairgate services down` first")
    for name, port in (("MLflow", settings.mlflow_port), ("Prefect", settings.prefect_port)):
        if not processes.port_free(settings.host, port):
            raise StageError("services", f"port {port} for the {name} server is taken on {settings.host}",
                             f"stop what listens there, or pass --{name.lower()}-port")
    created = ensure_databases(settings)
    (root / STATE_DIR / "locks").mkdir(parents=True, exist_ok=True)
    started: dict[str, Any] = {}
    try:
        for spec in _specs(root, settings):
            logfile = root / STATE_DIR / f"{spec['name']}.log"
            process = processes.spawn(spec["command"], logfile, spec["env"], root)
            started[spec["name"]] = {"pid": process.pid, "url": spec["url"], "log": str(logfile)}
            if spec["health"]:
                processes.wait_healthy(spec["health"], f"the {spec['name']} server", logfile, process, timeout_s=180)
            log.info("started %s (pid %d) at %s", spec["name"], process.pid, spec["url"])
    except BaseException:
        for service in started.values():
            processes.stop(service["pid"])
        raise
    state = {"services": started, "env": client_env(root, settings), "databases_created": created,
             "postgres": redact(settings.postgres)}
    files.write_json(state_path(root), state)
    return state


def down(root: Path) -> list[str]:
    """Stop every recorded service (the worker first); return the names stopped."""
    state = read_state(root)
    stopped = []
    for name in reversed(list(state.get("services", {}))):
        service = state["services"][name]
        if processes.alive(service["pid"]):
            processes.stop(service["pid"])
            stopped.append(name)
    if state_path(root).exists():
        state_path(root).unlink()
    return stopped


def settings_from(postgres: str | None, **values: Any) -> Settings:
    return Settings(postgres=postgres or os.environ.get(POSTGRES_ENV) or DEFAULT_POSTGRES, **values)
