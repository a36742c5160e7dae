"""The flow that schedules and work pools run: the same checks as `fairgate run`, then the pipeline.

It takes only the project directory, so a Prefect deployment can carry it as a plain parameter; the
params come from that directory's params.yaml at run time, exactly as `dvc repro` would read them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow

from fairgate.adapters import before_run
from flows.pipeline import pipeline


@flow(name="fairgate-scheduled", log_prints=True)
def scheduled(root: str) -> dict[str, Any]:
    """Run the pipeline in ``root`` inside this flow run, so its tasks and MLflow run point back to it."""
    project = Path(root).resolve()
    with before_run.scheduled(project) as params:
        return pipeline.fn(root=str(project), params=params)
