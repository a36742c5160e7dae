"""Overlap the fixed start-up costs of a run: Prefect's local server boots, and the side process imports Great
Expectations and matplotlib, while we import.

Starting Prefect's local server takes several seconds in its own process (infra.prefect_api.RunServer),
and importing what the stale stages need (Great Expectations, torch or TensorFlow, MLflow) takes several more
in ours. Doing them at once, on different cores, takes the longest of them instead of their sum. Where a core is
spare, the data checks are made by the side process (infra.side_process), so this process never imports GX; the
figures always are.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path

from fairgate.adapters.infra import figures, side_process, timing
from fairgate.adapters.infra.memory import freeze_what_exists
from fairgate.adapters.infra.prefect_api import RunServer
from fairgate.core import backends
from fairgate.core.config import Params

log = logging.getLogger(__name__)
ALWAYS = ("mlflow", "fairgate.adapters.stages.drift", "fairgate.adapters.stages.promote")
DRAWING_STAGES = {"evaluate", "mitigate"}
CHECKING_STAGES = {"validate", "preprocess"}
GX = "fairgate.adapters.gx_files"


def stale_from(root: Path) -> list[str]:
    """The stages that may run: the first one DVC sees as stale and every stage after it."""
    from fairgate.adapters.infra.dag import Dag

    dag = Dag(root)
    try:
        changed = dag.stale()
    finally:
        dag.close()
    for position, stage in enumerate(dag.stages):
        if stage in changed:
            return dag.stages[position:]
    return []


def modules_for(stages: list[str], params: Params) -> list[str]:
    modules = [f"fairgate.adapters.stages.{stage}" for stage in stages]
    if "train" in stages:
        modules.append(backends.MODULES[params.train.framework])
    return [*ALWAYS, *modules]


def side_work(stale: list[str], spare_cores: int) -> list[str]:
    """What the side process should prepare for the ``stale`` stages: matplotlib when one draws, and first GX when
    one checks data, a core is spare for it, and this process does not have GX already (a warm standby has).

    GX is only worth importing beside the run on a core nothing else needs. Prefect's temporary server takes
    about 8 s of CPU to boot; on two cores, GX imported beside it delayed the server and so the whole run
    (BENCHMARKS.md, "Issue 17, tenth part").
    """
    prepare = []
    if CHECKING_STAGES & set(stale) and spare_cores >= 1 and "great_expectations" not in sys.modules:
        prepare.append(GX)
    if DRAWING_STAGES & set(stale):
        prepare.append(figures.PREPARE)
    return prepare


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def start_beside(stale: list[str], server: RunServer) -> None:
    """Start the server; and the side process as well when a core is spare for it while this process imports
    and the server (if it is ours) boots."""
    server.start()
    spare = usable_cores() - 1 - (1 if server.process is not None else 0)
    if spare >= 1:
        side_process.start(side_work(stale, spare))


def warm_up(params: Params, stale: list[str], server: RunServer) -> None:
    """Import what the ``stale`` stages need while ``server`` boots (and perhaps the side process prepares); then
    wait until the server answers.

    Without a spare core the side process starts only then, to draw: it imports matplotlib on the core the server
    has just finished booting on, long before evaluate draws.
    """
    start_beside(stale, server)
    checks_here = [GX] if CHECKING_STAGES & set(stale) and not side_process.prepared(GX) else []
    for module in [*modules_for(stale, params), *checks_here]:  # GX here too, while the server boots
        importlib.import_module(module)
    freeze_what_exists()
    with timing.spent("prefect_wait"):
        server.wait_ready()
    side_process.start(side_work(stale, spare_cores=0))
