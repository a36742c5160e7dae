"""`fairgate services up/down/status` (the production profile) and `fairgate ui` (the MLflow UI)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from fairgate.app.cli.common import app, console, fail, project_root, setup_logging
from fairgate.core.errors import StageError

services_app = typer.Typer(no_args_is_help=True, help="The production profile: MLflow and Prefect servers on "
                                                          "PostgreSQL, and a process worker, on loopback.")
app.add_typer(services_app, name="services")


@services_app.command("up")
def services_up(postgres: Annotated[str | None, typer.Option(help="PostgreSQL server URL without a database "
                                                                  "[env FAIRGATE_POSTGRES_URL]")] = None,
                prefix: Annotated[str, typer.Option(help="databases are PREFIX_mlflow and PREFIX_prefect")] = "fairgate",
                mlflow_port: Annotated[int, typer.Option()] = 5000,
                prefect_port: Annotated[int, typer.Option()] = 4200,
                pool: Annotated[str, typer.Option(help="process work pool the worker serves")] = "fairgate") -> None:
    """Start the servers and a worker in the background; print the environment that points at them."""
    from fairgate.app import production_profile

    setup_logging()
    root = project_root()
    settings = production_profile.settings_from(postgres, prefix=prefix, mlflow_port=mlflow_port,
                                      prefect_port=prefect_port, pool=pool)
    try:
        state = production_profile.up(root, settings)
    except StageError as exc:
        raise fail(exc) from None
    for name, service in state["services"].items():
        console.print(f"{name:8} pid {service['pid']:<7} {service['url']}  (log: {service['log']})", markup=False)
    console.print("Use them from this shell (then `fairgate run` or `fairgate deploy`):")
    console.print("\n".join(f"export {k}={v}" for k, v in state["env"].items()), markup=False)


@services_app.command("down")
def services_down() -> None:
    """Stop the services `fairgate services up` started from this project."""
    from fairgate.app import production_profile

    stopped = production_profile.down(project_root())
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "no services were running")


@services_app.command("status")
def services_status() -> None:
    """List the services started from this project and whether each is still running."""
    from fairgate.app import production_profile

    root = project_root()
    state, alive = production_profile.read_state(root), production_profile.running(root)
    if not state:
        console.print("no services started from this project")
        return
    for name, service in state["services"].items():
        console.print(f"{name:8} {'running' if name in alive else 'STOPPED'}  {service['url']}", markup=False)


@app.command()
def ui(port: Annotated[int, typer.Option(help="port to serve on")] = 5000,
       host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1") -> None:
    """Serve the MLflow UI over this project's tracking store."""
    from fairgate.adapters.infra.mlflow_store import configure, runs_page, tracking_uri
    from fairgate.app.cli.common import PARAMS, load_or_exit

    root = project_root()
    experiment_id = configure(root, load_or_exit(root / PARAMS).tracking.experiment)
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", tracking_uri(root),
               "--host", host, "--port", str(port)]
    console.print(f"MLflow UI on http://{host}:{port} (Ctrl+C to stop); the runs: "
                  f"{runs_page(f'http://{host}:{port}', experiment_id)}", markup=False)
    os.chdir(root)
    os.execv(sys.executable, command)  # become the server, so signals reach it directly
