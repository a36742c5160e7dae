"""What several stages read from the processed data: the test rows (with their contract) and the arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairgate.adapters.parquet_rows import read_frame
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.core.contract import Schema, resolve_schema


def load_test(ctx: StageContext) -> tuple[pd.DataFrame, Schema]:
    """The raw test rows preprocess set aside, and the data contract resolved on them."""
    test = read_frame(ctx.path(paths.PROCESSED) / paths.TEST)
    return test, resolve_schema(ctx.params.data, list(test.columns), test.dtypes)


def training_arrays(ctx: StageContext) -> tuple[np.ndarray, ...]:
    """(X_train, y_train, X_val, y_val) as preprocess encoded them."""
    folder = ctx.path(paths.PROCESSED)
    return tuple(np.load(folder / name) for name in (paths.TRAIN_X, paths.TRAIN_Y, paths.VAL_X, paths.VAL_Y))
