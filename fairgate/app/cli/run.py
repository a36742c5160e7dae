"""`fairgate run` (the pipeline as a Prefect flow) and `fairgate stage NAME` (one stage, what dvc.yaml calls)."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from fairgate.adapters import before_run
from fairgate.adapters.stages import STAGES, paths
from fairgate.app import pipeline_run
from fairgate.app.cli.common import (
    PARAMS,
    app,
    console,
    err,
    fail,
    load_or_exit,
    project_and_params,
    project_root,
    setup_logging,
    workspace_lock,
)
from fairgate.core.config import ConfigError
from fairgate.core.errors import StageError

INTERRUPTED = ("[bold red]fairgate: interrupted[/] - the stage that was running stopped; its MLflow run is marked "
               "FAILED and the Prefect flow run CRASHED; nothing was promoted. Run `fairgate run` again to resume: "
               "finished stages are not redone.")


@app.command()
def run(
    params: Annotated[Path | None, typer.Option("--params", help="params file to run with (copied to params.yaml)")] = None,
    set_: Annotated[list[str] | None, typer.Option("-S", "--set", help="override a param: key.path=value (YAML)")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the whole pipeline as a Prefect flow; stages DVC sees as up to date are skipped."""
    run_pipeline_command(params, list(set_ or []), verbose, INTERRUPTED)


def run_pipeline_command(params: Path | None, overrides: list[str], verbose: bool, interrupted: str) -> Path:
    """What `fairgate run` (and `fairgate tune`, with its overrides) does; returns the project root."""
    from fairgate.adapters.infra.locks import WorkspaceBusy

    setup_logging(verbose)
    root = project_root()
    _run_warm_if_served(root, params, overrides, verbose)
    checked = load_or_exit(params or root / PARAMS, overrides)
    try:
        before_run.preflight(root, checked)
    except ConfigError as exc:
        raise fail(exc, 2) from None
    except StageError as exc:
        raise fail(exc) from None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the local Prefect server stops too
    try:
        spent = pipeline_run.run_pipeline(root, checked, params, overrides)
    except StageError as exc:
        raise fail(exc) from None
    except WorkspaceBusy as exc:
        raise fail(exc, 3) from None
    except KeyboardInterrupt:
        err.print(interrupted)
        raise typer.Exit(130) from None
    _print_outcome(root, spent)
    return root


def _run_warm_if_served(root: Path, params: Path | None, overrides: list[str], verbose: bool) -> None:
    """Hand the run to the project's `fairgate warm` when one serves it; exit with the run's code."""
    from fairgate.app.warm import client

    argv = ["run", *(["--params", str(params.resolve())] if params else []),
            *[arg for override in overrides for arg in ("--set", override)], *(["--verbose"] if verbose else [])]
    try:
        code = client.delegate(root, argv)
    except StageError as exc:
        raise fail(exc) from None
    if code is not None:
        raise typer.Exit(code)


@app.command()
def warm(verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False) -> None:
    """Keep this project's runs warm until Ctrl+C: `fairgate run` then starts in a process that has already
    imported its libraries, beside a Prefect server that is already up."""
    setup_logging(verbose)
    root = project_root()
    from fairgate.app.warm import supervisor

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    err.print(f"fairgate warm: serving `fairgate run` in {root}; stop with Ctrl+C")
    try:
        supervisor.supervise(root)
    except StageError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        pass
    err.print("fairgate warm: stopped")


def _print_outcome(root: Path, spent: dict) -> None:
    from fairgate.adapters.infra.mlflow_store import redact, runs_page, tracking_uri
    from fairgate.adapters.stages.evidence import load_evidence
    from fairgate.app.summary import print_summary

    uri = redact(tracking_uri(root))
    evidence = load_evidence(root)
    trained = root / paths.TRAIN_RUN
    experiment = json.loads(trained.read_text()).get("experiment_id") if trained.exists() else None
    print_summary(console, evidence, runs_page(uri, experiment) if uri.startswith("http") and experiment else
                  uri if uri.startswith("http") else f"fairgate ui, then the link it prints (store: {uri})")
    console.print(f"Took {spent['total_s']:.1f} s: stage work {spent.get('work_s', 0):.1f} s, of which MLflow "
                  f"{spent.get('tracking_s', 0):.1f} s; DVC {spent.get('dvc_s', 0):.1f} s.")


@app.command()
def stage(name: Annotated[str, typer.Argument(help=f"one of: {', '.join(STAGES)}")]) -> None:
    """Run one stage in this process; this is what each `cmd:` in dvc.yaml calls."""
    if name not in STAGES:
        raise fail(ValueError(f"unknown stage '{name}'; stages are: {', '.join(STAGES)}"), 2)
    root, params = project_and_params()
    import importlib

    from fairgate.adapters.infra.memory import freeze_what_exists
    from fairgate.adapters.stages.context import StageContext
    from fairgate.adapters.stages.runner import run_stage

    ctx = StageContext.from_env(root, params)
    try:
        with workspace_lock(root, f"`fairgate stage {name}` (run by `dvc repro`?)"):
            if name == "ingest":
                from fairgate.adapters.stages.ingest import warn_if_outside

                warn_if_outside(ctx)
            # imported under the lock (importing first left the workspace free for seconds while dvc already
            # reported the stage running), then frozen before any data is read
            importlib.import_module(f"fairgate.adapters.stages.{name}")
            freeze_what_exists()
            run_stage(ctx, name)
    except StageError as exc:
        raise fail(exc) from None
