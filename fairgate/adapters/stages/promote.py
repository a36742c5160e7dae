"""promote: register the selected candidate; only a version that passed the gate gets the champion alias.

The selected candidate is mitigate's: the unmitigated one, or the best mitigated one that passed.
"""

from __future__ import annotations

import logging
from typing import Any

from fairgate.adapters.infra import files, mlflow_store, promotion, registry, run_pages, tracking
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.stages import gate_decision, paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.core.train_config import model_label

log = logging.getLogger(__name__)


def _reevaluate(ctx: StageContext, selection: dict[str, Any]):
    def again(champion: str | None) -> dict[str, Any]:
        return gate_decision.rejudge_selection(ctx, selection, champion)

    return again


def _ledger_note(selection: dict[str, Any]) -> dict[str, Any]:
    """What the ledger records of a mitigated promotion: the method and its knobs, what the unmitigated
    candidate failed, and the accuracy given up."""
    if selection["candidate"] == "unmitigated":
        return {}
    knobs = {k: v for k, v in selection["knobs"].items() if k != "validation"}
    return {"mitigation": {"candidate": selection["candidate"], "knobs": knobs,
                           "unmitigated_failed": selection["unmitigated_failed"],
                           "accuracy_given_up": selection["accuracy_given_up"]}}


def _card(ctx: StageContext, version: str, action: str, pending_alias: str | None) -> str:
    """The final card; a candidate that waits for a person says so at the top."""
    card = ctx.path(paths.FINAL_CARD_MD).read_text()
    if action != "awaiting_approval":
        return card
    return (f"> **Waiting for approval.** Version {version} passed the gate and holds the alias `{pending_alias}`; the "
            f"champion has not moved. A reviewer runs `fairgate approve {version} --reason ...` or "
            f"`fairgate reject {version} --reason ...`.\n\n" + card)


def _name_the_runs(ctx: StageContext, train_run: str, selection: dict[str, Any], version: str,
                   decision: dict[str, Any], outcome: dict[str, Any]) -> None:
    """The runs table says what happened: the training run is named after its outcome and carries the card as
    its description (so does a mitigated candidate's run); a flow run that trained nothing says so."""
    card = _card(ctx, version, outcome["action"], ctx.params.promote.pending_alias)
    if outcome.get("recorded") or outcome["action"] == "promoted":
        name = run_pages.outcome_name(version, decision, outcome["action"], selection["candidate"],
                                      model_label(ctx.params.train))
        run_pages.describe(train_run, name=name, note=card, tags={"fairgate.outcome": outcome["action"]})
        if selection["run_id"] != train_run:
            run_pages.describe(selection["run_id"], note=card)
    if ctx.run_id and ctx.run_id != train_run:
        run_pages.describe(ctx.run_id, name="no-op", tags={"fairgate.outcome": "no-op"},
                           note=f"Nothing to retrain: the candidate is the one already judged (version {version}, "
                                f"{outcome['action'].replace('_', ' ')}). This run holds the checks that did run.")


def run(ctx: StageContext) -> dict[str, Any]:
    selection = files.read_json(ctx.path(paths.SELECTION))
    name, alias = ctx.params.promote.model_name, ctx.params.promote.alias
    mlflow_store.configure(ctx.root, ctx.params.tracking.experiment)
    lineage = lineage_tags(ctx.root)
    tags = lineage | {"fairgate.candidate": selection["candidate"]}
    version = registry.register(name, selection["model_uri"], selection["run_id"], tags=tags)
    pending = ctx.params.promote.pending_alias if ctx.params.promote.require_approval else None
    outcome = promotion.promote(name, alias, version, selection["decision"], _reevaluate(ctx, selection), lineage,
                                note=_ledger_note(selection), pending_alias=pending)
    decision = outcome.pop("decision")
    registry.describe_version(name, version, _card(ctx, version, outcome["action"], pending))
    result = {"model_name": name, "alias": alias, "run_id": selection["run_id"], "verdict": decision["verdict"],
              "reasons": decision["reasons"], "candidate": selection["candidate"],
              "promoted": outcome["action"] == "promoted",
              "already_champion": outcome["action"] == "already_champion", "pending_alias": pending} | outcome
    files.write_json(ctx.path(paths.PROMOTION), result)
    train_run = files.read_json(ctx.path(paths.TRAIN_RUN))["run_id"]
    with stage_run(ctx, "promote", run_id=train_run):
        tracking.set_tags({"promote.version": version, "promote.action": outcome["action"],
                           "promote.candidate": selection["candidate"]})
        tracking.log_files([ctx.path(paths.FINAL_CARD_MD), ctx.path(paths.FINAL_CARD)], "promote")
    _name_the_runs(ctx, train_run, selection, version, decision, outcome)
    log.info("promote: version %s (%s) %s; champion is %s", version, selection["candidate"],
             outcome["action"].replace("_", " "), outcome["champion"])
    return result
