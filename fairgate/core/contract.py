"""The data contract: which columns play which role, resolved from params and the raw frame."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from fairgate.core.config import DataConfig
from fairgate.core.errors import StageError


@dataclass(frozen=True)
class Schema:
    """Column roles the whole pipeline agrees on."""

    target: str
    positive_label: str
    label_values: tuple[str, ...] | None
    sensitive: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    identifiers: tuple[str, ...] = ()  # inferred features left out: near-unique text, an id per row

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.categorical

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.features, *self.sensitive, self.target)))


IDENTIFIER_SHARE = 0.5  # distinct values above this share of rows: an identifier, not a category
_SAMPLE = 10_000


def identifier_columns(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """The text columns among ``columns`` whose distinct values exceed half their rows (and 50): ids, not categories.

    The first rows rule most columns out cheaply; only the rest are counted in full.
    """
    found = []
    for column in columns:
        series = frame[column]
        if not (pd.api.types.is_string_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype)):
            continue  # numbers, timestamps and nested values are not identifiers (the last two are rejected)
        head = series.head(_SAMPLE).dropna()
        if head.nunique() <= max(IDENTIFIER_SHARE * len(head), 50):
            continue
        filled = int(series.notna().sum())
        if series.nunique() > max(IDENTIFIER_SHARE * filled, 50):
            found.append(column)
    return found


def unusable_columns(frame: pd.DataFrame, schema: Schema) -> dict[str, str]:
    """Feature columns fairgate cannot encode, with why: timestamps and nested values (lists, maps)."""
    found = {}
    for column in schema.features:
        if column not in frame.columns:
            continue
        series = frame[column]
        if pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series):
            found[column] = f"holds timestamps ({series.dtype})"
        elif series.dtype == object and series.dropna().head(1000).map(
                lambda v: isinstance(v, list | tuple | dict | set) or hasattr(v, "__array__")).any():
            found[column] = "holds nested values (lists or maps)"
    return found


def resolve_schema(cfg: DataConfig, columns: list[str], dtypes: pd.Series | None = None,
                   frame: pd.DataFrame | None = None) -> Schema:
    """Decide each column's role: configured lists win, the rest is inferred from the dtypes.

    Sensitive columns are features too (they are grouped on, so they are treated as categorical
    unless listed in ``data.numeric``), unless ``data.sensitive_as_feature`` is false: then no role lists
    them and the model never reads them, while ``Schema.sensitive`` still groups on them. With ``frame``
    given, inferred categorical features that are identifiers (``identifier_columns``) are left out and
    named in ``Schema.identifiers``.
    """
    excluded = {cfg.target, *cfg.drop}
    features = list(cfg.features) if cfg.features is not None else [c for c in columns if c not in excluded]
    features = [c for c in features if cfg.sensitive_as_feature or c not in cfg.sensitive]
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
    identifiers: list[str] = []
    if frame is not None and cfg.categorical is None and cfg.features is None:
        candidates = [c for c in categorical if c not in cfg.sensitive and c in frame.columns]
        identifiers = identifier_columns(frame, candidates)
        categorical = [c for c in categorical if c not in identifiers]
    if cfg.sensitive_as_feature:
        for column in cfg.sensitive:
            if column not in numeric and column not in categorical:
                categorical.append(column)
    else:
        numeric = [c for c in numeric if c not in cfg.sensitive]
        categorical = [c for c in categorical if c not in cfg.sensitive]
    label_values = tuple(str(v) for v in cfg.label_values) if cfg.label_values else None
    return Schema(
        target=cfg.target,
        positive_label=str(cfg.positive_label),
        label_values=label_values,
        sensitive=tuple(cfg.sensitive),
        numeric=tuple(numeric),
        categorical=tuple(dict.fromkeys(categorical)),
        identifiers=tuple(identifiers),
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
