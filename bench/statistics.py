"""The gate's statistics, measured against a known truth: `make bench-statistics` (or `python -m bench.statistics`).

Each trial draws test rows from group rates we set, so the true gap is known, and judges them with the gate's
intervals (``fairgate.core.gaps``) and, beside them in the same trials, with the percentile bootstrap that the
gate used before. For 2, 5 and 8 groups, 50 to 5,000 rows per group and base rates 0.1 and 0.3 it reports:

- coverage of the 95% intervals for the demographic-parity (DP) and equalized-odds (EO) gaps, at true gaps of half
  the ceiling and at the ceiling (at a true gap of 0 a gap's interval cannot miss below, so there the share of
  lower bounds above 0 is reported instead);
- false promotions: the share of trials whose upper bound passes a ceiling equal to the true gap;
- false breaches (the gate's ``fail`` and monitoring's ``breach`` are the same event): the share whose lower bound
  is above the ceiling when the true gap is 0 and when it equals the ceiling;
- power: the share that pass at true gaps of 0 and of half the ceiling;
- the accuracy difference (candidate - champion, paired): coverage, and false promotions in non-inferiority mode
  when the true difference sits at ``-margin``.

At the ceiling two layouts are drawn: the two extreme groups at either end with the rest between (the worst case
for the upper bound) and the groups split half and half between the ends (the worst case for the lower bound).
Figures go to the ``statistics`` key of bench/results.json and the table in docs/statistics.md.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np

from bench.study_files import write_study
from fairgate.core import gaps
from fairgate.core.bootstrap import percentile_interval

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
DOC = ROOT / "docs" / "statistics.md"
START, END = "<!-- study:start -->", "<!-- study:end -->"
CEILING, CONFIDENCE, MARGIN, RESAMPLES = 0.1, 0.95, 0.01, 1000
TPR, FPR = 0.7, 0.1  # the equalized-odds study's rates; its gap is planted in the TPR (positives are the fewer rows)


def layout(groups: int, gap: float, spread: str) -> np.ndarray:
    """Offsets from the base rate whose max minus min is ``gap``: ``extremes`` (one group at each end, the rest in
    the middle) or ``split`` (half the groups at each end)."""
    offsets = np.zeros(groups)
    if spread == "extremes":
        offsets[0], offsets[1] = -gap / 2, gap / 2
    else:
        offsets[: groups // 2], offsets[groups // 2:] = -gap / 2, gap / 2
    return offsets


def draw(metric: str, groups: int, rows: int, base: float, offsets: np.ndarray, trials: int,
         rng: np.random.Generator) -> np.ndarray:
    """``counts[trial, group, label, prediction]`` for one scenario. DP: predictions at selection rate ``base`` +
    offset (labels play no part); EO: labels at prevalence ``base``, predictions at TPR 0.7 + offset and FPR 0.1."""
    counts = np.zeros((trials, groups, 2, 2), dtype=np.int64)
    if metric == "demographic_parity_difference":
        selected = rng.binomial(rows, base + offsets, size=(trials, groups))
        counts[..., 0, 1], counts[..., 0, 0] = selected, rows - selected
        return counts
    positives = rng.binomial(rows, base, size=(trials, groups))
    hits = rng.binomial(positives, TPR + offsets)
    false = rng.binomial(rows - positives, np.full(groups, FPR))
    counts[..., 1, 1], counts[..., 1, 0] = hits, positives - hits
    counts[..., 0, 1], counts[..., 0, 0] = false, rows - positives - false
    return counts


def parts(counts: np.ndarray, metric: str) -> list[gaps.Rates]:
    rates = gaps.group_rates(counts)
    return [rates[name] for name in gaps.COMPONENTS[metric]]


def new_bounds(counts: np.ndarray, metric: str) -> tuple[np.ndarray, np.ndarray]:
    found = gaps.gap_interval(parts(counts, metric), CONFIDENCE)
    return found.low, found.high


def old_bounds(counts: np.ndarray, metric: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The gate's former method: the percentile bootstrap of the plug-in gap, rows resampled as cell counts."""
    trials, groups = counts.shape[:2]
    flat = counts.reshape(trials, -1)
    lows, highs = np.empty(trials), np.empty(trials)
    for t in range(trials):
        resampled = rng.multinomial(flat[t].sum(), flat[t] / flat[t].sum(), size=RESAMPLES)
        both = np.vstack([flat[t][None], resampled]).reshape(RESAMPLES + 1, groups, 2, 2)
        values = np.max([gaps.spread(r) for r in parts(both, metric)], axis=0)
        interval = percentile_interval(values, CONFIDENCE)
        lows[t], highs[t] = interval.low, interval.high
    return lows, highs


