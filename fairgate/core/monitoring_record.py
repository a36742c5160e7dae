"""A champion's monitoring record: every look's cell counts and the cumulative verdict after it.

The record belongs to one registered version; a new champion starts a new one. Its groups are fixed when it
is made (from the gate's evidence on the test rows, else the first look), so the split of ``alpha`` over the
group contrasts never changes afterwards; rows of a group the record does not know are counted in the look's
own figures and named in the report, not in the cumulative ones.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairgate.core import cumulative
from fairgate.core.config import GateConfig


def new_record(model: str, version: str, groups: dict[str, list[str]], alpha: float, horizon: int) -> dict[str, Any]:
    return {"model": model, "version": version, "alpha": alpha, "horizon": horizon,
            "groups": {attribute: sorted(map(str, names)) for attribute, names in groups.items()},
            "looks": [], "first_breach": None, "run_id": None}


def groups_seen(sensitive: pd.DataFrame) -> dict[str, list[str]]:
    return {column: sorted(sensitive[column].astype("str").unique()) for column in sensitive.columns}


def look_counts(y: np.ndarray, predicted: np.ndarray, sensitive: pd.DataFrame,
                groups: dict[str, list[str]]) -> dict[str, Any]:
    """The look's cells: all rows (label by prediction) and, per attribute, per known group; unknown groups' rows."""
    y, predicted = np.asarray(y, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    cell = y * 2 + predicted
    counts, unknown = {}, {}
    for attribute, names in groups.items():
        values = sensitive[attribute].astype("str").to_numpy()
        counts[attribute] = [np.bincount(cell[values == name], minlength=4).reshape(2, 2).tolist() for name in names]
        strangers = pd.Series(values[~np.isin(values, names)]).value_counts()
        if len(strangers):
            unknown[attribute] = {str(k): int(v) for k, v in strangers.items()}
    return {"rows": int(len(y)), "overall": np.bincount(cell, minlength=4).reshape(2, 2).tolist(),
            "counts": counts, "unknown_groups": unknown}


def judged_look(record: dict[str, Any], digest: str) -> dict[str, Any] | None:
    """The look that judged a labels file with this content, if any."""
    return next((look for look in record["looks"] if look["sha256"] == digest), None)


def add_look(record: dict[str, Any], cells: dict[str, Any], file: str, digest: str, time: str,
             own: dict[str, Any], gate: GateConfig) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The record with one more look, and every check judged after it; ``own`` is the look's own judgement
    (``monitor.judge_production``), whose verdict and estimates the record keeps beside the cumulative ones."""
    number = len(record["looks"]) + 1
    look = {"look": number, "file": file, "sha256": digest, "time": time, "verdict": own["verdict"],
            "own": {c["name"]: c["interval"]["estimate"] for c in own["checks"]}} | cells
    updated = record | {"looks": [*record["looks"], look]}
    checks = cumulative.judge_record(updated, gate)
    look["cumulative"] = {c["name"]: c["interval"] | {"status": c["status"], "window": c["window"], "limit": c["limit"]}
                          for c in checks}
    breached = [c["name"] for c in checks if c["status"] == cumulative.BREACH]
    if breached and updated["first_breach"] is None:
        updated["first_breach"] = {"look": number, "checks": breached}
    return updated, checks


def standing_verdict(record: dict[str, Any], checks: list[dict[str, Any]]) -> str:
    """A breach once shown stands for the rest of the record; otherwise the verdict after the last look."""
    return cumulative.BREACH if record["first_breach"] else cumulative.verdict(checks)


def rows_seen(record: dict[str, Any]) -> int:
    return sum(look["rows"] for look in record["looks"])
