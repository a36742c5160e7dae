"""One decision threshold per group, chosen on validation rows: fairlearn's ThresholdOptimizer without its coin
flips (each group's rates within a band of width ``slack`` around a common target, the most accurate target
winning), so the served model answers a row the same way every time."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.preprocess import MISSING

DEMOGRAPHIC_PARITY, EQUALIZED_ODDS = "demographic_parity", "equalized_odds"
CANDIDATES = 101        # thresholds tried per group: quantiles of its validation scores
TARGET_GRID = np.linspace(0.0, 1.0, 51)


@dataclass
class GroupThresholds:
    """Per-group thresholds on the model's probability, and the one for groups seen too rarely to fit."""

    feature: str | list[str]
    thresholds: dict[str, float]
    default: float
    constraint: str
    slack: float
    validation: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupThresholds:
        return cls(**data)

    def adjust(self, proba: np.ndarray, groups: pd.Series) -> np.ndarray:
        """Map each row's probability so that its group's threshold lands on 0.5, keeping the order within a
        group: what is at or above the group's threshold is at or above 0.5, and nothing else is."""
        cut = groups.map(self.thresholds).fillna(self.default).to_numpy(dtype=np.float64)
        proba = np.asarray(proba, dtype=np.float64)
        below = 0.5 * proba / np.maximum(cut, 1e-12)
        above = 0.5 + 0.5 * (proba - cut) / np.maximum(1.0 - cut, 1e-12)
        return np.clip(np.where(proba >= cut, above, below), 0.0, 1.0)


def group_labels(frame: pd.DataFrame, features: list[str]) -> pd.Series:
    """The group of each row: the value of one sensitive feature, or the intersection of several."""
    text = [frame[f].astype("str").mask(frame[f].isna(), MISSING) for f in features]
    if len(text) == 1:
        return text[0].reset_index(drop=True)
    joined = text[0].str.cat(text[1:], sep=" x ")
    return joined.reset_index(drop=True)


def _candidates(scores: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """For each candidate threshold of one group: selection rate, TPR, FPR and correct decisions."""
    cuts = np.unique(np.quantile(scores, np.linspace(0, 1, CANDIDATES)))
    cuts = np.r_[cuts, 1.0 + 1e-9]  # select nobody
    order = np.sort(scores)
    positives = np.sort(scores[labels == 1])
    negatives = np.sort(scores[labels == 0])
    chosen = len(order) - np.searchsorted(order, cuts, side="left")
    true_pos = len(positives) - np.searchsorted(positives, cuts, side="left")
    false_pos = len(negatives) - np.searchsorted(negatives, cuts, side="left")
    return {"cut": cuts, "rate": chosen / max(len(order), 1),
            "tpr": true_pos / max(len(positives), 1), "fpr": false_pos / max(len(negatives), 1),
            "correct": true_pos + (len(negatives) - false_pos)}


def _best_in_band(table: dict[str, np.ndarray], constraint: str, target: tuple[float, float], slack: float) -> int | None:
    half = slack / 2
    if constraint == DEMOGRAPHIC_PARITY:
        ok = np.abs(table["rate"] - target[0]) <= half
    else:
        ok = (np.abs(table["tpr"] - target[0]) <= half) & (np.abs(table["fpr"] - target[1]) <= half)
    if not ok.any():
        return None
    return int(np.flatnonzero(ok)[np.argmax(table["correct"][ok])])


def fit_group_thresholds(scores: np.ndarray, groups: pd.Series, labels: np.ndarray, constraint: str, slack: float,
                         min_rows: int, feature: str | list[str]) -> GroupThresholds:
    """Per-group thresholds from validation rows (see the module's docstring). Groups with fewer than
    ``min_rows`` validation rows keep the accuracy-best common threshold."""
    scores, labels, names = np.asarray(scores, float), np.asarray(labels, int), groups.to_numpy()
    sizes = pd.Series(names).value_counts()
    fitted = [g for g in sizes.index if sizes[g] >= min_rows]
    overall = _candidates(scores, labels)
    default = float(overall["cut"][int(np.argmax(overall["correct"]))])
    tables = {g: _candidates(scores[names == g], labels[names == g]) for g in fitted}
    targets = [(t, 0.0) for t in TARGET_GRID] if constraint == DEMOGRAPHIC_PARITY else \
        [(tpr, fpr) for tpr in TARGET_GRID for fpr in TARGET_GRID if fpr <= tpr]
    best, best_correct = None, -1
    for target in targets:
        picks = {g: _best_in_band(table, constraint, target, slack) for g, table in tables.items()}
        if any(p is None for p in picks.values()):
            continue
        correct = sum(int(tables[g]["correct"][p]) for g, p in picks.items())
        if correct > best_correct:
            best, best_correct = (target, picks), correct
    if best is None:  # no band fits every group: keep the common threshold, and the gate will say so
        return GroupThresholds(feature, {}, default, constraint, slack, {"feasible": False})
    target, picks = best
    thresholds = {str(g): float(tables[g]["cut"][p]) for g, p in picks.items()}
    rates = {str(g): {k: round(float(tables[g][k][p]), 4) for k in ("rate", "tpr", "fpr")} for g, p in picks.items()}
    return GroupThresholds(feature, thresholds, default, constraint, slack,
                           {"feasible": True, "target": [round(float(t), 4) for t in target],
                            "accuracy": round(best_correct / max(len(scores), 1), 4), "groups": rates})
