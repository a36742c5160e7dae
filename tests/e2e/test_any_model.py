"""docs/models.md: the gate takes the models teams ship. A gradient-boosting model on a census-like file with every
quirk goes through `fairgate init` and `fairgate run`, fails demographic parity, is mitigated and the passing
candidate promoted; LightGBM and XGBoost each reach a verdict; the boosted champion scores a batch; a model that
cannot be built stops the run before anything trains."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from bench import census
from fairgate.app.pipeline_run import write_params
from tests.project import Project

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("any-model")]
README = {  # the README's "Bring your own model" commands
    "boosting": ("run", "-S", "train.framework=sklearn"),
    "lightgbm": ("run", "-S", "train.framework=sklearn", "-S", "train.estimator=lightgbm.LGBMClassifier"),
    "xgboost": ("run", "-S", "train.framework=sklearn", "-S", "train.estimator=xgboost.XGBClassifier",
                "-S", "train.estimator_params={n_estimators: 300}"),
}


@pytest.fixture(scope="module")
def boosted(new_project) -> dict:
    """The census-like file through `fairgate init`, a policy that judges parity alone, then the README's first
    command: gradient boosting, mitigated by thresholds and a reduction when it fails."""
    project = new_project("any-model")
    census.write(project.root / "adult.csv", rows=16000)
    project.fairgate("init", "--data", "adult.csv", "--sensitive", "sex")
    write_params(project.root, None, ["train.estimator_params={max_iter: 100}", "gate.max_equalized_odds_difference=1.0",
                                      "mitigate.methods=[threshold,reduction]", "mitigate.max_iter=3"])
    return {"project": project, "run": project.fairgate(*README["boosting"])}


def _card(project: Project) -> dict:
    return json.loads((project.root / "reports/gate/card.json").read_text())


def test_a_boosted_model_failing_parity_is_mitigated_and_the_passing_candidate_promoted(boosted):
    project, done = boosted["project"], boosted["run"]
    assert "train: HistGradientBoosting fitted on cpu" in " ".join(done.stderr.split())
    assert "Gate: PASS" in done.stdout and "for the mitigated candidate" in done.stdout
    decision = json.loads((project.root / "reports/gate/decision.json").read_text())
    assert decision["verdict"] == "fail" and decision["reasons"][0].startswith("demographic_parity_difference[sex]")
    selection = json.loads((project.root / "reports/mitigate/selection.json").read_text())
    assert selection["passed"] and selection["candidate"] in ("threshold", "reduction")
    assert {"threshold", "reduction"} <= {row["name"] for row in selection["candidates"]}, "both methods ran"
    name = "adult"  # `fairgate init` names the model after the file
    assert project.champion(name) == "1"
    version = project.client().get_model_version(name, "1")
    train_run = json.loads((project.root / "models/run.json").read_text())["run_id"]
    run_name = project.client().get_run(train_run).info.run_name  # the mitigated run is named after its method
    assert run_name.startswith(f"v1 promoted: HistGradientBoosting via {selection['candidate']} (acc "), run_name
    assert "Model: `sklearn.ensemble.HistGradientBoostingClassifier` (sklearn) with max_iter=100" in version.description


def test_the_boosted_champion_scores_a_batch(boosted, copy_of, tmp_path):
    project = copy_of(boosted["project"], "boosted")
    batch = tmp_path / "batch.csv"
    census.frame(400, seed=9).drop(columns=["income"]).to_csv(batch, index=False)
    done = project.fairgate("score", "--input", str(batch), "--output", str(tmp_path / "scored.parquet"))
    scored = pd.read_parquet(tmp_path / "scored.parquet")
    assert "Scored 400 rows" in done.stdout and scored["probability"].between(0, 1).all()


@pytest.mark.parametrize("form, estimator, label", [("lightgbm", "lightgbm.LGBMClassifier", "LGBM"),
                                                     ("xgboost", "xgboost.XGBClassifier", "XGB")])
def test_lightgbm_and_xgboost_each_reach_a_gate_verdict(boosted, copy_of, form, estimator, label):
    project = copy_of(boosted["project"], label)
    write_params(project.root, None, ["train.estimator_params={}", "mitigate.methods=[]"])
    done = project.fairgate(*README[form])
    assert f"train: {label} fitted on cpu" in " ".join(done.stderr.split())
    assert "Gate: " in done.stdout and _card(project)["trained"]["class"] == estimator
    assert _card(project)["verdict"] in ("pass", "fail", "insufficient_evidence")


def test_a_model_that_cannot_be_built_stops_the_run_before_training(champion_project, fairgate_here):
    done = fairgate_here(champion_project, "run", "-S", "train.framework=sklearn",
                         "-S", "train.estimator=lightgbm.LGBMClassifier", "-S", "train.estimator_params={n_tree: 5}")
    assert done.returncode == 2
    message = " ".join(done.stderr.split())
    assert "train.estimator_params.n_tree is not a parameter of lightgbm.LGBMClassifier; its parameters:" in message
    assert "n_estimators" in message and "Traceback" not in message
    assert "train:" not in message and champion_project.champion() == "1"
