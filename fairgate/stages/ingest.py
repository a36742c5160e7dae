"""ingest: materialise the configured source as the raw snapshot DVC versions."""

from __future__ import annotations

import logging
from typing import Any

from fairgate import ingest as core
from fairgate.infra import files
from fairgate.stages import paths
from fairgate.stages.context import StageContext

log = logging.getLogger(__name__)


def run(ctx: StageContext) -> dict[str, Any]:
    cfg = ctx.params.data
    if cfg.source != "synthetic":
        source = ctx.path(cfg.source).resolve()
        inputs = ctx.path(paths.INPUT_DIR).resolve()
        if inputs not in source.parents:
            log.warning("data.source %s lies outside %s, so DVC cannot see when its content changes",
                        source, paths.INPUT_DIR)
    frame = core.load(cfg, ctx.root)
    files.write_atomic(ctx.path(paths.RAW), lambda tmp: frame.to_parquet(tmp, index=False))
    summary = {"rows": int(len(frame)), "columns": list(map(str, frame.columns)), "source": cfg.source}
    log.info("ingest: %d rows, %d columns from %s", len(frame), frame.shape[1], cfg.source)
    return summary
