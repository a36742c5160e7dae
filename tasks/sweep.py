"""The seed sweep's tasks: train and log one seed, open the sweep run, record the spread."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from fairgate.adapters import seeds
from fairgate.adapters.stages.context import StageContext
from fairgate.core import sweep as core
from fairgate.core.config import Params


@task(name="train-seed", cache_policy=NO_CACHE)
def train_seed(root: str, params: Params, seed: int, threads: int | None, tracking_uri: str,
               parent_run_id: str, experiment_id: str) -> dict[str, Any]:
    """Train and score one seed, and log it as a child run of the sweep run."""
    result = seeds.train_and_score(root, params, seed, threads)
    return result | {"run_id": seeds.log_seed(result, tracking_uri, parent_run_id, experiment_id)}


@task(name="open-sweep-run", cache_policy=NO_CACHE)
def open_sweep_run(ctx: StageContext) -> tuple[str, str, str]:
    return seeds.sweep_run(ctx)


@task(name="record-spread", cache_policy=NO_CACHE)
def record_spread(ctx: StageContext, results: list[dict[str, Any]], parent: str, tracking_uri: str) -> dict[str, Any]:
    """The mean, std, min and max of every metric across seeds, written and logged on the sweep run."""
    results = sorted(results, key=lambda r: r["seed"])
    payload = {"seeds": [r["seed"] for r in results], "framework": ctx.params.train.framework, "runs": results,
               "summary": core.summarise(results)}
    seeds.record_spread(ctx, payload, parent, tracking_uri)
    return payload
