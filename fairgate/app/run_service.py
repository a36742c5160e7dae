"""One pipeline run, as `fairgate run` and the scheduled flow both do it: the checks before any work, the
repairs of earlier runs, the no-op fast path, and the flow itself."""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fairgate.core.config import Params

log = logging.getLogger("fairgate.run")
PARAMS = "params.yaml"


def preflight(root: Path, params: Params) -> None:
    """What needs no work: the named columns exist (ConfigError) and the tracking store answers (StageError)."""
    from fairgate.adapters.infra.tracking import check_reachable, tracking_uri
    from fairgate.app.preflight import check_columns

    check_columns(params, root)
    check_reachable(tracking_uri(root))


def write_params(root: Path, params_file: Path | None, overrides: list[str]) -> None:
    """Persist what the user asked for into params.yaml (as `dvc exp run -S` does), keeping comments."""
    from fairgate.adapters.params_file import set_values
    from fairgate.core.overrides import parse_override

    target = root / PARAMS
    if params_file is not None and params_file.resolve() != target.resolve():
        shutil.copyfile(params_file, target)
    values = [parse_override(item) for item in overrides]
    values += [(keys, value) for keys, value in missing_tracked_params(root, target) if keys not in [v[0] for v in values]]
    if values:
        set_values(target, values)


def missing_tracked_params(root: Path, params_file: Path) -> list[tuple[list[str], object]]:
    """The params dvc.yaml names (key by key) that params.yaml leaves out, with their defaults: DVC refuses to
    run a stage whose params key is absent, so fairgate writes them in, as `dvc exp run` would need."""
    import yaml

    from fairgate.core import params_yaml
    from fairgate.core.config import Params

    listed = {key for spec in (yaml.safe_load((root / "dvc.yaml").read_text()) or {}).get("stages", {}).values()
              for key in spec.get("params", []) if isinstance(key, str)}
    present = (params_yaml.load(params_file.read_text()) if params_file.exists() else None) or {}
    defaults = Params().model_dump(mode="json", by_alias=True)
    missing = []
    for key in sorted(listed):
        path, node, default = key.split("."), present, defaults
        for part in path:
            node = node.get(part, _ABSENT) if isinstance(node, dict) else _ABSENT
            default = default[part]
        if node is _ABSENT:
            missing.append((path, default))
    return missing


_ABSENT = object()


def up_to_date(root: Path, params: Params, stale: list[str]) -> bool:
    """Say so and return True when a flow run would change nothing (see orchestrate.nothing_to_do)."""
    from fairgate.adapters.stages import DVC_STAGES
    from fairgate.adapters.stages.context import StageContext
    from fairgate.app.orchestrate import nothing_to_do

    if not nothing_to_do(StageContext(root=root, params=params), stale):
        return False
    for stage in DVC_STAGES:
        log.info("%s: up to date, skipped", stage)
    log.info("drift, promote: same snapshot, candidate and champion as the last run; nothing to do, "
             "so no Prefect flow run was started")
    return True


def run_pipeline(root: Path, checked: Params, params_file: Path | None, overrides: list[str]) -> dict:
    """Run the stale stages (or say there is nothing to do) under the workspace lock; return where time went.

    Raises WorkspaceBusy when another command holds the workspace, StageError when a stage fails.
    """
    from fairgate.adapters.infra import files, side_process, timing
    from fairgate.adapters.infra.locks import workspace
    from fairgate.adapters.infra.prefect_api import RunServer
    from fairgate.adapters.stages import DVC_STAGES
    from fairgate.app.warmup import stale_from, start_beside, warm_up

    with workspace(root), RunServer(root) as server:
        write_params(root, params_file, overrides)
        os.chdir(root)
        started = time.perf_counter()
        timing.reset()
        with timing.spent("dvc"):
            stale = outside_source_stale(root, checked) or stale_from(root)
        try:
            if stale:  # on the other core while this one imports MLflow and the stale stages' modules
                start_beside(stale, server)
            reconcile_champion(root, checked)
            if up_to_date(root, checked, stale):
                outcome = {"stages": dict.fromkeys(DVC_STAGES, False)}
            else:
                warm_up(checked, stale, server)
                from flows.pipeline import pipeline

                reap_killed_runs(root, checked)
                with server.flow_settings():
                    outcome = pipeline(root=str(root), params=checked)
        finally:
            side_process.stop()
        spent = timing.snapshot() | {"total_s": round(time.perf_counter() - started, 3)}
        files.write_json(root / ".fairgate" / "last_run.json", spent | {"stages_run": outcome["stages"]})
    return spent


@contextmanager
def scheduled(root: Path) -> Iterator[Params]:
    """For a scheduled flow run: the params read now, checked, earlier runs repaired, the workspace held."""
    from fairgate.adapters.infra.locks import workspace
    from fairgate.adapters.params_file import load_params

    os.chdir(root)
    params = load_params(root / PARAMS)
    preflight(root, params)
    with workspace(root, "the scheduled `fairgate-scheduled` flow run"):
        reap_killed_runs(root, params)
        reconcile_champion(root, params)
        yield params


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
