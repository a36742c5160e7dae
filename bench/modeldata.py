"""Generated data, split and encoded, for the tests and benches that train real models."""

from __future__ import annotations

from typing import Any

from fairgate.core.config import build_params
from fairgate.core.contract import resolve_schema
from fairgate.core.ingest import normalise
from fairgate.core.preprocess import encode_labels, fit_preprocessor, split
from fairgate.core.synthetic import generate


def prepare(rows: int, seed: int, bias: float = 0.0, encoding: str = "onehot", **train: Any):
    """(params, schema, splits, X_test, y_test, (X_train, y_train, X_val, y_val)) for generated rows, categoricals
    encoded as ``encoding`` (onehot or ordinal)."""
    params = build_params({"data": {"synthetic": {"rows": rows, "seed": seed, "bias": bias}}, "train": train})
    raw = normalise(generate(params.data.synthetic), params.data)
    schema = resolve_schema(params.data, list(raw.columns), raw.dtypes)
    splits = split(raw, schema, params.preprocess)
    prep = fit_preprocessor(splits.train, schema, encoding=encoding)
    arrays = (prep.transform(splits.train), encode_labels(splits.train, schema),
              prep.transform(splits.val), encode_labels(splits.val, schema))
    return params, schema, splits, prep.transform(splits.test), encode_labels(splits.test, schema), arrays
