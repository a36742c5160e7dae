"""One adapter per stage: read inputs, call the core, write outputs atomically, log to MLflow.

``PIPELINE`` is the one list of steps, in order: the flow walks it, the CLI reads it, and a test
checks its DVC stages against dvc.yaml (which owns their deps, params and outs).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    name: str
    dvc: bool = True                   # a dvc.yaml stage, run when DVC sees it stale; else flow-only
    always: bool = False               # runs on every flow run, whatever DVC says
    retries: int = 0                   # for steps whose failures can be transient (registry I/O)
    retry_delays_s: tuple[int, ...] = ()


PIPELINE = (
    Step("ingest"),
    Step("validate"),
    # Flow-only steps read the model registry, which DVC cannot hash: only the flow runs them, every time.
    Step("drift", dvc=False, always=True),  # stops the flow before training above drift.fail_above
    Step("preprocess"),
    Step("tune"),  # with tune.trials: 0 (the default) it only records that train uses the train section as written
    Step("train"),
    Step("evaluate"),
    Step("gate"),
    Step("mitigate"),  # only when the gate failed fairness checks alone; else it passes the candidate through
    Step("promote", dvc=False, always=True, retries=2, retry_delays_s=(2, 10)),
)
STAGES = tuple(step.name for step in PIPELINE)
FLOW_ONLY = tuple(step.name for step in PIPELINE if not step.dvc)
DVC_STAGES = tuple(step.name for step in PIPELINE if step.dvc)
