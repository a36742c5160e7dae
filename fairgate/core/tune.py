"""Fairness-aware tuning: what a trial tries, the two objectives it is judged on (validation rows only), the
Pareto front of the trials, and the rule that chooses one of them (docs/tuning.md)."""

from __future__ import annotations

import json
from typing import Any

from fairgate.core.gate import CEILINGS, check_parts
from fairgate.core.train_config import TrainConfig
from fairgate.core.tune_config import FAMILIES, Dimension

DIRECTIONS = ("maximize", "minimize")  # the primary metric, the largest gap


def suggest(trial: Any, space: dict[str, list[Dimension]]) -> tuple[str, dict[str, Any]]:
    """The family and param values ``trial`` (an Optuna trial) tries; params are named ``family.param``."""
    family = trial.suggest_categorical("family", sorted(space))
    values: dict[str, Any] = {}
    for dim in space[family]:
        key = f"{family}.{dim.name}"
        if dim.choices is not None:  # Optuna's choices must be plain scalars: lists go through JSON
            values[dim.name] = json.loads(trial.suggest_categorical(key, [json.dumps(c) for c in dim.choices]))
        elif dim.integer:
            values[dim.name] = trial.suggest_int(key, dim.low, dim.high, log=dim.log)
        else:
            values[dim.name] = trial.suggest_float(key, float(dim.low), float(dim.high), log=dim.log)
    return family, values


def train_overrides(base: TrainConfig, family: str, values: dict[str, Any]) -> dict[str, Any]:
    """The keys of the ``train`` section a trial changes: the estimator and its params, or the MLP's knobs."""
    chosen = FAMILIES[family]
    if chosen.framework == "sklearn":
        return {"framework": "sklearn", "estimator": chosen.estimator, "estimator_params": dict(values)}
    framework = base.framework if base.framework in ("torch", "tensorflow") else chosen.framework
    return {"framework": framework, "network": None} | values


def tuned_train(base: TrainConfig, overrides: dict[str, Any]) -> TrainConfig:
    """``base`` with a trial's overrides, validated as the ``train`` section is."""
    return TrainConfig.model_validate(base.model_dump() | overrides)


def corner_values(dims: list[Dimension], end: str) -> dict[str, Any]:
    """A family's params at one end of every range (``low`` or ``high``; the first of a list of choices)."""
    return {d.name: d.choices[0] if d.choices is not None else getattr(d, end) for d in dims}


def corner_train(base: TrainConfig, family: str, dims: list[Dimension], end: str,
                 **extra: Any) -> TrainConfig:
    """``base`` with ``family`` at one end of its ranges (and ``extra`` train keys), validated."""
    return tuned_train(base, train_overrides(base, family, corner_values(dims, end)) | extra)


def objectives(report: dict[str, Any], primary_metric: str) -> dict[str, Any]:
    """A validation report's primary metric and every gap the gate checks (``metric[feature]``), with the largest."""
    gaps = {f"{metric}[{feature}]": float(fair[metric])
            for feature, fair in report["fairness"].items() for metric in CEILINGS}
    return {"primary": float(report["metrics"][primary_metric]), "largest_gap": max(gaps.values()), "gaps": gaps}


def pareto_front(points: list[dict[str, Any]]) -> list[int]:
    """Indices of the points no other point beats on both objectives (higher primary, lower largest gap)."""
    def beats(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return (a["primary"] >= b["primary"] and a["largest_gap"] <= b["largest_gap"]
                and (a["primary"] > b["primary"] or a["largest_gap"] < b["largest_gap"]))
    return [i for i, p in enumerate(points) if not any(beats(q, p) for q in points)]


def clears_margin(point: dict[str, Any], ceilings: dict[str, float], margin: float) -> bool:
    """Whether every validation gap sits at least ``margin`` below its ceiling."""
    return all(value <= ceilings[check_parts(name)[0]] - margin for name, value in point["gaps"].items())


def choose(points: list[dict[str, Any]], ceilings: dict[str, float], margin: float) -> dict[str, Any]:
    """The most accurate trial on the front whose validation gaps clear the ceilings by ``margin``.

    When none does, the front's fairest trial is chosen and ``cleared`` says so: the gate, not the search, then
    decides (and mitigation may still help). Ties go to the smaller gap, then the earlier trial.
    """
    front = pareto_front(points)
    cleared = [i for i in front if clears_margin(points[i], ceilings, margin)]
    if cleared:
        best = min(cleared, key=lambda i: (-points[i]["primary"], points[i]["largest_gap"], points[i]["number"]))
    else:
        best = min(front, key=lambda i: (points[i]["largest_gap"], -points[i]["primary"], points[i]["number"]))
    return {"index": best, "front": front, "cleared": bool(cleared)}


def ceilings_of(gate: Any) -> dict[str, float]:
    """The gate's ceiling for each gap metric."""
    return {metric: float(getattr(gate, attribute)) for metric, attribute in CEILINGS.items()}
