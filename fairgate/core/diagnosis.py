"""Bias in the data, before any model: each sensitive feature's group shares, positive-label rates, and proxies.

Clarify calls the first two class imbalance and difference in positive proportions in labels (DPL);
here they are the share of each group and the largest gap in positive-label rate between groups.
A proxy is a feature that predicts the sensitive attribute on its own: dropping the attribute does
not remove what a model can learn of it. Each feature's score is the normalised mutual information
(NMI, 0 to 1) between it and the attribute, numeric features binned at their deciles, computed on
every k-th row (about 100k) so that it costs the same at 1M rows as at 100k.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.contract import Schema
from fairgate.core.preprocess import MISSING, category_text, encode_labels

SAMPLE_ROWS = 100_000
TOP_PROXIES = 5


def _codes(series: pd.Series, numeric: bool) -> np.ndarray:
    if numeric:
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        finite = values[np.isfinite(values)]
        edges = np.unique(np.quantile(finite, np.linspace(0.1, 0.9, 9))) if finite.size else np.array([])
        codes = np.searchsorted(edges, values, side="right")
        return np.where(np.isfinite(values), codes, len(edges) + 1)
    return pd.factorize(category_text(series), sort=False)[0]


def normalised_mutual_information(a: np.ndarray, b: np.ndarray) -> float:
    """NMI (arithmetic-mean normalisation, as scikit-learn's default) of two integer code arrays."""
    joint = np.bincount(a * (b.max() + 1) + b, minlength=(a.max() + 1) * (b.max() + 1)).reshape(a.max() + 1, -1)
    p = joint / joint.sum()
    pa, pb = p.sum(axis=1), p.sum(axis=0)
    nonzero = p > 0
    mutual = float((p[nonzero] * np.log(p[nonzero] / np.outer(pa, pb)[nonzero])).sum())
    entropy_a = -float((pa[pa > 0] * np.log(pa[pa > 0])).sum())
    entropy_b = -float((pb[pb > 0] * np.log(pb[pb > 0])).sum())
    denominator = (entropy_a + entropy_b) / 2
    return max(0.0, mutual / denominator) if denominator > 0 else 0.0


def proxies(frame: pd.DataFrame, schema: Schema, sensitive: str, top: int = TOP_PROXIES) -> list[dict[str, Any]]:
    """The features (other than ``sensitive``) most informative of ``sensitive``, best first."""
    groups = _codes(frame[sensitive], numeric=False)
    scores = [{"feature": column,
               "nmi": round(normalised_mutual_information(_codes(frame[column], column in schema.numeric), groups), 4)}
              for column in schema.features if column != sensitive and column in frame.columns]
    return sorted(scores, key=lambda s: (-s["nmi"], s["feature"]))[:top]


def _group_rates(series: pd.Series, labels: np.ndarray) -> dict[str, dict[str, float]]:
    """Each group's rows, share and positive-label rate (missing values as their own group, ``__missing__``)."""
    codes, names = pd.factorize(series, sort=True)
    names = [str(n) for n in names] + [MISSING]
    codes = np.where(codes < 0, len(names) - 1, codes)
    rows = np.bincount(codes, minlength=len(names))
    positives = np.bincount(codes, weights=labels, minlength=len(names))
    total = max(len(series), 1)
    return {names[i]: {"rows": int(rows[i]), "share": round(float(rows[i]) / total, 6),
                       "positive_rate": round(float(positives[i] / rows[i]), 6)} for i in range(len(names)) if rows[i]}


def diagnose(frame: pd.DataFrame, schema: Schema, sample_rows: int = SAMPLE_ROWS) -> dict[str, Any]:
    """Per sensitive feature: each group's share of rows and positive-label rate, the largest rate gap, and the
    top proxies, on every ``k``-th row so that about ``sample_rows`` are read (a view, not a copy)."""
    labels = encode_labels(frame, schema)
    sample = frame.iloc[::max(1, -(-len(frame) // sample_rows))]
    report: dict[str, Any] = {"rows": int(len(frame)), "proxy_sample_rows": int(len(sample)), "features": {}}
    for feature in schema.sensitive:
        groups = _group_rates(frame[feature], labels)
        rates = [g["positive_rate"] for g in groups.values()]
        report["features"][feature] = {
            "groups": groups,
            "positive_rate_gap": round(max(rates) - min(rates), 6) if rates else 0.0,
            "proxies": proxies(sample, schema, feature),
        }
    return report


def describe(report: dict[str, Any]) -> list[str]:
    """One line per sensitive feature, for logs and the card."""
    lines = []
    for feature, found in report["features"].items():
        rates = ", ".join(f"{g} {v['positive_rate']:.3f} ({v['share']:.1%})" for g, v in found["groups"].items())
        top = ", ".join(f"{p['feature']} {p['nmi']:.3f}" for p in found["proxies"][:3])
        lines.append(f"{feature}: positive-label rate gap {found['positive_rate_gap']:.3f} ({rates}); "
                     f"strongest proxies (NMI): {top or 'none'}")
    return lines


def bias_metrics(report: dict[str, Any] | None) -> dict[str, float]:
    """Flat metrics for the tracking run: each feature's rate gap, each group's share and rate, the top proxy."""
    flat: dict[str, float] = {}
    for feature, found in (report or {}).get("features", {}).items():
        flat[f"bias.positive_rate_gap.{feature}"] = found["positive_rate_gap"]
        for group, row in found["groups"].items():
            flat[f"bias.share.{feature}.{group}"] = row["share"]
            flat[f"bias.positive_rate.{feature}.{group}"] = row["positive_rate"]
        if found["proxies"]:
            flat[f"bias.top_proxy_nmi.{feature}"] = found["proxies"][0]["nmi"]
    return flat
