"""preprocess: split the snapshot, fit the transforms on train only, and check the processed data."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from fairgate.adapters.gx_files import save_suite
from fairgate.adapters.infra import files, tracking
from fairgate.adapters.infra.memory import available_bytes
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.core import drift
from fairgate.core import preprocess as core
from fairgate.core import validate as gx_suites
from fairgate.core.contract import resolve_schema
from fairgate.core.errors import StageError

log = logging.getLogger(__name__)
LABEL = "__label__"


def chunk_rows(width: int) -> int:
    """Rows encoded at a time: the float64 temporaries of a chunk take about 1% of the available memory."""
    return int(min(max(available_bytes() // 100 // (8 * max(width, 1)), 10_000), 2_000_000))


def _check_processed(X: np.ndarray, y: np.ndarray, names: list[str]) -> dict[str, Any]:
    frame = pd.DataFrame(X, columns=names, copy=False)  # a view of the matrix, not a second copy
    frame[LABEL] = y
    suite = gx_suites.processed_suite(names, LABEL)
    summary = gx_suites.run_suite(frame, suite)
    leaked = core.label_leakage(X, y, names)
    summary["checks"].append({
        "expectation": "no_target_leakage", "column": None, "kwargs": {"max_abs_correlation": 0.99},
        "success": not leaked, "observed_value": leaked, "unexpected_count": len(leaked),
        "examples": leaked[:5], "exception": None,
    })
    summary["success"] = summary["success"] and not leaked
    summary["failed"] += int(bool(leaked))
    summary["evaluated"] += 1
    return summary


def run(ctx: StageContext) -> dict[str, Any]:
    raw = pd.read_parquet(ctx.path(paths.RAW))
    schema = resolve_schema(ctx.params.data, list(raw.columns), raw.dtypes, raw)
    splits = core.split(raw, schema, ctx.params.preprocess)
    del raw  # the splits are copies; the snapshot need not stay in memory beside them
    prep = core.fit_preprocessor(splits.train, schema, ctx.params.preprocess)
    names = prep.feature_names
    # Training and validation rows encoded into one matrix, which the processed check reads as it is and
    # whose two halves are saved as views: no second copy of the encoded data.
    X = prep.transform_parts([splits.train, splits.val], chunk_rows(len(names)))
    y = np.concatenate([core.encode_labels(splits.train, schema), core.encode_labels(splits.val, schema)])
    n_train = len(splits.train)
    X_train, y_train, X_val, y_val = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

    summary = _check_processed(X, y, names)
    files.write_atomic(ctx.path(paths.PROCESSED_SUITE),
                       lambda tmp: save_suite(gx_suites.processed_suite(names, LABEL), tmp))
    summary["splits"] = {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)}
    summary["width"] = len(names)
    files.write_json(ctx.path(paths.PROCESSED_REPORT), summary)
    if not summary["success"]:
        raise StageError("preprocess", f"the processed data failed {summary['failed']} checks:\n"
                         f"{gx_suites.describe_failures(summary)}",
                         f"inspect {paths.PROCESSED_REPORT}; check data.features and data.drop for leaked columns")

    with files.atomic_dir(ctx.path(paths.PROCESSED)) as out:
        np.save(out / paths.TRAIN_X, X_train)
        np.save(out / paths.TRAIN_Y, y_train)
        np.save(out / paths.VAL_X, X_val)
        np.save(out / paths.VAL_Y, y_val)
        splits.test.to_parquet(out / paths.TEST, index=False)
        sensitive = list(schema.sensitive)
        splits.train[sensitive].to_parquet(out / paths.TRAIN_GROUPS, index=False)
        splits.val[sensitive].to_parquet(out / paths.VAL_GROUPS, index=False)
        (out / paths.PREPROCESSOR).write_text(prep.to_json())
        files.write_json(out / paths.PROFILE, drift.profile(splits.train, schema))

    with stage_run(ctx, "preprocess"):
        tracking.log_params_flat("preprocess", ctx.params.section("preprocess"))
        tracking.log_flat_metrics({f"preprocess.{k}_rows": v for k, v in summary["splits"].items()}
                                  | {"preprocess.width": len(names)})
        tracking.log_files([ctx.path(paths.PROCESSED_REPORT)], "preprocess")
    log.info("preprocess: %s rows, %d features", summary["splits"], len(names))
    return summary
