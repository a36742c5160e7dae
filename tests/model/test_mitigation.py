"""The mitigate stage in-process on biased generated rows, against a real SQLite MLflow store: fitting never reads
the test rows, mitigated bundles keep the model contract, and promote records the mitigated promotion."""

from __future__ import annotations

import dataclasses
import json
import shutil

import mlflow
import numpy as np
import pandas as pd
import pytest

from fairgate.adapters.infra import ledger, registry
from fairgate.adapters.model_files import load_bundle, save_bundle
from fairgate.adapters.stages import inputs, paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.mitigate import fit_candidates
from fairgate.adapters.stages.runner import run_stage
from fairgate.core.config import build_params

DP_POLICY = {"max_equalized_odds_difference": 1.0, "min_accuracy": 0.6, "min_roc_auc": 0.6}


@pytest.fixture(scope="module")
def biased(tmp_path_factory):
    """ingest → gate on biased rows (an unmitigated demographic-parity gap of about 0.3 by sex)."""
    root = tmp_path_factory.mktemp("biased")
    params = build_params({"data": {"synthetic": {"rows": 8000, "seed": 3, "bias": 1.0}, "sensitive": ["sex"]},
                           "validate": {"min_rows": 500}, "train": {"epochs": 15, "hidden_sizes": [32, 16]},
                           "gate": DP_POLICY, "promote": {"model_name": "mitigated"}})
    ctx = StageContext(root=root, params=params)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        for stage in ("ingest", "validate", "preprocess", "train", "evaluate", "gate"):
            run_stage(ctx, stage)
    return ctx


@pytest.fixture
def ctx(biased, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{biased.root / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{biased.root / 'mlflow.db'}")
    return dataclasses.replace(biased, run_id=None)


def test_the_unmitigated_candidate_fails_demographic_parity_alone(ctx):
    decision = json.loads(ctx.path(paths.DECISION).read_text())
    assert decision["verdict"] == "fail" and decision["reasons"]
    assert all(r.startswith("demographic_parity_difference[sex]") for r in decision["reasons"])
    bias = json.loads(ctx.path(paths.RAW_REPORT).read_text())["bias"]["features"]["sex"]
    assert bias["positive_rate_gap"] > 0.2 and len(bias["proxies"]) == 5


def test_fitting_a_mitigation_never_reads_the_test_rows(ctx, monkeypatch, tmp_path):
    test_rows = ctx.path(paths.PROCESSED) / paths.TEST
    shutil.move(test_rows, tmp_path / "test.parquet")

    def no_peeking(_ctx):
        raise AssertionError("a mitigation read the test rows")

    monkeypatch.setattr(inputs, "load_test", no_peeking)
    try:
        fitted, skipped = fit_candidates(ctx, ["sex"], ["demographic_parity"])
    finally:
        shutil.move(tmp_path / "test.parquet", test_rows)
    assert set(fitted) == {"reweigh", "threshold"} and skipped == []
    knobs = fitted["threshold"][1]
    assert knobs["validation"]["feasible"] and set(knobs["thresholds"]) == {"Female", "Male"}


def test_group_thresholds_are_ruled_out_when_the_attribute_may_not_be_read(ctx):
    params = ctx.params.model_copy(update={"mitigate": ctx.params.mitigate.model_copy(
        update={"use_sensitive_at_prediction": False})})
    fitted, skipped = fit_candidates(dataclasses.replace(ctx, params=params), ["sex"], ["demographic_parity"])
    assert set(fitted) == {"reweigh"} and "use_sensitive_at_prediction" in skipped[0]


def test_a_mitigated_bundle_keeps_the_model_contract(ctx, tmp_path):
    fitted, _ = fit_candidates(ctx, ["sex"], ["demographic_parity"])
    test = pd.read_parquet(ctx.path(paths.PROCESSED) / paths.TEST)
    for name, (bundle, _, _) in fitted.items():
        save_bundle(bundle, tmp_path / name, n_features=len(bundle.preprocessor.feature_names), cfg=ctx.params.train)
        again = load_bundle(tmp_path / name)
        proba = again.predict_proba(test.sample(frac=1.0, axis=1, random_state=0))  # any column order
        assert np.allclose(proba, bundle.predict_proba(test)) and ((proba >= 0) & (proba <= 1)).all()
    with pytest.raises(KeyError, match="sex"):
        fitted["threshold"][0].predict_proba(test.drop(columns=["sex"]))


def test_the_mitigated_candidate_that_passes_is_promoted_and_the_ledger_says_how(ctx):
    selection = run_stage(ctx, "mitigate")
    assert selection["passed"] and selection["candidate"] != "unmitigated"
    assert selection["decision"]["verdict"] == "pass"
    assert selection["unmitigated_failed"][0].startswith("demographic_parity_difference[sex]")
    given_up = selection["accuracy_given_up"]  # negative when the mitigated candidate is the more accurate one
    assert given_up["low"] <= given_up["estimate"] <= given_up["high"]
    children = mlflow.MlflowClient().search_runs(
        [mlflow.get_experiment_by_name("fairgate").experiment_id],
        f"tags.`mlflow.parentRunId` = '{json.loads(ctx.path(paths.TRAIN_RUN).read_text())['run_id']}'")
    assert {r.data.tags["fairgate.mitigation"] for r in children} >= {"reweigh", "threshold"}
    served = mlflow.pyfunc.load_model(selection["model_uri"])
    test = pd.read_parquet(ctx.path(paths.PROCESSED) / paths.TEST)
    local = load_bundle(ctx.path(selection["bundle"])).predict_proba(test)
    assert np.allclose(np.asarray(served.predict(test[served.metadata.get_input_schema().input_names()])), local)
    promoted = run_stage(ctx, "promote")
    assert promoted["promoted"] and registry.champion_version("mitigated", "champion") == promoted["version"]
    entry = ledger.read("mitigated")[-1]
    assert entry["action"] == "promoted" and entry["mitigation"]["candidate"] == selection["candidate"]
    assert entry["mitigation"]["unmitigated_failed"] and "accuracy_given_up" in entry["mitigation"]
    card = ctx.path(paths.FINAL_CARD_MD).read_text()
    assert "## Mitigation" in card and "### Frontier" in card and "## Bias in the data" in card
    assert ctx.path(paths.FRONTIER_PLOT).stat().st_size > 1000


def test_a_reduction_yields_an_ensemble_that_round_trips_and_keeps_the_contract(ctx, tmp_path):
    params = ctx.params.model_copy(update={
        "mitigate": ctx.params.mitigate.model_copy(update={"methods": ["reduction"], "max_iter": 2}),
        "train": ctx.params.train.model_copy(update={"epochs": 2})})
    fitted, _ = fit_candidates(dataclasses.replace(ctx, params=params), ["sex"], ["demographic_parity"])
    bundle, knobs, _ = fitted["reduction"]
    assert knobs["members"] == len(bundle.model.members) >= 1 and knobs["max_iter"] == 2
    save_bundle(bundle, tmp_path / "r", n_features=len(bundle.preprocessor.feature_names), cfg=params.train)
    test = pd.read_parquet(ctx.path(paths.PROCESSED) / paths.TEST)
    again = load_bundle(tmp_path / "r")
    assert np.allclose(again.predict_proba(test), bundle.predict_proba(test))
    assert np.allclose(sum(again.model.weights), 1.0, atol=1e-6)
