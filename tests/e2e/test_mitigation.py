"""When the gate says no on fairness alone, `fairgate run` mitigates inside the pipeline and promotes only what the
same gate passes; every outcome of issue "When the gate says no" through the real CLI, DVC and MLflow."""

from __future__ import annotations

import json
import re

import pytest

from bench import census
from tests.project import Project

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("mitigation")]  # one worker trains `mitigated`
DP_POLICY = ["-S", "data.synthetic.rows=20000", "-S", "data.synthetic.bias=1", "-S", "data.sensitive=[sex]",
             "-S", "gate.max_equalized_odds_difference=1.0", "-S", "train.epochs=6", "-S", "validate.min_rows=500"]


@pytest.fixture(scope="module")
def mitigated(new_project) -> dict:
    project = new_project("mitigation")
    done = project.fairgate("run", *DP_POLICY)
    return {"project": project, "run": done}


@pytest.fixture
def settled(mitigated, copy_of) -> Project:
    """A copy of the mitigated project for one test: its params as that run left them, every stage up to date."""
    return copy_of(mitigated["project"], "mitigated")


def _selection(project: Project) -> dict:
    return json.loads((project.root / "reports/mitigate/selection.json").read_text())


def _ran(done) -> set[str]:
    return {s for s in ("ingest", "validate", "preprocess", "train", "evaluate", "gate", "mitigate")
            if re.search(rf"\b{s}: running", done.stderr)}


def test_the_unmitigated_candidate_fails_parity_and_a_mitigated_one_is_promoted(mitigated):
    project, done = mitigated["project"], mitigated["run"]
    assert "Gate: PASS" in done.stdout and "for the mitigated candidate" in done.stdout
    decision = json.loads((project.root / "reports/gate/decision.json").read_text())
    assert decision["verdict"] == "fail" and decision["reasons"][0].startswith("demographic_parity_difference[sex]")
    selection = _selection(project)
    assert selection["passed"] and selection["candidate"] != "unmitigated" and project.champion() == "1"
    history = project.fairgate("history").stdout
    assert "promoted version 1" in history and f"mitigated by {selection['candidate']}" in history
    assert "the unmitigated candidate failed: demographic_parity_difference[sex]" in " ".join(history.split())
    champion = project.client().get_model_version("fairgate", "1")
    own = project.client().get_run(champion.run_id).data.metrics
    assert project.client().get_run(champion.run_id).data.tags["fairgate.mitigation"] == selection["candidate"]
    for name in ("test.demographic_parity_difference.sex", "test.equalized_odds_difference.sex",
                 "test.group.sex.Female.selection_rate", "test.accuracy"):
        assert name in own, f"the champion's own run logs {name}, as the unmitigated run does"
    unmitigated = project.client().get_run(json.loads((project.root / "models/run.json").read_text())["run_id"])
    assert own["test.demographic_parity_difference.sex"] < unmitigated.data.metrics[
        "test.demographic_parity_difference.sex"], "its own gap, not the unmitigated candidate's"
    final = (project.root / "reports/mitigate/card.md").read_text()
    assert f"Of the mitigated candidate '{selection['candidate']}'" in final, "its own explanations, or its base's"
    card = project.client().get_model_version("fairgate", "1").description
    assert "## Mitigation" in card and "| unmitigated | fail |" in card and f"| {selection['candidate']} | pass |" in card
    run_id = json.loads((project.root / "models/run.json").read_text())["run_id"]
    logged = {a.path for a in project.client().list_artifacts(run_id, "mitigate")}
    assert "mitigate/frontier.png" in logged and "mitigate/card.md" in logged
    plots = project.dvc("plots", "show", "--json")
    assert "reports/mitigate/frontier.csv" in plots.stdout
    assert "up to date" in project.dvc("status").stdout


def test_with_mitigation_off_the_candidate_is_rejected_and_only_mitigate_reruns(settled):
    champion = settled.champion()
    done = settled.fairgate("run", "-S", "mitigate.methods=[]")
    assert _ran(done) == {"mitigate"}, done.stderr[-3000:]
    assert "REJECTED" in done.stdout and "demographic_parity_difference[sex]" in done.stdout
    selection = _selection(settled)
    assert selection["candidate"] == "unmitigated" and not selection["passed"]
    assert settled.champion() == champion


def test_dvc_repro_reaches_the_same_decision(settled):
    before = _selection(settled)
    params = settled.root / "params.yaml"
    params.write_text(params.read_text().replace("max_iter: 10", "max_iter: 11"))
    repro = settled.dvc("repro")
    assert {line.split("'")[1] for line in repro.stdout.splitlines() if line.startswith("Running stage")} == {"mitigate"}
    after = _selection(settled)
    assert (after["candidate"], after["decision"]["verdict"]) == (before["candidate"], before["decision"]["verdict"])


def test_when_both_ceilings_cannot_hold_the_card_explains_it_from_the_data(settled):
    champion = settled.champion()
    done = settled.fairgate("run", "-S", "gate.max_equalized_odds_difference=0.1")
    assert "REJECTED" in done.stdout and settled.champion() == champion
    card = (settled.root / "reports/mitigate/card.md").read_text()
    assert "### Why no candidate passes" in card and "base rates of sex" in card
    assert "TPR - FPR at most" in card and "caps accuracy near" in card and "the closest candidate" in card


def test_a_group_too_small_to_judge_stays_insufficient_after_mitigation(settled):
    champion = settled.champion()
    done = settled.fairgate("run", "-S", "gate.min_group_size=2100")  # each sex has about 2,000 test rows
    selection = _selection(settled)
    assert len(selection["candidates"]) > 1, "mitigation ran for the parity failure by sex"
    assert all(c["verdict"] != "pass" for c in selection["candidates"])
    assert any(c["verdict"] == "insufficient_evidence" for c in selection["candidates"])
    assert "Gate: PASS" not in done.stdout and settled.champion() == champion


def test_census_data_through_params_only_is_mitigated_to_pass_a_parity_ceiling(new_project):
    project = new_project("census-mitigation")
    census.write(project.root / "adult.csv", rows=6000)
    project.fairgate("init", "--data", "adult.csv", "--sensitive", "sex")
    done = project.fairgate("run", "-S", "gate.max_equalized_odds_difference=1.0")
    selection = _selection(project)
    assert selection["passed"] and selection["candidate"] != "unmitigated" and project.champion("adult") == "1"
    gap = selection["decision"]["statistics"]["fairness"]["sex"]["demographic_parity_difference"]["candidate"]
    assert gap["high"] < 0.1 and "Gate: PASS" in done.stdout
