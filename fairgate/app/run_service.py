"""What every pipeline run does before its stages, whether the CLI or a schedule started it."""

from __future__ import annotations

from pathlib import Path

from fairgate.core.config import Params


def reconcile_champion(root: Path, params: Params) -> None:
    """Repair what a crash during an earlier promotion left behind, before anything reads the champion."""
    from fairgate.adapters.infra import promotion
    from fairgate.adapters.infra.tracking import configure

    configure(root, params.tracking.experiment)
    promotion.reconcile(params.promote.model_name, params.promote.alias)


def reap_killed_runs(root: Path, params: Params) -> None:
    """Close the MLflow runs, and the Prefect flow runs they name, of fairgate processes that were killed."""
    from fairgate.adapters.infra.prefect_api import crash_flow_runs
    from fairgate.adapters.infra.tracking import reap_orphaned_runs

    reaped = reap_orphaned_runs(root, params.tracking.experiment)
    flow_runs = sorted({tags["prefect.flow_run_id"] for tags in reaped if tags.get("prefect.flow_run_id")})
    if flow_runs:
        crash_flow_runs(flow_runs, "its fairgate process was killed")


def outside_source_stale(root: Path, params: Params) -> list[str]:
    """Every stage, when a source outside data/input/ changed since its snapshot (DVC cannot see that)."""
    from fairgate.adapters.infra.dag import stage_order
    from fairgate.adapters.stages.context import StageContext
    from fairgate.adapters.stages.ingest import source_change, warn_if_outside

    ctx = StageContext(root=root, params=params)
    warn_if_outside(ctx)
    return stage_order(root) if source_change(ctx) else []
