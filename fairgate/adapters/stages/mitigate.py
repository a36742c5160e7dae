"""mitigate: when the candidate fails fairness checks and nothing else, fit each mitigation on training and
validation rows, judge every mitigated candidate with the same gate, and select what promote acts on.

The selection is always written: the unmitigated candidate when the gate passed it, when mitigation
cannot help, or when no mitigated candidate passes (then the card shows the frontier and why).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pandas as pd

from fairgate.adapters.infra import files, tracking
from fairgate.adapters.model_files import load_bundle, save_bundle
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.adapters.stages.explanations import BASE_MODEL, explain_candidate
from fairgate.adapters.stages.gate_decision import candidate_probabilities, champion_probabilities, judge, write_final
from fairgate.adapters.stages.inputs import load_test, training_arrays
from fairgate.core.backends import accepts_sample_weight, load_backend
from fairgate.core.bundle import ModelBundle
from fairgate.core.evaluate import flat_metrics, group_metrics
from fairgate.core.evaluate import score as evaluate_rows
from fairgate.core.gate_statistics import gate_statistics
from fairgate.core.mitigation import choice, methods
from fairgate.core.preprocess import encode_labels

log = logging.getLogger(__name__)
NEEDS_SENSITIVE = ("threshold",)
NEEDS_WEIGHTS = ("reweigh", "reduction")


def training_rows(ctx: StageContext) -> methods.TrainingRows:
    folder = ctx.path(paths.PROCESSED)
    return methods.TrainingRows(*training_arrays(ctx), pd.read_parquet(folder / paths.TRAIN_GROUPS),
                                    pd.read_parquet(folder / paths.VAL_GROUPS))


def _plan_methods(ctx: StageContext, constraints: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """(method, constraint) pairs to fit, and the methods left out with why."""
    cfg, pairs, skipped = ctx.params.mitigate, [], []
    for method in cfg.methods:
        if method in NEEDS_SENSITIVE and not cfg.use_sensitive_at_prediction:
            skipped.append(f"{method}: needs the sensitive attribute at prediction time, which "
                           "mitigate.use_sensitive_at_prediction: false rules out")
            continue
        if method in NEEDS_SENSITIVE and not ctx.params.data.sensitive_as_feature:
            skipped.append(f"{method}: needs the sensitive attribute at prediction time, but the model must not "
                           "read it (data.sensitive_as_feature: false)")
            continue
        if method in NEEDS_WEIGHTS and not accepts_sample_weight(ctx.params.train):
            skipped.append(f"{method}: trains on weighted rows, but {ctx.params.train.estimator}.fit takes no "
                           "sample_weight")
            continue
        pairs += [(method, constraints[0])] if method == "reweigh" else [(method, c) for c in constraints]
    return pairs, skipped


def fit_candidates(ctx: StageContext, features: list[str], constraints: list[str]) -> tuple[dict[str, Any], list[str]]:
    """Fit every planned method on training and validation rows only: {name: (bundle, knobs, seconds)}."""
    rows, base = training_rows(ctx), load_bundle(ctx.path(paths.CANDIDATE))
    cfg = ctx.params
    pairs, skipped = _plan_methods(ctx, constraints)
    fitted: dict[str, Any] = {}
    for method, constraint in pairs:
        name = method if method == "reweigh" or len(constraints) == 1 else f"{method}:{constraint}"
        started = time.perf_counter()
        if method == "reweigh":
            model, knobs = methods.reweigh(rows, features, base.framework, cfg.train)
            bundle = ModelBundle(base.preprocessor, model, base.framework)
        elif method == "threshold":
            val_proba = load_backend(base.framework).predict_proba(base.model, rows.X_val)
            fitted_thresholds = methods.thresholds(rows, features, val_proba, constraint, cfg.gate,
                                                       cfg.mitigate.slack)
            bundle = ModelBundle(base.preprocessor, base.model, base.framework, fitted_thresholds)
            knobs = fitted_thresholds.to_dict()
        else:
            model, knobs = methods.reduction(rows, features, base.framework, cfg.train, constraint, cfg.gate,
                                                 cfg.mitigate.slack, cfg.mitigate.max_iter)
            bundle = ModelBundle(base.preprocessor, model, base.framework)
        fitted[name] = (bundle, knobs | {"method": method, "constraint": constraint}, time.perf_counter() - started)
        log.info("mitigate: fitted %s in %.1f s", name, fitted[name][2])
    return fitted, skipped


def _log_candidate(ctx: StageContext, name: str, bundle_dir, decision: dict[str, Any], parent: str) -> dict[str, str]:
    """An MLflow child run of the pipeline's run, holding the candidate's model, metrics and verdict."""
    from fairgate.adapters.backends import backend_files
    from fairgate.adapters.infra.pyfunc import log_bundle

    run_id = tracking.new_run(ctx.root, ctx.params.tracking.experiment, f"mitigated: {name}",
                              tags={"mlflow.parentRunId": parent, "fairgate.mitigation": name})
    test, schema = load_test(ctx)
    bundle = load_bundle(bundle_dir)
    # Its own fairness figures, per group, under the names evaluate gives the unmitigated run's: the run a
    # champion's version points at shows what that model does.
    report, _, _ = evaluate_rows(test.scored(bundle.predict_proba), test, schema, ctx.params.evaluate)
    with tracking.open_run(ctx.root, ctx.params.tracking.experiment, run_id, ctx.run_tags("mitigate")):
        info = log_bundle(bundle_dir, test.head(5)[bundle.inputs], backend_files(bundle.framework).pip_requirements())
        tracking.log_flat_metrics({f"test.{k}": v for k, v in decision["metrics"].items()}
                                  | {f"test.{k}": v for k, v in flat_metrics(report).items()} | group_metrics(report))
        # The drift reference travels with every model that may become champion (see train).
        tracking.log_files([ctx.path(paths.PROCESSED) / paths.PROFILE], paths.REFERENCE_PROFILE_ARTIFACT.rsplit("/", 1)[0])
        tracking.set_tags({"gate.verdict": decision["verdict"],
                           "gate.reasons": "; ".join(decision["reasons"])[:5000] or "all checks passed"})
    return {"run_id": run_id, "model_uri": info.model_uri}


def _explanations(ctx: StageContext, bundle: ModelBundle, name: str,
                  unmitigated: dict[str, Any] | None) -> dict[str, Any] | None:
    """A mitigated candidate's explanations. Group thresholds keep the unmitigated model's probabilities, so
    theirs are the unmitigated candidate's, not computed again."""
    whose = f"the mitigated candidate '{name}'"
    if bundle.thresholds is not None and unmitigated is not None:
        return unmitigated | {"of": whose + BASE_MODEL}
    return explain_candidate(ctx, bundle, whose)


