"""Serve the scheduled flow from this process, or register it as a deployment on a work pool.

Both import Prefect, so call them only after PREFECT_API_URL is settled (see infra.prefect_api).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from fairgate.core.config import ScheduleConfig

ENTRYPOINT = "flows/scheduled.py:scheduled"
SCORE_ENTRYPOINT = "flows/production.py:score"
LANDING_ENTRYPOINT = "flows/production.py:monitor_landing"
# A run that comes due while the last one still works waits for it: one pipeline run per workspace.
ONE_AT_A_TIME = 1
# Passed on to the flow runs a worker starts, so they log to the same stores as this shell. Credentials
# (MLFLOW_TRACKING_PASSWORD, tokens) are not: they belong in the worker's own environment, not in the
# deployment record on the Prefect server.
FORWARDED_ENV = ("MLFLOW_TRACKING_URI", "FAIRGATE_LOCK_DIR")


def schedules(cfg: ScheduleConfig, interval_s: float | None) -> list[Any]:
    """The params' cron schedule, or a fixed interval when one is given (for trying it out, and tests)."""
    from prefect.schedules import Cron, Interval

    if interval_s is not None:
        return [Interval(interval_s, timezone=cfg.timezone)]
    return [Cron(cfg.cron, timezone=cfg.timezone)]


def describe(cfg: ScheduleConfig, interval_s: float | None) -> str:
    return f"every {interval_s:g} s" if interval_s is not None else f"cron '{cfg.cron}' ({cfg.timezone})"


def flow_name(score_input: Path | None, landing: Path | None = None) -> str:
    return "fairgate-score" if score_input else "fairgate-monitor-landing" if landing else "fairgate-scheduled"


def _what(root: Path, score_input: Path | None, landing: Path | None) -> tuple[str, dict[str, str], str]:
    """The entrypoint, its parameters and a description: the pipeline, batch scoring of ``score_input``, or
    monitoring of the label files that land in ``landing``."""
    if score_input is not None:
        return SCORE_ENTRYPOINT, {"root": str(root), "source": str(score_input)}, f"fairgate scoring {score_input.name}"
    if landing is not None:
        return LANDING_ENTRYPOINT, {"root": str(root), "folder": str(landing)}, f"fairgate monitoring {landing}"
    return ENTRYPOINT, {"root": str(root)}, "fairgate pipeline on a schedule"


def _flow(entrypoint: str) -> Any:
    """The flow an entrypoint (``flows/file.py:name``) names, imported."""
    module, name = entrypoint.split(":")
    return getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), name)


def serve(root: Path, cfg: ScheduleConfig, interval_s: float | None, name: str, score_input: Path | None = None,
          landing: Path | None = None) -> None:
    """Block, serving the deployment ``name`` and running each scheduled flow run in a subprocess."""
    entrypoint, parameters, description = _what(root, score_input, landing)
    chosen = _flow(entrypoint)
    crash_orphaned_runs(f"{chosen.name}/{name}")
    os.chdir(root)  # the runner resolves the entrypoint from here
    chosen.serve(name=name, schedules=schedules(cfg, interval_s), parameters=parameters,
                 description=f"{description} (fairgate serve)", print_starting_message=False,
                 tags=["fairgate"], global_limit=ONE_AT_A_TIME)


def crash_orphaned_runs(deployment: str) -> int:
    """Mark crashed the runs of ``deployment`` that a stopped `fairgate serve` left pending or running, and return
    how many. Each holds the deployment's one slot (``ONE_AT_A_TIME``) until its lease runs out, minutes later,
    so a restarted serve would otherwise wait for runs nothing will finish. One serve per deployment name."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    with get_client(sync_client=True) as client:
        try:
            found = client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            return 0
        unfinished = FlowRunFilterStateType(any_=[StateType.PENDING, StateType.RUNNING])
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[found.id])),
                                     flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=unfinished)))
        for run in runs:
            client.set_flow_run_state(run.id, Crashed(message="the `fairgate serve` that ran it stopped"), force=True)
    return len(runs)


def ensure_process_pool(pool: str) -> bool:
    """Create the process work pool ``pool`` when it does not exist; True when it was created."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(pool)
            return False
        except ObjectNotFound:
            client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
            return True


def deploy(root: Path, cfg: ScheduleConfig, interval_s: float | None, name: str, pool: str,
           score_input: Path | None = None, landing: Path | None = None) -> str:
    """Register the scheduled flow (or batch scoring) from this directory on ``pool``; return the deployment id."""
    from prefect import flow

    ensure_process_pool(pool)
    env = {key: os.environ[key] for key in FORWARDED_ENV if os.environ.get(key)}
    env["PREFECT_LOGGING_EXTRA_LOGGERS"] = "fairgate"
    entrypoint, parameters, description = _what(root, score_input, landing)
    source = flow.from_source(source=str(root), entrypoint=entrypoint)
    deployment_id = source.deploy(name=name, work_pool_name=pool, schedules=schedules(cfg, interval_s),
                                  parameters=parameters, job_variables={"env": env}, build=False,
                                  push=False, print_next_steps=False, tags=["fairgate"], concurrency_limit=ONE_AT_A_TIME,
                                  description=f"{description} (fairgate deploy)")
    return str(deployment_id)
