"""The seed-sweep flow: bring the data stages up to date, then train one model per seed in parallel.

Which task runner runs the seeds is the caller's choice: Prefect's thread pool on one machine, or a
Dask cluster (prefect-dask) - a local one it starts, or an existing scheduler's address.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from fairgate.adapters.infra import files
from fairgate.adapters.infra.dag import Dag
from fairgate.adapters.stages.context import StageContext
from fairgate.core import sweep as core
from fairgate.core.config import Params
from tasks import stages as stage_tasks

DATA_STAGES = ("ingest", "validate", "preprocess")
SUMMARY = "reports/sweep/summary.json"


@task(name="train-seed", cache_policy=NO_CACHE)
def train_seed(root: str, params: Params, seed: int, threads: int | None, tracking_uri: str,
               parent_run_id: str, experiment_id: str) -> dict[str, Any]:
    """Train and score one seed, and log it as a child run of the sweep run."""
    import mlflow
    from mlflow.entities import Metric, Param

    result = core.train_and_score(root, params, seed, threads)
    client = mlflow.MlflowClient(tracking_uri)
    child = client.create_run(experiment_id, run_name=f"seed {seed}",
                              tags={"mlflow.parentRunId": parent_run_id, "fairgate.sweep": "seed",
                                    "sweep.worker": result["worker"]})
    metrics = {f"test.{k}": v for k, v in result["metrics"].items()} | {"train.best_epoch": result["best_epoch"]}
    client.log_batch(child.info.run_id, metrics=[Metric(k, float(v), 0, 0) for k, v in metrics.items()],
                     params=[Param("train.seed", str(seed))])
    client.set_terminated(child.info.run_id, "FINISHED")
    return result | {"run_id": child.info.run_id}


@flow(name="fairgate-sweep", log_prints=True)
def sweep(root: str, params: Params, seeds: list[int], threads: int | None = None) -> dict[str, Any]:
    """Update ingest/validate/preprocess if stale, fan the seeds out, and log the spread on the sweep run."""
    import mlflow
    from mlflow.entities import Metric

    from fairgate.adapters.infra import tracking

    ctx = StageContext(root=Path(root), params=params, flow_run_id=str(flow_run.id), run_name="fairgate sweep")
    dag = Dag(ctx.root)
    try:
        for stage in DATA_STAGES:
            stage_tasks.stage_task(stage)(ctx, dag)
    finally:
        dag.close()
    parent = ctx.pipeline_run_id()
    experiment_id = tracking.configure(ctx.root, params.tracking.experiment)
    uri = tracking.tracking_uri(ctx.root)
    futures = [train_seed.submit(root, params, seed, threads, uri, parent, experiment_id) for seed in seeds]
    results = sorted((f.result() for f in futures), key=lambda r: r["seed"])
    summary = core.summarise(results)
    payload = {"seeds": seeds, "framework": params.train.framework, "runs": results, "summary": summary}
    files.write_json(ctx.path(SUMMARY), payload)
    client = mlflow.MlflowClient(uri)
    client.log_batch(parent, metrics=[Metric(f"sweep.{name}.{stat}", value, 0, 0)
                                      for name, stats in summary.items() for stat, value in stats.items()])
    client.set_tag(parent, "fairgate.sweep", "parent")
    client.log_artifact(parent, str(ctx.path(SUMMARY)), "sweep")
    return payload | {"run_id": parent}


def task_runner(kind: str, workers: int, dask_address: str | None = None):
    """Prefect's thread pool, or a Dask cluster: the one at ``dask_address``, else a local one of ``workers``
    single-threaded processes that lives as long as the flow run."""
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                              "dashboard_address": None})
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=workers)
