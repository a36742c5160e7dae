"""Great Expectations (GX Core 1.x) suites built from the data contract, and their evaluation."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd

from fairgate.core.config import ValidateConfig
from fairgate.core.contract import Schema
from fairgate.core.gx_expectations import (
    ExpectColumnValueCountsToBeAtLeast,
    ExpectColumnValuesToBeFinite,
    ExpectRowsToBeUnique,
)
from fairgate.core.validation_report import NOT_NULL

NUMERIC_TYPES = [
    *(f"int{b}" for b in (8, 16, 32, 64)), *(f"uint{b}" for b in (8, 16, 32, 64)),
    "float16", "float32", "float64", "Int8", "Int16", "Int32", "Int64", "Float32", "Float64",
]
_EXAMPLES = 5


def _null_tolerance(column: str, schema: Schema, cfg: ValidateConfig) -> float:
    if column in cfg.null_tolerance:
        return cfg.null_tolerance[column]
    return 0.0 if column in (schema.target, *schema.sensitive) else cfg.max_null_fraction


def raw_suite(schema: Schema, cfg: ValidateConfig, name: str = "raw") -> gx.ExpectationSuite:
    """The raw-data suite: presence, types, labels, ranges, nulls, row counts and group sizes."""
    expectations: list[gxe.Expectation] = []
    add = expectations.append
    add(gxe.ExpectTableRowCountToBeBetween(min_value=cfg.min_rows))
    if cfg.extra_columns == "reject":
        add(gxe.ExpectTableColumnsToMatchSet(column_set=list(schema.required), exact_match=True))
    for column in schema.required:
        add(gxe.ExpectColumnToExist(column=column))
    for column in schema.numeric:
        add(gxe.ExpectColumnValuesToBeInTypeList(column=column, type_list=NUMERIC_TYPES))
        add(ExpectColumnValuesToBeFinite(column=column, meta={"notes": "values must be finite (no inf)"}))
    for column, (low, high) in cfg.ranges.items():
        add(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    for column in schema.required:
        tolerance = _null_tolerance(column, schema, cfg)
        if tolerance < 1.0:
            add(gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=round(1.0 - tolerance, 6)))
    if schema.label_values:
        add(gxe.ExpectColumnValuesToBeInSet(column=schema.target, value_set=list(schema.label_values)))
    add(gxe.ExpectColumnDistinctValuesToContainSet(column=schema.target, value_set=[schema.positive_label]))
    add(gxe.ExpectColumnUniqueValueCountToBeBetween(column=schema.target, min_value=2, max_value=2))
    for column in schema.sensitive:
        add(ExpectColumnValueCountsToBeAtLeast(column=column, min_count=cfg.min_group_rows))
    if cfg.max_duplicate_fraction < 1.0:
        add(ExpectRowsToBeUnique(
            column_list=list(schema.required), mostly=round(1.0 - cfg.max_duplicate_fraction, 6),
            meta={"notes": "rows that duplicate another row entirely (validate.max_duplicate_fraction)"}))
    return gx.ExpectationSuite(name=name, expectations=expectations)


def batch_suite(schema: Schema, cfg: ValidateConfig, name: str = "batch") -> gx.ExpectationSuite:
    """A batch to score: the raw suite's column, type, range and null checks on the model's inputs, without
    the label, row-count, group-size and duplicate expectations (a batch has no label and may be small)."""
    expectations: list[gxe.Expectation] = []
    inputs = [*schema.features, *(c for c in schema.sensitive if c not in schema.features)]
    for column in inputs:
        expectations.append(gxe.ExpectColumnToExist(column=column))
    for column in schema.numeric:
        expectations.append(gxe.ExpectColumnValuesToBeInTypeList(column=column, type_list=NUMERIC_TYPES))
        expectations.append(ExpectColumnValuesToBeFinite(column=column, meta={"notes": "values must be finite (no inf)"}))
    for column, (low, high) in cfg.ranges.items():
        if column in inputs:
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high))
    for column in inputs:
        tolerance = _null_tolerance(column, schema, cfg)
        if tolerance < 1.0:
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=column, mostly=round(1.0 - tolerance, 6)))
    return gx.ExpectationSuite(name=name, expectations=expectations)


PROCESSED_MAX_ABS = 1e30


def processed_suite(feature_names: list[str], label: str, name: str = "processed") -> gx.ExpectationSuite:
    """The processed-data suite: the exact expected width and names, and every value finite."""
    expectations: list[gxe.Expectation] = [
        gxe.ExpectTableColumnsToMatchOrderedList(column_list=[*feature_names, label]),
        gxe.ExpectColumnValuesToBeInSet(column=label, value_set=[0, 1]),
    ]
    for column in feature_names:
        expectations.append(gxe.ExpectColumnValuesToNotBeNull(column=column))
        expectations.append(ExpectColumnValuesToBeFinite(column=column, max_abs=PROCESSED_MAX_ABS))
    return gx.ExpectationSuite(name=name, expectations=expectations)


def processed_rows_clean(frame: pd.DataFrame, label: str) -> bool:
    """Whether every check of ``processed_suite`` passes on ``frame`` with nothing unexpected (so GX need not
    look): every feature value finite and within its bound, hence none missing, and every label 0 or 1."""
    features = frame.drop(columns=[label]).to_numpy()  # one block of the encoded matrix: no copy
    return (bool(np.isin(frame[label].to_numpy(), (0, 1)).all()) and features.dtype.kind in "iuf"
            and bool((np.abs(features) < PROCESSED_MAX_ABS).all()))  # NaN compares False


def _summarise(result: Any) -> dict[str, Any]:
    config = result.expectation_config
    detail = result.result or {}
    exception = (result.exception_info or {}).get("exception_message") if result.exception_info else None
    examples = detail.get("partial_unexpected_list") or []
    return {
        "expectation": config.type,
        "column": config.kwargs.get("column"),
        "kwargs": {k: v for k, v in config.kwargs.items() if k not in ("column", "batch_id")},
        "success": bool(result.success),
        "observed_value": detail.get("observed_value"),
        "unexpected_count": detail.get("unexpected_count"),
        "unexpected_percent": detail.get("unexpected_percent"),
        # A null check's unexpected values are all null: examples would only say 'nan'.
        "examples": [] if config.type == NOT_NULL else [str(v) for v in examples[:_EXAMPLES]],
        "exception": exception,
        "notes": (config.meta or {}).get("notes"),
    }


def _no_batch_fingerprint() -> None:
    """GX hashes every value of an in-memory frame under 1 GB for a batch marker nothing reads (a tenth of a
    validation run); a chunk's hash would say nothing of the file either. The snapshot's lineage is DVC's."""
    from great_expectations.execution_engine import pandas_execution_engine

    pandas_execution_engine.HASH_THRESHOLD = 0


