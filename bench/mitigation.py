"""Mitigation benchmarks: each method's cost, the accuracy it gives up for the fairness it gains, and the bias
diagnosis's share of validate's time. In-process, on generated rows with a strong dependence on sex."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd


def _prepared(rows: int, epochs: int):
    from fairgate.core.config import build_params
    from fairgate.core.contract import resolve_schema
    from fairgate.core.ingest import normalise
    from fairgate.core.preprocess import encode_labels, fit_preprocessor, split
    from fairgate.core.synthetic import generate

    params = build_params({"data": {"synthetic": {"rows": rows, "seed": 5, "bias": 1.0}, "sensitive": ["sex"]},
                          "train": {"epochs": epochs, "patience": epochs + 1},
                          "gate": {"max_equalized_odds_difference": 1.0}})
    raw = normalise(generate(params.data.synthetic), params.data)
    schema = resolve_schema(params.data, list(raw.columns), raw.dtypes)
    parts = split(raw, schema, params.preprocess)
    prep = fit_preprocessor(parts.train, schema, params.preprocess)
    arrays = [prep.transform(parts.train), encode_labels(parts.train, schema), prep.transform(parts.val),
              encode_labels(parts.val, schema)]
    return params, schema, parts, prep, arrays


def _scores(y: np.ndarray, pred: np.ndarray, groups: pd.Series) -> dict[str, float]:
    from fairlearn.metrics import demographic_parity_difference, equalized_odds_difference

    return {"accuracy": round(float((pred == y).mean()), 4),
            "dp": round(float(demographic_parity_difference(y, pred, sensitive_features=groups)), 4),
            "eo": round(float(equalized_odds_difference(y, pred, sensitive_features=groups)), 4)}


def mitigation(rows: int, epochs: int = 3, max_iter: int = 5) -> dict[str, Any]:
    """Seconds per method, and accuracy, DP and EO difference of each candidate on the test rows."""
    from fairlearn.postprocessing import ThresholdOptimizer

    from fairgate.core.backends import load_backend
    from fairgate.core.bundle import ModelBundle
    from fairgate.core.estimator import FairgateClassifier
    from fairgate.core.mitigation import methods as mitigations
    from fairgate.core.mitigation.thresholds import DEMOGRAPHIC_PARITY
    from fairgate.core.preprocess import encode_labels

    params, schema, parts, prep, arrays = _prepared(rows, epochs)
    training = mitigations.TrainingRows(*arrays, parts.train[["sex"]], parts.val[["sex"]])
    backend = load_backend("torch")
    base = backend.fit(*arrays, params.train).model
    y_test, groups = encode_labels(parts.test, schema), parts.test["sex"].astype(str)
    seconds, results = {}, {"unmitigated": _scores(y_test, ModelBundle(prep, base, "torch").predict_proba(parts.test)
                                                   >= 0.5, groups)}
    started = time.perf_counter()
    model, _ = mitigations.reweigh(training, ["sex"], "torch", params.train)
    seconds["reweigh"] = time.perf_counter() - started
    results["reweigh"] = _scores(y_test, ModelBundle(prep, model, "torch").predict_proba(parts.test) >= 0.5, groups)
    started = time.perf_counter()
    fitted = mitigations.thresholds(training, ["sex"], backend.predict_proba(base, arrays[2]), DEMOGRAPHIC_PARITY,
                                    params.gate, params.mitigate.slack)
    seconds["threshold"] = time.perf_counter() - started
    bundle = ModelBundle(prep, base, "torch", fitted)
    results["threshold"] = _scores(y_test, bundle.predict_proba(parts.test) >= 0.5, groups)
    started = time.perf_counter()
    ensemble, _ = mitigations.reduction(training, ["sex"], "torch", params.train, DEMOGRAPHIC_PARITY, params.gate,
                                        params.mitigate.slack, max_iter)
    seconds["reduction"] = time.perf_counter() - started
    results["reduction"] = _scores(y_test, ModelBundle(prep, ensemble, "torch").predict_proba(parts.test) >= 0.5,
                                   groups)
    reference = ThresholdOptimizer(estimator=FairgateClassifier().fit(arrays[0][:10], arrays[1][:10]),
                                   constraints="demographic_parity", prefit=True, predict_method="predict_proba")
    reference.estimator.model_ = base
    reference.fit(arrays[2], arrays[3], sensitive_features=parts.val["sex"].astype(str))
    pred = reference.predict(prep.transform(parts.test), sensitive_features=groups, random_state=0)
    results["fairlearn_threshold_optimizer"] = _scores(y_test, np.asarray(pred), groups)
    return {"rows": rows, "seconds": {k: round(v, 2) for k, v in seconds.items()}, "test": results,
            "reduction_max_iter": max_iter}


def diagnosis_share(rows: int) -> dict[str, float]:
    """The bias diagnosis's time against the raw suite's (best of two each) on ``rows`` generated rows."""
    from fairgate.core import validate
    from fairgate.core.contract import resolve_schema
    from fairgate.core.diagnosis import diagnose

    params, *_ = _prepared(1000, 1)
    from fairgate.core.ingest import normalise
    from fairgate.core.synthetic import generate

    raw = normalise(generate(params.data.synthetic.model_copy(update={"rows": rows})), params.data)
    schema = resolve_schema(params.data, list(raw.columns), raw.dtypes)
    suite = validate.raw_suite(schema, params.validate_cfg.model_copy(update={"ranges": {}}))
    validate.run_suite(raw.head(1000), suite)
    suite_s = min(_timed(lambda: validate.run_suite(raw, suite)) for _ in range(2))
    diagnose_s = min(_timed(lambda: diagnose(raw, schema)) for _ in range(2))
    stage_s = _validate_stage_s(raw, params)
    return {"validate_suite_s": round(suite_s, 3), "validate_stage_s": round(stage_s, 3),
            "diagnosis_s": round(diagnose_s, 3), "diagnosis_share_of_validate_suite": round(diagnose_s / suite_s, 3),
            "diagnosis_share_of_validate": round(diagnose_s / stage_s, 3)}


def _validate_stage_s(raw: pd.DataFrame, params) -> float:
    """The whole validate stage (read, suite, Data Docs, diagnosis, MLflow) in a throw-away workspace."""
    import os
    import tempfile
    from pathlib import Path

    from fairgate.adapters.stages.context import StageContext
    from fairgate.adapters.stages.runner import run_stage

    root = Path(tempfile.mkdtemp(prefix="fairgate-bench-validate-"))
    (root / "data").mkdir()
    raw.to_parquet(root / "data" / "raw.parquet", index=False)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    ctx = StageContext(root=root, params=params.model_copy(update={"validate_": params.validate_cfg.model_copy(
        update={"ranges": {}, "min_rows": 1000})}))
    run_stage(ctx, "validate")  # warm-up: the store's first use and GX's imports
    best = min(_timed(lambda: run_stage(ctx, "validate")) for _ in range(2))
    os.environ.pop("MLFLOW_TRACKING_URI")
    return best


def _timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started
