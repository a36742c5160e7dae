"""The one policy for rows a champion scores, shared by the model server and `fairgate score`: a row is scored
only if the model was trained on rows like it. Each refusal names the column, the value and the data row
(counted from 1, as a person counts the lines after a header).

The rules, checked in this order, with the contract the model carries from training (``Preprocessor``):

1. every input column is present;
2. a numeric column holds numbers, and whole numbers where training held only whole numbers;
3. a numeric value lies within the column's ``validate.ranges`` bounds as they were at training;
4. a value is missing only in a column where training rows had missing values (imputed, or the
   ``__missing__`` category), since the model never learned what a missing value means elsewhere;
5. a category training never saw is refused, or with ``score.unseen_categories: infrequent`` scored as
   the column's rare bucket.

Batch scoring also checks batch-level shares (the null tolerance of ``validate``), which a single request
cannot have.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairgate.core.preprocess import MISSING, Preprocessor, category_text

SHOWN = 3  # rows named per refusal


FIX_ROWS = "fix those rows (the columns, types and ranges the champion was trained on)"
FIX_CATEGORIES = ("map them to known ones, or set score.unseen_categories: infrequent to score them as the column's "
                  "rare bucket")


class RowsRefused(ValueError):
    """Rows the model must not score: the first broken rule, with its column and rows, and what fixes it."""

    def __init__(self, problem: str, fix: str = FIX_ROWS) -> None:
        super().__init__(problem)
        self.fix = fix


def _rows(mask: np.ndarray, first_row: int) -> str:
    at = np.flatnonzero(mask)
    named = ", ".join(str(int(i) + first_row) for i in at[:SHOWN])
    more = f" and {len(at) - SHOWN} more" if len(at) > SHOWN else ""
    return f"row{'s' if len(at) > 1 else ''} {named}{more}"


def _values(series: pd.Series, mask: np.ndarray) -> list:
    return series[mask].head(SHOWN).tolist()


def check_rows(frame: pd.DataFrame, prep: Preprocessor, inputs: list[str], unseen_categories: str = "error",
               first_row: int = 1) -> None:
    """Raise ``RowsRefused`` for the first rule ``frame`` breaks; ``first_row`` is the data-row number of its
    first row."""
    missing = [c for c in inputs if c not in frame.columns]
    if missing:
        raise RowsRefused(f"the columns {missing} are missing: the model reads {inputs}")
    for column in prep.numeric:
        _check_numbers(frame[column], column, column in prep.integer, prep.ranges.get(column), first_row)
    for column in [*prep.numeric, *prep.categorical]:
        absent = frame[column].isna().to_numpy()
        if prep.nullable is not None and column not in prep.nullable and absent.any():
            raise RowsRefused(f"column '{column}' has no value in {_rows(absent, first_row)}, but training rows always "
                              "had one")
    if unseen_categories == "error":
        for column, new in prep.unseen(frame[prep.categorical]).items():
            new = [v for v in new if v != MISSING]
            if new:
                at = category_text(frame[column]).isin(new).to_numpy()
                raise RowsRefused(f"categories the champion never saw: {{'{column}': {new}}} in column '{column}', "
                                  f"{_rows(at, first_row)}", FIX_CATEGORIES)


def _check_numbers(values: pd.Series, column: str, integer: bool, bounds, first_row: int) -> None:
    numbers = pd.to_numeric(values, errors="coerce") if not _numeric(values) else values.astype("float64")
    text = (numbers.isna() & values.notna()).to_numpy()
    if text.any():
        raise RowsRefused(f"column '{column}' must be numeric, as the champion was trained on it, but holds text: "
                          f"{[str(v) for v in _values(values, text)]} in {_rows(text, first_row)}")
    array = numbers.to_numpy(dtype=np.float64, na_value=np.nan)
    present = ~np.isnan(array)
    infinite = present & ~np.isfinite(array)
    if infinite.any():
        raise RowsRefused(f"column '{column}' holds {array[infinite][0]} in {_rows(infinite, first_row)}; values must "
                          "be finite")
    if integer:
        fractional = present & (np.mod(array, 1) != 0)
        if fractional.any():
            raise RowsRefused(f"column '{column}' held whole numbers in training, but holds "
                              f"{array[fractional][:SHOWN].tolist()} in {_rows(fractional, first_row)}")
    if bounds:
        low, high = bounds
        outside = present & ((array < (-np.inf if low is None else low)) | (array > (np.inf if high is None else high)))
        if outside.any():
            raise RowsRefused(f"column '{column}' = {array[outside][:SHOWN].tolist()} in {_rows(outside, first_row)} "
                              f"is outside its range [{_bound(low)}, {_bound(high)}] (validate.ranges when the model was "
                              "trained)")


def _bound(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def _numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
