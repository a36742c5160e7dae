"""The data contract: which columns play which role, resolved from params and the raw frame."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from fairgate.config import DataConfig
from fairgate.errors import StageError


@dataclass(frozen=True)
class Schema:
    """Column roles the whole pipeline agrees on."""

    target: str
    positive_label: str
    label_values: tuple[str, ...] | None
    sensitive: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.features, *self.sensitive, self.target)))


def resolve_schema(cfg: DataConfig, columns: list[str], dtypes: pd.Series | None = None) -> Schema:
    """Decide each column's role: configured lists win, the rest is inferred from the dtypes.

    Sensitive columns are features too (they are grouped on, so they are treated as categorical
    unless listed in ``data.numeric``).
    """
    excluded = {cfg.target, *cfg.drop}
    features = list(cfg.features) if cfg.features is not None else [c for c in columns if c not in excluded]
    leaked = [c for c in features if c == cfg.target]
    if leaked:
        raise StageError("validate", f"data.features lists the target column '{cfg.target}'",
                         "remove the target from data.features")
    numeric = list(cfg.numeric) if cfg.numeric is not None else [
        c for c in features
        if c not in cfg.sensitive and c not in (cfg.categorical or [])
        and dtypes is not None and c in dtypes and pd.api.types.is_numeric_dtype(dtypes[c])
        and not pd.api.types.is_bool_dtype(dtypes[c])
    ]
    categorical = list(cfg.categorical) if cfg.categorical is not None else [
        c for c in features if c not in numeric
    ]
    for column in cfg.sensitive:
        if column not in numeric and column not in categorical:
            categorical.append(column)
    label_values = tuple(str(v) for v in cfg.label_values) if cfg.label_values else None
    return Schema(
        target=cfg.target,
        positive_label=str(cfg.positive_label),
        label_values=label_values,
        sensitive=tuple(cfg.sensitive),
        numeric=tuple(numeric),
        categorical=tuple(dict.fromkeys(categorical)),
    )


CHANGED_CONTRACT_FIX = ("to train a model for this data, set promote.model_name to a new name (`fairgate init` names "
                        "it after the file); to compare with this champion, supply data with its columns")


def _names(columns: list[str], limit: int = 25) -> str:
    shown = ", ".join(columns[:limit])
    return f"[{shown}{f', ... {len(columns) - limit} more' if len(columns) > limit else ''}]"


def column_change(trained: dict[str, list[str]], current: dict[str, list[str]]) -> str | None:
    """How the data's columns differ from what the champion was trained on, or None when they do not.

    ``trained`` and ``current`` map a role (``numeric``, ``categorical``) to its columns. Columns the
    data adds are not a change: the champion is still scored on its own columns.
    """
    before = {c: role for role, cols in trained.items() for c in cols}
    now = {c: role for role, cols in current.items() for c in cols}
    missing = [c for c in before if c not in now]
    retyped = [f"{c} ({before[c]} -> {now[c]})" for c in before if c in now and now[c] != before[c]]
    if not missing and not retyped:
        return None
    detail = "; ".join(part for part in (missing and f"missing {_names(missing)}",
                                         retyped and f"changed role {_names(retyped)}") if part)
    return (f"the champion was trained on columns {_names(list(before))}; this data has {_names(list(now))} "
            f"({detail})")
