"""What the flow does for each stage, kept out of the flow body so that DVC and Prefect share it."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from typing import Any

from fairgate.infra import files, registry, tracking
from fairgate.infra.dag import Dag
from fairgate.stages import paths
from fairgate.stages.context import StageContext

log = logging.getLogger(__name__)


@dataclass
class StageOutcome:
    stage: str
    ran: bool
    reasons: list[str] = field(default_factory=list)
    result: Any = None


def run_stage(ctx: StageContext, stage: str) -> Any:
    """Run one stage adapter in this process."""
    return importlib.import_module(f"fairgate.stages.{stage}").run(ctx)


def champion_moved(ctx: StageContext) -> bool:
    """True when the gate's recorded comparison is against a champion that is no longer the champion."""
    decision = ctx.path(paths.DECISION)
    if not decision.exists():
        return False
    recorded = files.read_json(decision).get("champion_version")
    tracking.configure(ctx.root, ctx.params.tracking.experiment)
    current = registry.champion_version(ctx.params.promote.model_name, ctx.params.promote.alias)
    return recorded != current


def run_if_stale(ctx: StageContext, dag: Dag, stage: str) -> StageOutcome:
    """Run the stage only when DVC sees a change (or the champion moved under the gate), then record it."""
    reasons = [str(c) for c in dag.changes(stage)]
    if stage == "gate" and not reasons and champion_moved(ctx):
        reasons = ["the champion changed since the last decision"]
    if not reasons:
        log.info("%s: up to date, skipped", stage)
        return StageOutcome(stage, ran=False)
    log.info("%s: running (%s)", stage, "; ".join(reasons)[:200])
    result = run_stage(ctx, stage)
    dag.record(stage)
    return StageOutcome(stage, ran=True, reasons=reasons, result=result)
