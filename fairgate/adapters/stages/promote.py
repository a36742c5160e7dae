"""promote: register the candidate; only a version that passed the gate gets the champion alias."""

from __future__ import annotations

import logging
from typing import Any

from fairgate.adapters.infra import files, promotion, registry, tracking
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.stages import judging, paths
from fairgate.adapters.stages.context import StageContext, stage_run

log = logging.getLogger(__name__)
DESCRIPTION_LIMIT = 60_000


def _reevaluate(ctx: StageContext):
    def again(champion: str | None) -> dict[str, Any]:
        decision = judging.evaluate_against(ctx, champion)
        judging.write_decision(ctx, decision)
        return decision

    return again


def run(ctx: StageContext) -> dict[str, Any]:
    trained = files.read_json(ctx.path(paths.TRAIN_RUN))
    name, alias = ctx.params.promote.model_name, ctx.params.promote.alias
    tracking.configure(ctx.root, ctx.params.tracking.experiment)
    lineage = lineage_tags(ctx.root)
    version = registry.register(name, trained["model_uri"], trained["run_id"], tags=lineage)
    outcome = promotion.promote(name, alias, version, files.read_json(ctx.path(paths.DECISION)),
                                _reevaluate(ctx), lineage)
    decision = outcome.pop("decision")
    registry.describe_version(name, version, ctx.path(paths.CARD_MD).read_text()[:DESCRIPTION_LIMIT])
    result = {"model_name": name, "alias": alias, "run_id": trained["run_id"], "verdict": decision["verdict"],
              "reasons": decision["reasons"],
              "promoted": outcome["action"] == "promoted",
              "already_champion": outcome["action"] == "already_champion"} | outcome
    files.write_json(ctx.path(paths.PROMOTION), result)
    with stage_run(ctx, "promote", run_id=trained["run_id"]):
        tracking.set_tags({"promote.version": version, "promote.action": outcome["action"]})
        tracking.log_files([ctx.path(paths.CARD_MD), ctx.path(paths.CARD)], "promote")
    log.info("promote: version %s %s; champion is %s", version, outcome["action"].replace("_", " "),
             outcome["champion"])
    return result
