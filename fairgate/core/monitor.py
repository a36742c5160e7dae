"""Fairness on labelled production rows, judged with the statistics that promoted the champion.

The gate's statistics give intervals for accuracy and each fairness gap on the production rows; the
verdict compares them with the gate's rules:

- ``breach``: a gap's CI lower bound is above its ceiling, or accuracy's CI upper bound is below its
  floor (the evidence says the rule is broken, not just that it may be);
- ``insufficient_evidence``: no breach, but a group has fewer than ``gate.min_group_size`` of the labelled
  rows a gap uses (rows for demographic parity; positives and negatives for equalized odds);
- ``ok``: otherwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.config import GateConfig
from fairgate.core.gate import CEILINGS, small_detail, small_groups
from fairgate.core.gate_statistics import gate_statistics

OK, BREACH, INSUFFICIENT = "ok", "breach", "insufficient_evidence"


def judge_production(y: np.ndarray, predicted: np.ndarray, sensitive: pd.DataFrame, gate: GateConfig,
                     at_gate: dict[str, Any] | None = None) -> dict[str, Any]:
    """The verdict, with every check and its interval, for 0/1 ``predicted`` against labels ``y``; ``at_gate``
    (the champion's gate evidence by check name, from the ledger) is set beside each check."""
    stats = gate_statistics(y, predicted, None, sensitive, n=gate.bootstrap.n, seed=gate.bootstrap.seed,
                             confidence=gate.bootstrap.confidence, primary="accuracy")
    checks = []
    accuracy = stats["primary"]["candidate"]
    checks.append({"name": "accuracy", "rule": f"CI upper bound >= floor {gate.min_accuracy}", "interval": accuracy,
                   "status": BREACH if accuracy["high"] is not None and accuracy["high"] < gate.min_accuracy else OK})
    for feature, metrics in stats["fairness"].items():
        for metric, key in CEILINGS.items():
            interval, ceiling = metrics[metric]["candidate"], getattr(gate, key)
            small = small_groups(stats, feature, metric, gate)
            above = interval["low"] is not None and interval["low"] > ceiling
            status = BREACH if above else INSUFFICIENT if small else OK
            checks.append({"name": f"{metric}[{feature}]", "rule": f"CI lower bound <= ceiling {ceiling}",
                           "interval": interval, "status": status,
                           "detail": small_detail(small, gate) if small and not above else ""})
    for check in checks:
        check["at_gate"] = (at_gate or {}).get(check["name"])
    statuses = {c["status"] for c in checks}
    verdict = BREACH if BREACH in statuses else INSUFFICIENT if INSUFFICIENT in statuses else OK
    return {"verdict": verdict, "rows": int(len(y)), "checks": checks, "statistics": stats}


def markdown(report: dict[str, Any]) -> str:
    """The report for people, and for the Prefect artifact."""
    champion = report.get("champion", report["version"])
    who = (f"Champion `{report['model']}` version {report['version']}" if champion == report["version"] else
           f"`{report['model']}`: rows scored by version {report['version']} (champion is {champion or 'none'})")
    lines = [f"# Fairness monitoring: {report['verdict'].upper()}", "",
             f"{who} on {report['rows']} labelled production rows (labels joined on `{report['key']}`).", "",
             "| check | estimate | CI | at the gate | rule | status |",
             "| --- | --- | --- | --- | --- | --- |"]
    for check in report["checks"]:
        interval, gate = check["interval"], check.get("at_gate") or {}
        lines.append(f"| {check['name']} | {interval['estimate']} | [{interval['low']}, {interval['high']}] | "
                     f"{_at_gate(gate)} | {check['rule']} | {check['status']} |")
    details = [f"- {c['name']}: {c['detail']}" for c in report["checks"] if c.get("detail")]
    if details:
        lines += ["", *details]
    if report.get("action"):
        lines += ["", f"Action: {report['action']}"]
    return "\n".join(lines) + "\n"


def _at_gate(evidence: dict[str, Any]) -> str:
    interval = evidence.get("interval")
    if interval:
        return f"{interval['estimate']} [{interval['low']}, {interval['high']}]"
    return "n/a" if evidence.get("value") is None else str(round(evidence["value"], 6))