def judged(low: np.ndarray, high: np.ndarray, truth: float) -> dict[str, float]:
    """Shares of trials: the interval covers the truth, misses it above or below, passes or fails the ceiling."""
    share = lambda mask: round(float(np.mean(mask)), 4)  # noqa: E731
    return {"covered": share((low <= truth) & (truth <= high)), "low_above_truth": share(low > truth),
            "high_below_truth": share(high < truth), "passes": share(high < CEILING), "fails": share(low > CEILING)}


def gap_cell(metric: str, groups: int, rows: int, base: float, trials: int, old_trials: int,
             rng: np.random.Generator) -> dict[str, Any]:
    """Every scenario of one (metric, groups, rows, base rate) cell, new method and old side by side."""
    cell: dict[str, Any] = {"metric": metric, "groups": groups, "rows": rows, "base_rate": base}
    for name, gap, spread in (("zero", 0.0, "extremes"), ("half", CEILING / 2, "extremes"),
                              ("ceiling_extremes", CEILING, "extremes"), ("ceiling_split", CEILING, "split")):
        counts = draw(metric, groups, rows, base, layout(groups, gap, spread), trials, rng)
        cell[name] = {"truth": gap, "new": judged(*new_bounds(counts, metric), gap),
                      "old": judged(*old_bounds(counts[:old_trials], metric, rng), gap)}
    return cell


def accuracy_cell(rows: int, trials: int, rng: np.random.Generator) -> dict[str, Any]:
    """The paired accuracy difference on ``rows`` test rows: coverage at a true difference of +0.01, and false
    promotions (lower bound >= -margin) at a true difference of -margin."""
    found = {"rows": rows}
    for name, cells in (("coverage", [0.78, 0.06, 0.05, 0.11]), ("at_margin", [0.78, 0.05, 0.06, 0.11])):
        # P(both right), P(only the candidate right), P(only the champion right), P(neither)
        truth = cells[1] - cells[2]
        observed = rng.multinomial(rows, cells, size=trials)
        lows, highs = np.empty(trials), np.empty(trials)
        for t in range(trials):
            resampled = np.vstack([observed[t][None], rng.multinomial(rows, observed[t] / rows, size=RESAMPLES)])
            interval = percentile_interval((resampled[:, 1] - resampled[:, 2]) / rows, CONFIDENCE)
            lows[t], highs[t] = interval.low, interval.high
        found[name] = {"truth": round(truth, 4), "covered": round(float(np.mean((lows <= truth) & (truth <= highs))), 4),
                       "passes_non_inferiority": round(float(np.mean(lows >= -MARGIN)), 4)}
    return found


def study(groups: list[int], rows: list[int], bases: list[float], trials: int, old_trials: int,
          seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    cells = []
    for metric, k, n, base in product(gaps.COMPONENTS, groups, rows, bases):
        cells.append(gap_cell(metric, k, n, base, trials, old_trials, rng))
        print(f"statistics: {metric} {k} groups x {n} rows, base rate {base}: {time.perf_counter() - started:.0f} s",
              flush=True)
    accuracy = [accuracy_cell(2 * n, trials, rng) for n in rows]
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "trials": trials, "old_trials": old_trials,
            "confidence": CONFIDENCE, "ceiling": CEILING, "margin": MARGIN, "resamples": RESAMPLES, "seed": seed,
            "cells": cells, "accuracy": accuracy, "summary": summary(cells), "seconds": round(time.perf_counter() - started)}


