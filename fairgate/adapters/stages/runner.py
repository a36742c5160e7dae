"""What the flow does for each stage, kept out of the flow body so that DVC and Prefect share it."""

from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass, field
from typing import Any

from fairgate.adapters.infra import files, mlflow_store, registry
from fairgate.adapters.infra.dag import Dag
from fairgate.adapters.infra.memory import release_unused
from fairgate.adapters.infra.timing import spent
from fairgate.adapters.stages import Step, paths
from fairgate.adapters.stages.context import StageContext
from fairgate.core.errors import StageError

log = logging.getLogger(__name__)


@dataclass
class StageOutcome:
    stage: str
    ran: bool
    reasons: list[str] = field(default_factory=list)
    result: Any = None


def run_stage(ctx: StageContext, stage: str) -> Any:
    """Run one stage adapter in this process; any failure comes out as a StageError naming the stage.

    From train on, the stage sees the ``train`` section with the tuned trial's params (``tuned``). The context is
    swapped in place, not copied, so that the pipeline run a stage opens stays the flow's.
    """
    from fairgate.adapters.stages.tuned import stage_params

    written = ctx.params
    try:
        ctx.params = stage_params(ctx, stage)
        return importlib.import_module(f"fairgate.adapters.stages.{stage}").run(ctx)
    except StageError as exc:
        _record_failure(ctx, exc)
        raise
    except Exception as exc:
        log.debug("%s failed", stage, exc_info=True)
        error = StageError(stage, f"{type(exc).__name__}: {exc}", "run again with --verbose for the traceback")
        _record_failure(ctx, error)
        raise error from exc
    finally:
        ctx.params = written


def _record_failure(ctx: StageContext, error: StageError) -> None:
    """The pipeline's MLflow run says what happened: FAILED, named after the stage, the message as its description."""
    from fairgate.adapters.infra import run_pages

    if error.stage == "tracking":
        return  # the store itself is what failed
    try:
        run_id = ctx.pipeline_run_id()
        name = f"{error.stage} failed" + (f": {error.headline}" if error.headline else "")
        run_pages.describe(run_id, name=name, status="FAILED",
                           note=f"**{name}**\n\n```\n{error.problem}\n```\n\nfix:\n\n```\n{error.fix}\n```\n",
                           tags={"fairgate.failed_stage": error.stage, "fairgate.failure": error.problem[:5000]})
    except Exception:  # recording the failure must never hide it
        log.debug("could not record the failure in MLflow", exc_info=True)


def candidate_run_id(ctx: StageContext) -> str | None:
    """The MLflow run of the candidate promote acts on: mitigate's selection, else the trained model."""
    for relative in (paths.SELECTION, paths.TRAIN_RUN):
        if ctx.path(relative).exists():
            return files.read_json(ctx.path(relative))["run_id"]
    return None


def champion_moved(ctx: StageContext) -> bool:
    """True when the gate compared against a champion that is no longer the champion.

    A candidate that has itself become the champion does not count as a move.
    """
    decision, candidate = ctx.path(paths.DECISION), candidate_run_id(ctx)
    if not decision.exists() or candidate is None:
        return False
    mlflow_store.configure(ctx.root, ctx.params.tracking.experiment)
    current = registry.champion(ctx.params.promote.model_name, ctx.params.promote.alias)
    if current is not None and current[1] == candidate:
        return False
    return files.read_json(decision).get("champion_version") != (current[0] if current else None)


def nothing_to_do(ctx: StageContext, stale: list[str]) -> bool:
    """True when a flow run would change nothing: no stage is stale, promote already handled this
    candidate, the champion has not moved since the gate decided, and the last drift check still applies.

    Then `fairgate run` can say so without starting Prefect (its server start is most of a no-op run).
    """
    promoted, candidate = ctx.path(paths.PROMOTION), candidate_run_id(ctx)
    if stale or not promoted.exists() or candidate is None:
        return False
    last = files.read_json(promoted)
    handled = {"run_id": candidate, "model_name": ctx.params.promote.model_name,
               "alias": ctx.params.promote.alias}
    if any(last.get(key) != value for key, value in handled.items()) or champion_moved(ctx):
        return False
    from fairgate.adapters.stages.drift import reusable_report

    champion = registry.champion(ctx.params.promote.model_name, ctx.params.promote.alias)
    report = reusable_report(ctx, champion)
    return report is not None and report["status"] != "fail"


def run_if_stale(ctx: StageContext, dag: Dag, stage: str) -> StageOutcome:
    """Run the stage only when DVC sees a change (or the champion moved under the gate), then record it."""
    with spent("dvc"):
        reasons = dag.changes(stage)
    if stage == "gate" and not reasons and champion_moved(ctx):
        reasons = ["the champion changed since the last decision"]
    if stage == "ingest" and not reasons:
        from fairgate.adapters.stages.ingest import source_change

        reasons = [change] if (change := source_change(ctx)) else []
    if not reasons:
        log.info("%s: up to date, skipped", stage)
        return StageOutcome(stage, ran=False)
    log.info("%s: running (%s)", stage, "; ".join(reasons)[:160])
    with spent("work"):
        result = run_stage(ctx, stage)
        release_unused()
    with spent("dvc"):
        dag.record(stage)
    return StageOutcome(stage, ran=True, reasons=reasons, result=result)


def run_always(ctx: StageContext, stage: str) -> Any:
    """Run a flow-only stage (one DVC does not track) and count its time as stage work."""
    with spent("work"):
        return run_stage(ctx, stage)


def run_step(ctx: StageContext, dag: Dag, step: Step) -> StageOutcome:
    """What the flow does for one step of ``PIPELINE``: a DVC stage when stale, a flow-only one always."""
    if step.dvc and not step.always:
        return run_if_stale(ctx, dag, step.name)
    result = run_always(ctx, step.name)
    if step.name == "promote" and result.get("reevaluated"):
        with spent("dvc"):  # promote re-judged the selection against a new champion: new decisions on record
            dag.record("gate")
            dag.record("mitigate")
    return StageOutcome(step.name, ran=True, result=result)
