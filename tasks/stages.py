"""Each step of the pipeline as a Prefect task named after it, and the run's Markdown artifact."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from fairgate.adapters.infra.dag import Dag
from fairgate.adapters.stages import Step, runner
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.evidence import decision_markdown_for


def step_task(step: Step):
    """A task named after the step; DVC stages run when stale and are recorded in dvc.lock. Retries, for the
    steps that have them, are on registry I/O only."""

    @task(name=step.name, cache_policy=NO_CACHE, retries=step.retries, retry_delay_seconds=list(step.retry_delays_s))
    def _run(ctx: StageContext, dag: Dag) -> runner.StageOutcome:
        return runner.run_step(ctx, dag, step)

    return _run


@task(name="publish-decision", cache_policy=NO_CACHE)
def publish_decision(ctx: StageContext) -> None:
    """The promotion card and what promote did with it, as the flow run's Markdown artifact."""
    create_markdown_artifact(key="gate-decision", markdown=decision_markdown_for(ctx),
                             description="fairgate gate decision")
