"""A suite's results on chunks of rows, combined into exactly what GX reports on all the rows at once.

Each expectation's per-chunk result (or the metric behind it) is folded: counts and shares add up, the first
unexpected values are the first chunks' in order, value counts sum, distinct values unite, a value missing from
the column is one missing from every chunk, and duplicate rows are found across chunks. The combined numbers then
go through GX's own result formatting and success rules, so the report reads as a whole-frame run's would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from fairgate.core.validate_folds import RESULT_FORMAT, Fold, ReadRows, fold_for, result_key


def fold_chunks(definition: Any, chunks: Iterable[pd.DataFrame], before_each: Callable[[], None] | None = None,
                total_rows: int | None = None,
                clean: Callable[[pd.DataFrame], bool] | None = None) -> tuple[SuiteFold, int]:
    """Run a GX validation definition on each chunk of rows; the fold, and the most values a chunk held.

    ``clean``, when given, proves of a chunk that every check passes on it with nothing unexpected; such a
    chunk is counted without running GX on it. The first chunk always goes through GX: its results set up
    the fold.
    """
    fold, cells = SuiteFold(total_rows), 0
    for chunk in chunks:
        if clean is not None and fold.chunks and clean(chunk):
            fold.add_clean(len(chunk))
            continue
        if before_each is not None:
            before_each()
        fold.add(definition.run(batch_parameters={"dataframe": chunk}, result_format=RESULT_FORMAT), chunk)
        cells = max(cells, chunk.size)
        del chunk
    return fold, cells


class SuiteFold:
    """Fold a suite's validation outcomes, one per chunk of rows, into the outcome of one run on all rows."""

    def __init__(self, total_rows: int | None = None) -> None:
        """``total_rows``, when known, spares the folding where one chunk holds every row."""
        self.total_rows = total_rows
        self.folds: dict[str, Fold] = {}
        self.rows = 0
        self.chunks = 0
        self.last: Any = None

    def add(self, outcome: Any, chunk: pd.DataFrame) -> None:
        for result in outcome.results if len(chunk) != self.total_rows else ():
            key = result_key(result.expectation_config)
            if key not in self.folds:
                self.folds[key] = fold_for(result)
            self.folds[key].add(result, chunk, self.rows)
        self.rows += len(chunk)
        self.chunks += 1
        self.last = outcome

    def add_clean(self, rows: int) -> None:
        """A chunk of ``rows`` known to pass every check with nothing unexpected."""
        for fold in self.folds.values():
            fold.add_clean(rows)
        self.rows += rows
        self.chunks += 1

    def outcome(self, read_rows: ReadRows) -> Any:
        """The last chunk's outcome, its results and statistics replaced by the combined ones (one chunk: as GX gave it)."""
        outcome = self.last
        if self.chunks == 1:
            return outcome
        for result in outcome.results:
            fold = self.folds[result_key(result.expectation_config)]
            if fold.failed is not None:
                result.success, result.result = fold.failed.success, fold.failed.result
                result.exception_info = fold.failed.exception_info
            else:
                result.success, result.result = fold.combined(read_rows)
        passed = sum(bool(r.success) for r in outcome.results)
        total = len(outcome.results)
        outcome.success = passed == total
        outcome.statistics.update({"evaluated_expectations": total, "successful_expectations": passed,
                                   "unsuccessful_expectations": total - passed,
                                   "success_percent": passed / total * 100 if total else None})
        return outcome
