"""preprocess: split the snapshot, fit the transforms on train only, and check the processed data."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from fairgate.adapters.infra import files, side_process, tracking
from fairgate.adapters.infra.memory import release_unused, rows_per_chunk
from fairgate.adapters.parquet_rows import ParquetColumns, row_chunks, to_pandas
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.core import drift
from fairgate.core import preprocess as core
from fairgate.core.contract import resolve_schema
from fairgate.core.errors import StageError
from fairgate.core.validation_report import describe_failures

log = logging.getLogger(__name__)
LABEL = "__label__"
FIRST_CHECKED_ROWS = 10_000  # GX runs on at least these rows of the encoded matrix (see gx_files.check_matrix)
GX = "fairgate.adapters.gx_files"
# A larger matrix is checked here: copying it to the side process would cost more than the import it saves.
HAND_OVER_BYTES = 256 * 2**20


def encoding_chunk_rows(columns: int) -> int:
    """Raw rows read and encoded at a time: a chunk and its temporaries take about 1% of the available memory
    (at about 200 bytes a value), so nobody has to pick a number."""
    return rows_per_chunk(200 * columns, 100, 10_000, 1_000_000)


def _check_processed(X: np.ndarray, y: np.ndarray, names: list[str], suite_path) -> side_process.Pending:
    """The processed suite on the encoded rows (``gx_files.check_matrix``), in the side process when it prepared
    for GX and the matrix is small enough to hand over; ``with_leakage`` adds the leakage check to its result."""
    check = side_process.Call(GX, "check_matrix", (X, y, names, LABEL, FIRST_CHECKED_ROWS, suite_path))
    if X.nbytes + y.nbytes > HAND_OVER_BYTES:
        return side_process.Pending(check)
    return side_process.submit(check, GX)


def with_leakage(summary: dict[str, Any], leaked: list[str]) -> dict[str, Any]:
    summary["checks"].append({
        "expectation": "no_target_leakage", "column": None, "kwargs": {"max_abs_correlation": 0.99},
        "success": not leaked, "observed_value": leaked, "unexpected_count": len(leaked),
        "examples": leaked[:5], "exception": None,
    })
    summary["success"] = summary["success"] and not leaked
    summary["failed"] += int(bool(leaked))
    summary["evaluated"] += 1
    return summary


def _encode_and_write(raw_path, parts: np.ndarray, counts: np.ndarray, prep: core.Preprocessor, schema, out,
                      rows: int) -> tuple[np.ndarray, np.ndarray]:
    """One pass over the snapshot, ``rows`` rows at a time: training and validation rows encoded into one
    matrix (training rows first, each part in the snapshot's order, as ``core.split`` orders them), test rows
    and the parts' sensitive columns appended to their Parquet files in ``out``.

    The matrix is what the processed check reads as it is and whose two halves are saved as views, so the
    encoded data exists once; of the raw rows only a chunk is in memory at a time.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    X = np.zeros((counts[core.TRAIN] + counts[core.VAL], len(prep.feature_names)), dtype=np.float32)
    y = np.zeros(len(X), dtype=np.int8)
    filled = {core.TRAIN: 0, core.VAL: int(counts[core.TRAIN])}
    sensitive = list(schema.sensitive)
    writers: dict[str, pq.ParquetWriter] = {}

    def append(name: str, batch: pa.RecordBatch) -> None:
        if name not in writers:
            writers[name] = pq.ParquetWriter(out / name, batch.schema)
        writers[name].write_batch(batch)

    try:
        first = 0
        for batch in row_chunks(raw_path, rows):
            chunk_parts = parts[first:first + batch.num_rows]
            first += batch.num_rows
            for part, groups_file in ((core.TRAIN, paths.TRAIN_GROUPS), (core.VAL, paths.VAL_GROUPS)):
                rows_in_part = batch.filter(pa.array(chunk_parts == part))
                frame = to_pandas(pa.Table.from_batches([rows_in_part]))
                at = filled[part]
                prep.transform(frame, out=X[at:at + len(frame)])
                y[at:at + len(frame)] = core.encode_labels(frame, schema)
                filled[part] += len(frame)
                append(groups_file, rows_in_part.select(sensitive))
            append(paths.TEST, batch.filter(pa.array(chunk_parts == core.TEST)))
    finally:
        for writer in writers.values():
            writer.close()
    return X, y


def run(ctx: StageContext) -> dict[str, Any]:
    raw_path = ctx.path(paths.RAW)
    raw = ParquetColumns(raw_path)  # read a few columns at a time: the snapshot is never whole in memory
    schema = resolve_schema(ctx.params.data, list(raw.columns), raw.dtypes, raw)
    parts = core.split_parts(raw[[schema.target, *schema.sensitive]], schema, ctx.params.preprocess)
    release_unused()  # each step's column reads are gone: the next starts from a low mark, not on top of them
    train = raw.where(parts == core.TRAIN)
    prep = core.fit_preprocessor(train, schema, ctx.params.preprocess, ctx.params.validate_cfg.ranges,
                                 ctx.params.encoding)
    release_unused()
    profile = drift.profile(train, schema)
    release_unused()
    names = prep.feature_names
    counts = np.bincount(parts, minlength=3)
    summary_splits = {"train": int(counts[core.TRAIN]), "val": int(counts[core.VAL]), "test": int(counts[core.TEST])}

    with files.atomic_dir(ctx.path(paths.PROCESSED)) as out:
        X, y = _encode_and_write(raw_path, parts, counts, prep, schema, out, encoding_chunk_rows(len(raw.columns)))
        n_train = int(counts[core.TRAIN])
        checking = _check_processed(X, y, names, ctx.path(paths.PROCESSED_SUITE))
        leaked = core.label_leakage(X, y, names)  # here, while GX checks the rows beside us
        np.save(out / paths.TRAIN_X, X[:n_train])  # into the new folder, which only a passed check puts in place
        np.save(out / paths.TRAIN_Y, y[:n_train])
        np.save(out / paths.VAL_X, X[n_train:])
        np.save(out / paths.VAL_Y, y[n_train:])
        summary = with_leakage(checking.result(), leaked)
        summary["splits"] = summary_splits
        summary["width"] = len(names)
        files.write_json(ctx.path(paths.PROCESSED_REPORT), summary)
        if not summary["success"]:
            raise StageError("preprocess", f"the processed data failed {summary['failed']} checks:\n"
                             f"{describe_failures(summary)}",
                             f"inspect {paths.PROCESSED_REPORT}; check data.features and data.drop for leaked columns")
        (out / paths.PREPROCESSOR).write_text(prep.to_json())
        files.write_json(out / paths.PROFILE, profile)

    with stage_run(ctx, "preprocess"):
        tracking.log_params_flat("preprocess", ctx.params.section("preprocess"))
        tracking.log_flat_metrics({f"preprocess.{k}_rows": v for k, v in summary["splits"].items()}
                                  | {"preprocess.width": len(names)})
        tracking.log_files([ctx.path(paths.PROCESSED_REPORT)], "preprocess")
    log.info("preprocess: %s rows, %d features", summary["splits"], len(names))
    return summary
