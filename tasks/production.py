"""The after-promotion steps as Prefect tasks, named as their commands and params sections: score a batch with
the champion, monitor its fairness when labels arrive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from fairgate.adapters.monitor import run_monitor
from fairgate.adapters.monitor_landing import judge_new_files
from fairgate.adapters.score import score_batch
from fairgate.core.config import Params
from fairgate.core.monitor import markdown


@task(name="score", cache_policy=NO_CACHE)
def score(root: Path, params: Params, source: Path, output: Path) -> dict[str, Any]:
    return score_batch(root, params, source, output)


@task(name="monitor", cache_policy=NO_CACHE)
def monitor(root: Path, params: Params, labels: Path, predictions: Path) -> dict[str, Any]:
    report = run_monitor(root, params, labels, predictions)
    _artifact(report)
    return report


@task(name="monitor-landing", cache_policy=NO_CACHE)
def monitor_landing(root: Path, params: Params, folder: Path) -> list[dict[str, Any]]:
    reports = judge_new_files(root, params, folder)
    for report in reports:
        _artifact(report)
    return reports


def _artifact(report: dict[str, Any]) -> None:
    create_markdown_artifact(key="fairness-monitor", markdown=markdown(report),
                             description=f"fairgate monitoring, look {report['look']['number']}: {report['verdict']}")
