"""One seed of a sweep: train the configured model on the processed data, score it on the test rows, and log
it as an MLflow child run of the sweep run; the sweep run gets the spread. Nothing is registered or promoted."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from fairgate.adapters.infra import files
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.inputs import load_test, training_arrays
from fairgate.core.backends import load_backend
from fairgate.core.bundle import ModelBundle
from fairgate.core.config import Params
from fairgate.core.evaluate import flat_metrics, score
from fairgate.core.preprocess import Preprocessor

SUMMARY = "reports/sweep/summary.json"


def train_and_score(root: str, params: Params, seed: int, threads: int | None = None) -> dict[str, Any]:
    """Fit the configured backend with ``seed`` and return its test metrics (runs in any worker process)."""
    cfg = params.train.model_copy(update={"seed": seed})
    if threads and cfg.framework == "torch":
        import torch

        torch.set_num_threads(threads)  # several workers share the cores instead of oversubscribing them
    ctx = StageContext(root=Path(root), params=params)
    result = load_backend(cfg.framework).fit(*training_arrays(ctx), cfg)
    prep = Preprocessor.from_json((ctx.path(paths.PROCESSED) / paths.PREPROCESSOR).read_text())
    test, schema = load_test(ctx)
    report, _, _ = score(test.scored(ModelBundle(prep, result.model, cfg.framework).predict_proba), test, schema,
                         params.evaluate)
    return {"seed": seed, "metrics": flat_metrics(report), "best_epoch": result.best_epoch,
            "samples_per_s": result.samples_per_s, "worker": f"{socket.gethostname()}:{os.getpid()}"}


def log_seed(result: dict[str, Any], tracking_uri: str, parent_run_id: str, experiment_id: str) -> str:
    """Log one seed's result as a child run of the sweep run; return the child's id."""
    import mlflow
    from mlflow.entities import Metric, Param

    client = mlflow.MlflowClient(tracking_uri)
    child = client.create_run(experiment_id, run_name=f"seed {result['seed']}",
                              tags={"mlflow.parentRunId": parent_run_id, "fairgate.sweep": "seed",
                                    "sweep.worker": result["worker"]})
    metrics = {f"test.{k}": v for k, v in result["metrics"].items()} | {"train.best_epoch": result["best_epoch"]}
    client.log_batch(child.info.run_id, metrics=[Metric(k, float(v), 0, 0) for k, v in metrics.items()],
                     params=[Param("train.seed", str(result["seed"]))])
    client.set_terminated(child.info.run_id, "FINISHED")
    return child.info.run_id


def sweep_run(ctx: StageContext) -> tuple[str, str, str]:
    """(sweep run id, experiment id, tracking URI) the seeds log under."""
    from fairgate.adapters.infra import mlflow_store

    parent = ctx.pipeline_run_id()
    return parent, mlflow_store.configure(ctx.root, ctx.params.tracking.experiment), mlflow_store.tracking_uri(ctx.root)


def record_spread(ctx: StageContext, payload: dict[str, Any], parent: str, tracking_uri: str) -> None:
    """Write the sweep's summary and log the spread of every metric on the sweep run."""
    import mlflow
    from mlflow.entities import Metric

    files.write_json(ctx.path(SUMMARY), payload)
    client = mlflow.MlflowClient(tracking_uri)
    client.log_batch(parent, metrics=[Metric(f"sweep.{name}.{stat}", value, 0, 0)
                                      for name, stats in payload["summary"].items() for stat, value in stats.items()])
    client.set_tag(parent, "fairgate.sweep", "parent")
    client.log_artifact(parent, str(ctx.path(SUMMARY)), "sweep")
