"""Monitoring over a year of weekly looks: how often each rule breaches a fair champion, and how fast it finds a
real shift. `make bench-monitoring`; figures go to the ``monitoring`` key of bench/results.json and the table
in docs/statistics.md.

- **Known truth** (``truth_years``, also the fast test): cell counts drawn from group rates we set, every check
  at its rule's limit (each gap at its ceiling, accuracy at its floor), so any breach is false.
- **Replay** (``replay_years``): a model trained on the built-in generator scores weekly batches of its rows
  (sex and age_group sensitive). "No shift" replays them as drawn; "shift" raises one group's selection rate by
  ``SHIFT`` from week ``SHIFT_AT`` on (rows it would reject flipped to accepted at random).

Each is judged by the anytime-valid record (``cumulative``) and by today's rule applied to each look on its own
(the gate's corrected 95% intervals, ``gaps``).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.study_files import write_study
from fairgate.core import cumulative, gaps
from fairgate.core.config import GateConfig, SyntheticConfig
from fairgate.core.gate import CEILINGS
from fairgate.core.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
RESULTS, DOC = ROOT / "bench" / "results.json", ROOT / "docs" / "statistics.md"
START, END = "<!-- bench:monitoring -->", "<!-- /bench:monitoring -->"
ATTRIBUTES = ("sex", "age_group")
LOOKS, ROWS, SHIFT, SHIFT_AT = 52, 500, 0.15, 20
ALPHA, HORIZON = 0.05, 52


def first_breaches(counts: dict[str, np.ndarray], overall: np.ndarray, gate: GateConfig, alpha: float = ALPHA,
                   horizon: int = HORIZON) -> dict[str, np.ndarray]:
    """``counts[attribute][look, year, group, label, prediction]`` and ``overall[look, year, label, prediction]``
    -> per year, the first look (1-based, 0 for none) at which each rule shows any breach."""
    looks, years = overall.shape[:2]
    checks = len(cumulative.check_names(list(counts)))
    anytime, naive = np.zeros(years, dtype=int), np.zeros(years, dtype=int)
    for t in range(1, looks + 1):
        shown = cumulative.judge_accuracy(overall[:t], gate.min_accuracy, alpha, horizon, checks).breach
        alone = _accuracy_alone(overall[t - 1], gate.min_accuracy)
        for per_look in counts.values():
            for metric, key in CEILINGS.items():
                ceiling = getattr(gate, key)
                shown = shown | cumulative.judge_gap(per_look[:t], metric, ceiling, alpha, horizon, checks).breach
                rates = gaps.group_rates(per_look[t - 1])
                low = gaps.lower_bound([rates[name] for name in gaps.COMPONENTS[metric]], 0.95)
                alone = alone | (low > ceiling)
        anytime = np.where((anytime == 0) & shown, t, anytime)
        naive = np.where((naive == 0) & alone, t, naive)
    return {"anytime": anytime, "naive": naive}


def _accuracy_alone(cells: np.ndarray, floor: float) -> np.ndarray:
    correct, rows = cells[..., 0, 0] + cells[..., 1, 1], cells.sum(axis=(-1, -2))
    _, _, high = gaps.wilson(gaps.Rates(correct, rows), gaps.z_value(0.025))
    return high < floor


def truth_years(years: int, seed: int, looks: int = LOOKS, rows: int = ROWS) -> tuple[dict, np.ndarray, GateConfig]:
    """Years of looks drawn from a known truth where every check sits exactly at its limit: two groups (60/40)
    whose selection rates differ by the ceiling, three groups (35/40/25) likewise, the labels' positive rate 0.3
    and predictions that follow the label with the same TPR and FPR gaps; the floor is the true accuracy."""
    rng = np.random.default_rng(seed)
    gap, positive = 0.1, 0.3
    shares = {"sex": [0.6, 0.4], "age_group": [0.35, 0.40, 0.25]}
    tpr = {"sex": [0.7, 0.6], "age_group": [0.7, 0.65, 0.6]}
    fpr = {"sex": [0.15, 0.05], "age_group": [0.15, 0.1, 0.05]}
    counts, overall = {}, np.zeros((looks, years, 2, 2))
    labels = rng.binomial(rows, positive, size=(looks, years))
    for attribute in ATTRIBUTES:  # one attribute's draw gives the overall cells; the other is drawn alike
        cells = _cells(rng, labels, rows - labels, shares[attribute], tpr[attribute], fpr[attribute])
        counts[attribute] = cells
        if attribute == "sex":
            overall = cells.sum(axis=2)
    accuracy = positive * np.dot(shares["sex"], tpr["sex"]) + (1 - positive) * (1 - np.dot(shares["sex"], fpr["sex"]))
    gate = GateConfig(min_accuracy=float(accuracy), max_demographic_parity_difference=gap,
                      max_equalized_odds_difference=gap)
    return counts, overall, gate


def _cells(rng, positives, negatives, shares, tpr, fpr) -> np.ndarray:
    k = len(shares)
    cells = np.zeros((*positives.shape, k, 2, 2))
    pos_groups = _multinomial(rng, positives, shares)
    neg_groups = _multinomial(rng, negatives, shares)
    for g in range(k):
        tp, fp = rng.binomial(pos_groups[..., g], tpr[g]), rng.binomial(neg_groups[..., g], fpr[g])
        cells[..., g, 1, 1], cells[..., g, 1, 0] = tp, pos_groups[..., g] - tp
        cells[..., g, 0, 1], cells[..., g, 0, 0] = fp, neg_groups[..., g] - fp
    return cells


def _multinomial(rng, totals: np.ndarray, shares) -> np.ndarray:
    flat = np.array([rng.multinomial(n, shares) for n in totals.ravel()])
    return flat.reshape(*totals.shape, len(shares))


def scored_pool(rows: int, seed: int) -> pd.DataFrame:
    """Rows of the built-in generator with a trained model's 0/1 prediction beside the label: a logistic
    regression on one-hot columns, fitted on other rows of the same generator."""
    from sklearn.linear_model import LogisticRegression

    train = generate(SyntheticConfig(rows=50_000, seed=seed, bias=0.0))
    pool = generate(SyntheticConfig(rows=rows, seed=seed + 1, bias=0.0))
    features = pd.get_dummies(pd.concat([train, pool]).drop(columns="income"), dtype=float)
    model = LogisticRegression(max_iter=500).fit(features.iloc[:len(train)], train["income"] == ">50K")
    scored = pool[list(ATTRIBUTES)].astype("str").copy()
    scored["label"] = (pool["income"] == ">50K").astype(int).to_numpy()
    scored["prediction"] = model.predict(features.iloc[len(train):]).astype(int)
    return scored


def replay_years(pool: pd.DataFrame, years: int, seed: int, shift: float = 0.0, shifted: str = "Female",
                 rows: int = ROWS, looks: int = LOOKS) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Weekly batches of ``rows`` drawn from ``pool``; from week ``SHIFT_AT`` on, sex ``shifted``'s selection
    rate rises by ``shift``."""
    rng = np.random.default_rng(seed)
    picked = rng.integers(0, len(pool), size=(looks, years, rows))
    label, prediction = pool["label"].to_numpy()[picked], pool["prediction"].to_numpy()[picked]
    sex = pool["sex"].to_numpy()[picked]
    if shift:
        target = sex == shifted
        rate = pool.loc[pool["sex"] == shifted, "prediction"].mean()
        flip = (np.arange(looks)[:, None, None] >= SHIFT_AT - 1) & target & (prediction == 0)
        prediction = np.where(flip & (rng.random(prediction.shape) < shift / (1 - rate)), 1, prediction)
    cell = label * 2 + prediction
    counts = {}
    for attribute in ATTRIBUTES:
        names, codes = np.unique(pool[attribute].to_numpy(), return_inverse=True)
        group = codes[picked]
        flat = ((np.arange(looks)[:, None, None] * years + np.arange(years)[None, :, None]) * len(names) + group) * 4
        counts[attribute] = np.bincount((flat + cell).ravel(), minlength=looks * years * len(names) * 4).reshape(
            looks, years, len(names), 2, 2).astype(float)
    return counts, counts["sex"].sum(axis=2)


