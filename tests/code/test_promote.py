"""gate and promote adapters against a real registry: only a passing version becomes champion."""

import dataclasses
import json

import pytest

from fairgate.errors import StageError
from fairgate.infra import registry
from fairgate.orchestrate import champion_moved, run_stage
from fairgate.stages import paths


def _decision(ctx):
    return json.loads(ctx.path(paths.DECISION).read_text())


def test_pass_promotes_then_a_failed_decision_leaves_champion(slice_ctx):
    gate_cfg = slice_ctx.params.gate.model_copy(update={"min_accuracy": 0.5, "min_roc_auc": 0.5,
                                                         "max_demographic_parity_difference": 1.0,
                                                         "max_equalized_odds_difference": 1.0})
    ctx = dataclasses.replace(slice_ctx, params=slice_ctx.params.model_copy(update={"gate": gate_cfg}))
    run_stage(ctx, "gate")
    assert _decision(ctx)["verdict"] == "pass"
    first = run_stage(ctx, "promote")
    assert first["promoted"] and first["champion"] == first["version"]
    assert registry.champion_version("fairgate", "champion") == first["version"]
    assert not champion_moved(ctx), "a candidate that became champion is not a moved champion"

    again = run_stage(ctx, "promote")
    assert again["version"] == first["version"] and again["already_champion"] and not again["promoted"]

    decision = _decision(ctx) | {"verdict": "fail", "reasons": ["accuracy = 0.1 is not >= 0.9"],
                                 "champion_version": first["version"]}
    ctx.path(paths.DECISION).write_text(json.dumps(decision))
    trained = json.loads(ctx.path(paths.TRAIN_RUN).read_text())
    ctx.path(paths.TRAIN_RUN).write_text(json.dumps(trained | {"run_id": _new_run_with_model(ctx)}))
    failed = run_stage(ctx, "promote")
    assert not failed["promoted"] and failed["champion"] == first["version"]
    assert registry.champion_version("fairgate", "champion") == first["version"]
    ctx.path(paths.TRAIN_RUN).write_text(json.dumps(trained))


def test_promote_refuses_when_the_champion_moved_after_the_gate(slice_ctx):
    decision = _decision(slice_ctx)
    slice_ctx.path(paths.DECISION).write_text(json.dumps(decision | {"champion_version": "999"}))
    trained = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())
    slice_ctx.path(paths.TRAIN_RUN).write_text(json.dumps(trained | {"run_id": _new_run_with_model(slice_ctx)}))
    try:
        with pytest.raises(StageError, match=r"\[promote\] the champion moved"):
            run_stage(slice_ctx, "promote")
    finally:
        slice_ctx.path(paths.DECISION).write_text(json.dumps(decision))
        slice_ctx.path(paths.TRAIN_RUN).write_text(json.dumps(trained))


def _new_run_with_model(ctx) -> str:
    """Another run whose model is the same bundle: stands in for a second candidate."""
    import mlflow

    from fairgate.infra.pyfunc import log_bundle
    from fairgate.infra.tracking import configure

    configure(ctx.root, ctx.params.tracking.experiment)
    with mlflow.start_run() as run:
        import pandas as pd

        example = pd.read_parquet(ctx.path(paths.PROCESSED) / paths.TEST).head(3)
        log_bundle(ctx.path(paths.CANDIDATE), example.drop(columns=["income"]), ["torch"])
    return run.info.run_id
