"""README's "Your own data": the exact commands (`fairgate init`, then `fairgate run`) on a census-like file
with every quirk of real files, and no hand-edited params."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from bench import census
from fairgate.app.warmup import usable_cores
from tests.project import Project

pytestmark = pytest.mark.e2e
INIT = ("init", "--data", "adult.csv", "--sensitive", "sex,race")  # as the README shows them


@pytest.fixture
def fresh(new_project) -> Project:
    project = new_project("own-data")
    census.write(project.root / "adult.csv", rows=6000)
    return project


def test_init_then_run_trains_and_gates_the_census_file_and_a_later_file_breaking_it_fails(fresh: Project):
    """The drafted contract, a run that trains and gates the file, then a later file that breaks the contract
    failing validate. On the session's Prefect server no server boots, so where a core is spare the side process
    imports GX and checks the file and its encoded rows, and the run itself never imports GX."""
    drafted = fresh.fairgate(*INIT)
    assert "Next: fairgate run" in drafted.stdout and "+  na_values: [\"?\"]" in drafted.stdout
    assert fresh.env.get("PREFECT_API_URL")
    done = fresh.fairgate("run", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert "validate: " in done.stderr and "expectations passed" in done.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "torch" in imported
    if usable_cores() >= 2:
        assert "great_expectations" not in imported, "checked beside the run, by the side process"
    assert (fresh.root / "reports/validate/data_docs/index.html").exists()
    assert json.loads((fresh.root / "reports/preprocess/processed.json").read_text())["success"]
    report = json.loads((fresh.root / "reports/evaluate/report.json").read_text())
    assert report["metrics"]["accuracy"] > 0.8 and report["metrics"]["roc_auc"] > 0.85
    assert report["unseen_categories"]["policy"] == "infrequent"
    explained = report["explanations"]  # in the census file's own columns, never an encoded one
    assert {"occupation", "education", "sex", "race"} <= set(explained["importance"])
    assert not [c for c in explained["importance"] if "=" in c] and set(explained["gaps"]) == {"sex", "race"}
    assert abs(explained["gaps"]["sex"]["parts_sum"] - explained["gaps"]["sex"]["gap"]) < 1e-3
    card = (fresh.root / "reports/gate/card.md").read_text()
    assert "## Explanations" in card and "### The `sex` gap, split by column" in card
    decision = json.loads((fresh.root / "reports/gate/decision.json").read_text())
    assert decision["verdict"] in ("pass", "fail", "insufficient_evidence") and "Gate:" in done.stdout
    assert [v.name for v in fresh.versions("adult")] == ["adult"], "registered under the file's own name"
    run = fresh.client().get_run(json.loads((fresh.root / "models/run.json").read_text())["run_id"])
    assert run.data.params["data.label_map.gt50K."] == ">50K"
    assert "lineage/params.yaml" in {a.path for a in fresh.client().list_artifacts(run.info.run_id, "lineage")}
    assert "up to date" in fresh.dvc("status").stdout

    census.write_breaking_the_contract(fresh.root / "data/input/adult.csv")
    broken = fresh.fairgate("run", check=False)
    message = " ".join(broken.stderr.split())
    assert broken.returncode != 0 and "[validate]" in message
    assert "column 'age'" in message and "150" in message
    assert "column 'occupation'" in message and "missing values" in message and "nan" not in message
    assert len(fresh.versions("adult")) == 1, "nothing registered for the broken file"


def test_init_without_sensitive_lists_the_candidates_and_changes_nothing(fresh: Project):
    before = (fresh.root / "params.yaml").read_text()
    done = fresh.fairgate("init", "--data", "adult.csv", check=False)
    assert done.returncode == 2
    for column in ("sex", "race", "age", "marital-status"):
        assert f"- {column}:" in done.stderr
    assert "--sensitive" in done.stderr
    assert (fresh.root / "params.yaml").read_text() == before
    assert not (fresh.root / "data/input/adult.csv").exists()


def test_init_refuses_a_file_too_small_to_judge_and_says_how_many_rows_it_needs(fresh: Project, fairgate_here):
    census.write(fresh.root / "tiny.csv", rows=50)
    before = (fresh.root / "params.yaml").read_text()
    done = fairgate_here(fresh, "init", "--data", "tiny.csv", "--sensitive", "sex")
    message = " ".join(done.stderr.split())
    assert done.returncode == 2 and "the file has 50 rows, too few to judge fairness" in message, message
    assert "gate.min_group_size=30" in message and "needs at least 300 rows" in message
    assert (fresh.root / "params.yaml").read_text() == before and not (fresh.root / "data/input/tiny.csv").exists()


def test_init_reads_decimal_commas_in_a_semicolon_file_as_numbers(fresh: Project, fairgate_here):
    census.frame(600).assign(ratio=[f"{i % 90 / 10:.1f}".replace(".", ",") for i in range(600)]).to_csv(
        fresh.root / "semi.csv", sep=";", index=False)
    done = fairgate_here(fresh, "init", "--data", "semi.csv", "--sensitive", "sex")
    assert done.returncode == 0 and "data.decimal: ," in done.stdout, done.stdout + done.stderr
    data = yaml.safe_load((fresh.root / "params.yaml").read_text())["data"]
    assert data["delimiter"] == ";" and data["decimal"] == "," and "ratio" in data["numeric"]


def test_data_changed_under_the_same_model_name_is_explained_not_scored(champion_project: Project):
    fresh = champion_project  # version 1 of 'fairgate', trained on the built-in data
    census.write(fresh.root / "adult.csv", rows=6000)
    fresh.fairgate(*INIT)
    done = fresh.fairgate("run", "-S", "promote.model_name=fairgate", check=False)
    message = " ".join(done.stderr.split())
    assert done.returncode != 0 and "[drift]" in message
    assert "the champion was trained on columns [" in message and "this data has [" in message
    assert "promote.model_name" in message and "PSI" not in message
    assert fresh.champion() == "1" and len(fresh.versions()) == 1
    assert pd.read_parquet(fresh.root / "data/raw.parquet").shape[0] == 6000
