"""Deterministic stratified splits and a small, transparent, JSON-serialisable preprocessor."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.config import PreprocessConfig
from fairgate.core.contract import Schema

MISSING = "__missing__"
INFREQUENT = "__infrequent__"


@dataclass(frozen=True)
class Splits:
    train: pd.DataFrame
    val: pd.DataFrame
    test: pd.DataFrame


TRAIN, VAL, TEST = 0, 1, 2


def stratum_order(stratum: np.ndarray, draw: np.ndarray) -> np.ndarray:
    """Row positions sorted by stratum, then draw, then position: ``np.lexsort((draw, stratum))``, as two stable
    sorts (the second on small integers), which take about 60% of its time on millions of rows."""
    by_draw = np.argsort(draw, kind="stable")
    return by_draw[np.argsort(stratum[by_draw], kind="stable")]


def split_parts(keys: pd.DataFrame, schema: Schema, cfg: PreprocessConfig) -> np.ndarray:
    """Which part each row goes to (``TRAIN``, ``VAL`` or ``TEST``), stratified by label and by every
    sensitive group; ``keys`` needs only the target and sensitive columns.

    Within each stratum rows are ranked by a seeded uniform draw; the first ``test_size`` share goes to
    test and the next ``val_size`` share to validation, so proportions hold in every stratum.
    """
    columns = [schema.target, *schema.sensitive]
    stratum = keys.groupby(columns, sort=True, dropna=False, observed=True).ngroup().to_numpy()
    draw = np.random.default_rng(cfg.seed).random(len(keys))
    order = stratum_order(stratum, draw)
    sorted_strata = stratum[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_strata)) + 1]
    sizes = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, sizes)
    share = np.empty(len(keys))
    share[order] = (rank + 0.5) / np.repeat(sizes, sizes)
    parts = np.full(len(keys), TRAIN, dtype=np.int8)
    parts[share < cfg.test_size + cfg.val_size] = VAL
    parts[share < cfg.test_size] = TEST
    return parts


def split(frame: pd.DataFrame, schema: Schema, cfg: PreprocessConfig) -> Splits:
    """The rows of ``frame`` in their three parts (``split_parts``), each in the frame's order."""
    parts = split_parts(frame, schema, cfg)
    return Splits(*(frame.loc[parts == part].reset_index(drop=True) for part in (TRAIN, VAL, TEST)))


@dataclass
class Preprocessor:
    """Median imputation and standard scaling for numeric columns, one-hot (or, with ``encoding: ordinal``, one
    column of category codes) for categorical ones.

    As scikit-learn's ``OneHotEncoder(min_frequency=..., max_categories=..., handle_unknown=
    "infrequent_if_exist")``: categories rarer than ``min_category_count`` training rows (and any
    beyond the ``max_categories`` most frequent) share one ``=__infrequent__`` column per feature,
    and a value training never saw is encoded there too, or as all zeros where training had no
    rare value. So width is bounded by design and new values at scoring time never fail.
    """

    numeric: list[str]
    categorical: list[str]
    medians: list[float] = field(default_factory=list)
    means: list[float] = field(default_factory=list)
    scales: list[float] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    infrequent: dict[str, list[str]] = field(default_factory=dict)  # the rare training values per column
    # The contract of the rows it was trained on, which serving and scoring hold rows to (core.input_policy);
    # a bundle saved before these were kept has none, and only its columns and categories are checked.
    integer: list[str] = field(default_factory=list)  # numeric columns whose training values were whole
    ranges: dict[str, list[float | None]] = field(default_factory=dict)  # validate.ranges at training
    nullable: list[str] | None = None  # columns with missing values in training rows
    # ordinal: a categorical is one column holding its category's index in ``categories`` (-1 for a value training
    # never saw where no infrequent bucket takes it); a bundle saved before this was kept is one-hot
    encoding: str = "onehot"

    @property
    def feature_names(self) -> list[str]:
        names = list(self.numeric)
        if self.encoding == "ordinal":
            return names + list(self.categorical)
        for column in self.categorical:
            names += [f"{column}={value}" for value in self.categories[column]]
        return names

    def transform(self, frame: pd.DataFrame, out: np.ndarray | None = None) -> np.ndarray:
        """Encode raw rows as a float32 matrix in ``feature_names`` order.

        The output is allocated once (or is ``out``, which must be zeros) and filled column by column, so
        peak memory stays near the size of the result (no float64 copy of the whole matrix, no concatenation).
        """
        ordinal = self.encoding == "ordinal"
        widths = [len(self.numeric)] + [1 if ordinal else len(self.categories[c]) for c in self.categorical]
        if out is None:
            out = np.zeros((len(frame), sum(widths)), dtype=np.float32)
        for i, column in enumerate(self.numeric):
            values = frame[column].to_numpy(dtype=np.float64, na_value=np.nan)
            values = np.where(np.isnan(values), self.medians[i], values)
            out[:, i] = (values - self.means[i]) / self.scales[i]
        start = len(self.numeric)
        rows = np.arange(len(frame))
        for column, width in zip(self.categorical, widths[1:], strict=True):
            known = self.categories[column]
            codes = pd.Categorical(category_text(frame[column]), categories=known).codes.astype(np.int64)
            if known and known[-1] == INFREQUENT:
                codes[codes < 0] = len(known) - 1
            if ordinal:
                out[:, start] = codes
            else:
                seen = codes >= 0
                out[rows[seen], start + codes[seen]] = 1.0
            start += width
        return out

    def unseen(self, frame: pd.DataFrame) -> dict[str, list[str]]:
        """Per categorical column, the values in ``frame`` that training never saw (rare ones it did see excluded)."""
        found = {}
        for column in self.categorical:
            known = set(self.categories[column]) | set(self.infrequent.get(column, []))
            new = set(category_text(frame[column]).unique()) - known
            if new:
                found[column] = sorted(new)
        return found

    def unseen_share(self, frame: pd.DataFrame) -> dict[str, float]:
        """Per categorical column, the share of rows holding a value training never saw."""
        unseen = self.unseen(frame)
        return {column: float(category_text(frame[column]).isin(values).mean()) for column, values in unseen.items()}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Preprocessor:
        return cls(**json.loads(text))


