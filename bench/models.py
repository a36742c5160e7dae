"""Model families side by side on the built-in data: fairgate's MLP (torch), scikit-learn's
HistGradientBoosting, LightGBM and XGBoost, each fitted on the same encoded rows with early stopping on the
validation rows, and judged on the same test rows: fit time, training samples per second, test accuracy."""

from __future__ import annotations

import time

import numpy as np

from bench.modeldata import prepare
from fairgate.core.backends import load_backend
from fairgate.core.config import build_params

FAMILIES = {"mlp": {"framework": "torch"},
            "hist_gradient_boosting": {"framework": "sklearn",
                                       "estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
                                       "estimator_params": {"max_iter": 500}},
            "lightgbm": {"framework": "sklearn", "estimator": "lightgbm.LGBMClassifier",
                         "estimator_params": {"n_estimators": 500}},
            "xgboost": {"framework": "sklearn", "estimator": "xgboost.XGBClassifier",
                        "estimator_params": {"n_estimators": 500}}}


def _fit_and_judge(train: dict, arrays, X_test, y_test) -> tuple[float, float]:
    """(fit seconds, test accuracy) of one family on the encoded rows."""
    cfg = build_params({"train": train}).train
    backend = load_backend(cfg.framework)
    started = time.perf_counter()
    model = backend.fit(*arrays, cfg).model
    seconds = time.perf_counter() - started
    return seconds, float(((backend.predict_proba(model, X_test) >= 0.5) == np.asarray(y_test)).mean())


def models(sizes: list[int]) -> dict:
    """``{family}_{rows}_fit_s``, ``_samples_per_s`` (training rows per second of fit) and ``_accuracy``."""
    out: dict[str, float] = {}
    for rows in sizes:
        _, _, _, X_test, y_test, arrays = prepare(rows, 0)
        for family, train in FAMILIES.items():
            seconds, accuracy = _fit_and_judge(train, arrays, X_test, y_test)
            label = f"{family}_{rows // 1000}k"
            out |= {f"{label}_fit_s": round(seconds, 2), f"{label}_samples_per_s": round(len(arrays[0]) / seconds),
                    f"{label}_accuracy": round(accuracy, 4)}
            print(f"bench models: {label}: fit {seconds:.1f} s, test accuracy {accuracy:.4f}", flush=True)
    return out


def encodings(rows: int) -> dict:
    """Each tree family on one-hot columns and on category codes (``preprocess.encoding``), side by side:
    ``{family}_{encoding}_fit_s`` and ``_accuracy``."""
    out: dict[str, float] = {}
    for encoding in ("onehot", "ordinal"):
        _, _, _, X_test, y_test, arrays = prepare(rows, 0, encoding=encoding)
        for family, train in FAMILIES.items():
            if train["framework"] != "sklearn":
                continue
            seconds, accuracy = _fit_and_judge(train, arrays, X_test, y_test)
            out |= {f"{family}_{encoding}_fit_s": round(seconds, 2), f"{family}_{encoding}_accuracy": round(accuracy, 4)}
            print(f"bench encodings: {family} {encoding} ({arrays[0].shape[1]} columns): fit {seconds:.1f} s, "
                  f"test accuracy {accuracy:.4f}", flush=True)
    return out


def explain_cost(rows: int) -> dict:
    """``explain_s`` with the default ``explain`` params beside each family's fit time, on the same rows:
    ``{family}_explain_s``, ``{family}_fit_s`` and their ratio."""
    from fairgate.core import explain
    from fairgate.core.explain_config import ExplainConfig
    from fairgate.core.preprocess import fit_preprocessor

    cfg, out = ExplainConfig(), {}
    for family, train in FAMILIES.items():
        params, schema, splits, _, _, arrays = prepare(rows, 0, **train)
        encoding = params.encoding
        if encoding != "onehot":
            params, schema, splits, _, _, arrays = prepare(rows, 0, encoding=encoding, **train)
        backend = load_backend(params.train.framework)
        started = time.perf_counter()
        model = backend.fit(*arrays, params.train).model
        fit_s = time.perf_counter() - started
        X_val, rng = arrays[2], np.random.default_rng(cfg.seed)
        sample = X_val[np.sort(rng.choice(len(X_val), min(cfg.rows, len(X_val)), replace=False))]
        background = X_val[np.sort(rng.choice(len(X_val), cfg.background, replace=False))]
        started = time.perf_counter()
        explain.attribute(lambda X, m=model, b=backend: b.predict_proba(m, X), sample, background,
                          fit_preprocessor(splits.train, schema, encoding=encoding), cfg.permutations, cfg.seed)
        explain_s = time.perf_counter() - started
        out |= {f"{family}_explain_s": round(explain_s, 2), f"{family}_fit_s": round(fit_s, 2),
                f"{family}_explain_share": round(explain_s / fit_s, 3)}
        print(f"bench explain: {family} ({encoding}): explain {explain_s:.2f} s, fit {fit_s:.1f} s "
              f"({explain_s / fit_s:.0%})", flush=True)
    return out


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1:2] == ["explain"]:
        print(json.dumps(explain_cost(int(sys.argv[2]) if len(sys.argv) > 2 else 200_000), indent=2))
    elif sys.argv[1:2] == ["encodings"]:
        print(json.dumps(encodings(int(sys.argv[2]) if len(sys.argv) > 2 else 200_000), indent=2))
    else:
        print(json.dumps(models([int(n) for n in sys.argv[1:]] or [200_000, 1_000_000]), indent=2))
