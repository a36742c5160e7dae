"""Judging the candidate against a champion and writing the decision: the gate does it, and promote does it
again when the champion moved after the gate read it."""

from __future__ import annotations

from typing import Any

import numpy as np

from fairgate.adapters.infra import figures, files, registry
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.model_files import load_bundle
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.inputs import load_test
from fairgate.adapters.stages.tuned import card_summary
from fairgate.core.bundle import ModelBundle
from fairgate.core.card import build_card, card_markdown
from fairgate.core.contract import CHANGED_CONTRACT_FIX, column_change
from fairgate.core.errors import StageError
from fairgate.core.evaluate import score
from fairgate.core.gate import decide
from fairgate.core.gate_statistics import gate_statistics
from fairgate.core.mitigation.choice import explain_infeasible, frontier_points
from fairgate.core.plots import frontier_table
from fairgate.core.preprocess import encode_labels


def champion_probabilities(ctx: StageContext, version: str, test) -> np.ndarray:
    """Score the champion on the candidate's test rows, through the champion's own preprocessing (its bundle: the
    serving input policy is for production rows, and test rows are scored as evaluate scores them)."""
    model = registry.load_version(ctx.params.promote.model_name, version)
    columns = model.metadata.get_input_schema().input_names()
    missing = [c for c in columns if c not in test.columns]
    if missing:
        changed = column_change({"input": columns}, {"input": list(test.columns)})
        raise StageError("gate", f"model '{ctx.params.promote.model_name}' version {version}: {changed}",
                         CHANGED_CONTRACT_FIX)
    return test.scored(model.unwrap_python_model().bundle.predict_proba, columns)


def judge(ctx: StageContext, bundle: ModelBundle, version: str | None, report: dict[str, Any] | None = None,
          champion_proba: np.ndarray | None = None, proba: np.ndarray | None = None) -> dict[str, Any]:
    """The gate's decision for ``bundle`` against champion ``version`` (None: the first model), on the test rows.

    ``report`` and ``proba`` are the candidate's evaluation and probabilities when evaluate already made them;
    ``champion_proba`` the champion's probabilities on the same rows, when already computed for another candidate.
    """
    cfg = ctx.params.gate
    test, schema = load_test(ctx)
    proba = test.scored(bundle.predict_proba) if proba is None else proba
    if report is None:
        report = score(proba, test, schema, ctx.params.evaluate)[0]
    threshold = ctx.params.evaluate.threshold
    champion_report, champ_pred = None, None
    if version is not None:
        champ_proba = champion_proba if champion_proba is not None else champion_probabilities(ctx, version, test)
        champ_pred = champ_proba >= threshold
        champion_report, _, _ = score(champ_proba, test, schema, ctx.params.evaluate)
    stats = gate_statistics(encode_labels(test, schema), proba >= threshold, champ_pred, test[list(schema.sensitive)],
                             n=cfg.bootstrap.n, seed=cfg.bootstrap.seed, confidence=cfg.bootstrap.confidence,
                             primary=cfg.primary_metric, intersectional=cfg.intersectional)
    decision = decide(report, stats, cfg, champion_version=version).to_dict()
    decision["statistics"] = stats
    decision["metrics"] = report["metrics"]
    decision["report"] = report
    if champion_report is not None:
        decision["champion_metrics"] = champion_report["metrics"]
    return decision


def evaluate_against(ctx: StageContext, version: str | None, stage: str) -> dict[str, Any]:
    """The full decision for the unmitigated candidate against champion ``version`` (None: the first model)."""
    return judge(ctx, load_bundle(ctx.path(paths.CANDIDATE)), version, files.read_json(ctx.path(paths.EVAL_REPORT)),
                 proba=candidate_probabilities(ctx, stage))


def candidate_probabilities(ctx: StageContext, stage: str) -> np.ndarray:
    """The unmitigated candidate's probabilities on the test rows, as evaluate scored them."""
    proba = np.load(ctx.path(paths.EVAL_PROBA))
    rows = files.read_json(ctx.path(paths.EVAL_REPORT))["n_test"]
    if len(proba) != rows:
        raise StageError(stage, f"{paths.EVAL_PROBA} holds {len(proba)} probabilities but evaluate judged {rows} "
                         "test rows, so it belongs to another run", "run `fairgate run` (or `dvc repro evaluate`) again")
    return proba


