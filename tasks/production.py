"""The after-promotion steps as Prefect tasks: score a batch with the champion, judge it when labels arrive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from fairgate.adapters import monitoring, scoring
from fairgate.core import monitor
from fairgate.core.config import Params


@task(name="score-batch", cache_policy=NO_CACHE)
def score_batch(root: Path, params: Params, source: Path, output: Path) -> dict[str, Any]:
    return scoring.score_batch(root, params, source, output)


@task(name="monitor-fairness", cache_policy=NO_CACHE)
def monitor_fairness(root: Path, params: Params, labels: Path, predictions: Path) -> dict[str, Any]:
    report = monitoring.run_monitor(root, params, labels, predictions)
    create_markdown_artifact(key="fairness-monitor", markdown=monitor.markdown(report),
                             description=f"fairgate monitoring: {report['verdict']}")
    return report
