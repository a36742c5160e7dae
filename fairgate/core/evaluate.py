"""Test-split metrics, calibration and per-group fairness (through fairlearn's MetricFrame)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn import metrics as skm

from fairgate.core.config import EvaluateConfig
from fairgate.core.contract import Schema
from fairgate.core.preprocess import category_text, encode_labels


def expected_calibration_error(y_true: np.ndarray, proba: np.ndarray, bins: int) -> float:
    """Weighted mean gap between predicted probability and observed rate over equal-width bins."""
    index = np.minimum((proba * bins).astype(int), bins - 1)
    confidence = np.bincount(index, weights=proba, minlength=bins)
    observed = np.bincount(index, weights=y_true, minlength=bins)
    return float(np.abs(confidence - observed).sum() / max(len(proba), 1))


def classification_metrics(y_true: np.ndarray, proba: np.ndarray, cfg: EvaluateConfig) -> dict[str, float]:
    """Accuracy, balanced accuracy, precision, recall, F1, ROC AUC, log loss and ECE."""
    pred = (proba >= cfg.threshold).astype(int)
    both_classes = len(np.unique(y_true)) == 2
    return {
        "accuracy": float(skm.accuracy_score(y_true, pred)),
        "balanced_accuracy": float(skm.balanced_accuracy_score(y_true, pred)),
        "precision": float(skm.precision_score(y_true, pred, zero_division=0)),
        "recall": float(skm.recall_score(y_true, pred, zero_division=0)),
        "f1": float(skm.f1_score(y_true, pred, zero_division=0)),
        "roc_auc": float(skm.roc_auc_score(y_true, proba)) if both_classes else float("nan"),
        "log_loss": float(skm.log_loss(y_true, np.clip(proba, 1e-7, 1 - 1e-7), labels=[0, 1])),
        "ece": expected_calibration_error(y_true, proba, cfg.calibration_bins),
    }


def rows(y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray) -> float:
    """fairlearn's ``count`` for weighted rows: how many original rows a group holds."""
    return float(np.sum(sample_weight))


GROUP_METRICS = {
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "accuracy": skm.accuracy_score,
    "count": rows,
}


def label_cells(y_true: np.ndarray, pred: np.ndarray, groups: pd.Series) -> pd.DataFrame:
    """One row per (group, label, prediction) seen, with how many test rows it stands for.

    Every fairness metric here is a ratio of such counts, so fairlearn computes the same values on
    these few weighted rows as on the rows themselves, without a per-row Python loop (fairlearn
    stacks every group's values element by element: 20 s for 200k rows and two features).
    """
    frame = pd.DataFrame({"group": groups.to_numpy(), "y": np.asarray(y_true), "pred": np.asarray(pred)})
    return frame.groupby(["group", "y", "pred"], observed=True, sort=True).size().rename("weight").reset_index()


def fairness_report(y_true: np.ndarray, pred: np.ndarray, groups: pd.Series) -> dict[str, Any]:
    """Per-group rates and the demographic-parity and equalized-odds gaps for one sensitive feature."""
    cells = label_cells(y_true, pred, groups)
    y, p, g, w = cells["y"].to_numpy(), cells["pred"].to_numpy(), cells["group"], cells["weight"].to_numpy()
    frame = MetricFrame(metrics=GROUP_METRICS, y_true=y, y_pred=p, sensitive_features=g,
                        sample_params={name: {"sample_weight": w} for name in GROUP_METRICS})
    by_group = {
        str(group): {name: float(value) for name, value in row.items()}
        for group, row in frame.by_group.iterrows()
    }
    gaps = {"sensitive_features": g, "sample_weight": w}
    return {
        "demographic_parity_difference": float(demographic_parity_difference(y, p, **gaps)),
        "demographic_parity_ratio": float(demographic_parity_ratio(y, p, **gaps)),
        "equalized_odds_difference": float(equalized_odds_difference(y, p, **gaps)),
        "groups": by_group,
    }


def evaluate(y_true: np.ndarray, proba: np.ndarray, sensitive: pd.DataFrame, cfg: EvaluateConfig) -> dict[str, Any]:
    """The full evaluation report for one model's probabilities on the test rows."""
    pred = (proba >= cfg.threshold).astype(int)
    return {
        "n_test": int(len(y_true)),
        "metrics": classification_metrics(y_true, proba, cfg),
        "fairness": {col: fairness_report(y_true, pred, category_text(sensitive[col])) for col in sensitive.columns},
    }


def score(proba: np.ndarray, rows: pd.DataFrame, schema: Schema,
          cfg: EvaluateConfig) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """One model's evaluation report from its probabilities on raw labelled rows (only their label and sensitive
    columns are read), with the labels and probabilities behind it."""
    proba = np.asarray(proba, dtype=np.float64).reshape(-1)
    y = encode_labels(rows, schema)
    return evaluate(y, proba, rows[list(schema.sensitive)], cfg), y, proba


def flat_metrics(report: dict[str, Any]) -> dict[str, float]:
    """Headline metrics plus each sensitive feature's fairness gaps, as one flat mapping."""
    flat = dict(report["metrics"])
    for feature, fairness in report["fairness"].items():
        for key in ("demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference"):
            flat[f"{key}.{feature}"] = fairness[key]
    return flat


def group_metrics(report: dict[str, Any]) -> dict[str, float]:
    """Each group's rates under stable names, so MLflow's compare view lines runs up group by group."""
    return {f"test.group.{feature}.{group}.{name}": value
            for feature, fairness in report["fairness"].items() for group, row in fairness["groups"].items()
            for name, value in row.items()}


ROC_RESOLUTION = 1000


def roc_points(y_true: np.ndarray, proba: np.ndarray, resolution: int = ROC_RESOLUTION) -> pd.DataFrame:
    """The ROC curve, thinned to what a plot can show: of each run of points within the same 1/``resolution``
    square only the first is kept, and the last point always is, so every point left out lies within
    1/``resolution`` of a kept one on both axes (at most about 2 x ``resolution`` points; millions of test
    rows give hundreds of thousands of distinct thresholds). The AUC is computed on every row elsewhere."""
    fpr, tpr, _ = skm.roc_curve(y_true, proba)
    cells = np.floor(fpr * resolution) * (resolution + 1) + np.floor(tpr * resolution)
    keep = np.r_[True, cells[1:] != cells[:-1]]
    keep[-1] = True
    return pd.DataFrame({"fpr": fpr[keep], "tpr": tpr[keep]})


def calibration_points(y_true: np.ndarray, proba: np.ndarray, bins: int) -> pd.DataFrame:
    index = np.minimum((proba * bins).astype(int), bins - 1)
    counts = np.bincount(index, minlength=bins)
    keep = counts > 0
    mean_pred = np.bincount(index, weights=proba, minlength=bins)[keep] / counts[keep]
    observed = np.bincount(index, weights=y_true, minlength=bins)[keep] / counts[keep]
    return pd.DataFrame({"predicted": mean_pred, "observed": observed, "count": counts[keep]})
