"""`data.sensitive_as_feature: false`: the model never reads the sensitive columns (where law bars deciding on
them), while evaluate, the gate and mitigation still group on them; the stages run in-process on a real store."""

from __future__ import annotations

import json

import mlflow
import pytest

from fairgate.adapters.model_files import load_bundle
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.runner import run_stage
from fairgate.core.config import Params
from fairgate.core.contract import resolve_schema
from tests.production import production_rows

SENSITIVE = ["sex", "age_group"]


@pytest.fixture(scope="module")
def blind(tmp_path_factory, params: Params) -> StageContext:
    root = tmp_path_factory.mktemp("blind")
    data = params.data.model_copy(update={"sensitive_as_feature": False})
    ctx = StageContext(root=root, params=params.model_copy(update={
        "data": data, "validate_": params.validate_cfg.model_copy(update={"min_rows": 500}),
        "mitigate": params.mitigate.model_copy(update={"methods": ["threshold"]})}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        for stage in ("ingest", "validate", "preprocess", "train", "evaluate", "gate"):
            run_stage(ctx, stage)
    return ctx


def test_the_schema_groups_on_the_sensitive_columns_without_making_them_features(params: Params):
    data = params.data.model_copy(update={"sensitive_as_feature": False, "features": ["sex", "occupation"]})
    schema = resolve_schema(data, ["sex", "age_group", "occupation", "income"])
    assert schema.sensitive == ("sex", "age_group") and schema.features == ("occupation",)
    assert set(SENSITIVE) <= set(resolve_schema(params.data, ["sex", "age_group", "income"]).features)


def test_the_model_and_its_signature_leave_them_out_and_the_gate_still_groups_on_them(blind: StageContext,
                                                                                       monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{blind.root / 'mlflow.db'}")
    bundle = load_bundle(blind.path(paths.CANDIDATE))
    assert not set(SENSITIVE) & set(bundle.inputs)
    model_uri = json.loads(blind.path(paths.TRAIN_RUN).read_text())["model_uri"]
    signature = mlflow.models.get_model_info(model_uri).signature
    assert not set(SENSITIVE) & set(signature.inputs.input_names())
    report = json.loads(blind.path(paths.EVAL_REPORT).read_text())
    assert set(report["fairness"]) == set(SENSITIVE)
    decision = json.loads(blind.path(paths.DECISION).read_text())
    assert {"demographic_parity_difference[sex]", "equalized_odds_difference[age_group]"} <= {
        c["name"] for c in decision["checks"]}


def test_group_thresholds_are_skipped_with_the_reason(blind: StageContext):
    from fairgate.adapters.stages.mitigate import _plan_methods

    pairs, skipped = _plan_methods(blind, ["demographic_parity"])
    assert pairs == [] and "data.sensitive_as_feature: false" in skipped[0] and skipped[0].startswith("threshold")


def test_a_batch_without_the_sensitive_columns_is_scored_and_carries_them_when_present(blind: StageContext):
    from fairgate.adapters.score import BatchCheck

    bundle = load_bundle(blind.path(paths.CANDIDATE))
    check = BatchCheck(bundle, blind.params)
    rows = production_rows(200)
    check(rows.drop(columns=[*SENSITIVE, "income"]), 0)
    check(rows.drop(columns=["income"]), 0)
    assert len(bundle.predict_proba(rows.drop(columns=SENSITIVE))) == 200
