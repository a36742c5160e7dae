"""Overlap the fixed start-up costs of a run: Prefect's local server boots while we import.

Starting Prefect's local server takes several seconds in its own process (infra.prefect_api.RunServer),
and importing what the stale stages need (Great Expectations, torch or TensorFlow, MLflow) takes
several more in ours. Doing both at once, on different cores, takes the longer of the two instead of
their sum.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

from fairgate.adapters.infra import figures, timing
from fairgate.adapters.infra.memory import freeze_what_exists
from fairgate.adapters.infra.prefect_api import RunServer
from fairgate.core.config import Params

log = logging.getLogger(__name__)
ALWAYS = ("mlflow", "fairgate.adapters.stages.drift", "fairgate.adapters.stages.promote")
DRAWING_STAGES = {"evaluate", "mitigate"}


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


def warm_up(params: Params, stale: list[str], server: RunServer) -> None:
    """Import what the ``stale`` stages need while ``server`` boots; then wait until it answers.

    The figure helper starts only then, when a stage that draws will run: it imports matplotlib on the core the
    server has just finished booting on, long before evaluate draws.
    """
    server.start()
    for module in modules_for(stale, params):
        importlib.import_module(module)
    freeze_what_exists()
    with timing.spent("prefect_wait"):
        server.wait_ready()
    if DRAWING_STAGES & set(stale):
        figures.start()
