"""Data drift: a reference profile of the training rows, and the PSI of new raw data against it.

The profile is small JSON (bin edges and shares, category shares, the label rate, the sensitive
group shares), so it travels with the model as an MLflow artifact and is compared without the
original rows. Every comparison is a population stability index (PSI) over the same bins:
below 0.1 is usually read as stable, 0.1-0.25 as a moderate shift, above 0.25 as a large one.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.contract import Schema
from fairgate.core.preprocess import category_text, encode_labels

FLOOR = 1e-4  # share given to an empty bin, so that PSI stays finite
PROFILE_VERSION = 1


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index between two share vectors over the same bins."""
    e = np.clip(np.asarray(expected, dtype=float), FLOOR, None)
    a = np.clip(np.asarray(actual, dtype=float), FLOOR, None)
    return float(np.sum((a - e) * np.log(a / e)))


def _numeric_edges(values: np.ndarray, bins: int) -> list[float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    inner = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1]))
    return inner.tolist()


def _numeric_shares(values: np.ndarray, edges: list[float]) -> list[float]:
    """Shares of each bin between consecutive edges (open at both ends), then one for missing values."""
    missing = ~np.isfinite(values)
    counts = np.bincount(np.searchsorted(edges, values[~missing], side="right"), minlength=len(edges) + 1)
    total = max(len(values), 1)
    return [*(counts / total).tolist(), float(missing.sum()) / total]


def _category_shares(series: pd.Series) -> dict[str, float]:
    text = category_text(series)
    return {str(k): float(v) for k, v in text.value_counts(normalize=True, sort=False).items()}


def profile(frame: pd.DataFrame, schema: Schema, bins: int = 10) -> dict[str, Any]:
    """The reference profile of ``frame`` (the rows a model is trained on)."""
    numeric = {}
    for column in schema.numeric:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        edges = _numeric_edges(values, bins)
        numeric[column] = {"edges": edges, "shares": _numeric_shares(values, edges)}
    return {
        "version": PROFILE_VERSION,
        "rows": len(frame),
        "numeric": numeric,
        "categorical": {c: _category_shares(frame[c]) for c in schema.categorical},
        "label_rate": float(encode_labels(frame, schema).mean()) if len(frame) else 0.0,
        "groups": {c: _category_shares(frame[c]) for c in schema.sensitive},
    }


def _compare_categories(reference: dict[str, float], current: dict[str, float]) -> dict[str, Any]:
    keys = sorted(set(reference) | set(current))
    expected = [reference.get(k, 0.0) for k in keys]
    actual = [current.get(k, 0.0) for k in keys]
    return {"psi": psi(expected, actual), "reference": reference, "current": current,
            "new_values": sorted(set(current) - set(reference))}


def compare(reference: dict[str, Any], frame: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """PSI of every profiled feature, the label rate and each sensitive column's group shares."""
    checks: dict[str, dict[str, Any]] = {}
    for column, ref in reference["numeric"].items():
        if column not in frame.columns:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        current = _numeric_shares(values, ref["edges"])
        checks[f"feature:{column}"] = {"kind": "numeric", "psi": psi(ref["shares"], current),
                                       "reference": ref["shares"], "current": current, "edges": ref["edges"]}
    for column, ref in reference["categorical"].items():
        if column in frame.columns:
            checks[f"feature:{column}"] = {"kind": "categorical"} | _compare_categories(ref, _category_shares(frame[column]))
    rate = float(encode_labels(frame, schema).mean()) if len(frame) else 0.0
    ref_rate = reference["label_rate"]
    checks["label_rate"] = {"kind": "label", "psi": psi([ref_rate, 1 - ref_rate], [rate, 1 - rate]),
                            "reference": ref_rate, "current": rate}
    for column, ref in reference["groups"].items():
        if column in frame.columns:
            checks[f"groups:{column}"] = {"kind": "groups"} | _compare_categories(ref, _category_shares(frame[column]))
    worst = max(checks, key=lambda name: checks[name]["psi"])
    return {"rows": {"reference": reference["rows"], "current": len(frame)}, "checks": checks,
            "max_psi": checks[worst]["psi"], "worst": worst}


def verdict(max_psi: float, warn_above: float | None, fail_above: float | None) -> str:
    if fail_above is not None and max_psi > fail_above:
        return "fail"
    if warn_above is not None and max_psi > warn_above:
        return "warn"
    return "ok"


def describe(report: dict[str, Any], limit: float | None, top: int = 5) -> str:
    """The checks above ``limit`` (worst first), one per line, for a log line or an error message."""
    ranked = sorted(report["checks"].items(), key=lambda item: -item[1]["psi"])
    lines = []
    for name, check in ranked[:top]:
        if limit is not None and check["psi"] <= limit:
            break
        detail = ""
        if check["kind"] == "label":
            detail = f" (positive rate {check['reference']:.3f} -> {check['current']:.3f})"
        elif check.get("new_values"):
            detail = f" (values never seen in training: {', '.join(check['new_values'][:5])})"
        lines.append(f"{name}: PSI {check['psi']:.3f}{detail}")
    return "\n".join(lines)
