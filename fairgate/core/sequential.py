"""Confidence sequences: intervals that hold at every look at once, however often a team looks.

- **Each group's rate** (a selection rate, TPR, FPR, or accuracy) gets the beta-binomial mixture confidence
  sequence (Robbins 1970; Howard, Ramdas, McAuliffe and Sekhon 2021, "Time-uniform, nonparametric,
  nonasymptotic confidence sequences", section 3.3). For a rate ``p`` the mixture likelihood ratio

      M_n(p) = B(a + S, b + F) / B(a, b) / (p^S (1 - p)^F)

  over the ``S`` successes and ``F`` failures seen so far is a nonnegative martingale with mean 1 when ``p`` is
  the true rate, so by Ville's inequality it ever reaches ``1 / alpha`` with probability at most ``alpha``. The
  sequence is the set of rates where it has not: an interval, since ``log M_n`` is convex in ``p``. It needs only
  the running counts, not the order of the rows, and holds exactly at small counts and near 0 and 1.
- **A contrast between two groups** ``r_i - r_j`` combines the two groups' sequences the way Newcombe's hybrid
  score interval combines Wilson intervals (method 10 of Newcombe 1998): the distances from each estimate to
  its bounds add in quadrature. The gap's bounds are then the gate's: the largest contrast bound.
- **Restarts**, so that old good weeks do not hide a new bad one: a sequence also starts at every later look,
  each with a share of ``alpha`` (``start_weights``), and a breach shown by any of them counts.

The simulations in tests/model/test_sequential.py and bench/monitoring.py measure the promise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln

from fairgate.core import gaps

PRIOR = (0.5, 0.5)  # Jeffreys' Beta prior on the rate: the mixture that favours no rate
BISECTIONS = 44  # halvings of [0, 1]: bounds to 1e-13
BEYOND_HORIZON = 0.25  # the share of alpha kept for restarts after the planned horizon


@dataclass(frozen=True)
class Sequence:
    """Estimate and bounds per rate, arrays of one shape (NaN estimate and [0, 1] where nothing is seen)."""

    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray


def rate_sequence(successes: np.ndarray, trials: np.ndarray, alpha: np.ndarray | float) -> Sequence:
    """The beta-binomial mixture confidence sequence of each rate at level ``alpha`` (which broadcasts)."""
    s = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    s, n, alpha = np.broadcast_arrays(s, n, np.asarray(alpha, dtype=np.float64))
    f = n - s
    a, b = PRIOR
    threshold = np.log(1.0 / alpha) + betaln(a, b) - betaln(a + s, b + f)  # -S log p - F log(1-p) stays below it
    seen = n > 0
    p = np.where(seen, s / np.where(seen, n, 1.0), 0.5)

    def excess(q: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            value = -np.where(s > 0, s * np.log(q), 0.0) - np.where(f > 0, f * np.log1p(-q), 0.0)
        return value - threshold

    low = _root(excess, np.zeros_like(p), p, rising=False)
    high = _root(excess, p, np.ones_like(p), rising=True)
    low = np.where(s > 0, low, 0.0)
    high = np.where(f > 0, high, 1.0)
    return Sequence(np.where(seen, p, np.nan), np.where(seen, low, 0.0), np.where(seen, high, 1.0))


def _root(excess, left: np.ndarray, right: np.ndarray, rising: bool) -> np.ndarray:
    """Where the convex ``excess`` crosses 0 between ``left`` and ``right``, on the side it rises (or falls)."""
    left, right = left.copy(), right.copy()
    for _ in range(BISECTIONS):
        middle = (left + right) / 2
        inside = excess(middle) < 0
        if rising:
            left, right = np.where(inside, middle, left), np.where(inside, right, middle)
        else:
            left, right = np.where(inside, left, middle), np.where(inside, middle, right)
    return right if rising else left


def contrast_bounds(seq: Sequence) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of ``r_i - r_j`` for every ordered pair of groups (the last axis), by the hybrid combination."""
    return gaps.hybrid_contrasts(seq.estimate, seq.low, seq.high)


def start_weights(looks: int, horizon: int) -> np.ndarray:
    """The share of alpha of the sequence that starts at each look ``1..looks``: an equal share for each start
    within the planned ``horizon``, and the rest, ``BEYOND_HORIZON``, spread as ``1 / (k (k + 1))`` over the
    ``k``-th start after it. The shares of all starts ever sum to 1, so the promise holds past the horizon too."""
    start = np.arange(1, looks + 1, dtype=np.float64)
    k = start - horizon
    beyond = BEYOND_HORIZON / np.maximum(k * (k + 1), 1.0)
    return np.where(start <= horizon, (1.0 - BEYOND_HORIZON) / horizon, beyond)


def window_sums(per_look: np.ndarray) -> np.ndarray:
    """``per_look[look, ...]`` -> the sums over looks ``s..t`` for every start ``s``, ending at the last look."""
    return np.cumsum(per_look[::-1], axis=0)[::-1]
