"""The training pipeline flow: walks ``PIPELINE`` (dvc.yaml's stages and the flow-only steps), then publishes
the gate decision."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.runtime import flow_run

from fairgate.adapters.infra.dag import Dag
from fairgate.adapters.stages import PIPELINE
from fairgate.adapters.stages.context import StageContext
from fairgate.core.config import Params
from tasks import stages as tasks


@flow(name="fairgate-pipeline", log_prints=True)
def pipeline(root: str, params: Params) -> dict[str, Any]:
    """Run every step in order: stale DVC stages (recorded in dvc.lock), drift and promote always."""
    ctx = StageContext(root=Path(root), params=params, flow_run_id=str(flow_run.id), run_name="fairgate run")
    dag = Dag(ctx.root)
    try:
        outcomes = {step.name: tasks.step_task(step)(ctx, dag) for step in PIPELINE}
    finally:
        dag.close()
    tasks.publish_decision(ctx)
    return {"stages": {s.name: outcomes[s.name].ran for s in PIPELINE if s.dvc},
            "promotion": outcomes["promote"].result}
