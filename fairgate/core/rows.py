"""Row-level facts about a frame that validation and contract drafting must agree on."""

from __future__ import annotations

import numpy as np
import pandas as pd

_MIX = np.uint64(0x9E3779B97F4A7C15)


def duplicated_rows(frame: pd.DataFrame) -> np.ndarray:
    """``frame.duplicated(keep=False)``, without comparing every row on every column.

    Rows that repeat each other agree on their integer columns, so a 64-bit key mixed from those (no
    hashing of text) finds the few candidate rows; only the candidates are compared on all columns.
    A key collision costs time, never a wrong answer. Without integer columns, every row is a candidate.
    """
    integers = [name for name in frame.columns
                if isinstance(frame[name].dtype, np.dtype) and frame[name].dtype.kind in "iub"]
    key = np.zeros(len(frame), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for name in integers:
            key = (key ^ frame[name].to_numpy().astype(np.uint64)) * _MIX
            key ^= key >> np.uint64(29)
    candidates = pd.Series(key).duplicated(keep=False).to_numpy()
    duplicated = np.zeros(len(frame), dtype=bool)
    if candidates.any():
        duplicated[candidates] = frame[candidates].duplicated(keep=False).to_numpy()
    return duplicated
