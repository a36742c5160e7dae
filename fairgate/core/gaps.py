"""Confidence intervals for fairness gaps that keep their promise for any number of groups.

A gap is a max-minus-min over groups: the largest difference ``r_i - r_j`` over ordered pairs of groups (a
*contrast*), and for equalized odds over the TPR and the FPR contrasts together. Its plug-in estimate is biased
upward (noise widens the spread of K estimated rates), and a percentile bootstrap of it inherits that bias, so
it rejects fair models and reports breaches that are not there. Instead (docs/statistics.md has the study):

- **Upper bound**: the largest of every contrast's own one-sided ``1 - alpha/2`` upper bound. The true gap is
  attained by one fixed contrast, so the upper bound falls below it with probability at most ``alpha/2`` with
  no multiplicity correction. Passing the gate (upper bound below the ceiling) is the intersection-union test of
  Berger (1982): every contrast must be shown below the ceiling.
- **Lower bound**: the largest of the contrasts' *simultaneous* lower bounds (Bonferroni over the ordered
  contrasts), since any one of them overshooting its own difference would put the bound above the gap. It
  exceeds the true gap with probability at most ``alpha/2``.
- **Each contrast**: Newcombe's hybrid score interval (method 10 of Newcombe 1998), which combines the two
  groups' Wilson intervals. It holds its level at small counts and at rates near 0 or 1, where Wald's fails.

A group with no rows for a rate (say, no positives for TPR) has an unknown rate: its contrasts' upper bounds
use the full range [0, 1], so such a gap can never be shown small.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

RATES = ("selection", "tpr", "fpr")
COMPONENTS = {"demographic_parity_difference": ("selection",), "equalized_odds_difference": ("tpr", "fpr")}
UNITS = {"selection": "rows", "tpr": "labelled positives", "fpr": "labelled negatives"}
MAX_ROWS = 10_000_000  # beyond this many rows per group, "rows needed" says no realistic sample decides


@dataclass(frozen=True)
class Rates:
    """One rate per group, ``successes / trials``; arrays of shape (..., groups)."""

    successes: np.ndarray
    trials: np.ndarray


@dataclass(frozen=True)
class GapInterval:
    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray


def z_value(tail: float) -> float:
    """The standard normal quantile with ``tail`` probability above it."""
    return NormalDist().inv_cdf(1.0 - tail)


def group_rates(counts: np.ndarray) -> dict[str, Rates]:
    """``counts[..., group, label, prediction]`` -> selection rate, TPR and FPR per group."""
    counts = np.asarray(counts, dtype=np.float64)
    return {"selection": Rates(counts[..., 1].sum(axis=-1), counts.sum(axis=(-1, -2))),
            "tpr": Rates(counts[..., 1, 1], counts[..., 1, :].sum(axis=-1)),
            "fpr": Rates(counts[..., 0, 1], counts[..., 0, :].sum(axis=-1))}


def wilson(rates: Rates, z: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(estimate, low, high) per group: Wilson's score interval; an empty group is NaN within [0, 1]."""
    n = np.asarray(rates.trials, dtype=np.float64)
    safe = np.where(n > 0, n, 1.0)
    p = np.asarray(rates.successes, dtype=np.float64) / safe
    denominator = 1.0 + z * z / safe
    centre = (p + z * z / (2 * safe)) / denominator
    half = z * np.sqrt(p * (1 - p) / safe + z * z / (4 * safe * safe)) / denominator
    empty = n <= 0
    return (np.where(empty, np.nan, p), np.where(empty, 0.0, np.clip(centre - half, 0.0, 1.0)),
            np.where(empty, 1.0, np.clip(centre + half, 0.0, 1.0)))


def contrast_bounds(rates: Rates, z: float) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of ``r_i - r_j`` for every ordered pair, shape (..., groups, groups), by Newcombe's hybrid
    score method; the diagonal is NaN. A pair with an empty group gets the box bound from the Wilson limits."""
    return hybrid_contrasts(*wilson(rates, z))


def hybrid_contrasts(p: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of ``r_i - r_j`` for every ordered pair from each group's estimate and bounds (the last axis):
    the distances from each estimate to its bound add in quadrature; the diagonal is NaN, and a pair with an
    unseen group (NaN estimate) gets the box bound."""
    pi, pj = p[..., :, None], p[..., None, :]
    li, lj, hi, hj = low[..., :, None], low[..., None, :], high[..., :, None], high[..., None, :]
    with np.errstate(invalid="ignore"):
        d = pi - pj
        lower = d - np.sqrt((pi - li) ** 2 + (hj - pj) ** 2)
        upper = d + np.sqrt((hi - pi) ** 2 + (pj - lj) ** 2)
    unknown = np.isnan(d)
    lower, upper = np.where(unknown, li - hj, lower), np.where(unknown, hi - lj, upper)
    eye = np.eye(p.shape[-1], dtype=bool)
    return np.where(eye, np.nan, lower), np.where(eye, np.nan, upper)


