"""The flows after promotion: batch scoring and fairness monitoring. They take plain paths, so a Prefect
deployment (`fairgate serve --score FILE`) can carry them as parameters; params come from the project's
params.yaml at run time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow

from fairgate.adapters.params_file import load_params
from fairgate.adapters.score import default_output
from tasks import production as tasks

PARAMS = "params.yaml"


@flow(name="fairgate-score", log_prints=True)
def score(root: str, source: str, output: str | None = None) -> dict[str, Any]:
    """Score ``source`` with the champion into ``output`` (default predictions/<name>.scored.parquet)."""
    project, batch = Path(root).resolve(), Path(source).resolve()
    target = Path(output).resolve() if output else default_output(project, batch)
    return tasks.score(project, load_params(project / PARAMS), batch, target)


@flow(name="fairgate-monitor", log_prints=True)
def monitor(root: str, labels: str, predictions: str) -> dict[str, Any]:
    """Judge the champion's fairness on the scored rows whose labels have arrived."""
    project = Path(root).resolve()
    return tasks.monitor(project, load_params(project / PARAMS), Path(labels).resolve(),
                                  Path(predictions).resolve())


@flow(name="fairgate-monitor-landing", log_prints=True)
def monitor_landing(root: str, folder: str) -> list[dict[str, Any]]:
    """Judge each label file that landed in ``folder`` since the last run, once, as a look at the champion."""
    project = Path(root).resolve()
    return tasks.monitor_landing(project, load_params(project / PARAMS), Path(folder).resolve())
