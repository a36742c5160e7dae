"""ingest: materialise the configured source as the raw snapshot DVC versions."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fairgate.adapters import source
from fairgate.adapters.infra import files
from fairgate.adapters.infra.memory import available_bytes, rows_per_chunk
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext

log = logging.getLogger(__name__)


def external_source(ctx: StageContext) -> Path | None:
    """The source file when it lies outside data/input/, where DVC does not watch it; else None."""
    if ctx.params.data.source == "synthetic":
        return None
    path = ctx.path(ctx.params.data.source).resolve()
    return None if ctx.path(paths.INPUT_DIR).resolve() in path.parents else path


def _stamp(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def warn_if_outside(ctx: StageContext) -> None:
    outside = external_source(ctx)
    if outside is not None:
        log.warning("data.source %s lies outside %s, so DVC does not version it; `fairgate run` compares its md5 "
                    "with the snapshot's on every run (`dvc repro` cannot)", outside, paths.INPUT_DIR)


def source_change(ctx: StageContext) -> str | None:
    """Why ingest must rerun although DVC sees nothing: the outside source's content changed since the
    snapshot was taken (size and time first; the md5 decides when they differ). None when it did not."""
    outside = external_source(ctx)
    if outside is None or not outside.is_file():
        return None
    recorded = files.read_json(ctx.path(paths.SOURCE_RECORD)) if ctx.path(paths.SOURCE_RECORD).exists() else {}
    if recorded and all(recorded.get(k) == v for k, v in _stamp(outside).items()):
        return None
    if recorded.get("path") == str(outside) and recorded.get("md5") == files.md5_of(outside):
        return None
    return f"data.source {outside} changed since the snapshot was taken"


def run(ctx: StageContext) -> dict[str, Any]:
    cfg = ctx.params.data
    outside = external_source(ctx)
    shape: list[tuple[int, list[str]]] = []
    files.write_atomic(ctx.path(paths.RAW), lambda tmp: shape.append(
        source.write_snapshot(cfg, ctx.root, tmp, snapshot_chunk_rows(), csv_read_whole_below())))
    rows, columns = shape[0]
    if outside is not None:
        files.write_json(ctx.path(paths.SOURCE_RECORD), _stamp(outside) | {"md5": files.md5_of(outside)})
    summary = {"rows": int(rows), "columns": list(map(str, columns)), "source": cfg.source}
    log.info("ingest: %d rows, %d columns from %s", rows, len(columns), cfg.source)
    return summary


def csv_read_whole_below() -> int:
    """A CSV this size or larger is read a chunk at a time: pandas holds a text file at 3-5 times its size."""
    return available_bytes() // 20


def snapshot_chunk_rows() -> int:
    """Rows normalised at a time: about 1% of the available memory at 2 kB a row (a wide row of text)."""
    return rows_per_chunk(2000, 100, 10_000, 1_000_000)
