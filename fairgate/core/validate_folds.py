"""One fold per expectation type: how its per-chunk results (or the metric behind them) combine into what GX
reports on all the rows at once (``validate_chunks`` drives them)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from great_expectations.expectations.expectation import _format_map_output, _mostly_success
from great_expectations.expectations.expectation_configuration import parse_result_format

from fairgate.core.rows import duplicated_rows

RESULT_FORMAT = "SUMMARY"
ReadRows = Callable[[np.ndarray, list[str]], pd.DataFrame]  # rows at these positions, these columns

# Schema-level checks: every chunk of one file has the same columns and column types.
_SAME_ON_EVERY_CHUNK = {
    "expect_column_to_exist", "expect_table_columns_to_match_set", "expect_table_columns_to_match_ordered_list",
    "expect_column_values_to_be_in_type_list",
}


def _raised(result: Any) -> bool:
    """Whether computing the check raised (GX keeps the exception flat, or per metric that failed)."""
    info = result.exception_info or {}
    return bool(info.get("raised_exception")) or any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _summary_format() -> dict[str, Any]:
    return parse_result_format(RESULT_FORMAT)


class Fold:
    def __init__(self, config: Any) -> None:
        self.config = config
        self.failed: Any = None  # a chunk's result whose check raised: reported as it is

    def add(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        if _raised(result):
            if self.failed is None:
                self.failed = result
            return
        self.fold(result, chunk, offset)

    def fold(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        raise NotImplementedError

    def add_clean(self, rows: int) -> None:
        """Count ``rows`` known to hold nothing this check finds unexpected, without their values."""
        raise ValueError(f"'{self.config.type}' needs every chunk's values; only map and schema checks can "
                         "count a chunk known to be clean")

    def combined(self, read_rows: ReadRows) -> tuple[bool, dict[str, Any]]:
        raise NotImplementedError

    def _validate(self, metrics: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
        outcome = self.config.to_domain_obj()._validate(
            metrics=metrics, runtime_configuration={"result_format": _summary_format()})
        return bool(outcome["success"]), outcome["result"]


class _SameOnEveryChunk(Fold):
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.kept: Any = None

    def fold(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        if self.kept is None or (self.kept.success and not result.success):
            self.kept = result

    def add_clean(self, rows: int) -> None:
        pass

    def combined(self, read_rows: ReadRows) -> tuple[bool, dict[str, Any]]:
        return bool(self.kept.success), dict(self.kept.result)


class _MapFold(Fold):
    """A map expectation: each row passes or not, so counts add and the first unexpected values come in order."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.elements = self.unexpected = 0
        self.nonnull: int | None = 0
        self.values: list[Any] = []
        self.positions: list[int] = []

    def fold(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        detail = result.result
        self.elements += detail["element_count"]
        self.unexpected += detail["unexpected_count"] or 0
        if "missing_count" not in detail:  # GX counts no missing values for this check (the not-null check)
            self.nonnull = None
        elif self.nonnull is not None:
            self.nonnull += detail["element_count"] - detail["missing_count"]
        self.values += detail.get("partial_unexpected_list") or []
        self.positions += [offset + i for i in detail.get("partial_unexpected_index_list") or []]

    def add_clean(self, rows: int) -> None:
        self.elements += rows
        if self.nonnull is not None:
            self.nonnull += rows

    def combined(self, read_rows: ReadRows) -> tuple[bool, dict[str, Any]]:
        considered = self.elements if self.nonnull is None else self.nonnull
        mostly = self.config.kwargs.get("mostly", 1.0)
        success = considered == 0 or self.elements == 0 or _mostly_success(considered, self.unexpected, mostly)
        result_format = _summary_format()
        limit = result_format["partial_unexpected_count"]
        formatted = _format_map_output(
            result_format=result_format, success=success, element_count=self.elements, nonnull_count=self.nonnull,
            unexpected_count=self.unexpected, unexpected_list=self.values[:limit],
            unexpected_index_list=self.positions[:limit])
        return success, formatted["result"]


class _RowsUniqueFold(_MapFold):
    """Rows repeating another row anywhere in the file: a chunk only sees its own repeats, so a 64-bit hash of
    every considered row finds the candidates across chunks, and only those rows are read back and compared on
    every column (a hash collision costs a comparison, never a wrong count)."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.columns = list(config.kwargs["column_list"])
        self.hashes: list[np.ndarray] = []
        self.kept_positions: list[np.ndarray] = []

    def add_clean(self, rows: int) -> None:
        Fold.add_clean(self, rows)  # a repeat may span a clean chunk and another

    def fold(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        super().fold(result, chunk, offset)
        rows = chunk[self.columns]
        considered = ~rows.isna().all(axis=1).to_numpy()  # GX's ignore_row_if="all_values_are_missing"
        self.hashes.append(pd.util.hash_pandas_object(rows[considered], index=False).to_numpy())
        self.kept_positions.append(np.flatnonzero(considered) + offset)

    def combined(self, read_rows: ReadRows) -> tuple[bool, dict[str, Any]]:
        hashes, positions = np.concatenate(self.hashes), np.concatenate(self.kept_positions)
        self.hashes = self.kept_positions = []
        candidates = positions[pd.Series(hashes).duplicated(keep=False).to_numpy()]
        del hashes, positions
        rows = read_rows(candidates, self.columns)
        repeated = duplicated_rows(rows)
        self.unexpected = int(repeated.sum())
        limit = _summary_format()["partial_unexpected_count"]
        self.values = rows[repeated].head(limit).to_dict("records")
        self.positions = [int(p) for p in candidates[repeated][:limit]]
        return super().combined(read_rows)


class _RowCountFold(Fold):
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.rows = 0

    def fold(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        self.rows += len(chunk)

    def combined(self, read_rows: ReadRows) -> tuple[bool, dict[str, Any]]:
        return self._validate({"table.row_count": self.rows})


class _DistinctCountFold(Fold):
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.values: set[Any] = set()

    def fold(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        self.values.update(chunk[self.config.kwargs["column"]].dropna().unique())

    def combined(self, read_rows: ReadRows) -> tuple[bool, dict[str, Any]]:
        return self._validate({"column.distinct_values.count": len(self.values)})


class _ValueCountsFold(Fold):
    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.counts: list[pd.Series] = []

    def fold(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        self.counts.append(chunk[self.config.kwargs["column"]].value_counts())

    def combined(self, read_rows: ReadRows) -> tuple[bool, dict[str, Any]]:
        counts = pd.concat(self.counts).groupby(level=0, sort=False).sum()
        with contextlib.suppress(TypeError):  # values of mixed types: unsorted, as GX leaves them
            counts = counts.sort_index()  # GX's column.value_counts(sort="value")
        return self._validate({"column.value_counts": counts})


class _MissingFromColumnFold(Fold):
    """Expected values absent from the column: those absent from every chunk."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.missing: list[Any] | None = None

    def fold(self, result: Any, chunk: pd.DataFrame, offset: int) -> None:
        found = result.result.get("partial_missing_list") or []
        self.missing = list(found) if self.missing is None else [v for v in self.missing if v in found]

    def combined(self, read_rows: ReadRows) -> tuple[bool, dict[str, Any]]:
        missing = self.missing or []
        return self._validate({"column.distinct_values.missing_from_column.count": len(missing),
                               "column.distinct_values.missing_from_column": missing})


_FOLDS: dict[str, type[Fold]] = {
    "expect_table_row_count_to_be_between": _RowCountFold,
    "expect_column_unique_value_count_to_be_between": _DistinctCountFold,
    "expect_column_value_counts_to_be_at_least": _ValueCountsFold,
    "expect_column_distinct_values_to_contain_set": _MissingFromColumnFold,
    "expect_rows_to_be_unique": _RowsUniqueFold,
}


def fold_for(result: Any) -> Fold:
    config = result.expectation_config
    if config.type in _FOLDS:
        return _FOLDS[config.type](config)
    if config.type in _SAME_ON_EVERY_CHUNK:
        return _SameOnEveryChunk(config)
    if "element_count" in (result.result or {}) or _raised(result):
        return _MapFold(config)
    raise ValueError(f"no way to combine '{config.type}' across chunks of rows; add a fold for it in "
                     "fairgate/core/validate_folds.py")


def result_key(config: Any) -> str:
    return json.dumps([config.type, {k: v for k, v in config.kwargs.items() if k != "batch_id"}],
                      sort_keys=True, default=str)
