"""The training pipeline flow: dvc.yaml's stages in order, then promote, then the decision artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.runtime import flow_run

from fairgate.adapters.infra.dag import Dag
from fairgate.adapters.stages.context import StageContext
from fairgate.app.summary import decision_markdown_for
from fairgate.core.config import Params
from tasks import stages as tasks


@flow(name="fairgate-pipeline", log_prints=True)
def pipeline(root: str, params: Params) -> dict[str, Any]:
    """Run every stale stage, record it in dvc.lock, promote, and publish the gate decision."""
    ctx = StageContext(root=Path(root), params=params, flow_run_id=str(flow_run.id), run_name="fairgate run")
    dag = Dag(ctx.root)
    outcomes = {}
    try:
        for stage in dag.stages:
            outcomes[stage] = tasks.stage_task(stage)(ctx, dag)
            if stage == "validate":
                tasks.drift(ctx)  # raises, and so stops the flow before training, above drift.fail_above
    finally:
        dag.close()
    promotion = tasks.promote(ctx)
    tasks.publish_decision(decision_markdown_for(ctx))
    return {"stages": {name: outcome.ran for name, outcome in outcomes.items()}, "promotion": promotion}
