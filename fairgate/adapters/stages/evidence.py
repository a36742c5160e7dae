"""A run's evidence, as its reports left it in the workspace: the decision, the evaluation, the selection and
what promote did; and the promotion card with that outcome, for the flow's Markdown artifact."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fairgate.adapters.infra import files
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext


def load_evidence(root: Path) -> dict[str, Any]:
    """The latest decision, evaluation report and promotion outcome found in the workspace."""
    evidence: dict[str, Any] = {}
    for key, relative in (("decision", paths.DECISION), ("report", paths.EVAL_REPORT), ("selection", paths.SELECTION),
                          ("promotion", paths.PROMOTION), ("train", paths.TRAIN_REPORT)):
        path = root / relative
        evidence[key] = files.read_json(path) if path.exists() else None
    if evidence["selection"]:  # the final word is mitigate's: the candidate promote acts on
        evidence["decision"] = evidence["selection"]["decision"]
        evidence["report"] = evidence["decision"].get("report") or evidence["report"]
    return evidence


def what_promote_did(promotion: dict[str, Any]) -> str:
    action, version = promotion.get("action"), promotion["version"]
    if action == "awaiting_approval":
        return (f"passed the gate and waits for approval under the alias '{promotion.get('pending_alias')}' "
                f"(`fairgate approve {version} --reason ...` or `fairgate reject {version} --reason ...`)")
    if action == "approval_rejected":
        return "passed the gate earlier but was rejected by a reviewer"
    if promotion["promoted"]:
        return "promoted to champion"
    return "already the champion" if promotion.get("already_champion") else "registered, not promoted"


def decision_markdown_for(ctx: StageContext) -> str:
    """The promotion card, plus what promote did with it."""
    evidence = load_evidence(ctx.root)
    card = ctx.path(paths.FINAL_CARD_MD) if ctx.path(paths.FINAL_CARD_MD).exists() else ctx.path(paths.CARD_MD)
    markdown = card.read_text()
    promotion = evidence["promotion"]
    if promotion:
        markdown += (f"\n## Promotion\n\nVersion {promotion['version']} of `{promotion['model_name']}`: "
                     f"{what_promote_did(promotion)}; champion is version {promotion['champion']}.\n")
    return markdown
