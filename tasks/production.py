"""The after-promotion steps as Prefect tasks, named as their commands and params sections: score a batch with
the champion, monitor its fairness when labels arrive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from fairgate.adapters.monitor import run_monitor
from fairgate.adapters.score import score_batch
from fairgate.core.config import Params
from fairgate.core.monitor import markdown


@task(name="score", cache_policy=NO_CACHE)
def score(root: Path, params: Params, source: Path, output: Path) -> dict[str, Any]:
    return score_batch(root, params, source, output)


@task(name="monitor", cache_policy=NO_CACHE)
def monitor(root: Path, params: Params, labels: Path, predictions: Path) -> dict[str, Any]:
    report = run_monitor(root, params, labels, predictions)
    create_markdown_artifact(key="fairness-monitor", markdown=markdown(report),
                             description=f"fairgate monitoring: {report['verdict']}")
    return report
