"""Batch scoring with the champion: read the batch chunk by chunk, check each chunk against the contract (the
raw suite without its label expectations, on the columns the champion reads), score it with the champion
loaded once, and write the predictions as Parquet to a temporary file renamed into place only when every
chunk passed. Memory is bounded by the chunk, which is sized from the memory available."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.adapters.infra import files, mlflow_store, registry, run_pages, tracking
from fairgate.adapters.infra.memory import rows_per_chunk
from fairgate.adapters.source import header, reading
from fairgate.core.bundle import ModelBundle
from fairgate.core.config import Params
from fairgate.core.contract import Schema
from fairgate.core.errors import StageError
from fairgate.core.ingest import normalise
from fairgate.core.validate import batch_suite, prepared, summary_of
from fairgate.core.validation_report import describe_failures

log = logging.getLogger(__name__)
LAST_SCORE = ".fairgate/last_score.json"
MIN_CHUNK, MAX_CHUNK = 20_000, 500_000


def batch_chunk_rows(columns: int) -> int:
    """Rows per chunk from the memory available now: a twentieth of it, at about 200 bytes a value."""
    return rows_per_chunk(200 * columns, 20, MIN_CHUNK, MAX_CHUNK)


def default_output(root: Path, source: Path) -> Path:
    return root / "predictions" / f"{source.stem}.scored.parquet"


def check_paths(root: Path, source: Path, output: Path) -> None:
    """Refuse, before anything is read or written, a batch that is not there and an output that would overwrite
    the batch or a file DVC tracks, or that would hold Parquet under another suffix."""
    from fairgate.adapters.infra.dag import tracked_paths

    if not source.is_file():
        raise StageError("score", f"the batch '{source}' does not exist", "pass --input with a CSV or Parquet file")
    if output.resolve() == source.resolve():
        raise StageError("score", f"the output '{output}' is the batch itself, which scoring would overwrite",
                         "pass --output with another file; nothing was written")
    if output.suffix.lower() != ".parquet":
        raise StageError("score", f"the output '{output.name}' does not end in .parquet, but score writes Parquet",
                         f"pass --output {output.with_suffix('.parquet').name} (or leave --output out for "
                         "predictions/<input>.scored.parquet); nothing was written")
    target = output.resolve()
    for tracked in tracked_paths(root):
        if target == tracked.resolve() or tracked.resolve() in target.parents:
            raise StageError("score", f"the output '{output}' is under {tracked.relative_to(root)}, which DVC tracks "
                             "as the pipeline's data", "write the predictions elsewhere (the default is predictions/"
                             "<input>.scored.parquet); nothing was written")


def chunks(path: Path, params: Params, rows: int | None = None) -> Iterator[pd.DataFrame]:
    """The batch, normalised as ingest normalises the training data, ``rows`` at a time (no empty chunk)."""
    cfg = params.production_data
    with reading(path, cfg, "score"):
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            handle = pq.ParquetFile(path)
            size = rows or batch_chunk_rows(len(handle.schema_arrow))
            parts = (batch.to_pandas() for batch in handle.iter_batches(batch_size=size))
        else:
            size = rows or batch_chunk_rows(len(header(path, cfg)))
            parts = pd.read_csv(path, sep=cfg.delimiter, na_values=cfg.na_values or None, encoding=cfg.encoding,
                                skipinitialspace=cfg.strip_whitespace, decimal=cfg.decimal, chunksize=size)
    while True:
        with reading(path, cfg, "score"):
            part = next(parts, None)
        if part is None:
            return
        if len(part):
            yield normalise(part, cfg)


def batch_schema(bundle: ModelBundle, params: Params) -> Schema:
    """The contract a batch must meet: the champion's own input columns and types, and the sensitive columns
    (kept with the predictions for monitoring) unless the model must not read them (then a batch may leave them
    out, and they are carried when it has them)."""
    data = params.data
    return Schema(target=data.target, positive_label=str(data.positive_label), label_values=None,
                  sensitive=tuple(data.sensitive) if data.sensitive_as_feature else (),
                  numeric=tuple(bundle.preprocessor.numeric),
                  categorical=tuple(bundle.preprocessor.categorical))


class BatchCheck:
    """The batch suite, prepared once and run on every chunk."""

    def __init__(self, bundle: ModelBundle, params: Params) -> None:
        self.schema = batch_schema(bundle, params)
        self.bundle, self.params = bundle, params
        self.needed = list(dict.fromkeys([*bundle.inputs, *self.schema.sensitive,
                                          *([params.monitor.key] if params.monitor.key else [])]))
        self.suite = batch_suite(self.schema, params.validate_cfg)
        _, self.definition = prepared(self.suite)

    def __call__(self, chunk: pd.DataFrame, first_row: int) -> None:
        """Check a chunk whose first row is data row ``first_row`` + 1: the row policy the model server applies
        too, then the batch-level shares of the contract."""
        from fairgate.core.input_policy import RowsRefused, check_rows

        kept = [c for c in self.needed if c not in self.bundle.inputs and c not in chunk.columns]
        if kept:
            key = self.params.monitor.key
            raise StageError("score", f"the batch lacks the columns {kept}" + (
                f" (monitor.key is '{key}')" if key in kept else " (kept with the predictions for monitoring)"),
                "supply every column the champion was trained on, the sensitive columns" + (
                    " and the key" if key in kept else "") + "; nothing was written")
        try:
            check_rows(chunk, self.bundle.preprocessor, self.bundle.inputs, self.params.score.unseen_categories,
                       first_row + 1)
        except RowsRefused as exc:
            raise StageError("score", f"the batch: {exc}", f"{exc.fix}; nothing was written") from None
        outcome = self.definition.run(batch_parameters={"dataframe": chunk}, result_format="SUMMARY")
        summary = summary_of(outcome, self.suite.name, len(chunk))
        if not summary["success"]:
            raise StageError("score", f"data rows {first_row + 1}-{first_row + len(chunk)} of the batch fail the data "
                             f"contract:\n{describe_failures(summary)}", "fix the batch (the columns, types and "
                             "ranges the champion was trained on); nothing was written")


def _predictions(part: pd.DataFrame, bundle: ModelBundle, keep: list[str], threshold: float,
                 stamp: dict[str, str]) -> pd.DataFrame:
    proba = bundle.predict_proba(part)
    out = part[keep].copy()
    out["probability"] = proba
    out["prediction"] = (proba >= threshold).astype(np.int8)
    for column, value in stamp.items():
        out[column] = value
    return out


def score_batch(root: Path, params: Params, source: Path, output: Path, chunk: int | None = None) -> dict[str, Any]:
    """Score ``source`` with the champion into ``output`` (Parquet); nothing is written unless every chunk passes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    check_paths(root, source, output)
    mlflow_store.configure(root, params.tracking.experiment)
    name, alias = params.promote.model_name, params.promote.alias
    champion = registry.champion(name, alias)
    if champion is None:
        raise StageError("score", f"model '{name}' has no '{alias}' yet", "run `fairgate run` until a candidate is "
                         "promoted (or `fairgate approve` one that waits)")
    version, _ = champion
    bundle = registry.load_version(name, version).unwrap_python_model().bundle
    check = BatchCheck(bundle, params)
    input_md5, started, counts = files.md5_of(source), time.perf_counter(), {"rows": 0, "positives": 0}
    run_id = tracking.new_run(root, params.tracking.experiment, f"score v{version}: {source.name}",
                              tags={"fairgate.scoring": "batch", "score.model_version": version,
                                    "score.input_md5": input_md5, "score.input": str(source)})
    stamp = {"model_version": version, "scoring_run_id": run_id, "input_md5": input_md5}
    keep = [c for c in dict.fromkeys([params.monitor.key, *params.data.sensitive]) if c]

    def write(tmp: Path) -> None:
        writer = None
        try:
            for part in chunks(source, params, chunk):
                check(part, counts["rows"])
                carried = [c for c in keep if c in part.columns]
                table = pa.Table.from_pandas(_predictions(part, bundle, carried, params.evaluate.threshold, stamp),
                                             preserve_index=False)
                writer = writer or pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table.cast(writer.schema))
                counts["rows"] += table.num_rows
                counts["positives"] += int(pa.compute.sum(table["prediction"]).as_py() or 0)
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise StageError("score", f"the batch '{source.name}' has no rows", "supply rows to score")

    try:
        files.write_atomic(output, write)
    except StageError as exc:
        run_pages.describe(run_id, name=f"score failed: {source.name}", status="FAILED",
                           note=f"```\n{exc.problem}\n```\n\nfix: {exc.fix}")
        raise
    return _record(root, params, run_id, stamp | {"input": str(source), "output": str(output)}, counts,
                   time.perf_counter() - started)


def _record(root: Path, params: Params, run_id: str, what: dict[str, str], counts: dict[str, int],
            seconds: float) -> dict[str, Any]:
    rows = counts["rows"]
    summary = what | {"model": params.promote.model_name, "rows": rows, "seconds": round(seconds, 3),
                      "rows_per_s": round(rows / seconds, 1), "positive_rate": round(counts["positives"] / rows, 6)}
    with tracking.open_run(root, params.tracking.experiment, run_id, {"score.output": what["output"]}):
        tracking.log_flat_metrics({"score.rows": rows, "score.rows_per_s": summary["rows_per_s"],
                                   "score.positive_rate": summary["positive_rate"]})
    run_pages.describe(run_id, name=f"score v{what['model_version']}: {rows} rows of {Path(what['input']).name}",
                       note=f"Scored `{what['input']}` ({rows} rows, md5 `{what['input_md5']}`) with champion version "
                            f"{what['model_version']} into `{what['output']}`.")
    files.write_json(root / LAST_SCORE, summary)
    log.info("score: %d rows with version %s into %s (%.0f rows/s)", rows, what["model_version"], what["output"],
             summary["rows_per_s"])
    return summary
