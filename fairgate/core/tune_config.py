"""The ``tune`` section of params.yaml: how many trials, the study's seed, the selection margin, where the trials
run, and the search space (model families and each family's ranges; docs/tuning.md)."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


@dataclass(frozen=True)
class Family:
    """A model family the search may pick: fairgate's MLP (the torch backend) or a scikit-learn-style estimator."""

    framework: str
    estimator: str | None
    package: str  # what must be installed


FAMILIES = {
    "mlp": Family("torch", None, "torch"),
    "hist_gradient_boosting": Family("sklearn", "sklearn.ensemble.HistGradientBoostingClassifier", "sklearn"),
    "lightgbm": Family("sklearn", "lightgbm.LGBMClassifier", "lightgbm"),
    "xgboost": Family("sklearn", "xgboost.XGBClassifier", "xgboost"),
}
MLP_KNOBS = ("learning_rate", "dropout", "batch_size", "epochs", "patience", "hidden_sizes")


@dataclass(frozen=True)
class Dimension:
    """One searched param: a range (``log`` for a log scale; ints when both ends are ints) or a list of choices."""

    name: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    choices: tuple[Any, ...] | None = None

    @property
    def integer(self) -> bool:
        return isinstance(self.low, int) and isinstance(self.high, int)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_dimension(key: str, name: str, spec: Any) -> Dimension:
    """``[low, high]``, ``[low, high, log]`` or ``{choices: [...]}``; a ValueError names ``key`` and the fix."""
    if isinstance(spec, dict):
        choices = spec.get("choices")
        if set(spec) != {"choices"} or not isinstance(choices, list) or not choices:
            raise ValueError(f"{key}: a list of choices is written {{choices: [a, b]}}; got {spec!r}")
        return Dimension(name, choices=tuple(choices))
    form = f"{key}: write [low, high] or [low, high, log] (or {{choices: [a, b]}}); got {spec!r}"
    if not isinstance(spec, list) or len(spec) not in (2, 3) or not all(_number(v) for v in spec[:2]):
        raise ValueError(form)
    if len(spec) == 3 and spec[2] != "log":
        raise ValueError(form)
    low, high, log = spec[0], spec[1], len(spec) == 3
    if low > high:
        raise ValueError(f"{key}: low {low} is above high {high}; write [low, high]")
    if log and low <= 0:
        raise ValueError(f"{key}: a log range needs low > 0; got {low}")
    return Dimension(name, low, high, log)


def default_space() -> dict[str, dict[str, Any]]:
    return {
        "mlp": {"learning_rate": [0.0005, 0.01, "log"], "dropout": [0.0, 0.4],
                "hidden_sizes": {"choices": [[32], [64, 32], [128, 64]]}},
        "hist_gradient_boosting": {"learning_rate": [0.03, 0.3, "log"], "max_leaf_nodes": [8, 64],
                                   "l2_regularization": [0.0, 1.0]},
        "lightgbm": {"learning_rate": [0.03, 0.3, "log"], "num_leaves": [8, 64], "min_child_samples": [5, 100]},
        "xgboost": {"learning_rate": [0.03, 0.3, "log"], "max_depth": [2, 8], "min_child_weight": [1, 20]},
    }


class TuneConfig(BaseModel):
    """``trials: 0`` turns tuning off (train uses the ``train`` section as written). ``workers`` and ``scheduler``
    say where trials run, not what they find: the study asks ``batch`` trials at a time, so the same seed, trials
    and space choose the same trial however many workers run them."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    trials: int = Field(0, ge=0)
    seed: int = 0
    margin: float = Field(0.02, ge=0.0, lt=1.0)  # validation gaps must sit this far below their ceilings
    batch: int = Field(8, ge=1)
    workers: int = Field(1, ge=1)
    scheduler: str | None = None  # an existing Dask cluster, e.g. tcp://10.0.0.5:8786
    space: dict[str, dict[str, Any]] = Field(default_factory=default_space, min_length=1)

    @model_validator(mode="after")
    def _space_usable(self) -> TuneConfig:
        self.dimensions()
        if self.scheduler is not None and "://" not in self.scheduler:
            raise ValueError(f"tune.scheduler '{self.scheduler}': give the scheduler's address, e.g. "
                             "tcp://10.0.0.5:8786, or null for a local cluster")
        return self

    def dimensions(self) -> dict[str, list[Dimension]]:
        """Each family's searched params, checked: the family is known and installed, and every range is valid."""
        parsed = {}
        for family, ranges in self.space.items():
            key = f"tune.space.{family}"
            if family not in FAMILIES:
                raise ValueError(f"{key}: unknown family; families are {', '.join(FAMILIES)}")
            if importlib.util.find_spec(FAMILIES[family].package) is None:
                raise ValueError(f"{key}: the package '{FAMILIES[family].package}' is not installed; install it "
                                 f"or remove {family} from tune.space")
            if family == "mlp" and (unknown := sorted(set(ranges or {}) - set(MLP_KNOBS))):
                raise ValueError(f"{key}: {', '.join(unknown)} cannot be tuned for fairgate's MLP; tunable: "
                                 f"{', '.join(MLP_KNOBS)}")
            parsed[family] = [parse_dimension(f"{key}.{name}", name, spec) for name, spec in (ranges or {}).items()]
        return parsed
