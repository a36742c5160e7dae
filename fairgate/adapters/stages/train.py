"""train: fit the configured backend on the processed data and log the bundled model to MLflow."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from fairgate.adapters.backends import backend_files
from fairgate.adapters.infra import files, run_pages, tracking
from fairgate.adapters.infra.lineage import lineage_tags
from fairgate.adapters.infra.timing import spent
from fairgate.adapters.model_files import save_bundle
from fairgate.adapters.parquet_rows import first_rows
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext, stage_run
from fairgate.adapters.stages.inputs import training_arrays
from fairgate.core.backends import load_backend
from fairgate.core.bundle import ModelBundle
from fairgate.core.preprocess import Preprocessor
from fairgate.core.train_config import model_label

log = logging.getLogger(__name__)
EXAMPLE_ROWS = 5


def _log_splits(ctx: StageContext, run_id: str, names: list[str], X_train, X_val) -> None:
    """The encoded training and validation rows as MLflow datasets: a profile (schema, rows, DVC's md5), not rows."""
    digest = lineage_tags(ctx.root).get("data.processed_md5")
    run_pages.log_datasets(run_id, [
        (run_pages.dataset(f"{part}_split", pd.DataFrame(rows[:100], columns=names), len(rows), digest,
                           ctx.params.data.source), context)
        for part, rows, context in (("train", X_train, "training"), ("validation", X_val, "validation"))])


def run(ctx: StageContext) -> dict[str, Any]:
    cfg = ctx.params.train
    backend = load_backend(cfg.framework)
    X_train, y_train, X_val, y_val = training_arrays(ctx)
    prep = Preprocessor.from_json((ctx.path(paths.PROCESSED) / paths.PREPROCESSOR).read_text())
    example = first_rows(ctx.path(paths.PROCESSED) / paths.TEST, EXAMPLE_ROWS)[prep.numeric + prep.categorical]

    with stage_run(ctx, "train") as run:
        from fairgate.adapters.infra.pyfunc import log_bundle

        tracking.log_params_flat("train", ctx.params.section("train"))
        tracking.log_params_flat("data", ctx.params.section("data"))
        _log_splits(ctx, run.info.run_id, prep.feature_names, X_train, X_val)
        result = backend.fit(X_train, y_train, X_val, y_val, cfg,
                             on_epoch=lambda rec: log.info("epoch %(epoch)d train_loss=%(train_loss).4f "
                                                           "val_loss=%(val_loss).4f", rec))
        tracking.log_history(result.history, keys=("train_loss", "val_loss"))
        summary = {"best_epoch": result.best_epoch, "epochs_run": len(result.history),
                   "samples_per_s": round(result.samples_per_s, 1), "device": result.device,
                   "precision": result.precision,
                   "final_val_loss": result.history[-1]["val_loss"] if result.history else None}
        tracking.log_flat_metrics({"train.best_epoch": result.best_epoch,
                                   "train.samples_per_s": result.samples_per_s})
        tracking.set_tags({"train.device": result.device, "train.precision": result.precision,
                           "train.framework": cfg.framework})
        tracking.log_files([ctx.path(r) for r in (paths.RAW_REPORT, paths.PROCESSED_REPORT, paths.PARAMS)
                            if ctx.path(r).exists()], "lineage")

        with files.atomic_dir(ctx.path(paths.CANDIDATE)) as bundle_dir:
            save_bundle(ModelBundle(prep, result.model, cfg.framework), bundle_dir, n_features=X_train.shape[1], cfg=cfg)
            with spent("tracking"):
                stored = backend_files(cfg.framework)
                info = log_bundle(bundle_dir, example, stored.pip_requirements())
                if cfg.log_native:
                    stored.log_native(result.model, X_train[:EXAMPLE_ROWS])
                tracking.log_files([ctx.path(paths.PROCESSED) / paths.PROFILE],
                                   paths.REFERENCE_PROFILE_ARTIFACT.rsplit("/", 1)[0])
        record = {"run_id": run.info.run_id, "model_uri": info.model_uri,
                  "experiment_id": run.info.experiment_id}
        files.write_json(ctx.path(paths.TRAIN_RUN), record)
        files.write_json(ctx.path(paths.TRAIN_REPORT), summary)
    if cfg.framework == "sklearn":
        log.info("train: %s fitted on %s (%d boosting rounds kept where it boosts), %.0f samples/s",
                 model_label(cfg), result.device, result.best_epoch, result.samples_per_s)
    else:
        log.info("train: best epoch %d of %d on %s (%s), %.0f samples/s", result.best_epoch,
                 len(result.history), result.device, result.precision, result.samples_per_s)
    return summary | record
