"""Figures people would rather look at than read: ROC, calibration, per-group rates and the explanations (the
adapters save them with ``files.save_figure``)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def roc_figure(points: pd.DataFrame, auc: float) -> Any:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(points["fpr"], points["tpr"], label=f"model (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def calibration_figure(points: pd.DataFrame, ece: float) -> Any:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot(points["predicted"], points["observed"], marker="o", label=f"model (ECE {ece:.3f})")
    ax.set(xlabel="mean predicted probability", ylabel="observed positive rate", title="Calibration")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def group_figure(feature: str, fairness: dict[str, Any]) -> Any:
    """Selection rate, TPR and FPR side by side for each group of one sensitive feature."""
    plt = pyplot()
    groups = pd.DataFrame(fairness["groups"]).T[["selection_rate", "tpr", "fpr"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    groups.plot.bar(ax=ax, rot=0)
    ax.set(ylim=(0, 1), ylabel="rate", xlabel=feature,
           title=f"{feature}: DP diff {fairness['demographic_parity_difference']:.3f}, "
                 f"EO diff {fairness['equalized_odds_difference']:.3f}")
    fig.tight_layout()
    return fig


def frontier_table(points: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per (candidate, fairness gap): the gap and the primary metric with their CIs (for `dvc plots`)."""
    rows = []
    for point in points:
        for gap, interval in point["gaps"].items():
            rows.append({"candidate": point["candidate"], "verdict": point["verdict"], "gap_name": gap,
                         "gap": interval["estimate"], "gap_low": interval["low"], "gap_high": interval["high"],
                         "primary_metric": point["primary_metric"], "primary": point["primary"]["estimate"],
                         "primary_low": point["primary"]["low"], "primary_high": point["primary"]["high"]})
    return pd.DataFrame(rows)


def _error_bar(interval: dict[str, Any]) -> list[list[float]]:
    """[[below], [above]] the estimate; a percentile CI need not contain the point estimate, so clamp at 0."""
    estimate = interval["estimate"]
    low = interval["low"] if interval["low"] is not None else estimate
    high = interval["high"] if interval["high"] is not None else estimate
    return [[max(0.0, estimate - low)], [max(0.0, high - estimate)]]


def frontier_figure(points: list[dict[str, Any]], selected: str) -> Any:
    """The primary metric against each fairness gap, one panel per gap, every point with its two CIs."""
    plt = pyplot()
    gaps = sorted({g for p in points for g in p["gaps"]}) or ["(no fairness checks)"]
    fig, axes = plt.subplots(1, len(gaps), figsize=(4.5 * len(gaps), 4.2), squeeze=False)
    for ax, gap in zip(axes[0], gaps, strict=True):
        for point in points:
            x, y = point["gaps"].get(gap), point["primary"]
            if not x or x["estimate"] is None:
                continue
            xerr, yerr = _error_bar(x), _error_bar(y)
            marker = "*" if point["candidate"] == selected else ("s" if point["verdict"] == "champion" else "o")
            ax.errorbar(x["estimate"], y["estimate"], xerr=xerr, yerr=yerr, fmt=marker, capsize=3,
                        markersize=11 if marker == "*" else 6, label=f"{point['candidate']} ({point['verdict']})")
        ax.set(xlabel=gap, ylabel=points[0]["primary_metric"] if points else "", title=f"frontier: {gap}")
    axes[0][0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig


def importance_figure(importance: dict[str, float]) -> Any:
    """Mean |attribution| per column, largest on top."""
    plt = pyplot()
    shown = sorted(importance.items(), key=lambda kv: -kv[1])[:15][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(shown) + 1.2))
    ax.barh([c for c, _ in shown], [v for _, v in shown], color="#4c72b0")
    ax.set(xlabel="mean |attribution| (probability)", title="What the model's decisions rest on")
    fig.tight_layout()
    return fig


def gap_split_figure(feature: str, split: dict[str, Any]) -> Any:
    """Each column's part of the gap in mean probability between the two groups furthest apart."""
    plt = pyplot()
    shown = sorted(split["parts"].items(), key=lambda kv: -abs(kv[1]))[:12][::-1]
    fig, ax = plt.subplots(figsize=(6, 0.35 * len(shown) + 1.4))
    colours = ["#c44e52" if value > 0 else "#55a868" for _, value in shown]
    ax.barh([c for c, _ in shown], [v for _, v in shown], color=colours)
    ax.axvline(0, color="grey", linewidth=0.8)
    high, low = split["groups"]
    ax.set(xlabel=f"part of the gap (probability); gap {split['gap']:.3f}",
           title=f"{feature}: {high} vs {low}, the gap split by column")
    fig.tight_layout()
    return fig


def tune_front_figure(points: list[dict[str, Any]], front: list[int], chosen: int, primary_metric: str,
                      limit: float) -> Any:
    """Every trial's validation primary metric against its largest gap, by family, the Pareto front joined, the
    chosen trial starred, and the largest gap the selection accepts (the smallest ceiling less the margin)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for family in sorted({p["family"] for p in points}):
        mine = [p for p in points if p["family"] == family]
        ax.scatter([p["largest_gap"] for p in mine], [p["primary"] for p in mine], s=22, alpha=0.7, label=family)
    edge = sorted((points[i] for i in front), key=lambda p: p["largest_gap"])
    ax.plot([p["largest_gap"] for p in edge], [p["primary"] for p in edge], "k--", lw=1, label="Pareto front")
    ax.scatter([points[chosen]["largest_gap"]], [points[chosen]["primary"]], marker="*", s=260, c="gold",
               edgecolors="k", zorder=3, label=f"chosen: trial {points[chosen]['number']}")
    ax.axvline(limit, color="firebrick", lw=1, ls=":", label="ceiling less tune.margin")
    ax.set(xlabel="largest fairness gap (validation rows)", ylabel=f"{primary_metric} (validation rows)",
           title=f"Tuning: {len(points)} trials, {len(front)} on the front")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
