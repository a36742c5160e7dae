"""What every stage adapter receives: the project root, the params, and the run to log into."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

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

            self.run_id = new_run(self, self.run_name)
        return self.run_id

    def path(self, relative: str) -> Path:
        return self.root / relative
