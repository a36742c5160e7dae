"""The cumulative verdict over a champion's monitoring looks, valid however many looks there are.

Every look adds its cell counts (per group: label by prediction) to the champion's record. At each look, every
check is judged on the rows of every window that ends at this look: from the first look (the cumulative
evidence) and from each later look (a restart, so that a shift after many good weeks is not averaged away).
Each window's confidence sequences (``sequential``) get the share ``start_weights`` gives its start, split
evenly over the checks and, within a check, over its one-sided statements (ordered group contrasts). So the
chance that any check ever shows a breach that is not there, at any look, in any window, is at most ``alpha``.

A breach stands once shown: the record keeps the look that first showed it. ``insufficient_evidence`` and
``ok`` follow the gate's rule on the cumulative rows (a group below ``gate.min_group_size``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from fairgate.core import gaps, sequential
from fairgate.core.config import GateConfig
from fairgate.core.gate import CEILINGS, small_detail, small_groups
from fairgate.core.gate_statistics import evidence_counts

OK, BREACH, INSUFFICIENT = "ok", "breach", "insufficient_evidence"
ACCURACY = "accuracy"


@dataclass(frozen=True)
class WindowJudgement:
    """One check over every window ending at the last look (a leading axis of batch dimensions allowed)."""

    estimate: np.ndarray  # cumulative (from the first look)
    low: np.ndarray  # cumulative interval, at the first window's level
    high: np.ndarray
    breach: np.ndarray  # any window shows it
    start: np.ndarray  # 1-based look where the most telling window starts
    bound: np.ndarray  # that window's deciding bound (a gap's lower bound, accuracy's upper bound)


def check_names(attributes: list[str]) -> list[str]:
    return [ACCURACY] + [f"{metric}[{attribute}]" for attribute in attributes for metric in CEILINGS]


def _alphas(looks: int, alpha: float, horizon: int, checks: int, batch_dims: int) -> np.ndarray:
    shares = sequential.start_weights(looks, horizon) * alpha / checks
    return shares.reshape(looks, *([1] * batch_dims))


def _most_telling(values: np.ndarray, pick) -> tuple[np.ndarray, np.ndarray]:
    where = pick(values, axis=0)
    return where + 1, np.take_along_axis(values, where[None], axis=0)[0]


def judge_gap(per_look: np.ndarray, metric: str, ceiling: float, alpha: float, horizon: int,
              checks: int) -> WindowJudgement:
    """``per_look[look, ..., group, label, prediction]`` -> the gap ``metric`` judged against ``ceiling``."""
    windows = sequential.window_sums(np.asarray(per_look, dtype=np.float64))
    looks, groups = windows.shape[0], windows.shape[-3]
    statements = max(groups * (groups - 1), 1) * len(gaps.COMPONENTS[metric])
    level = _alphas(looks, alpha, horizon, checks, windows.ndim - 4) / statements
    rates = gaps.group_rates(windows)
    lows, highs, estimates = [], [], []
    for name in gaps.COMPONENTS[metric]:
        seq = sequential.rate_sequence(rates[name].successes, rates[name].trials, level[..., None])
        low, high = sequential.contrast_bounds(seq)
        lows.append(gaps.pairs_max(low)), highs.append(gaps.pairs_max(high)), estimates.append(gaps.spread(rates[name]))
    low = np.maximum(np.max(lows, axis=0), 0.0)
    high = np.clip(np.max(highs, axis=0), 0.0, 1.0)
    estimate = np.max(estimates, axis=0)
    start, bound = _most_telling(low, np.argmax)
    return WindowJudgement(estimate[0], low[0], high[0], bound > ceiling, start, bound)


def judge_accuracy(per_look: np.ndarray, floor: float, alpha: float, horizon: int, checks: int) -> WindowJudgement:
    """``per_look[look, ..., label, prediction]`` (all rows) -> accuracy judged against ``floor``."""
    windows = sequential.window_sums(np.asarray(per_look, dtype=np.float64))
    correct = windows[..., 0, 0] + windows[..., 1, 1]
    seq = sequential.rate_sequence(correct, windows.sum(axis=(-1, -2)),
                                   _alphas(windows.shape[0], alpha, horizon, checks, windows.ndim - 3))
    start, bound = _most_telling(seq.high, np.argmin)
    return WindowJudgement(seq.estimate[0], seq.low[0], seq.high[0], bound < floor, start, bound)


def judge_record(record: dict[str, Any], gate: GateConfig) -> list[dict[str, Any]]:
    """Every check of the record after its last look, JSON-ready."""
    looks = record["looks"]
    alpha, horizon = record["alpha"], record["horizon"]
    attributes = list(record["groups"])
    checks = len(check_names(attributes))
    overall = np.array([look["overall"] for look in looks], dtype=np.float64)
    found = judge_accuracy(overall, gate.min_accuracy, alpha, horizon, checks)
    judged = [_entry(ACCURACY, f"upper bound >= floor {gate.min_accuracy}", found, gate.min_accuracy, "")]
    for attribute in attributes:
        per_look = np.array([look["counts"][attribute] for look in looks], dtype=np.float64)
        for metric, key in CEILINGS.items():
            ceiling = getattr(gate, key)
            found = judge_gap(per_look, metric, ceiling, alpha, horizon, checks)
            evidence = {"evidence": {attribute: evidence_counts(per_look.sum(axis=0), record["groups"][attribute])}}
            small = small_groups(evidence, attribute, metric, gate)
            judged.append(_entry(f"{metric}[{attribute}]", f"lower bound <= ceiling {ceiling}", found, ceiling,
                                 small_detail(small, gate) if small else ""))
    return judged


def _entry(name: str, rule: str, found: WindowJudgement, limit: float, small: str) -> dict[str, Any]:
    status = BREACH if bool(found.breach) else INSUFFICIENT if small else OK

    def value(x: np.ndarray) -> float | None:
        return None if np.isnan(x) else round(float(x), 6)

    return {"name": name, "rule": rule, "limit": limit, "status": status, "detail": small if status != BREACH else "",
            "interval": {"estimate": value(found.estimate), "low": value(found.low), "high": value(found.high)},
            "window": {"from_look": int(found.start), "bound": value(found.bound)}}


def verdict(checks: list[dict[str, Any]]) -> str:
    """A look's or a record's verdict from its checks' statuses: any breach, else any insufficient, else ok."""
    statuses = {c["status"] for c in checks}
    return BREACH if BREACH in statuses else INSUFFICIENT if INSUFFICIENT in statuses else OK
