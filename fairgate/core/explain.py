"""Why the model decides, and where a fairness gap comes from: Shapley attributions per original column, on a
seeded sample of validation rows, in the model's probability space.

The attributions are interventional Shapley values estimated by sampled permutations (Štrumbelj & Kononenko
2014; what shap's PermutationExplainer computes), vectorised over the rows and taken over original columns (a
categorical's one-hot parts move together), with each permutation used with its reverse (antithetic). For every
permutation the parts of a row telescope to its probability minus the base value (the mean probability over the
background rows), so they add up exactly, and the difference in mean probability between two groups splits
exactly into per-column parts: the base value cancels. The estimator needs only the model's predictions, so it
explains every model family, ensemble and mitigated candidate alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.preprocess import Preprocessor

OUTPUT_SPACE = "probability"
METHOD = "interventional Shapley values by antithetic sampled permutations over original columns"
PROXY_NMI = 0.05  # a column the diagnosis found at least this informative of the attribute is flagged a proxy
TOP_COLUMNS = 5
CELLS_PER_CALL = 8_000_000  # rows x background rows x encoded columns scored at once: bounds the memory


def column_positions(prep: Preprocessor) -> dict[str, np.ndarray]:
    """Each original column's encoded positions: one for a numeric or ordinal column, its one-hot parts else."""
    found = {column: np.array([i]) for i, column in enumerate(prep.numeric)}
    at = len(prep.numeric)
    for column in prep.categorical:
        width = 1 if prep.encoding == "ordinal" else len(prep.categories[column])
        found[column] = np.arange(at, at + width)
        at += width
    return found


@dataclass
class Attributions:
    values: np.ndarray   # (rows, columns): each original column's part of each row's probability
    base: float          # the mean probability over the background rows
    output: np.ndarray   # (rows,): each row's probability; base + values.sum(axis=1), exactly
    columns: list[str]


def _coalition_value(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, background: np.ndarray,
                     mask: np.ndarray) -> np.ndarray:
    """Per row, the mean prediction over the background rows with the masked columns taken from the row."""
    out = np.empty(len(X))
    step = max(1, CELLS_PER_CALL // (len(background) * X.shape[1]))
    for start in range(0, len(X), step):
        part = slice(start, start + step)
        mixed = np.where(mask[part, None, :], X[part, None, :], background[None, :, :])
        scored = predict(mixed.reshape(-1, X.shape[1]))
        out[part] = scored.reshape(-1, len(background)).mean(axis=1)
    return out


def attribute(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, background: np.ndarray,
              prep: Preprocessor, permutations: int = 2, seed: int = 0) -> Attributions:
    """Attributions of ``predict`` (encoded rows -> probability) for the rows of ``X`` against ``background``."""
    positions = column_positions(prep)
    member = np.zeros((len(positions), X.shape[1]), dtype=bool)
    for g, where in enumerate(positions.values()):
        member[g, where] = True
    n, groups = len(X), len(positions)
    rows, rng = np.arange(n), np.random.default_rng(seed)
    base = float(predict(background).mean())
    full = predict(X)
    values = np.zeros((n, groups))
    order = np.zeros((n, groups), dtype=np.int64)
    for p in range(permutations):
        order = rng.permuted(np.tile(np.arange(groups), (n, 1)), axis=1) if p % 2 == 0 else order[:, ::-1]
        mask = np.zeros(X.shape, dtype=bool)
        previous = np.full(n, base)  # no column from the row: the mean over the background rows
        for t in range(groups):
            mask |= member[order[:, t]]
            current = full if t == groups - 1 else _coalition_value(predict, X, background, mask)
            values[rows, order[:, t]] += current - previous
            previous = current
    values /= permutations
    return Attributions(values, base, base + values.sum(axis=1), list(positions))


def importance(found: Attributions) -> dict[str, float]:
    """Mean |attribution| per column, largest first."""
    means = np.abs(found.values).mean(axis=0)
    return {c: round(float(v), 6) for c, v in sorted(zip(found.columns, means, strict=True), key=lambda kv: -kv[1])}


def gap_split(found: Attributions, groups: pd.Series, sensitive: str,
              proxies: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The gap in mean probability between the groups with the highest and the lowest mean, split by column:
    the top columns with their share, the sensitive column's own share when it is a feature, and the columns
    the bias diagnosis found to be proxies of it."""
    frame = pd.DataFrame(found.values, columns=found.columns)
    labels = groups.to_numpy()
    means = pd.Series(found.output).groupby(labels).mean()
    high, low = str(means.idxmax()), str(means.idxmin())
    parts = frame[labels == high].mean() - frame[labels == low].mean()
    gap = float(means.max() - means.min())
    strong = {p["feature"] for p in proxies or [] if p.get("nmi", 0.0) >= PROXY_NMI}
    ranked = parts.reindex(parts.abs().sort_values(ascending=False).index)
    top = [{"column": c, "part": round(float(v), 6), "share": round(float(v) / gap, 4) if gap else None,
            "proxy": c in strong} for c, v in ranked.head(TOP_COLUMNS).items()]
    return {"groups": [high, low], "rows": {high: int((labels == high).sum()), low: int((labels == low).sum())},
            "gap": round(gap, 6), "parts_sum": round(float(parts.sum()), 6),
            "parts": {c: round(float(v), 6) for c, v in ranked.items()}, "top": top,
            "direct_share": round(float(parts[sensitive]) / gap, 4) if sensitive in parts.index and gap else None,
            "proxies_in_top": [row["column"] for row in top if row["proxy"]]}