def detection(first: np.ndarray) -> dict[str, Any]:
    """Looks from the shift to the first breach shown after it; breaches before the shift counted apart."""
    after = first >= SHIFT_AT
    delay = np.where(after, first - SHIFT_AT + 1, np.inf)
    return {"median_looks_to_detect": float(np.median(delay)) if np.isfinite(np.median(delay)) else None,
            "detected_by_week_30": float(np.mean(after & (first <= 30))),
            "breach_before_shift": float(np.mean((first > 0) & (first < SHIFT_AT)))}


def study(years: int, rows_per_look: list[int]) -> dict[str, Any]:
    pool = scored_pool(400_000, seed=3)
    gate = GateConfig()
    counts, overall, limits = truth_years(years, seed=11)
    truth = first_breaches(counts, overall, limits)
    found: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "years": years,
                             "looks": LOOKS, "shift": SHIFT, "shift_at": SHIFT_AT, "alpha": ALPHA, "horizon": HORIZON,
                             "pool_rates": pool.groupby("sex")["prediction"].mean().round(4).to_dict(),
                             "at_the_limits": {rule: float(np.mean(first > 0)) for rule, first in truth.items()},
                             "replay": {}}
    for rows in rows_per_look:
        still = first_breaches(*replay_years(pool, years, seed=21, rows=rows), gate)
        moved = first_breaches(*replay_years(pool, years, seed=22, shift=SHIFT, rows=rows), gate)
        found["replay"][str(rows)] = {rule: {"false_breach_years": float(np.mean(still[rule] > 0))}
                                      | detection(moved[rule]) for rule in ("naive", "anytime")}
    found["information_bound"] = information_bound(pool, ROWS)
    return found


