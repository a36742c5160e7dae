"""Judging the candidate against a champion and writing the decision: the gate does it, and promote does it
again when the champion moved after the gate read it."""

from __future__ import annotations

from typing import Any

import numpy as np

from fairgate.adapters.infra import files, registry
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.model_files import load_bundle
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.inputs import load_test
from fairgate.core.bootstrap import paired_bootstrap
from fairgate.core.card import build_card, card_markdown
from fairgate.core.contract import CHANGED_CONTRACT_FIX, column_change
from fairgate.core.errors import StageError
from fairgate.core.evaluate import score
from fairgate.core.gate import decide
from fairgate.core.preprocess import encode_labels


def champion_probabilities(ctx: StageContext, version: str, test) -> np.ndarray:
    """Score the champion on the candidate's test rows, through the champion's own preprocessing."""
    model = registry.load_version(ctx.params.promote.model_name, version)
    columns = model.metadata.get_input_schema().input_names()
    missing = [c for c in columns if c not in test.columns]
    if missing:
        changed = column_change({"input": columns}, {"input": list(test.columns)})
        raise StageError("gate", f"model '{ctx.params.promote.model_name}' version {version}: {changed}",
                         CHANGED_CONTRACT_FIX)
    return np.asarray(model.predict(test[columns]), dtype=np.float64).reshape(-1)


def evaluate_against(ctx: StageContext, version: str | None) -> dict[str, Any]:
    """The full decision for the candidate against champion ``version`` (None: the first model)."""
    cfg = ctx.params.gate
    candidate = files.read_json(ctx.path(paths.EVAL_REPORT))
    test, schema = load_test(ctx)
    threshold = ctx.params.evaluate.threshold
    cand_pred = load_bundle(ctx.path(paths.CANDIDATE)).predict_proba(test) >= threshold
    champion_report, champ_pred = None, None
    if version is not None:
        champ_proba = champion_probabilities(ctx, version, test)
        champ_pred = champ_proba >= threshold
        champion_report, _, _ = score(lambda _rows: champ_proba, test, schema, ctx.params.evaluate)
    stats = paired_bootstrap(encode_labels(test, schema), cand_pred, champ_pred, test[list(schema.sensitive)],
                             n=cfg.bootstrap.n, seed=cfg.bootstrap.seed, confidence=cfg.bootstrap.confidence,
                             primary=cfg.primary_metric, intersectional=cfg.intersectional)
    decision = decide(candidate, stats, cfg, champion_version=version).to_dict()
    decision["statistics"] = stats
    if champion_report is not None:
        decision["champion_metrics"] = champion_report["metrics"]
    return decision


def write_decision(ctx: StageContext, decision: dict[str, Any]) -> dict[str, Any]:
    """Write the decision and the promotion card (JSON first, then Markdown) and return the card."""
    validation = files.read_json(ctx.path(paths.RAW_REPORT)) if ctx.path(paths.RAW_REPORT).exists() else None
    card = build_card(decision, files.read_json(ctx.path(paths.EVAL_REPORT)), validation,
                      lineage_tags(ctx.root), ctx.params)
    files.write_json(ctx.path(paths.DECISION), decision)
    files.write_json(ctx.path(paths.CARD), card)
    files.write_text(ctx.path(paths.CARD_MD), card_markdown(card))
    return card
