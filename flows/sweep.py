"""The seed-sweep flow: bring the data stages up to date, then train one model per seed in parallel.

Which task runner runs the seeds is the caller's choice: Prefect's thread pool on one machine, or a
Dask cluster (prefect-dask) - a local one it starts, or an existing scheduler's address.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.runtime import flow_run

from fairgate.adapters.infra.dag import Dag
from fairgate.adapters.stages import PIPELINE
from fairgate.adapters.stages.context import StageContext
from fairgate.core.config import Params
from tasks import stages as stage_tasks
from tasks import sweep as tasks

DATA_STAGES = ("ingest", "validate", "preprocess")


@flow(name="fairgate-sweep", log_prints=True)
def sweep(root: str, params: Params, seeds: list[int], threads: int | None = None) -> dict[str, Any]:
    """Update ingest/validate/preprocess if stale, fan the seeds out, and log the spread on the sweep run."""
    ctx = StageContext(root=Path(root), params=params, flow_run_id=str(flow_run.id), run_name="fairgate sweep")
    dag = Dag(ctx.root)
    try:
        for step in (s for s in PIPELINE if s.name in DATA_STAGES):
            stage_tasks.step_task(step)(ctx, dag)
    finally:
        dag.close()
    parent, experiment_id, uri = tasks.open_sweep_run(ctx)
    futures = [tasks.train_seed.submit(root, params, seed, threads, uri, parent, experiment_id) for seed in seeds]
    payload = tasks.record_spread(ctx, [future.result() for future in futures], parent, uri)
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
