"""gate: decide, with every check recorded, whether the candidate may replace the champion."""

from __future__ import annotations

import logging
from typing import Any

from fairgate.adapters.infra import files, registry, tracking
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.adapters.stages.gate_decision import evaluate_against, write_decision

log = logging.getLogger(__name__)


def run(ctx: StageContext) -> dict[str, Any]:
    train_run = files.read_json(ctx.path(paths.TRAIN_RUN))["run_id"]
    with stage_run(ctx, "gate", run_id=train_run):
        version = registry.champion_version(ctx.params.promote.model_name, ctx.params.promote.alias)
        decision = evaluate_against(ctx, version, "gate")
        write_decision(ctx, decision)
        tracking.set_tags({"gate.verdict": decision["verdict"],
                           "gate.reasons": "; ".join(decision["reasons"])[:5000] or "all checks passed"})
        tracking.log_files([ctx.path(p) for p in (paths.DECISION, paths.CARD, paths.CARD_MD)], "gate")
    log.info("gate: %s%s", decision["verdict"], "" if not decision["reasons"] else f" ({decision['reasons']})")
    return decision
