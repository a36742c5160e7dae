"""Checks that need the data's columns but no work: run before any stage starts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fairgate.core.config import ConfigError, Params
from fairgate.core.synthetic import generate


def source_columns(params: Params, root: Path) -> list[str] | None:
    """The source's column names, read from the header only; None when the file cannot be read yet."""
    data = params.data
    if data.source == "synthetic":
        return list(generate(data.synthetic.model_copy(update={"rows": 100}), data.target,
                             str(data.positive_label)).columns)
    path = Path(data.source) if Path(data.source).is_absolute() else root / data.source
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            return list(pq.read_schema(path).names)
        header = pd.read_csv(path, sep=data.delimiter, nrows=0, skipinitialspace=data.strip_whitespace,
                             encoding=data.encoding)
    except (OSError, ValueError, UnicodeError, pd.errors.EmptyDataError):
        return None  # ingest reports missing, empty and unreadable files with their own fix
    return [str(c).strip() if data.strip_whitespace else str(c) for c in header.columns]


def check_columns(params: Params, root: Path) -> None:
    """The target and sensitive columns named in params must exist; the error names the key and the column."""
    columns = source_columns(params, root)
    if columns is None or len(columns) == 1:  # unreadable or wrongly delimited: ingest explains
        return
    data, present = params.data, set(columns) - set(params.data.drop)
    # The target and the sensitive columns define the task itself; the feature contract (types,
    # ranges, nulls) is the validate stage's to check, with its Data Docs.
    named = [("data.target", data.target)] + [("data.sensitive", c) for c in data.sensitive]
    missing = [f"{key} names '{column}'" for key, column in named if column not in present]
    if missing:
        raise ConfigError("params name columns the data does not have:\n  - " + "\n  - ".join(missing)
                          + f"\n  columns in {data.source}: {sorted(present)}")
