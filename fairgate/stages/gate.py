"""gate: decide, with every check recorded, whether the candidate may replace the champion."""

from __future__ import annotations

import logging
from typing import Any

from fairgate.gate import decide
from fairgate.infra import files, registry, tracking
from fairgate.render import decision_markdown
from fairgate.stages import paths
from fairgate.stages.context import StageContext
from fairgate.stages.evaluate import load_test, score

log = logging.getLogger(__name__)


def champion_report(ctx: StageContext, version: str) -> dict[str, Any]:
    """Score the champion on the candidate's test rows, through the champion's own preprocessing."""
    model = registry.load_version(ctx.params.promote.model_name, version)
    test, schema = load_test(ctx)
    columns = model.metadata.get_input_schema().input_names()
    report, _, _ = score(lambda rows: model.predict(rows[columns]), test, schema, ctx.params)
    return report


def run(ctx: StageContext) -> dict[str, Any]:
    candidate = files.read_json(ctx.path(paths.EVAL_REPORT))
    train_run = files.read_json(ctx.path(paths.TRAIN_RUN))["run_id"]
    with tracking.stage_run(ctx, "gate", run_id=train_run):
        import mlflow

        version = registry.champion_version(ctx.params.promote.model_name, ctx.params.promote.alias)
        champion = champion_report(ctx, version) if version else None
        decision = decide(candidate, champion, ctx.params.gate, champion_version=version).to_dict()
        if champion is not None:
            decision["champion_metrics"] = champion["metrics"]
        files.write_json(ctx.path(paths.DECISION), decision)
        files.write_text(ctx.path(paths.DECISION_MD), decision_markdown(decision, candidate))
        mlflow.set_tags({"gate.verdict": decision["verdict"],
                         "gate.reasons": "; ".join(decision["reasons"])[:5000] or "all checks passed"})
        mlflow.log_artifact(str(ctx.path(paths.DECISION)), "gate")
        mlflow.log_artifact(str(ctx.path(paths.DECISION_MD)), "gate")
    log.info("gate: %s%s", decision["verdict"], "" if not decision["reasons"] else f" ({decision['reasons']})")
    return decision
