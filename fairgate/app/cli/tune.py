"""`fairgate tune`: a Pareto search for accurate and fair models on the validation rows, then the pipeline with
the chosen one, which the gate judges once on the test rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from fairgate.app.cli.common import app, console
from fairgate.app.cli.run import run_pipeline_command

INTERRUPTED = ("[bold red]fairgate: interrupted[/] - the tune stopped and its workers with it; every finished trial "
               "is kept in the study (.fairgate/tune/). Run the same `fairgate tune` again to resume: it runs only "
               "the trials still missing. Nothing was promoted.")


@app.command()
def tune(
    trials: Annotated[int, typer.Option("--trials", min=1, help="complete trials the study should hold")],
    workers: Annotated[int, typer.Option("--workers", min=1, help="local Dask workers, one thread each "
                                                                  "(1: the trials run in this process)")] = 1,
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="an existing Dask cluster instead, e.g. "
                                                                      "tcp://10.0.0.5:8786")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Search model families and their params for models accurate and fair on the validation rows, then run the
    pipeline with the chosen one: the gate judges it once, on the test rows. Writes tune.* into params.yaml, so
    `dvc repro` reproduces the tuned model without tuning again."""
    overrides = [f"tune.trials={trials}", f"tune.workers={workers}", f"tune.scheduler={scheduler or 'null'}"]
    try:
        root = run_pipeline_command(None, overrides, verbose, INTERRUPTED)
    except typer.Exit as done:  # a served `fairgate warm` ran it
        if done.exit_code == 0:
            print_tuning(Path.cwd())
        raise
    print_tuning(root)


def print_tuning(root: Path) -> None:
    from fairgate.adapters.stages import paths

    path = root / paths.TUNED
    record = json.loads(path.read_text()) if path.exists() else {}
    chosen = record.get("chosen")
    if not chosen:
        return
    rule = "cleared the ceilings by tune.margin" if chosen["cleared"] else \
        "the fairest on the front: none cleared the ceilings by tune.margin"
    console.print(f"Tuned: {record['trials']} trials, {len(record['front'])} on the Pareto front; chose trial "
                  f"{chosen['number']} ({chosen['family']}), validation {record['primary_metric']} "
                  f"{chosen['primary']:.4f}, largest gap {chosen['largest_gap']:.4f} ({rule}).")
    console.print(f"The front: {paths.TUNE_FRONT_PLOT} (and `dvc plots show {paths.TUNE_FRONT_CSV}`); every trial is "
                  "a child run of the study's MLflow run.")
