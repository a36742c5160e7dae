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

    @property
    def iloc(self) -> _EveryKth:
        """``columns.iloc[::k]``: every k-th row, still read a column at a time (what a sample needs)."""
        return _EveryKth(self)

    def __getitem__(self, key: str | list[str]) -> pd.Series | pd.DataFrame:
        names = [key] if isinstance(key, str) else list(key)
        frame = to_pandas(pq.read_table(self.path, columns=names))
        if self.mask is not None:
            frame = frame.loc[self.mask].reset_index(drop=True)
        return frame[key]


class _EveryKth:
    def __init__(self, columns: ParquetColumns) -> None:
        self.columns = columns

    def __getitem__(self, rows: slice) -> ParquetColumns:
        if not isinstance(rows, slice) or rows.start is not None or rows.stop is not None:
            raise TypeError("only every k-th row (iloc[::k]) is read column by column")
        return self.columns.where(np.arange(len(self.columns)) % (rows.step or 1) == 0)


def row_chunks(path: Path, rows: int) -> Iterator[pa.RecordBatch]:
    """The file's rows in order, ``rows`` at a time, as Arrow batches (Parquet's own types, no conversion)."""
    yield from pq.ParquetFile(path).iter_batches(batch_size=rows)


def frame_chunks(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """The file's rows in order, ``rows`` at a time, each converted as ``pandas.read_parquet`` converts the
    whole file (a file without rows gives one empty frame, so that checks still see its columns)."""
    empty = True
    for batch in row_chunks(path, rows):
        empty = False
        yield to_pandas(pa.Table.from_batches([batch]))
    if empty:
        yield to_pandas(pq.ParquetFile(path).schema_arrow.empty_table())


def rows_at(path: Path, positions: np.ndarray, columns: list[str], rows: int) -> pd.DataFrame:
    """The rows at sorted ``positions`` (0-based, in file order), those columns, reading ``rows`` at a time."""
    picked, start, file = [], 0, pq.ParquetFile(path)
    for batch in file.iter_batches(batch_size=rows, columns=columns):
        end = start + batch.num_rows
        local = positions[np.searchsorted(positions, start):np.searchsorted(positions, end)] - start
        if len(local):
            picked.append(batch.take(pa.array(local)))
        start = end
    schema = file.schema_arrow
    table = pa.Table.from_batches(picked) if picked else pa.schema([schema.field(c) for c in columns],
                                                                   metadata=schema.metadata).empty_table()
    return to_pandas(table)


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
