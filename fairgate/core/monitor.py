"""Fairness on labelled production rows: each look on its own, and the champion's looks together.

A look's own figures use the gate's statistics (95% intervals for accuracy and each fairness gap on the rows
of this look); the verdict that counts is the record's (``cumulative``), which holds over every look at once.
Both compare intervals with the gate's rules:

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

from fairgate.core import monitoring_record as records
from fairgate.core.config import GateConfig
from fairgate.core.cumulative import BREACH, INSUFFICIENT, OK, verdict
from fairgate.core.gate import CEILINGS, small_detail, small_groups
from fairgate.core.gate_statistics import gate_statistics


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
    return {"verdict": verdict(checks), "rows": int(len(y)), "checks": checks, "statistics": stats}


def cumulative_report(record: dict[str, Any], checks: list[dict[str, Any]], own: dict[str, Any]) -> dict[str, Any]:
    """The report's core: the record's standing verdict and checks, each with the look's own figures beside."""
    own_checks = {c["name"]: c for c in own["checks"]}
    last = record["looks"][-1]
    for check in checks:
        mine = own_checks.get(check["name"], {})
        check["look"] = {"estimate": mine.get("interval", {}).get("estimate"), "interval": mine.get("interval"),
                         "status": mine.get("status")}
        check["at_gate"] = mine.get("at_gate")
    return {"verdict": records.standing_verdict(record, checks), "rows": own["rows"], "checks": checks,
            "look": {"number": last["look"], "verdict": own["verdict"], "file": last["file"]},
            "record": {"looks": len(record["looks"]), "rows": records.rows_seen(record), "alpha": record["alpha"],
                       "horizon": record["horizon"], "first_breach": record["first_breach"],
                       "unknown_groups": last["unknown_groups"]},
            "statistics": own["statistics"]}


def breach_reason(report: dict[str, Any]) -> str:
    """The ledger's reason for a rollback: the looks, and each breached check's cumulative evidence."""
    record = report["record"]
    evidence = "; ".join(
        f"{c['name']} {_bound(c)} over looks {c['window']['from_look']}-{record['looks']} "
        f"(all looks: {c['interval']['estimate']} [{c['interval']['low']}, {c['interval']['high']}])"
        for c in report["checks"] if c["status"] == BREACH)
    return (f"monitor: breach after {record['looks']} looks ({record['rows']} labelled production rows, "
            f"anytime-valid at alpha {record['alpha']}): {evidence}")


def _bound(check: dict[str, Any]) -> str:
    bound = check["window"]["bound"]
    return (f"upper bound {bound} < floor {check['limit']}" if check["name"] == "accuracy"
            else f"lower bound {bound} > ceiling {check['limit']}")


def markdown(report: dict[str, Any]) -> str:
    """The report for people, and for the Prefect artifact."""
    champion = report.get("champion", report["version"])
    record, look = report["record"], report["look"]
    who = (f"Champion `{report['model']}` version {report['version']}" if champion == report["version"] else
           f"`{report['model']}`: rows scored by version {report['version']} (champion is {champion or 'none'})")
    lines = [f"# Fairness monitoring: {report['verdict'].upper()}", "",
             f"{who}, look {look['number']}: {report['rows']} labelled production rows in `{look['file']}` "
             f"(labels joined on `{report['key']}`), {record['rows']} since its first look.", "",
             f"The verdict is cumulative: it weighs every look since this version became champion, with intervals "
             f"that hold at every look at once, so the chance of a false breach over all looks and checks is at "
             f"most {record['alpha']:.0%}. This look alone says {look['verdict'].upper()}.", "",
             "| check | this look | all looks | anytime-valid interval | at the gate | rule | status |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for check in report["checks"]:
        interval, gate = check["interval"], check.get("at_gate") or {}
        lines.append(f"| {check['name']} | {check['look']['estimate']} | {interval['estimate']} | "
                     f"[{interval['low']}, {interval['high']}] | {_at_gate(gate)} | {check['rule']} | {check['status']} |")
    notes = [f"- {c['name']}: {c['detail']}" for c in report["checks"] if c.get("detail")]
    notes += [f"- {c['name']}: {_bound(c)} on the rows of looks {c['window']['from_look']}-{record['looks']}"
              for c in report["checks"] if c["status"] == BREACH]
    if record["first_breach"] and record["first_breach"]["look"] != look["number"]:
        notes.append(f"- the breach was first shown at look {record['first_breach']['look']} "
                     f"({', '.join(record['first_breach']['checks'])}) and stands for this version")
    notes += [f"- {attribute}: groups this record did not know at its first look, judged in this look alone: "
              f"{groups}" for attribute, groups in record["unknown_groups"].items()]
    if notes:
        lines += ["", *notes]
    if report.get("action"):
        lines += ["", f"Action: {report['action']}"]
    return "\n".join(lines) + "\n"
def _at_gate(evidence: dict[str, Any]) -> str:
    interval = evidence.get("interval")
    if interval:
        return f"{interval['estimate']} [{interval['low']}, {interval['high']}]"
    return "n/a" if evidence.get("value") is None else str(round(evidence["value"], 6))