def prepared(suite: gx.ExpectationSuite) -> tuple[Any, Any]:
    """An ephemeral GX context holding ``suite`` and a validation definition for a whole in-memory frame."""
    _no_batch_fingerprint()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    batch = (context.data_sources.add_pandas("fairgate").add_dataframe_asset(suite.name)
             .add_batch_definition_whole_dataframe("all"))
    # GX binds expectations to the suite they are added to, so the context gets fresh ones (a copy would
    # deep-copy the whole suite once per expectation).
    fresh = [e.configuration.to_domain_obj() for e in suite.expectations]
    suite = context.suites.add(gx.ExpectationSuite(name=suite.name, expectations=fresh))
    return context, context.validation_definitions.add(gx.ValidationDefinition(name=suite.name, data=batch, suite=suite))


def summary_of(outcome: Any, suite_name: str, rows: int) -> dict[str, Any]:
    """A GX validation result as JSON-ready data: one entry per expectation, failed or not."""
    checks = [_summarise(r) for r in outcome.results]
    return {
        "suite": suite_name,
        "success": all(c["success"] for c in checks),
        "rows": int(rows),
        "evaluated": len(checks),
        "failed": sum(not c["success"] for c in checks),
        "checks": checks,
    }


LARGE_FRAME_CELLS = 5_000_000  # above this a full garbage collection (0.1-0.3 s) is worth the memory it frees


def let_go_of(cells: int) -> None:
    """Make GX drop the frame (of ``cells`` values) it last validated.

    GX keeps its last context as the global project, and through it the frame it validated (the execution
    engine's batch cache, the batch request), in reference cycles: the frame would stay in memory for the
    rest of the run, beside every later stage's data. Forget the context; collect the cycles when the frame
    is large enough for that to matter.
    """
    from great_expectations.data_context.data_context.context_factory import set_context

    set_context(None)
    if cells > LARGE_FRAME_CELLS:
        gc.collect()


def run_suite(frame: pd.DataFrame, suite: gx.ExpectationSuite) -> dict[str, Any]:
    """Validate ``frame`` against ``suite`` (see ``summary_of``)."""
    return run_suite_in_chunks([frame], suite, total_rows=len(frame))


def run_suite_in_chunks(chunks: Iterable[pd.DataFrame], suite: gx.ExpectationSuite, total_rows: int | None = None,
                        clean: Callable[[pd.DataFrame], bool] | None = None) -> dict[str, Any]:
    """Validate the rows of ``chunks`` against ``suite``, a chunk at a time, reporting what one run on all of
    them would report (``validate_chunks.SuiteFold``; suites without row-uniqueness checks). Chunks that
    ``clean`` proves hold nothing unexpected are counted without GX (see ``validate_chunks.fold_chunks``)."""
    from fairgate.core.validate_chunks import fold_chunks

    fold, cells = fold_chunks(prepared(suite)[1], chunks, total_rows=total_rows, clean=clean)
    summary = summary_of(fold.outcome(_rows_not_kept), suite.name, fold.rows)
    del fold
    let_go_of(cells)
    return summary


def _rows_not_kept(positions: Any, columns: Any) -> pd.DataFrame:
    raise ValueError("rows cannot be read back from in-memory chunks: check row uniqueness on a file")
