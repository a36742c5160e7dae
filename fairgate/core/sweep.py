"""Seed sweeps: which seeds to train, and the spread of each metric across them (how much of a metric
difference between two models is noise)."""

from __future__ import annotations

from typing import Any

import numpy as np

HEADLINE = ("accuracy", "balanced_accuracy", "roc_auc")


def parse_seeds(text: str) -> list[int]:
    """'1,2,3' or '1-4' (inclusive) -> a list of distinct seeds, in order."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        low, sep, high = part.partition("-")
        try:
            seeds += list(range(int(low), int(high) + 1)) if sep and low else [int(part)]
        except ValueError:
            raise ValueError(f"--seeds '{text}': use numbers like 1,2,3 or a range like 1-5") from None
    if not seeds:
        raise ValueError("--seeds is empty: give at least one seed, e.g. 1,2,3")
    return list(dict.fromkeys(seeds))


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean, standard deviation, min and max of every metric across seeds."""
    names = sorted(set().union(*(r["metrics"] for r in results)))
    summary = {}
    for name in names:
        values = np.array([r["metrics"][name] for r in results if name in r["metrics"]], dtype=float)
        summary[name] = {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                         "min": float(values.min()), "max": float(values.max())}
    return summary
