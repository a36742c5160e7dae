"""Expectations that GX Core does not ship; importing this module registers them with GX."""

from __future__ import annotations

from great_expectations.expectations.expectation import ColumnAggregateExpectation
from great_expectations.validator.metric_configuration import MetricConfiguration


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
                "unexpected_count": len(small),
                "partial_unexpected_list": [f"{g} ({n} rows)" for g, n in small.items()],
            },
        }
