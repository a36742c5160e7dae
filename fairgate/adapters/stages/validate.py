"""validate: check the raw snapshot against the GX suite generated from the params' data contract."""

from __future__ import annotations

import logging
from typing import Any

from fairgate.adapters.infra import files, run_pages, side_process, tracking
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.parquet_rows import ParquetColumns, first_rows
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.core.contract import resolve_schema, unusable_columns
from fairgate.core.diagnosis import bias_metrics, describe, diagnose
from fairgate.core.errors import StageError
from fairgate.core.validation_report import describe_failures

log = logging.getLogger(__name__)
GX = "fairgate.adapters.gx_files"


def run(ctx: StageContext) -> dict[str, Any]:
    raw_path = ctx.path(paths.RAW)
    frame = ParquetColumns(raw_path)  # read a column at a time; the suite reads a chunk of rows at a time
    schema = resolve_schema(ctx.params.data, list(frame.columns), frame.dtypes, frame)
    unusable = unusable_columns(frame, schema)
    if unusable:
        raise StageError("validate", "feature columns fairgate cannot encode: " + "; ".join(
            f"'{c}' {why}" for c, why in unusable.items()),
            f"add {sorted(unusable)} to data.drop, or derive numeric features from them (e.g. days since an "
            "event, the hour of day) in the file")
    if schema.identifiers:
        log.warning("validate: %s hold a distinct value in over half the rows: identifiers, not categories; left out "
                    "of the features (list them in data.categorical to keep them)", list(schema.identifiers))
    docs = ctx.path(paths.RAW_DOCS)
    with files.atomic_dir(docs) as tmp_docs:  # GX runs in the side process when it prepared for it
        summary = side_process.submit(side_process.Call(GX, "check_raw_file", (
            raw_path, schema, ctx.params.validate_cfg, ctx.path(paths.RAW_SUITE), tmp_docs, len(frame.columns))),
            GX).result()
    summary["identifiers"] = list(schema.identifiers)
    summary["bias"] = diagnose(frame, schema) if summary["success"] else None
    for line in describe(summary["bias"]) if summary["bias"] else []:
        log.info("validate: bias in the data: %s", line)
    files.write_json(ctx.path(paths.RAW_REPORT), summary)
    with stage_run(ctx, "validate") as run:
        raw_md5 = lineage_tags(ctx.root).get("data.raw_md5")
        run_pages.log_datasets(run.info.run_id, [(run_pages.dataset(
            "raw", first_rows(raw_path, 100), len(frame), raw_md5, ctx.params.data.source), "raw")])
        tracking.log_flat_metrics({"validate.failed_expectations": summary["failed"],
                                   "validate.rows": summary["rows"]} | bias_metrics(summary["bias"]))
        tracking.log_files([ctx.path(paths.RAW_REPORT), docs], "validate")
        tracking.set_tags({"validate.success": str(summary["success"]).lower()})
    if not summary["success"]:
        missing = [c["column"] for c in summary["checks"] if c["expectation"] == "expect_column_to_exist"
                   and not c["success"]]
        another = (f"{ctx.params.data.source} lacks {len(missing)} of the contract's columns: if it is a file of "
                   f"another schema, `fairgate init --data {ctx.params.data.source}` drafts a contract for it; else "
                   ) if missing else ""
        raise StageError("validate", f"{summary['failed']} of {summary['evaluated']} expectations failed "
                         f"on {paths.RAW}:\n{describe_failures(summary)}",
                         f"{another}fix the data or the contract in params.yaml (data.*, validate.*); "
                         f"details in {paths.RAW_REPORT} and {paths.RAW_DOCS}/index.html",
                         headline=f"{summary['failed']} expectation{'s' if summary['failed'] != 1 else ''}")
    log.info("validate: %d expectations passed on %d rows", summary["evaluated"], summary["rows"])
    return summary
