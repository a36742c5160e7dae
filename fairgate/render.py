"""Markdown renderings of the evidence, for Prefect artifacts and files people read."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)


def decision_markdown(decision: dict[str, Any], report: dict[str, Any]) -> str:
    """The gate decision with every check, the headline metrics and the per-group table."""
    verdict = decision["verdict"].upper()
    champion = decision.get("champion_version") or "none (first model: absolute checks only)"
    lines = [f"# Gate decision: {verdict}", "", f"Compared against champion: {champion}", ""]
    if decision["reasons"]:
        lines += ["## Reasons", "", *[f"- {r}" for r in decision["reasons"]], ""]
    lines += ["## Checks", "", "| check | value | threshold | passed |", "| --- | --- | --- | --- |"]
    for check in decision["checks"]:
        lines.append(f"| {check['name']} | {_fmt(check['value'])} | {check['comparison']} {check['threshold']} "
                     f"| {'yes' if check['passed'] else '**no**'} |")
    lines += ["", "## Test metrics", "", "| metric | value |", "| --- | --- |"]
    lines += [f"| {k} | {_fmt(v)} |" for k, v in report["metrics"].items()]
    for feature, fairness in report["fairness"].items():
        lines += ["", f"## Groups of `{feature}`", "",
                  "| group | count | selection rate | TPR | FPR | accuracy |", "| --- | --- | --- | --- | --- | --- |"]
        for group, row in fairness["groups"].items():
            lines.append(f"| {group} | {int(row['count'])} | {_fmt(row['selection_rate'])} | {_fmt(row['tpr'])} "
                         f"| {_fmt(row['fpr'])} | {_fmt(row['accuracy'])} |")
    return "\n".join(lines) + "\n"
