"""A candidate's explanations (``core.explain``) on a seeded sample of validation rows: what evaluate adds to the
unmitigated candidate's report, and mitigate to each mitigated candidate's. The test rows stay the gate's."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.adapters.infra import figures, files
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.core import explain as core
from fairgate.core.bundle import ModelBundle
from fairgate.core.mitigation.thresholds import group_labels

log = logging.getLogger(__name__)
BASE_MODEL = " (its base model: group thresholds move the cut-off, not the attributions)"


def explain_candidate(ctx: StageContext, bundle: ModelBundle, whose: str = "the candidate") -> dict[str, Any] | None:
    """Importance per column and each sensitive attribute's gap split by column; None when ``explain.enabled``
    is false. A candidate with group thresholds is explained by its base model (the thresholds move the cut-off
    per group, not the probabilities the columns make)."""
    cfg = ctx.params.explain
    if not cfg.enabled:
        return None
    folder = ctx.path(paths.PROCESSED)
    X_val = np.load(folder / paths.VAL_X, mmap_mode="r")
    rng = np.random.default_rng(cfg.seed)
    rows = np.sort(rng.choice(len(X_val), min(cfg.rows, len(X_val)), replace=False))
    background = np.sort(rng.choice(len(X_val), min(cfg.background, len(X_val)), replace=False))
    started = time.perf_counter()
    found = core.attribute(bundle.model_proba, np.asarray(X_val[rows]), np.asarray(X_val[background]),
                           bundle.preprocessor, cfg.permutations, cfg.seed)
    groups = pd.read_parquet(folder / paths.VAL_GROUPS).iloc[rows]
    diagnosis = (files.read_json(ctx.path(paths.RAW_REPORT)) if ctx.path(paths.RAW_REPORT).exists() else {}).get("bias")
    gaps = {feature: core.gap_split(found, group_labels(groups, [feature]), feature,
                                    ((diagnosis or {}).get("features", {}).get(feature) or {}).get("proxies"))
            for feature in groups.columns}
    seconds = time.perf_counter() - started
    log.info("explain: %d validation rows of %s in %.1f s", len(rows), whose, seconds)
    return {"of": whose + (BASE_MODEL if bundle.thresholds else ""), "method": core.METHOD,
            "output_space": core.OUTPUT_SPACE, "rows": int(len(rows)), "background_rows": int(len(background)),
            "permutations": cfg.permutations, "seed": cfg.seed, "base_value": round(found.base, 6),
            "importance": core.importance(found), "gaps": gaps}  # no timing: the report is reproducible


def importance_metrics(explained: dict[str, Any] | None) -> dict[str, float]:
    """``explain.importance.<column>`` for the tracking run."""
    return {f"explain.importance.{c}": v for c, v in ((explained or {}).get("importance") or {}).items()}


def explanation_figures(explained: dict[str, Any] | None, folder: Path) -> list[figures.Figure]:
    """The importance bar chart, and one chart per sensitive attribute of its gap split by column."""
    if not explained:
        return []
    return [figures.Figure("importance_figure", (explained["importance"],), folder / "importance.png"),
            *[figures.Figure("gap_split_figure", (feature, split), folder / f"gap_split_{feature}.png")
              for feature, split in explained["gaps"].items()]]


def write_importance(path: Path, explained: dict[str, Any] | None) -> None:
    """The importance as a CSV for `dvc plots` (header only when explanations are off: the output still exists)."""
    table = pd.DataFrame(list(((explained or {}).get("importance") or {}).items()), columns=["column", "importance"])
    files.write_atomic(path, lambda tmp: table.to_csv(tmp, index=False))