def category_text(series: pd.Series) -> pd.Series:
    """Values as the text the encoder, the fairness groups and drift compare; missing ones as ``__missing__``."""
    return series.astype("str").mask(series.isna(), MISSING)


def _kept_categories(text: pd.Series, cfg: PreprocessConfig) -> tuple[list[str], list[str]]:
    """(categories with their own column, rare ones that share the infrequent column)."""
    counts = text.value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    frequent = [value for value, count in ranked if count >= cfg.min_category_count]
    if len(frequent) > cfg.max_categories:
        frequent = frequent[:cfg.max_categories - 1]
    kept = set(frequent)
    rare = sorted(value for value, _ in ranked if value not in kept)
    return sorted(kept) + ([INFREQUENT] if rare else []), rare


def fit_preprocessor(train: pd.DataFrame, schema: Schema, cfg: PreprocessConfig | None = None,
                     ranges: dict[str, Any] | None = None, encoding: str = "onehot") -> Preprocessor:
    """Learn imputation values, scaling and category lists from the training rows only, and keep the contract
    those rows met (whole-number columns, missing values, ``ranges``: validate.ranges)."""
    cfg = cfg or PreprocessConfig()
    numeric, categorical = list(schema.numeric), list(schema.categorical)
    values = train[numeric].to_numpy(dtype=np.float64, na_value=np.nan) if numeric else np.zeros((len(train), 0))
    holes = np.isnan(values)
    whole = [c for i, c in enumerate(numeric) if bool(np.all(np.mod(values[~holes[:, i], i], 1) == 0))]
    nullable = [c for i, c in enumerate(numeric) if holes[:, i].any()]
    medians = np.nanmedian(values, axis=0) if numeric else np.zeros(0)
    medians = np.where(np.isnan(medians), 0.0, medians)
    filled = np.where(holes, medians, values)
    scales = filled.std(axis=0) if numeric else np.zeros(0)
    encoded = {c: _kept_categories(category_text(train[c]), cfg) for c in categorical}
    nullable += [c for c, (kept, rare) in encoded.items() if MISSING in kept or MISSING in rare]
    return Preprocessor(
        numeric=numeric,
        categorical=categorical,
        medians=medians.tolist(),
        means=filled.mean(axis=0).tolist() if numeric else [],
        scales=np.where(scales > 0, scales, 1.0).tolist(),
        categories={c: kept for c, (kept, _) in encoded.items()},
        infrequent={c: rare for c, (_, rare) in encoded.items() if rare},
        integer=whole,
        ranges={c: list(bounds) for c, bounds in (ranges or {}).items() if c in numeric},
        nullable=nullable,
        encoding=encoding,
    )


def encode_labels(frame: pd.DataFrame, schema: Schema) -> np.ndarray:
    """1 where the target equals the positive label, else 0."""
    return (frame[schema.target].astype("str") == schema.positive_label).to_numpy(dtype=np.int8)


def column_spreads(features: np.ndarray, rows: int = 65_536) -> np.ndarray:
    """Each column's standard deviation in float64, as ``features.std(axis=0, dtype=np.float64)`` gives it, read
    a block of rows at a time: contiguous reads and small temporaries, where a column of a row-major matrix is
    a strided read per value."""
    count, width = features.shape
    total = np.zeros(width)
    for start in range(0, count, rows):
        total += features[start:start + rows].sum(axis=0, dtype=np.float64)
    mean, squares = total / max(count, 1), np.zeros(width)
    for start in range(0, count, rows):
        block = features[start:start + rows].astype(np.float64) - mean
        squares += np.einsum("ij,ij->j", block, block)
    return np.sqrt(squares / max(count, 1))


def label_leakage(features: np.ndarray, labels: np.ndarray, names: list[str], limit: float = 0.99) -> list[str]:
    """Feature columns whose absolute correlation with the label reaches ``limit`` (a sign of leakage).

    Computed as one matrix-vector product and per-column spreads, so no full-size temporary is made.
    """
    if len(labels) < 2 or labels.std() == 0:
        return []
    centred_labels = (labels - labels.mean()).astype(features.dtype)
    with np.errstate(invalid="ignore", divide="ignore"):  # non-finite features are the suite's to report
        covariance = (features.T @ centred_labels).astype(np.float64) / len(labels)
        spreads = column_spreads(features)
        corr = covariance / (spreads * labels.std())
    return [names[i] for i in np.flatnonzero(np.nan_to_num(np.abs(corr)) >= limit)]