def write_decision(ctx: StageContext, decision: dict[str, Any]) -> dict[str, Any]:
    """Write the decision and the promotion card (JSON first, then Markdown) and return the card."""
    card = build_card(decision, files.read_json(ctx.path(paths.EVAL_REPORT)), _validation(ctx),
                      lineage_tags(ctx.root), ctx.params,
                      tuning=card_summary(ctx))
    files.write_json(ctx.path(paths.DECISION), decision)
    files.write_json(ctx.path(paths.CARD), card)
    files.write_text(ctx.path(paths.CARD_MD), card_markdown(card))
    return card


def write_final(ctx: StageContext, judged: dict[str, dict[str, Any]], chosen: str, passed: bool,
                context: dict[str, Any]) -> dict[str, Any]:
    """Write what promote acts on (the selection), the frontier (JSON, CSV for `dvc plots`, PNG) and the final
    promotion card; return the selection."""
    decisions = {name: entry["decision"] for name, entry in judged.items()}
    points = frontier_points(decisions)
    selected, decision = judged[chosen], judged[chosen]["decision"]
    best = context.get("closest") or chosen
    closest = next(p for p in points if p["candidate"] == best) | {"reasons": judged[best]["decision"]["reasons"]}
    mitigation = context | {
        "selected": chosen, "passed": passed, "knobs": selected["knobs"], "frontier": points,
        "primary_metric": decision["statistics"]["primary_metric"],
        "uses_sensitive_at_prediction": selected["knobs"].get("method") == "threshold",
        "explanation": explain_infeasible(_diagnosis(ctx), context.get("features", []), ctx.params.gate.model_dump(),
                                          closest) if len(judged) > 1 and not passed else None}
    card = build_card(decision, decision["report"], _validation(ctx), lineage_tags(ctx.root), ctx.params, mitigation,
                      card_summary(ctx))
    selection = {"candidate": chosen, "passed": passed, "run_id": selected["run_id"],
                 "model_uri": selected["model_uri"], "bundle": selected["bundle"], "knobs": selected["knobs"],
                 "decision": decision, "accuracy_given_up": context.get("accuracy_given_up") if passed else None,
                 "unmitigated_failed": [] if chosen == "unmitigated" else judged["unmitigated"]["decision"]["reasons"],
                 "candidates": [{"name": name, "verdict": e["decision"]["verdict"], "reasons": e["decision"]["reasons"],
                                 "seconds": e.get("seconds"), "run_id": e["run_id"]} for name, e in judged.items()]}
    files.write_json(ctx.path(paths.FRONTIER), {"points": points, "selected": chosen, "passed": passed})
    files.write_atomic(ctx.path(paths.FRONTIER_CSV), lambda tmp: frontier_table(points).to_csv(tmp, index=False))
    drawing = figures.draw([figures.Figure("frontier_figure", (points, chosen), ctx.path(paths.FRONTIER_PLOT))])
    try:
        files.write_json(ctx.path(paths.FINAL_CARD), card)
        files.write_text(ctx.path(paths.FINAL_CARD_MD), card_markdown(card))
    finally:
        drawing.wait()
    files.write_json(ctx.path(paths.SELECTION), selection)
    return selection


def rejudge_selection(ctx: StageContext, selection: dict[str, Any], champion: str | None) -> dict[str, Any]:
    """Judge the selected candidate again against a champion that moved after the gate read it, and rewrite the
    selection and the final card (and the gate's own decision, when the selection is the unmitigated one)."""
    if selection["candidate"] == "unmitigated":
        decision = evaluate_against(ctx, champion, "promote")
        write_decision(ctx, decision)
    else:
        decision = judge(ctx, load_bundle(ctx.path(selection["bundle"])), champion)
    card = files.read_json(ctx.path(paths.FINAL_CARD))
    card = build_card(decision, decision["report"], _validation(ctx), lineage_tags(ctx.root), ctx.params,
                      card.get("mitigation"), card.get("tuning"))
    files.write_json(ctx.path(paths.FINAL_CARD), card)
    files.write_text(ctx.path(paths.FINAL_CARD_MD), card_markdown(card))
    files.write_json(ctx.path(paths.SELECTION), selection | {"decision": decision, "passed": decision["verdict"] == "pass"})
    return decision


def _validation(ctx: StageContext) -> dict[str, Any] | None:
    return files.read_json(ctx.path(paths.RAW_REPORT)) if ctx.path(paths.RAW_REPORT).exists() else None


def _diagnosis(ctx: StageContext) -> dict[str, Any] | None:
    return (_validation(ctx) or {}).get("bias")
