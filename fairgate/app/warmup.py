"""Overlap the fixed start-up costs of a run: Prefect's local server boots, and the side process imports Great
Expectations and matplotlib, while we import.

Starting Prefect's local server takes several seconds in its own process (infra.prefect_api.RunServer),
and importing what the stale stages need (torch or TensorFlow, MLflow) takes several more in ours. Doing them
at once, on different cores, takes the longest of them instead of their sum. The data checks and the figures
are made by the side process (infra.side_process), so this process never imports their libraries.
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

from fairgate.adapters.infra import figures, side_process, timing
from fairgate.adapters.infra.memory import freeze_what_exists
from fairgate.adapters.infra.prefect_api import RunServer
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
        modules.append({"torch": "fairgate.core.backends.torch_backend",
                        "tensorflow": "fairgate.core.backends.keras_backend"}[params.train.framework])
    return [*ALWAYS, *modules]


def side_work(stale: list[str]) -> list[str]:
    """What the side process should prepare for the ``stale`` stages: GX when a stage checks data (unless this
    process has it already, as a warm standby has), then matplotlib when one draws."""
    prepare = []
    if CHECKING_STAGES & set(stale) and "great_expectations" not in sys.modules:
        prepare.append(GX)
    if DRAWING_STAGES & set(stale):
        prepare.append(figures.PREPARE)
    return prepare


def start_beside(stale: list[str], server: RunServer) -> None:
    """Start the server and the side process, to boot and import on the other core while this one imports."""
    server.start()
    side_process.start(side_work(stale))


def warm_up(params: Params, stale: list[str], server: RunServer) -> None:
    """Import what the ``stale`` stages need while ``server`` boots and the side process prepares; then wait until
    the server answers."""
    start_beside(stale, server)
    for module in modules_for(stale, params):
        importlib.import_module(module)
    freeze_what_exists()
    with timing.spent("prefect_wait"):
        server.wait_ready()
