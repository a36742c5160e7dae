"""What several stages read from the processed data: the test rows (with their contract) and the arrays."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from fairgate.adapters.infra.memory import rows_per_chunk
from fairgate.adapters.parquet_rows import ParquetColumns, first_rows, frame_chunks
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.core.backends.common import PREDICT_BATCH
from fairgate.core.contract import Schema, resolve_schema


class TestRows(ParquetColumns):
    """The raw test rows preprocess set aside, never whole in memory: a column is read on its own (labels,
    groups, categories), and a model scores them a chunk of rows at a time."""

    __test__ = False  # not a pytest class

    def scored(self, predict: Callable[[pd.DataFrame], np.ndarray], columns: list[str] | None = None,
               rows: int | None = None) -> np.ndarray:
        """``predict`` on every test row (only ``columns``, when given), in order, as one float64 array.

        Chunks hold a whole number of the networks' scoring batches, so each row meets the same batch as in
        one call on all rows, and gets the same probability.
        """
        rows = rows or scoring_chunk_rows(len(self.columns))
        return np.concatenate([  # frame_chunks gives at least one (maybe empty) chunk
            np.asarray(predict(chunk if columns is None else chunk[columns]), dtype=np.float64).reshape(-1)
            for chunk in frame_chunks(self.path, rows)])

    def head(self, rows: int) -> pd.DataFrame:
        return first_rows(self.path, rows)


def scoring_chunk_rows(columns: int) -> int:
    """Test rows scored at a time: a twentieth of the memory available at about 200 bytes a value (the raw
    rows, their encoding and the network's activations), in whole scoring batches."""
    batches = rows_per_chunk(200 * columns * PREDICT_BATCH, 20, 1, 16)
    return batches * PREDICT_BATCH


def load_test(ctx: StageContext) -> tuple[TestRows, Schema]:
    """The raw test rows preprocess set aside, and the data contract resolved on them."""
    test = TestRows(ctx.path(paths.PROCESSED) / paths.TEST)
    return test, resolve_schema(ctx.params.data, list(test.columns), test.dtypes)


def training_arrays(ctx: StageContext) -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_val, y_val) as preprocess encoded them."""
    folder = ctx.path(paths.PROCESSED)
    return tuple(np.load(folder / name) for name in (paths.TRAIN_X, paths.TRAIN_Y, paths.VAL_X, paths.VAL_Y))
