"""The end-of-run summary for people: metrics, fairness per group, verdict, champion, where to look."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fairgate.adapters.stages.evidence import what_promote_did


def print_summary(console: Console, evidence: dict[str, Any], ui_hint: str) -> None:
    report, decision, promotion = evidence["report"], evidence["decision"], evidence["promotion"]
    metrics = Table(title="Test metrics", show_header=False)
    for name, value in report["metrics"].items():
        metrics.add_row(name, f"{value:.4f}")
    console.print(metrics)
    for feature, fairness in report["fairness"].items():
        groups = Table(title=f"Fairness by {feature}: DP diff {fairness['demographic_parity_difference']:.3f}, "
                             f"EO diff {fairness['equalized_odds_difference']:.3f}")
        for column in ("group", "count", "selection rate", "TPR", "FPR", "accuracy"):
            groups.add_column(column)
        for group, row in fairness["groups"].items():
            groups.add_row(group, str(int(row["count"])), *(f"{row[k]:.3f}" for k in
                                                            ("selection_rate", "tpr", "fpr", "accuracy")))
        console.print(groups)
    selection = evidence.get("selection")
    if selection and len(selection.get("candidates", {})) > 1:
        _print_mitigation(console, selection)
    if decision["verdict"] == "pass":
        console.print("[bold green]Gate: PASS[/] (every check passed)"
                      + (f" for the mitigated candidate '{selection['candidate']}'"
                         if selection and selection["candidate"] != "unmitigated" else ""))
    else:
        label = "REJECTED" if decision["verdict"] == "fail" else "INSUFFICIENT EVIDENCE"
        console.print(f"[bold yellow]Gate: {label}[/] - the candidate was not promoted:")
        for reason in decision["reasons"]:
            console.print(f"  - {escape(reason)}")
    if promotion:
        console.print(f"Model '{promotion['model_name']}' version {promotion['version']}: {what_promote_did(promotion)}. "
                      f"Champion: version {promotion['champion'] or 'none'}.")
    console.print(f"Review runs in the MLflow UI: {ui_hint}")


def _print_mitigation(console: Console, selection: dict[str, Any]) -> None:
    """Every candidate the mitigation step judged, and which one promote acts on."""
    table = Table(title="Mitigation: every candidate through the same gate (frontier in reports/mitigate/)")
    for column in ("candidate", "verdict", "reasons"):
        table.add_column(column, overflow="fold")
    for row in selection["candidates"]:
        marker = " (selected)" if row["name"] == selection["candidate"] else ""
        table.add_row(escape(row["name"] + marker), row["verdict"],
                      escape("; ".join(row["reasons"]) or "all checks passed"))
    console.print(table)
    given_up = selection.get("accuracy_given_up")
    if given_up:
        console.print(f"Accuracy given up against the unmitigated candidate: {given_up['estimate']:.4f} "
                      f"(95% CI [{given_up['low']:.4f}, {given_up['high']:.4f}])")


def print_sweep(console: Console, outcome: dict[str, Any], gate: Any) -> None:
    """The spread of each headline and fairness metric across the sweep's seeds."""
    summary = outcome["summary"]
    table = Table(title=f"{len(outcome['seeds'])} seeds ({outcome['framework']}): test metrics across seeds")
    for column in ("metric", "mean", "std", "min", "max"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    shown = [m for m in summary if m in ("accuracy", "balanced_accuracy", "roc_auc")
             or m.startswith(("demographic_parity_difference.", "equalized_odds_difference."))]
    for name in shown:
        stats = summary[name]
        table.add_row(escape(name), *(f"{stats[k]:.4f}" for k in ("mean", "std", "min", "max")))
    console.print(table)
    primary = summary.get(gate.primary_metric)
    if primary:
        console.print(f"Seed-to-seed spread of {gate.primary_metric}: {primary['max'] - primary['min']:.4f} "
                      f"(std {primary['std']:.4f}); gate.margin is {gate.margin}. Runs are children of MLflow run "
                      f"{outcome['run_id']}; summary in reports/sweep/summary.json.")
