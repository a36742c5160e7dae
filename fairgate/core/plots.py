"""Figures people would rather look at than read: ROC, calibration and per-group rates (the adapters
save them with ``files.save_figure``)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def roc_figure(points: pd.DataFrame, auc: float) -> Any:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot(points["fpr"], points["tpr"], label=f"model (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC curve")
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def calibration_figure(points: pd.DataFrame, ece: float) -> Any:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfect")
    ax.plot(points["predicted"], points["observed"], marker="o", label=f"model (ECE {ece:.3f})")
    ax.set(xlabel="mean predicted probability", ylabel="observed positive rate", title="Calibration")
    ax.legend(loc="upper left")
    fig.tight_layout()
    return fig


def group_figure(feature: str, fairness: dict[str, Any]) -> Any:
    """Selection rate, TPR and FPR side by side for each group of one sensitive feature."""
    plt = _pyplot()
    groups = pd.DataFrame(fairness["groups"]).T[["selection_rate", "tpr", "fpr"]]
    fig, ax = plt.subplots(figsize=(6, 4))
    groups.plot.bar(ax=ax, rot=0)
    ax.set(ylim=(0, 1), ylabel="rate", xlabel=feature,
           title=f"{feature}: DP diff {fairness['demographic_parity_difference']:.3f}, "
                 f"EO diff {fairness['equalized_odds_difference']:.3f}")
    fig.tight_layout()
    return fig
