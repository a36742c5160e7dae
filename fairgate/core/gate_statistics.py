"""The evidence the gate and monitoring judge: intervals for the primary metric and every fairness gap.

- The primary metric (accuracy or balanced accuracy), the champion's and their difference: a paired percentile
  bootstrap over the test rows, resampled as cell counts (``bootstrap``). These are smooth statistics, for
  which the percentile bootstrap keeps its level.
- Each fairness gap of the candidate and of the champion: the score-based bounds of ``gaps``, which stay
  honest for any number of groups, where a bootstrap of a max-minus-min does not.
- The change in a gap against the champion: a gap is its largest contrast (a difference between two groups'
  rates), so the candidate's gap less the champion's is at most the change in the candidate's own largest
  contrast, and at least the change in the champion's. The bounds are therefore the largest upper and the
  smallest lower paired-bootstrap bound of the per-contrast changes, each at the interval's own level.

Each feature's per-group counts are kept beside its intervals (``evidence``): the rows each rate actually uses.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core import gaps
from fairgate.core.bootstrap import (
    Interval,
    feature_groups,
    joint_groups,
    percentile_interval,
    primary_metric,
    resampled_cells,
)

METHOD = {"primary": "paired percentile bootstrap",
          "fairness": "max of Newcombe contrast bounds: upper unadjusted (intersection-union), lower Bonferroni"}


def gap_interval(counts: np.ndarray, metric: str, confidence: float) -> Interval:
    """One gap's interval from ``counts[group, label, prediction]`` on the observed rows."""
    rates = gaps.group_rates(counts)
    found = gaps.gap_interval([rates[name] for name in gaps.COMPONENTS[metric]], confidence)
    return Interval(float(found.estimate), float(found.low), float(found.high))


def change_interval(candidate: np.ndarray, champion: np.ndarray, metric: str, confidence: float) -> Interval:
    """(candidate gap - champion gap) from resampled ``counts[resample, group, label, prediction]`` (see above)."""
    tail = (1.0 - confidence) / 2.0 * 100.0
    names = gaps.COMPONENTS[metric]
    cand, champ = gaps.group_rates(candidate), gaps.group_rates(champion)
    estimate = max(float(gaps.spread(cand[n])[0]) for n in names) - max(float(gaps.spread(champ[n])[0]) for n in names)
    lows, highs = [], []
    for name in names:
        change = _contrasts(cand[name]) - _contrasts(champ[name])
        off_diagonal = ~np.eye(change.shape[-1], dtype=bool)
        draws = change[1:][:, off_diagonal]
        with warnings.catch_warnings():  # a contrast with an empty group in every resample is NaN, and skipped
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = np.nanpercentile(draws, [tail, 100.0 - tail], axis=0)
        lows.append(np.nanmin(low, initial=np.inf)), highs.append(np.nanmax(high, initial=-np.inf))
    low, high = min(lows), max(highs)
    if not np.isfinite(low) or not np.isfinite(high):  # fewer than two groups: no contrast, no change
        low = high = 0.0
    return Interval(estimate, low, high)


def _contrasts(rates: gaps.Rates) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(rates.trials > 0, rates.successes / np.where(rates.trials > 0, rates.trials, 1), np.nan)
    return p[..., :, None] - p[..., None, :]


def evidence_counts(counts: np.ndarray, names: np.ndarray) -> dict[str, dict[str, int]]:
    """Per group: the rows, labelled positives and negatives each rate uses, and the successes among them."""
    table = {}
    for name, cells in zip(names, np.asarray(counts, dtype=np.int64), strict=True):
        table[str(name)] = {"rows": int(cells.sum()), "positives": int(cells[1].sum()), "negatives": int(cells[0].sum()),
                            "selected": int(cells[:, 1].sum()), "true_positives": int(cells[1, 1]),
                            "false_positives": int(cells[0, 1])}
    return table


def gate_statistics(y: np.ndarray, candidate: np.ndarray, champion: np.ndarray | None, sensitive: pd.DataFrame,
                    *, n: int, seed: int, confidence: float, primary: str, intersectional: bool = False) -> dict[str, Any]:
    """Intervals for the candidate, the champion and their difference on the same rows.

    ``candidate`` and ``champion`` are 0/1 predictions. Returns JSON-ready data: the primary metric, each
    feature's fairness gaps, its group sizes and the per-group counts behind each rate.
    """
    y = np.asarray(y, dtype=np.int64)
    pc = np.asarray(candidate, dtype=np.int64)
    pch = pc if champion is None else np.asarray(champion, dtype=np.int64)
    groups = feature_groups(sensitive, intersectional)
    codes, joint_frame = joint_groups(groups)
    n_groups = len(joint_frame)
    cells = resampled_cells(((codes * 2 + y) * 2 + pc) * 2 + pch, n_groups * 8, n, seed)
    counts = cells.reshape(n + 1, n_groups, 2, 2, 2)
    cand_counts, champ_counts = counts.sum(axis=4), counts.sum(axis=3)

    cand_primary, champ_primary = primary_metric(cand_counts, primary), primary_metric(champ_counts, primary)
    result: dict[str, Any] = {
        "n_resamples": n, "seed": seed, "confidence": confidence, "primary_metric": primary, "method": METHOD,
        "primary": {"candidate": percentile_interval(cand_primary, confidence).to_dict()},
        "fairness": {}, "group_counts": {}, "evidence": {},
    }
    if champion is not None:
        result["primary"]["champion"] = percentile_interval(champ_primary, confidence).to_dict()
        result["primary"]["difference"] = percentile_interval(cand_primary - champ_primary, confidence).to_dict()

    for position, feature in enumerate(groups):
        labels = joint_frame.iloc[:, position].to_numpy()
        names, member = np.unique(labels, return_inverse=True)
        onehot = np.eye(len(names))[member]  # joint group -> this feature's group
        cand_f = np.einsum("bgyp,gk->bkyp", cand_counts, onehot)
        champ_f = np.einsum("bgyp,gk->bkyp", champ_counts, onehot)
        entry: dict[str, Any] = {}
        for metric in gaps.COMPONENTS:
            entry[metric] = {"candidate": gap_interval(cand_f[0], metric, confidence).to_dict()}
            if champion is not None:
                entry[metric]["champion"] = gap_interval(champ_f[0], metric, confidence).to_dict()
                entry[metric]["difference"] = change_interval(cand_f, champ_f, metric, confidence).to_dict()
        result["fairness"][feature] = entry
        result["evidence"][feature] = evidence_counts(cand_f[0], names)
        result["group_counts"][feature] = {g: c["rows"] for g, c in result["evidence"][feature].items()}
    return result


def evidence_rates(evidence: dict[str, dict[str, int]]) -> dict[str, gaps.Rates]:
    """The rates a feature's recorded ``evidence`` counts give, in the order the groups are recorded."""
    table = list(evidence.values())

    def rates(successes: str, trials: str) -> gaps.Rates:
        return gaps.Rates(np.array([g[successes] for g in table], dtype=np.float64),
                          np.array([g[trials] for g in table], dtype=np.float64))

    return {"selection": rates("selected", "rows"), "tpr": rates("true_positives", "positives"),
            "fpr": rates("false_positives", "negatives")}
