"""The flow that schedules and work pools run: the same checks as `fairgate run`, then the pipeline.

It takes only the project directory, so a Prefect deployment can carry it as a plain parameter; the
params come from that directory's params.yaml at run time, exactly as `dvc repro` would read them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect import flow

from fairgate.adapters.infra.locks import workspace
from fairgate.adapters.infra.tracking import check_reachable, tracking_uri
from fairgate.app.preflight import check_columns
from fairgate.app.run_service import reap_killed_runs, reconcile_champion
from fairgate.core.config import load_params
from flows.pipeline import pipeline


@flow(name="fairgate-scheduled", log_prints=True)
def scheduled(root: str) -> dict[str, Any]:
    """Run the pipeline in ``root`` inside this flow run, so its tasks and MLflow run point back to it."""
    project = Path(root).resolve()
    os.chdir(project)
    params = load_params(project / "params.yaml")
    check_columns(params, project)
    check_reachable(tracking_uri(project))
    with workspace(project, "the scheduled `fairgate-scheduled` flow run"):
        reap_killed_runs(project, params)
        reconcile_champion(project, params)
        return pipeline.fn(root=str(project), params=params)
