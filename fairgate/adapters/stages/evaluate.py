"""evaluate: score the candidate on the test rows; write metrics, fairness and plots; log them."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.adapters.infra import figures, files, run_pages, tracking
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.model_files import load_bundle
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.adapters.stages.explanations import (
    explain_candidate,
    explanation_figures,
    importance_metrics,
    write_importance,
)
from fairgate.adapters.stages.inputs import load_test
from fairgate.core import evaluate as core
from fairgate.core.bundle import ModelBundle
from fairgate.core.config import EvaluateConfig
from fairgate.core.contract import Schema
from fairgate.core.errors import StageError
from fairgate.core.preprocess import category_text

log = logging.getLogger(__name__)


def check_test_rows(bundle: ModelBundle, test: pd.DataFrame, schema: Schema, training_groups: dict[str, list[str]],
                    cfg: EvaluateConfig) -> dict[str, Any]:
    """Every training group is in the test rows, and categories training never saw are handled per
    ``evaluate.unseen_categories``; returns what was unseen, and the share of test rows holding it."""
    absent = {c: sorted(set(training_groups.get(c, [])) - set(category_text(test[c]).unique())) for c in schema.sensitive}
    absent = {c: groups for c, groups in absent.items() if groups}
    if absent:
        raise StageError("evaluate", f"sensitive groups {absent} are in the training rows but absent from the test split, "
                         "so their fairness cannot be measured",
                         "supply more rows for those groups, or raise preprocess.test_size")
    unseen = bundle.preprocessor.unseen(test)
    if unseen and cfg.unseen_categories == "error":
        raise StageError("evaluate", f"the test rows hold categories training never saw: {_sample(unseen)}",
                         "supply more rows of those categories, map them to known ones, or set "
                         "evaluate.unseen_categories: infrequent (they then share the column's infrequent bucket)")
    shares = bundle.preprocessor.unseen_share(test)
    high = {c: round(share, 4) for c, share in shares.items() if share > cfg.max_unseen_share}
    if high:
        log.warning("evaluate: test rows hold categories training never saw, above evaluate.max_unseen_share %s: %s; "
                    "they are encoded as each column's infrequent bucket, as the served model does",
                    cfg.max_unseen_share, high)
    return {"policy": cfg.unseen_categories, "values": {c: v[:20] for c, v in unseen.items()},
            "share": {c: round(s, 6) for c, s in shares.items()}}


def _sample(found: dict[str, list[str]], limit: int = 10) -> str:
    """``{column: values}`` with at most ``limit`` values each, so a message stays short."""
    return ", ".join(f"{c}: {v[:limit]}" + (f" and {len(v) - limit} more" if len(v) > limit else "")
                     for c, v in found.items())


def _draw_plots(ctx: StageContext, folder: Path, report: dict[str, Any], y, proba, bins: int) -> figures.Drawing:
    """Write the ROC and calibration points; hand the figures to the figure helper (``figures``)."""
    roc, calibration = core.roc_points(y, proba), core.calibration_points(y, proba, bins)
    files.write_atomic(ctx.path(paths.EVAL_ROC), lambda tmp: roc.to_csv(tmp, index=False))
    files.write_atomic(ctx.path(paths.EVAL_CALIBRATION), lambda tmp: calibration.to_csv(tmp, index=False))
    return figures.draw([
        figures.Figure("roc_figure", (roc, report["metrics"]["roc_auc"]), folder / "roc.png"),
        figures.Figure("calibration_figure", (calibration, report["metrics"]["ece"]), folder / "calibration.png"),
        *[figures.Figure("group_figure", (feature, fairness), folder / f"groups_{feature}.png")
          for feature, fairness in report["fairness"].items()],
        *explanation_figures(report.get("explanations"), folder)])


def write_probabilities(path: Path, proba: np.ndarray) -> None:
    """Keep the candidate's test probabilities, so the gate and promote judge it without scoring it again."""
    def save(tmp: Path) -> None:
        with tmp.open("wb") as handle:  # np.save given a path would add ".npy" to the temporary name
            np.save(handle, proba)

    files.write_atomic(path, save)


def run(ctx: StageContext) -> dict[str, Any]:
    test, schema = load_test(ctx)
    bundle = load_bundle(ctx.path(paths.CANDIDATE))
    training_groups = files.read_json(ctx.path(paths.PROCESSED) / paths.PROFILE)["groups"]
    unseen = check_test_rows(bundle, test, schema, training_groups, ctx.params.evaluate)
    report, y, proba = core.score(test.scored(bundle.predict_proba), test, schema, ctx.params.evaluate)
    report["unseen_categories"] = unseen
    explained = explain_candidate(ctx, bundle)
    if explained is not None:
        report["explanations"] = explained
    train_run = files.read_json(ctx.path(paths.TRAIN_RUN))["run_id"]
    with stage_run(ctx, "evaluate", run_id=train_run):
        with files.atomic_dir(ctx.path(paths.EVAL_PLOTS)) as folder:
            drawing = _draw_plots(ctx, folder, report, y, proba, ctx.params.evaluate.calibration_bins)
            try:  # the rest of the stage's writes and logging while the figures are drawn
                write_probabilities(ctx.path(paths.EVAL_PROBA), proba)
                write_importance(ctx.path(paths.EVAL_IMPORTANCE), explained)
                files.write_json(ctx.path(paths.EVAL_REPORT), report)
                metrics = core.flat_metrics(report)
                files.write_json(ctx.path(paths.EVAL_METRICS), metrics)
                tracking.log_flat_metrics({f"test.{k}": v for k, v in metrics.items()} | core.group_metrics(report)
                                          | importance_metrics(explained))
                digest = lineage_tags(ctx.root).get("data.processed_md5")
                run_pages.log_datasets(train_run, [(run_pages.dataset("test_split", test.head(100), len(test),
                                                                      digest, ctx.params.data.source), "test")])
            finally:  # the folder is complete (or discarded) only once nothing more is drawn into it
                drawing.wait()
        tracking.log_files([ctx.path(p) for p in (paths.EVAL_REPORT, paths.EVAL_PLOTS, paths.EVAL_ROC,
                                                  paths.EVAL_CALIBRATION, paths.EVAL_IMPORTANCE)], "evaluate")
    log.info("evaluate: accuracy %.4f, ROC AUC %.4f", report["metrics"]["accuracy"], report["metrics"]["roc_auc"])
    return report