def summary(cells: list[dict[str, Any]]) -> dict[str, Any]:
    """The worst case of each promise over the grid, per method."""
    out: dict[str, Any] = {}
    for method in ("new", "old"):
        def at(scenario: str, key: str, method: str = method) -> list[float]:
            return [c[scenario][method][key] for c in cells]

        covered = at("half", "covered") + at("ceiling_extremes", "covered") + at("ceiling_split", "covered")
        out[method] = {"coverage_min": min(covered), "coverage_max": max(covered),
                       "false_promotion_max": max(at("ceiling_extremes", "passes") + at("ceiling_split", "passes")),
                       "false_breach_at_zero_max": max(at("zero", "fails")),
                       "false_breach_at_ceiling_max": max(at("ceiling_extremes", "fails") + at("ceiling_split", "fails")),
                       "lower_above_zero_max": max(at("zero", "low_above_truth"))}
    return out


def markdown(found: dict[str, Any]) -> str:
    """The study's table for docs/statistics.md: per cell, each promise for the new method (old in brackets)."""
    pct = lambda v: f"{100 * v:.1f}"  # noqa: E731
    lines = [f"Measured {found['date'][:10]} by `python -m bench.statistics`: {found['trials']} trials per scenario "
             f"({found['old_trials']} for the old method, whose bootstrap draws {found['resamples']} resamples), "
             f"ceiling {found['ceiling']}, 95% intervals. Each cell: new method, then (old method). All figures in %.",
             "", "| gap | groups | rows/group | base rate | coverage at ceiling/2 | coverage at ceiling (worst layout) "
             "| false promotion (worst layout) | false breach, true gap 0 | false breach, gap at ceiling (worst) "
             "| lower bound > 0, true gap 0 | passes, true gap 0 | passes, true gap ceiling/2 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for c in found["cells"]:
        row = []
        for values in ((c["half"], "covered", min), ((c["ceiling_extremes"], c["ceiling_split"]), "covered", min),
                       ((c["ceiling_extremes"], c["ceiling_split"]), "passes", max), (c["zero"], "fails", max),
                       ((c["ceiling_extremes"], c["ceiling_split"]), "fails", max), (c["zero"], "low_above_truth", max),
                       (c["zero"], "passes", max), (c["half"], "passes", max)):
            scenarios, key, worst = values
            scenarios = scenarios if isinstance(scenarios, tuple) else (scenarios,)
            new, old = (worst(s[m][key] for s in scenarios) for m in ("new", "old"))
            row.append(f"{pct(new)} ({pct(old)})")
        name = "DP" if c["metric"].startswith("demographic") else "EO"
        lines.append(f"| {name} | {c['groups']} | {c['rows']:,} | {c['base_rate']} | " + " | ".join(row) + " |")
    lines += ["", "Accuracy difference (candidate - champion, paired percentile bootstrap, unchanged):", "",
              "| test rows | coverage (true difference +0.01) | passes non-inferiority at the margin (true -0.01) |",
              "| --- | --- | --- |"]
    lines += [f"| {a['rows']:,} | {pct(a['coverage']['covered'])} | {pct(a['at_margin']['passes_non_inferiority'])} |"
              for a in found["accuracy"]]
    return "\n".join(lines)


def write(found: dict[str, Any]) -> None:
    write_study("statistics", found, markdown(found), RESULTS, DOC, (START, END))


def main() -> None:
    quick = os.environ.get("QUICK", "") not in ("", "0")
    found = study([2, 5, 8], [50, 200, 1000, 5000], [0.1, 0.3], trials=400 if quick else 4000,
                  old_trials=100 if quick else 400)
    write(found)
    print(json.dumps(found["summary"], indent=2))


if __name__ == "__main__":
    main()
