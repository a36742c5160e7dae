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


if __name__ == "__main__":
    import json
    import sys

    if sys.argv[1:2] == ["encodings"]:
        print(json.dumps(encodings(int(sys.argv[2]) if len(sys.argv) > 2 else 200_000), indent=2))
    else:
        print(json.dumps(models([int(n) for n in sys.argv[1:]] or [200_000, 1_000_000]), indent=2))
