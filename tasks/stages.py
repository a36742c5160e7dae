"""Each DVC stage as a Prefect task named after it, plus promote and the run's Markdown artifact."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from fairgate.adapters.infra.dag import Dag
from fairgate.adapters.stages.context import StageContext
from fairgate.app import orchestrate


def stage_task(stage: str):
    """A task named after the stage that runs it when DVC sees it stale and records it in dvc.lock."""

    @task(name=stage, cache_policy=NO_CACHE)
    def _run(ctx: StageContext, dag: Dag) -> orchestrate.StageOutcome:
        return orchestrate.run_if_stale(ctx, dag, stage)

    return _run


@task(name="drift", cache_policy=NO_CACHE)
def drift(ctx: StageContext) -> dict[str, Any]:
    """Compare the new snapshot with the champion's training rows; a large shift stops the flow here."""
    return orchestrate.run_always(ctx, "drift")


@task(name="promote", retries=2, retry_delay_seconds=[2, 10], cache_policy=NO_CACHE)
def promote(ctx: StageContext) -> dict[str, Any]:
    """Registry I/O: register the version and move the alias only if the gate passed."""
    return orchestrate.promote(ctx)


@task(name="publish-decision", cache_policy=NO_CACHE)
def publish_decision(markdown: str) -> None:
    create_markdown_artifact(key="gate-decision", markdown=markdown, description="fairgate gate decision")
