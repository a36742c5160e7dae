"""One pipeline run, as `fairgate run` and the scheduled flow both do it: the checks before any work, the
repairs of earlier runs, the no-op fast path, and the flow itself."""

from __future__ import annotations

import logging
import os
import shutil
import time
from pathlib import Path

from fairgate.adapters.before_run import reap_killed_runs, reconcile_champion
from fairgate.core.config import Params

log = logging.getLogger("fairgate.run")
PARAMS = "params.yaml"


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
    from fairgate.adapters.stages.runner import nothing_to_do

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


def outside_source_stale(root: Path, params: Params) -> list[str]:
    """Every stage, when a source outside data/input/ changed since its snapshot (DVC cannot see that)."""
    from fairgate.adapters.infra.dag import stage_order
    from fairgate.adapters.stages.context import StageContext
    from fairgate.adapters.stages.ingest import source_change, warn_if_outside

    ctx = StageContext(root=root, params=params)
    warn_if_outside(ctx)
    return stage_order(root) if source_change(ctx) else []