def spread(rates: Rates) -> np.ndarray:
    """The plug-in gap: the largest minus the smallest rate among groups with any trials (0 with fewer than two)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(rates.trials > 0, rates.successes / np.where(rates.trials > 0, rates.trials, 1), np.nan)
    seen = (~np.isnan(p)).sum(axis=-1)
    high = np.nanmax(np.where(np.isnan(p), -np.inf, p), axis=-1)
    low = np.nanmin(np.where(np.isnan(p), np.inf, p), axis=-1)
    return np.where(seen >= 2, high - low, np.where(seen == 1, 0.0, np.nan))


def contrasts(parts: list[Rates]) -> np.ndarray:
    """How many unordered pairs of non-empty groups the components hold, per leading index."""
    total = 0
    for rates in parts:
        k = (np.asarray(rates.trials) > 0).sum(axis=-1)
        total = total + k * (k - 1) // 2
    return np.asarray(total)


def pairs_max(values: np.ndarray) -> np.ndarray:
    """The maximum over the last two axes, NaN ignored (and -inf where every value is NaN)."""
    flat = values.reshape(*values.shape[:-2], -1)
    return np.max(np.where(np.isnan(flat), -np.inf, flat), axis=-1)


def upper_bound(parts: list[Rates], confidence: float) -> np.ndarray:
    """The gap's upper confidence bound: the largest contrast upper bound, each at ``(1 + confidence) / 2``."""
    z = z_value((1.0 - confidence) / 2)
    highs = [pairs_max(contrast_bounds(rates, z)[1]) for rates in parts]
    return np.clip(np.max(highs, axis=0), 0.0, 1.0)


def lower_bound(parts: list[Rates], confidence: float, n_contrasts: np.ndarray | int | None = None) -> np.ndarray:
    """The gap's lower confidence bound: the largest simultaneous contrast lower bound, Bonferroni over the
    ``2 x n_contrasts`` ordered contrasts so that together they overshoot with probability ``(1 - confidence) / 2``."""
    m = np.broadcast_to(contrasts(parts) if n_contrasts is None else np.asarray(n_contrasts),
                        np.shape(parts[0].trials)[:-1])
    low = np.full(m.shape, -np.inf)
    for count in np.unique(m):
        z = z_value((1.0 - confidence) / (4.0 * max(int(count), 1)))
        found = np.max([pairs_max(contrast_bounds(rates, z)[0]) for rates in parts], axis=0)
        low = np.where(m == count, found, low)
    return np.maximum(low, 0.0)


def gap_interval(parts: list[Rates], confidence: float) -> GapInterval:
    """The gap's estimate and its two-sided ``confidence`` interval (see the module's docstring)."""
    estimate = np.max([spread(rates) for rates in parts], axis=0)
    return GapInterval(estimate, lower_bound(parts, confidence), upper_bound(parts, confidence))


def rows_to_decide(rates: Rates, confidence: float, ceiling: float, n_contrasts: int, above: bool) -> int | None:
    """About how many trials per group (rows, positives or negatives) would decide this rate's side of a check,
    were every non-empty group that size at the rates seen: the upper bound below ``ceiling`` (``above`` False)
    or the lower bound above it. None when no realistic sample would (the estimate sits at the ceiling)."""
    seen = np.asarray(rates.trials) > 0
    p = np.asarray(rates.successes)[seen] / np.asarray(rates.trials)[seen]
    if len(p) < 2:
        return None

    def decided(n: float) -> bool:
        at_n = Rates(p * n, np.full_like(p, n))
        if above:
            return bool(lower_bound([at_n], confidence, n_contrasts) > ceiling)
        return bool(upper_bound([at_n], confidence) < ceiling)

    if not decided(MAX_ROWS):
        return None
    low, high = 1.0, float(MAX_ROWS)
    while high / low > 1.02:
        middle = np.sqrt(low * high)
        low, high = (low, middle) if decided(middle) else (middle, high)
    return int(np.ceil(high))
