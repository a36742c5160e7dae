"""Paired, seeded, vectorised bootstrap of the gate's count-based metrics, and the groups it counts in.

Every metric the gate bootstraps (accuracy, balanced accuracy, and each group's rates for the change in a
fairness gap against the champion) is a function of how many test rows fall in each cell of
(group, label, candidate prediction, champion prediction). Resampling rows with replacement is the
same as drawing those cell counts from a multinomial, so each of the ``n`` resamples is one
multinomial draw over a few dozen cells: no Python loop over resamples, and no n_rows x n_resamples
index matrix. Candidate and champion are scored on the same resampled rows, which keeps the
comparison paired.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from fairgate.core.preprocess import category_text

PRIMARY_METRICS = ("accuracy", "balanced_accuracy")
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


def percentile_interval(values: np.ndarray, confidence: float) -> Interval:
    """values[0] is the estimate on the observed rows; values[1:] are the resamples."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    draws = values[1:][~np.isnan(values[1:])]
    if draws.size == 0:
        return Interval(float(values[0]), float("nan"), float("nan"))
    low, high = np.percentile(draws, [tail, 100.0 - tail])
    return Interval(float(values[0]), float(low), float(high))


def resampled_cells(cells: np.ndarray, n_cells: int, n: int, seed: int) -> np.ndarray:
    """The observed count of each cell code, then ``n`` multinomial resamples of them: shape (n + 1, n_cells)."""
    observed = np.bincount(cells, minlength=n_cells)
    draws = np.random.default_rng(seed).multinomial(observed.sum(), observed / observed.sum(), size=n)
    return np.vstack([observed[None, :], draws])


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
