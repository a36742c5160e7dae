"""promote: register the candidate; only a version that passed the gate gets the champion alias."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from fairgate.errors import StageError
from fairgate.infra import files, registry, tracking
from fairgate.infra.lineage import lineage_tags
from fairgate.stages import paths
from fairgate.stages.context import StageContext

log = logging.getLogger(__name__)


def run(ctx: StageContext) -> dict[str, Any]:
    decision = files.read_json(ctx.path(paths.DECISION))
    trained = files.read_json(ctx.path(paths.TRAIN_RUN))
    name, alias = ctx.params.promote.model_name, ctx.params.promote.alias
    tracking.configure(ctx.root, ctx.params.tracking.experiment)

    current = registry.champion(name, alias)
    before = current[0] if current else None
    already_champion = current is not None and current[1] == trained["run_id"]
    if not already_champion and before != decision["champion_version"]:
        raise StageError("promote", f"the champion moved from {decision['champion_version']} to {before} "
                         "after the gate compared against it",
                         "run `fairgate run` again; the gate will compare the candidate with the new champion")
    verdict_tags = {"gate.verdict": decision["verdict"],
                    "gate.reasons": "; ".join(decision["reasons"])[:5000] or "all checks passed"}
    version = registry.register(name, trained["model_uri"], trained["run_id"],
                                tags=verdict_tags | lineage_tags(ctx.root))
    registry.tag_version(name, version, verdict_tags)
    promoted = decision["verdict"] == "pass" and not already_champion
    if promoted:
        registry.set_alias(name, alias, version)
    champion = version if promoted else before
    outcome = {
        "model_name": name, "version": version, "verdict": decision["verdict"], "promoted": promoted,
        "already_champion": already_champion, "previous_champion": before, "champion": champion,
        "reasons": decision["reasons"],
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    files.write_json(ctx.path(paths.PROMOTION), outcome)
    with tracking.stage_run(ctx, "promote", run_id=trained["run_id"]):
        import mlflow

        mlflow.set_tags({"promote.version": version, "promote.promoted": str(promoted).lower()})
    log.info("promote: version %s %s; champion is %s", version,
             "promoted" if promoted else "not promoted", champion)
    return outcome
