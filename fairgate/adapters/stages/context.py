"""What every stage adapter receives: the project root, the params, and the run to log into."""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fairgate.adapters.infra.timing import spent
from fairgate.core.config import Params

RUN_ID_ENV = "FAIRGATE_RUN_ID"
FLOW_RUN_ID_ENV = "FAIRGATE_FLOW_RUN_ID"


@dataclass
class StageContext:
    root: Path
    params: Params
    run_id: str | None = None
    flow_run_id: str | None = None
    run_name: str = "pipeline"

    @classmethod
    def from_env(cls, root: Path, params: Params) -> StageContext:
        """The context for a stage run by `dvc repro` (or by hand): ids come from the environment."""
        return cls(root=root, params=params, run_id=os.environ.get(RUN_ID_ENV) or None,
                   flow_run_id=os.environ.get(FLOW_RUN_ID_ENV) or None)

    def pipeline_run_id(self) -> str:
        """The MLflow run this pipeline logs into, created on first use."""
        if self.run_id is None:
            from fairgate.adapters.infra.tracking import new_run

            self.run_id = new_run(self.root, self.params.tracking.experiment, self.run_name)
        return self.run_id

    def path(self, relative: str) -> Path:
        return self.root / relative

    def run_tags(self, stage: str) -> dict[str, str]:
        """The lineage a stage's MLflow run carries: git and data hashes, the params digest, the flow run."""
        from fairgate.adapters.infra.lineage import lineage_tags

        tags = lineage_tags(self.root) | {"params.digest": self.params.digest(), f"fairgate.stage.{stage}": "ran"}
        if self.flow_run_id:
            tags["prefect.flow_run_id"] = self.flow_run_id
        return tags


def stage_run(ctx: StageContext, stage: str, run_id: str | None = None) -> AbstractContextManager[Any]:
    """Open the MLflow run a stage logs into: ``run_id``, else the pipeline run (created on first use)."""
    from fairgate.adapters.infra.tracking import open_run

    with spent("tracking"):
        chosen = run_id or ctx.pipeline_run_id()
    tags = ctx.run_tags(stage)
    if run_id is not None:  # the training run, reopened: it keeps the flow run that made it, not a later no-op one's
        tags.pop("prefect.flow_run_id", None)
    return open_run(ctx.root, ctx.params.tracking.experiment, chosen, tags)
