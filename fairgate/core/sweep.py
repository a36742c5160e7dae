"""Seed sweeps: which seeds to train, and the spread of each metric across them (how much of a metric
difference between two models is noise)."""

from __future__ import annotations

from typing import Any

import numpy as np

HEADLINE = ("accuracy", "balanced_accuracy", "roc_auc")


def parse_seeds(text: str) -> list[int]:
    """'1,2,3' or '1-4' (inclusive) -> a list of distinct seeds, in order: at least two, none repeated, since the
    sweep reports their spread."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        low, sep, high = part.partition("-")
        try:
            seeds += list(range(int(low), int(high) + 1)) if sep and low else [int(part)]
        except ValueError:
            raise ValueError(f"--seeds '{text}': use numbers like 1,2,3 or a range like 1-5") from None
    if not seeds:
        raise ValueError("--seeds is empty: give at least two seeds, e.g. 1,2,3")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(f"--seeds '{text}' repeats {repeated}: the same seed trains the same model, so its spread "
                         "would be 0; give distinct seeds, e.g. 1,2,3")
    if len(seeds) < 2:
        raise ValueError(f"--seeds '{text}' is one seed, which has no spread; give at least two, e.g. 1,2,3 (or "
                         "`fairgate run` for one model)")
    return seeds


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean, standard deviation, min and max of every metric across seeds."""
    names = sorted(set().union(*(r["metrics"] for r in results)))
    summary = {}
    for name in names:
        values = np.array([r["metrics"][name] for r in results if name in r["metrics"]], dtype=float)
        summary[name] = {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                         "min": float(values.min()), "max": float(values.max())}
    return summary