def _judge_all(ctx: StageContext, fitted: dict[str, Any], base: dict[str, Any], parent: str) -> dict[str, Any]:
    """Gate every mitigated candidate against the same champion on the same test rows."""
    version = base["decision"].get("champion_version")
    champion = champion_probabilities(ctx, version, load_test(ctx)[0]) if version is not None else None
    judged = {"unmitigated": base}
    with files.atomic_dir(ctx.path(paths.MITIGATED)) as folder:
        for name, (bundle, _, _) in fitted.items():
            save_bundle(bundle, folder / name.replace(":", "-"), n_features=len(bundle.preprocessor.feature_names),
                        cfg=ctx.params.train)
    for name, (bundle, knobs, seconds) in fitted.items():
        decision = judge(ctx, bundle, version, champion_proba=champion)
        explained = _explanations(ctx, bundle, name, base["decision"]["report"].get("explanations"))
        if explained is not None:
            decision["report"]["explanations"] = explained
        bundle_dir = ctx.path(paths.MITIGATED) / name.replace(":", "-")
        judged[name] = {"decision": decision, "knobs": knobs, "seconds": round(seconds, 2),
                        "bundle": str(bundle_dir.relative_to(ctx.root)),
                        **_log_candidate(ctx, name, bundle_dir, decision, parent)}
    return judged


def _given_up(ctx: StageContext, selected: ModelBundle) -> dict[str, float | None]:
    """The primary metric the selected candidate gives up against the unmitigated one, paired on the test rows."""
    test, schema = load_test(ctx)
    gate, threshold = ctx.params.gate, ctx.params.evaluate.threshold
    stats = gate_statistics(encode_labels(test, schema), test.scored(selected.predict_proba) >= threshold,
                             candidate_probabilities(ctx, "mitigate") >= threshold, test[list(schema.sensitive)],
                             n=gate.bootstrap.n, seed=gate.bootstrap.seed, confidence=gate.bootstrap.confidence,
                             primary=gate.primary_metric)
    difference = stats["primary"]["difference"]  # selected - unmitigated
    return {"estimate": -difference["estimate"], "low": None if difference["high"] is None else -difference["high"],
            "high": None if difference["low"] is None else -difference["low"]}


def run(ctx: StageContext) -> dict[str, Any]:
    decision = files.read_json(ctx.path(paths.DECISION))
    trained = files.read_json(ctx.path(paths.TRAIN_RUN))
    constraints, features, why = choice.plan(decision, ctx.params.mitigate.methods, ctx.params.mitigate.constraint)
    base = {"decision": decision, "knobs": {}, "run_id": trained["run_id"], "model_uri": trained["model_uri"],
            "bundle": paths.CANDIDATE}
    skipped: list[str] = []
    if constraints:
        log.info("mitigate: running %s", why)
        fitted, skipped = fit_candidates(ctx, features, constraints)
        judged = _judge_all(ctx, fitted, base, trained["run_id"])
    else:
        log.info("mitigate: %s", why)
        judged = {"unmitigated": base}
        with files.atomic_dir(ctx.path(paths.MITIGATED)) as folder:  # DVC records the stage's outputs either way
            files.write_json(folder / "none.json", {"mitigated_candidates": 0, "why": why})
    best, passed = choice.choose({name: entry["decision"] for name, entry in judged.items()})
    chosen = best if passed else "unmitigated"  # when none passes, the unmitigated candidate is the one rejected
    given_up = None if best == "unmitigated" else _given_up(ctx, fitted[best][0])
    selection = write_final(ctx, judged, chosen, passed, {"why": why, "features": features, "constraints": constraints,
                                                           "skipped": skipped, "accuracy_given_up": given_up,
                                                           "closest": None if passed else best})
    with stage_run(ctx, "mitigate", run_id=trained["run_id"]):
        tracking.set_tags({"mitigate.selected": chosen, "mitigate.verdict": selection["decision"]["verdict"]})
        tracking.log_files([ctx.path(p) for p in (paths.SELECTION, paths.FRONTIER, paths.FRONTIER_PLOT,
                                                  paths.FINAL_CARD_MD)], "mitigate")
    log.info("mitigate: selected %s (%s)", chosen, selection["decision"]["verdict"])
    return selection

