"""A Parquet file read a few columns or a chunk of rows at a time, each converted exactly as
``pandas.read_parquet`` converts the whole file, so that a stage need not hold every row of every column."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.io._util import arrow_table_to_pandas  # what pandas.read_parquet converts with


def to_pandas(table: pa.Table) -> pd.DataFrame:
    return arrow_table_to_pandas(table).reset_index(drop=True)


class ParquetColumns:
    """The rows of a Parquet file (those where ``mask`` is true, when given) as a frame read column by column.

    ``columns[name]`` reads that column; ``columns[[a, b]]`` those columns; ``len`` and ``.columns``/``.dtypes``
    answer without reading rows. Core functions that only index columns (the preprocessor's fit, the drift
    profile, the data contract's identifier check) take it in place of a DataFrame.
    """

    def __init__(self, path: Path, mask: np.ndarray | None = None) -> None:
        self.path, self.mask = path, mask
        self.file = pq.ParquetFile(path)
        empty = to_pandas(self.file.schema_arrow.empty_table())
        self.columns, self.dtypes = empty.columns, empty.dtypes

    def __len__(self) -> int:
        return int(self.mask.sum()) if self.mask is not None else self.file.metadata.num_rows

    def where(self, mask: np.ndarray) -> ParquetColumns:
        return ParquetColumns(self.path, mask)

    def __getitem__(self, key: str | list[str]) -> pd.Series | pd.DataFrame:
        names = [key] if isinstance(key, str) else list(key)
        frame = to_pandas(pq.read_table(self.path, columns=names))
        if self.mask is not None:
            frame = frame.loc[self.mask].reset_index(drop=True)
        return frame[key]


def row_chunks(path: Path, rows: int) -> Iterator[pa.RecordBatch]:
    """The file's rows in order, ``rows`` at a time, as Arrow batches (Parquet's own types, no conversion)."""
    yield from pq.ParquetFile(path).iter_batches(batch_size=rows)


def first_rows(path: Path, rows: int) -> pd.DataFrame:
    """The file's first ``rows`` rows, as ``pandas.read_parquet(path).head(rows)`` gives them, without reading the rest."""
    batch = next(row_chunks(path, rows), None)
    table = pa.Table.from_batches([batch]) if batch is not None else pq.ParquetFile(path).schema_arrow.empty_table()
    return to_pandas(table).head(rows)


def read_frame(path: Path) -> pd.DataFrame:
    """``pandas.read_parquet(path)``, with each Arrow column freed as soon as it is converted, and what Arrow's
    pool keeps afterwards handed back to the OS (about two thirds again of the frame's size otherwise)."""
    from fairgate.adapters.infra.memory import release_unused

    frame = arrow_table_to_pandas(pq.read_table(path), to_pandas_kwargs={"self_destruct": True})
    release_unused()
    return frame
