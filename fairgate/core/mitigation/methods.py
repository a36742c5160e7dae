"""Each mitigation method, fitted on training and validation rows only (the test rows are the gate's).

A method returns what the model bundle needs, so every mitigated candidate keeps the model contract
(raw rows in, probabilities out) and both backends: a network trained with weights (``reweigh``),
the unmitigated network with group thresholds fitted on the validation rows (``threshold``), or an
ensemble from fairlearn's ExponentiatedGradient over fairgate's own network (``reduction``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.backends import load_backend
from fairgate.core.config import GateConfig, TrainConfig
from fairgate.core.estimator import Ensemble, FairgateClassifier
from fairgate.core.mitigation.thresholds import DEMOGRAPHIC_PARITY, GroupThresholds, fit_group_thresholds, group_labels

MIN_FIT_ROWS = 30  # a group with fewer validation rows keeps the common threshold: too few to fit its own


def reweighing_weights(groups: pd.Series, labels: np.ndarray) -> np.ndarray:
    """Per-row weights P(group) P(label) / P(group, label); a cell with no rows never occurs in the data."""
    cells = pd.DataFrame({"g": groups.to_numpy(), "y": np.asarray(labels)})
    n = len(cells)
    p_group = cells["g"].map(cells["g"].value_counts() / n)
    p_label = cells["y"].map(cells["y"].value_counts() / n)
    p_cell = cells.groupby(["g", "y"])["y"].transform("size") / n
    return (p_group * p_label / p_cell).to_numpy(dtype=np.float32)


@dataclass
class TrainingRows:
    """What a method may see: the encoded training and validation rows, their labels and sensitive columns."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    train_groups: pd.DataFrame
    val_groups: pd.DataFrame


def ceiling(gate: GateConfig, constraint: str) -> float:
    return gate.max_demographic_parity_difference if constraint == DEMOGRAPHIC_PARITY \
        else gate.max_equalized_odds_difference


def reweigh(rows: TrainingRows, features: list[str], framework: str, cfg: TrainConfig) -> tuple[Any, dict[str, Any]]:
    """A network trained with Kamiran & Calders weights on the (group, label) cells of ``features``."""
    groups = group_labels(rows.train_groups, features)
    weights = reweighing_weights(groups, rows.y_train)
    result = load_backend(framework).fit(rows.X_train, rows.y_train, rows.X_val, rows.y_val, cfg, sample_weight=weights)
    cells = pd.DataFrame({"group": groups, "label": rows.y_train, "weight": weights}).groupby(["group", "label"])
    knobs = {"features": features, "cell_weights": {f"{g} / label {y}": round(float(w), 4)
                                                    for (g, y), w in cells["weight"].first().items()},
             "best_epoch": result.best_epoch}
    return result.model, knobs


def thresholds(rows: TrainingRows, features: list[str], val_proba: np.ndarray, constraint: str, gate: GateConfig,
               slack_share: float) -> GroupThresholds:
    """Group thresholds on the unmitigated network's validation probabilities, the band ``slack_share`` of the
    constraint's ceiling wide, so that the test rows' gap has room for its confidence interval."""
    return fit_group_thresholds(val_proba, group_labels(rows.val_groups, features), rows.y_val, constraint,
                                slack=ceiling(gate, constraint) * slack_share, min_rows=MIN_FIT_ROWS,
                                feature=features[0] if len(features) == 1 else features)


def reduction(rows: TrainingRows, features: list[str], framework: str, cfg: TrainConfig, constraint: str,
              gate: GateConfig, slack_share: float, max_iter: int) -> tuple[Ensemble, dict[str, Any]]:
    """fairlearn's ExponentiatedGradient over fairgate's network; its cost is at most ``max_iter`` trainings."""
    from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient

    eps = ceiling(gate, constraint) * slack_share
    moment = DemographicParity() if constraint == DEMOGRAPHIC_PARITY else EqualizedOdds()
    estimator = FairgateClassifier(framework, cfg.model_dump(mode="json"))
    search = ExponentiatedGradient(estimator, moment, eps=eps, max_iter=max_iter)
    search.fit(rows.X_train, rows.y_train, sensitive_features=group_labels(rows.train_groups, features))
    kept = [(p.model_, float(w)) for p, w in zip(search.predictors_, search.weights_, strict=True) if w > 1e-6]
    members, weights = [m for m, _ in kept], [w for _, w in kept]
    return Ensemble(members, weights), {"features": features, "constraint": constraint, "eps": round(eps, 4),
                                        "max_iter": max_iter, "iterations": int(search.n_oracle_calls_),
                                        "members": len(members)}
