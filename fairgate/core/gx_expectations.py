"""Expectations that GX Core does not ship; importing this module registers them with GX."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.core.expect_compound_columns_to_be_unique import (
    ExpectCompoundColumnsToBeUnique,
)
from great_expectations.expectations.expectation import ColumnAggregateExpectation, ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    MulticolumnMapMetricProvider,
    column_condition_partial,
)
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (
    multicolumn_condition_partial,
)
from great_expectations.validator.metric_configuration import MetricConfiguration

from fairgate.core.rows import duplicated_rows


class ColumnValuesFinite(ColumnMapMetricProvider):
    """Each non-null value is a number that is finite and, when ``max_abs`` is set, within +-max_abs.

    GX's own between-check only vectorises int64/float64 columns and maps a Python function over every
    value of any other dtype (float32 features, nullable integers), which is 100x slower.
    """

    condition_metric_name = "column_values.finite_within"
    condition_value_keys = ("max_abs",)

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, max_abs=None, **kwargs):
        try:
            values = np.asarray(column, dtype="float64")
        except (TypeError, ValueError):
            return pd.Series(False, index=column.index)
        ok = np.isfinite(values)
        if max_abs is not None:
            ok &= np.abs(values) <= max_abs
        return pd.Series(ok, index=column.index)


class ExpectColumnValuesToBeFinite(ColumnMapExpectation):
    """Expect every non-null value to be a finite number (no inf), within +-``max_abs`` when given."""

    max_abs: float | None = None

    map_metric: ClassVar[str] = "column_values.finite_within"
    success_keys = ("max_abs", "mostly")


class ExpectColumnValueCountsToBeAtLeast(ColumnAggregateExpectation):
    """Expect every distinct value of the column (every group) to occur at least ``min_count`` times."""

    min_count: int

    success_keys = ("min_count",)

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None):  # noqa: D102
        deps = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        deps.set_metric_configuration(
            metric_name="column.value_counts",
            metric_configuration=MetricConfiguration(
                metric_name="column.value_counts",
                metric_domain_kwargs=self.configuration.get_domain_kwargs(),
                metric_value_kwargs={"sort": "value"},
            ),
        )
        return deps

    def _validate(self, metrics, runtime_configuration=None, execution_engine=None):
        counts = {str(k): int(v) for k, v in metrics["column.value_counts"].items()}
        small = {group: n for group, n in counts.items() if n < self.min_count}
        return {
            "success": bool(counts) and not small,
            "result": {
                "observed_value": counts,
                "element_count": len(counts),  # the groups: Data Docs' renderer needs both, as for a map check
                "unexpected_count": len(small),
                "unexpected_percent": 100.0 * len(small) / len(counts) if counts else 0.0,
                "partial_unexpected_list": [f"{g} ({n} rows)" for g, n in small.items()],
            },
        }


class RowsUnique(MulticolumnMapMetricProvider):
    """GX's compound-columns uniqueness with the pandas side computed by ``duplicated_rows``."""

    condition_metric_name = "compound_columns.unique_by_key"
    condition_domain_keys = ("batch_id", "table", "column_list", "row_condition", "condition_parser", "ignore_row_if")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list, **kwargs):
        return pd.Series(~duplicated_rows(column_list), index=column_list.index)


class ExpectRowsToBeUnique(ExpectCompoundColumnsToBeUnique):
    """Expect no row to repeat another on ``column_list`` (GX's compound uniqueness, computed faster)."""

    map_metric = "compound_columns.unique_by_key"
