"""Paired, seeded, vectorised bootstrap of the gate's count-based metrics.

Every metric the gate bootstraps (accuracy, balanced accuracy, selection rate, TPR, FPR and the gaps
built from them) is a function of how many test rows fall in each cell of
(group, label, candidate prediction, champion prediction). Resampling rows with replacement is the
same as drawing those cell counts from a multinomial, so each of the ``n`` resamples is one
multinomial draw over a few dozen cells: no Python loop over resamples, and no n_rows x n_resamples
index matrix. Candidate and champion are scored on the same resampled rows, which keeps the
comparison paired.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.preprocess import category_text

PRIMARY_METRICS = ("accuracy", "balanced_accuracy")
FAIRNESS_METRICS = ("demographic_parity_difference", "equalized_odds_difference")
INTERSECTION_SEP = " x "


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {k: (None if np.isnan(v) else round(float(v), 6)) for k, v in asdict(self).items()}


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def primary_metric(counts: np.ndarray, metric: str) -> np.ndarray:
    """``counts[..., group, label, prediction]`` -> the metric over all groups, per leading index."""
    total = counts.sum(axis=-3)  # (..., label, prediction)
    if metric == "accuracy":
        return _ratio(total[..., 0, 0] + total[..., 1, 1], total.sum(axis=(-1, -2)))
    if metric == "balanced_accuracy":
        tpr = _ratio(total[..., 1, 1], total[..., 1, :].sum(axis=-1))
        tnr = _ratio(total[..., 0, 0], total[..., 0, :].sum(axis=-1))
        return 0.5 * (tpr + tnr)
    raise ValueError(f"unknown primary metric '{metric}'; allowed: {PRIMARY_METRICS}")


def _spread(rates: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        valid = ~np.isnan(rates).all(axis=-1)
        low = np.where(valid, np.nanmin(np.where(valid[..., None], rates, 0.0), axis=-1), np.nan)
        high = np.where(valid, np.nanmax(np.where(valid[..., None], rates, 0.0), axis=-1), np.nan)
    return high - low


def fairness_gaps(counts: np.ndarray) -> dict[str, np.ndarray]:
    """``counts[..., group, label, prediction]`` -> demographic-parity and equalized-odds differences."""
    rows = counts.sum(axis=(-1, -2))
    selection = _ratio(counts[..., 1].sum(axis=-1), rows)
    tpr = _ratio(counts[..., 1, 1], counts[..., 1, :].sum(axis=-1))
    fpr = _ratio(counts[..., 0, 1], counts[..., 0, :].sum(axis=-1))
    return {
        "demographic_parity_difference": _spread(selection),
        "equalized_odds_difference": np.fmax(_spread(tpr), _spread(fpr)),
    }


def _interval(values: np.ndarray, confidence: float) -> Interval:
    """values[0] is the estimate on the observed rows; values[1:] are the resamples."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    draws = values[1:][~np.isnan(values[1:])]
    if draws.size == 0:
        return Interval(float(values[0]), float("nan"), float("nan"))
    low, high = np.percentile(draws, [tail, 100.0 - tail])
    return Interval(float(values[0]), float(low), float(high))


def feature_groups(sensitive: pd.DataFrame, intersectional: bool) -> dict[str, pd.Series]:
    """Each sensitive feature's group labels, plus their intersection when asked for."""
    groups = {c: category_text(sensitive[c]) for c in sensitive.columns}
    if intersectional and len(groups) > 1:
        joint = INTERSECTION_SEP.join(groups)
        groups[joint] = pd.Series(
            [INTERSECTION_SEP.join(t) for t in zip(*groups.values(), strict=True)], index=sensitive.index)
    return groups


def joint_groups(groups: dict[str, pd.Series]) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's joint group (its groups in every feature) as a code, numbered in order of first appearance,
    and the joint groups' labels, one column per feature: what factorising the rows' tuples gives, from one
    factorisation per feature and one of integers (a tuple per row takes seconds on millions of rows)."""
    joint = np.zeros(len(next(iter(groups.values()))), dtype=np.int64)
    labels = []
    for values in groups.values():
        codes, uniques = pd.factorize(values)
        joint = joint * len(uniques) + codes
        labels.append(np.asarray(uniques, dtype=object))
    codes, firsts = pd.factorize(joint)
    columns = []
    for uniques in reversed(labels):
        columns.append(uniques[firsts % len(uniques)])
        firsts = firsts // len(uniques)
    return codes, pd.DataFrame(dict(enumerate(reversed(columns))))


def paired_bootstrap(y: np.ndarray, candidate: np.ndarray, champion: np.ndarray | None, sensitive: pd.DataFrame,
                     *, n: int, seed: int, confidence: float, primary: str, intersectional: bool = False) -> dict[str, Any]:
    """Confidence intervals for the candidate, the champion and their difference on the same rows.

    ``candidate`` and ``champion`` are 0/1 predictions. Returns JSON-ready data: the primary metric,
    each feature's fairness gaps, and each feature's group counts.
    """
    y = np.asarray(y, dtype=np.int64)
    pc = np.asarray(candidate, dtype=np.int64)
    pch = pc if champion is None else np.asarray(champion, dtype=np.int64)
    groups = feature_groups(sensitive, intersectional)
    codes, joint_frame = joint_groups(groups)
    n_groups = len(joint_frame)
    cell = ((codes * 2 + y) * 2 + pc) * 2 + pch
    observed = np.bincount(cell, minlength=n_groups * 8)
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(observed.sum(), observed / observed.sum(), size=n)
    counts = np.vstack([observed[None, :], draws]).reshape(n + 1, n_groups, 2, 2, 2)
    cand_counts, champ_counts = counts.sum(axis=4), counts.sum(axis=3)

    cand_primary, champ_primary = primary_metric(cand_counts, primary), primary_metric(champ_counts, primary)
    result: dict[str, Any] = {
        "n_resamples": n, "seed": seed, "confidence": confidence, "primary_metric": primary,
        "primary": {"candidate": _interval(cand_primary, confidence).to_dict()},
        "fairness": {}, "group_counts": {},
    }
    if champion is not None:
        result["primary"]["champion"] = _interval(champ_primary, confidence).to_dict()
        result["primary"]["difference"] = _interval(cand_primary - champ_primary, confidence).to_dict()

    for position, feature in enumerate(groups):
        labels = joint_frame.iloc[:, position].to_numpy()
        names, member = np.unique(labels, return_inverse=True)
        onehot = np.eye(len(names))[member]  # joint group -> this feature's group
        cand_f = np.einsum("bgyp,gk->bkyp", cand_counts, onehot)
        champ_f = np.einsum("bgyp,gk->bkyp", champ_counts, onehot)
        cand_gaps, champ_gaps = fairness_gaps(cand_f), fairness_gaps(champ_f)
        entry: dict[str, Any] = {}
        for metric in FAIRNESS_METRICS:
            entry[metric] = {"candidate": _interval(cand_gaps[metric], confidence).to_dict()}
            if champion is not None:
                entry[metric]["champion"] = _interval(champ_gaps[metric], confidence).to_dict()
                entry[metric]["difference"] = _interval(cand_gaps[metric] - champ_gaps[metric], confidence).to_dict()
        result["fairness"][feature] = entry
        result["group_counts"][feature] = {str(g): int(c) for g, c in zip(names, cand_f[0].sum(axis=(-1, -2)), strict=True)}
    return result