def information_bound(pool: pd.DataFrame, rows: int) -> dict[str, float]:
    """The fewest looks any rule with a ``ALPHA`` chance of a false breach can need on average to show the shift
    on the sex DP check alone, knowing when it happened (Wald: log(1 / alpha) over the information per look)."""
    share = float((pool["sex"] == "Female").mean())
    rates = pool.groupby("sex")["prediction"].mean()
    low, high = float(rates.min()), float(rates.min()) + SHIFT
    variance = high * (1 - high) / (rows * share) + low * (1 - low) / (rows * (1 - share))
    excess = (high - low) - GateConfig().max_demographic_parity_difference
    per_look = excess ** 2 / (2 * variance)
    return {"nats_per_look": round(per_look, 4), "looks_at_least": round(float(np.log(1 / ALPHA) / per_look), 2)}


def markdown(found: dict[str, Any]) -> str:
    lines = [f"{found['years']} replayed years of {found['looks']} weekly looks; shift {found['shift']} at week "
             f"{found['shift_at']}; alpha {found['alpha']}, horizon {found['horizon']} ({found['date'][:10]}).", "",
             "| rows per look | rule | years with any false breach (no shift) | median looks to detect | "
             "detected by week 30 | breach before the shift |", "| --- | --- | --- | --- | --- | --- |"]
    for rows, rules in found["replay"].items():
        for rule, cell in rules.items():
            name = "per look, 95% (today's rule)" if rule == "naive" else "anytime-valid record"
            lines.append(f"| {rows} | {name} | {cell['false_breach_years']:.3f} | {cell['median_looks_to_detect']} | "
                         f"{cell['detected_by_week_30']:.3f} | {cell['breach_before_shift']:.3f} |")
    limits = found["at_the_limits"]
    bound = found["information_bound"]
    lines += ["", f"Known truth with every check at its limit (any breach is false): years with a false breach "
              f"{limits['anytime']:.3f} anytime-valid, {limits['naive']:.3f} per look.", "",
              f"Information bound: the sex DP check gains {bound['nats_per_look']} nats per look of {ROWS} rows, "
              f"so any rule holding a {ALPHA:.0%} false-breach chance needs at least {bound['looks_at_least']} looks "
              "on average, even knowing when the shift happened and watching this one check."]
    return "\n".join(lines)


def write(found: dict[str, Any]) -> None:
    write_study("monitoring", found, markdown(found), RESULTS, DOC, (START, END))


def main() -> None:
    quick = os.environ.get("QUICK", "") not in ("", "0")
    found = study(years=50 if quick else 200, rows_per_look=[ROWS] if quick else [ROWS, 2000])
    write(found)
    print(markdown(found))


if __name__ == "__main__":
    main()
