"""`fairgate sweep`, `fairgate serve` and `fairgate deploy`: seeds in parallel, and runs on a schedule."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from fairgate.app.cli.common import (
    app,
    console,
    fail,
    project_and_params,
    workspace_lock,
)
from fairgate.core.errors import StageError


@app.command()
def sweep(seeds: Annotated[str, typer.Option(help="seeds to train: 1,2,3 or a range 1-5")] = "1-3",
          task_runner: Annotated[str, typer.Option(help="threads (one process) or dask (a local Dask cluster, "
                                                        "or --dask-address)")] = "threads",
          workers: Annotated[int, typer.Option(min=1, help="parallel trainings")] = 2,
          dask_address: Annotated[str | None, typer.Option(help="scheduler of an existing Dask cluster, "
                                                                "e.g. tcp://10.0.0.5:8786")] = None,
          verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Train one model per seed in parallel and report the spread; each seed is an MLflow child run."""
    root, params = project_and_params(verbose)
    from fairgate.core import sweep as core

    try:
        chosen = core.parse_seeds(seeds)
    except ValueError as exc:
        raise fail(exc, 2) from None
    if task_runner not in ("threads", "dask"):
        raise fail(ValueError(f"--task-runner '{task_runner}': use threads or dask"), 2)
    threads = max(1, (os.cpu_count() or 1) // min(workers, len(chosen)))
    from fairgate.adapters.infra.prefect_api import RunServer

    # Our own local server, as `fairgate run` has: Prefect's built-in one gives up after 20 s, which a first
    # start (its database created) can take on a slow machine.
    with workspace_lock(root, "`fairgate sweep`"), RunServer(root) as server:
        os.chdir(root)
        server.start()
        server.wait_ready()
        from flows.sweep import sweep as sweep_flow
        from flows.sweep import task_runner as make_runner

        try:
            outcome = sweep_flow.with_options(task_runner=make_runner(task_runner, workers, dask_address))(
                root=str(root), params=params, seeds=chosen, threads=threads)
        except StageError as exc:
            raise fail(exc) from None
    from fairgate.app.summary import print_sweep

    print_sweep(console, outcome, params.gate)


SCHEDULE_HELP = "run every N seconds instead of the params' schedule.cron (to try it out)"
SCORE_HELP = "serve batch scoring of this file with the champion on the schedule, instead of the pipeline"
MONITOR_HELP = ("judge each label file that lands in this folder once, on the schedule, as a look at the champion "
                "(instead of the pipeline)")


def _batch(score: Path | None) -> Path | None:
    if score is not None and not score.is_file():
        raise fail(ValueError(f"--score '{score}' is not a file; pass the CSV or Parquet batch to score"), 2)
    return score.resolve() if score else None


def _landing(monitor: Path | None, score: Path | None, key: str | None) -> Path | None:
    if monitor is None:
        return None
    if score is not None:
        raise fail(ValueError("--score and --monitor each serve one job; start one `fairgate serve` for each"), 2)
    if not monitor.is_dir():
        raise fail(ValueError(f"--monitor '{monitor}' is not a folder; pass the folder the label files land in"), 2)
    if not key:
        raise fail(ValueError("monitor.key is not set, so landed labels cannot be matched to scored rows; set it in "
                              "params.yaml to the id column the scored batches and the labels share"), 2)
    return monitor.resolve()


@app.command()
def serve(interval: Annotated[float | None, typer.Option(help=SCHEDULE_HELP)] = None,
          score: Annotated[Path | None, typer.Option(help=SCORE_HELP)] = None,
          monitor: Annotated[Path | None, typer.Option(help=MONITOR_HELP)] = None,
          name: Annotated[str, typer.Option(help="deployment name")] = "scheduled",
          port: Annotated[int, typer.Option(help="port of the local Prefect server started "
                                                 "when PREFECT_API_URL is not set")] = 4200) -> None:
    """Serve the pipeline as a Prefect deployment on the params' schedule until stopped (Ctrl+C)."""
    root, params = project_and_params()
    batch = _batch(score)
    landing = _landing(monitor, score, params.monitor.key)
    from fairgate.adapters.infra.prefect_api import prefect_api, quiet_env
    from fairgate.app import scheduling

    os.environ.update(quiet_env())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that a local server we started stops too
    try:
        with prefect_api(root, port) as api:
            console.print(f"Serving deployment '{scheduling.flow_name(batch, landing)}/{name}' on {api}, "
                          f"{scheduling.describe(params.schedule, interval)} (Ctrl+C to stop)")
            scheduling.serve(root, params.schedule, interval, name, batch, landing)
    except StageError as exc:
        raise fail(exc) from None


@app.command()
def deploy(pool: Annotated[str, typer.Option(help="work pool (a process pool is created if missing)")] = "fairgate",
           interval: Annotated[float | None, typer.Option(help=SCHEDULE_HELP)] = None,
           score: Annotated[Path | None, typer.Option(help=SCORE_HELP)] = None,
           monitor: Annotated[Path | None, typer.Option(help=MONITOR_HELP)] = None,
           name: Annotated[str, typer.Option(help="deployment name")] = "scheduled") -> None:
    """Register the pipeline as a deployment on the Prefect server at PREFECT_API_URL, for a work pool."""
    root, params = project_and_params()
    if not os.environ.get("PREFECT_API_URL"):
        raise fail(ValueError("PREFECT_API_URL is not set, so there is no server to deploy to; start one with "
                               "`fairgate services up` and export what it prints, or use `fairgate serve`"), 2)
    from fairgate.app import scheduling

    batch = _batch(score)
    landing = _landing(monitor, score, params.monitor.key)
    deployment_id = scheduling.deploy(root, params.schedule, interval, name, pool, batch, landing)
    console.print(f"Deployment '{scheduling.flow_name(batch, landing)}/{name}' ({deployment_id}) registered for "
                  f"work pool '{pool}', "
                  f"{scheduling.describe(params.schedule, interval)}.\nStart a worker: prefect worker start --pool {pool}")
