"""`fairgate run` end to end on a few thousand generated rows, with real Prefect, DVC and MLflow.

The session's trained project (tests/conftest.py) made the first champion. Each test starts from its own copy
of that project, at its baseline params with every stage up to date (`settled`), and asserts what its own
change does relative to that state, so the tests pass alone and in any order.
"""

from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.e2e
NO_FLOW = "nothing to do, so no Prefect flow run was started"


@pytest.fixture
def settled(champion_project):
    """A copy of the trained project: its baseline params, every stage up to date, version 1 champion."""
    return champion_project


def test_good_model_on_unbiased_data_becomes_champion(trained, settled):
    project, done = settled, trained.first
    assert "Gate: PASS" in done.stdout
    assert project.champion() == "1"
    decision = json.loads((project.root / "reports/gate/decision.json").read_text())
    assert decision["verdict"] == "pass" and decision["champion_version"] is None
    run = project.client().get_run(json.loads((project.root / "models/run.json").read_text())["run_id"])
    for tag in ("git.commit", "git.dirty", "data.raw_md5", "data.processed_md5", "params.digest",
                "prefect.flow_run_id"):
        assert run.data.tags.get(tag) not in (None, "", "unrecorded"), tag
    assert "test.accuracy" in run.data.metrics and "val_loss" in run.data.metrics
    artifacts = {a.path for a in project.client().list_artifacts(run.info.run_id)}
    assert {"validate", "evaluate", "gate", "lineage", "promote"} <= artifacts
    card = (project.root / "reports/gate/card.md").read_text()
    assert "PASS" in card and "git checkout" in card and "dvc repro" in card
    assert "## Explanations" in card and "explain.importance.sex" in run.data.metrics
    plots = {a.path.rsplit("/", 1)[-1] for a in project.client().list_artifacts(run.info.run_id, "evaluate/plots")}
    assert {"importance.png", "gap_split_sex.png"} <= plots
    history = project.fairgate("history").stdout
    assert "promoted" in history


def test_after_a_run_dvc_is_clean_and_repro_is_a_no_op(settled):
    project = settled
    assert "up to date" in project.dvc("status").stdout
    repro = project.dvc("repro")
    assert "Data and pipelines are up to date" in repro.stdout
    assert "Running stage" not in repro.stdout


def test_rerun_with_nothing_changed_skips_every_stage(settled, trained):
    project = settled
    assert "drift: max PSI" in trained.rerun.stderr, "the rerun after a promotion compares with the champion"
    champion, versions = project.champion(), len(project.versions())
    done = project.fairgate("run")
    for stage in ("ingest", "validate", "preprocess", "train", "evaluate", "gate"):
        assert f"{stage}: up to date, skipped" in done.stderr
    assert NO_FLOW in " ".join(done.stderr.split()), "a no-op rerun need not start Prefect"
    assert project.champion() == champion and len(project.versions()) == versions


def test_rerun_after_a_change_outside_dvc_still_runs_the_flow(settled):
    """Drift thresholds and the registered model's name are not DVC deps; changing them must not look like a no-op."""
    project = settled
    champion, versions = project.champion(), len(project.versions())
    done = project.fairgate("run", "-S", "drift.warn_above=0.2")
    assert NO_FLOW not in " ".join(done.stderr.split())
    other = len(project.versions("fairgate-other"))
    project.fairgate("run", "-S", "promote.model_name=fairgate-other")
    assert len(project.versions("fairgate-other")) == other + 1, "the candidate is registered under the new name"
    assert project.champion("fairgate-other") is not None
    project.fairgate("run", "-S", "promote.model_name=fairgate", "-S", "drift.warn_above=0.1")
    assert project.champion() == champion and len(project.versions()) == versions


def test_a_train_change_reruns_only_train_and_later_stages(settled):
    project = settled
    done = project.fairgate("run", "-S", "train.seed=7")
    stages = ("ingest", "validate", "preprocess", "tune", "train", "evaluate", "gate", "mitigate")
    ran = {s for s in stages if re.search(rf"\b{s}: running", done.stderr)}
    assert ran == {"tune", "train", "evaluate", "gate", "mitigate"}  # tune's trials start from the train section
    assert "up to date" in project.dvc("status").stdout


def test_dvc_repro_reruns_the_same_stages_through_fairgate_stage(settled):
    project = settled
    params = (project.root / "params.yaml").read_text().replace("dropout: 0.1", "dropout: 0.2")
    (project.root / "params.yaml").write_text(params)
    repro = project.dvc("repro")
    ran = {line.split("'")[1] for line in repro.stdout.splitlines() if line.startswith("Running stage")}
    assert ran == {"tune", "train", "evaluate", "gate", "mitigate"}  # tune's trials start from the train section
    assert "up to date" in project.dvc("status").stdout
    assert "up to date, skipped" in project.fairgate("run").stderr


def test_a_new_model_carries_this_runs_data_hashes_as_dvc_lock_records_them(settled):
    """dvc.lock is written once, after the stages; the model trained on new data must still carry the new
    data's hashes, not those of the run before."""
    import yaml

    project = settled
    before = json.loads((project.root / "models/run.json").read_text())["run_id"]
    project.fairgate("run", "-S", "data.synthetic.seed=11")
    run_id = json.loads((project.root / "models/run.json").read_text())["run_id"]
    assert run_id != before
    lock = yaml.safe_load((project.root / "dvc.lock").read_text())["stages"]
    outs = {out["path"]: out["md5"] for stage in lock.values() for out in stage.get("outs", [])}
    tags = project.client().get_run(run_id).data.tags
    assert tags["data.raw_md5"] == outs["data/raw.parquet"]
    assert tags["data.processed_md5"] == outs["data/processed"]
    previous = project.client().get_run(before).data.tags
    assert previous["data.raw_md5"] != tags["data.raw_md5"]
    assert "up to date" in project.dvc("status").stdout


def test_biased_data_is_rejected_and_champion_stays(settled):
    project = settled
    before = project.champion()
    done = project.fairgate("run", "-S", "data.synthetic.bias=1", "-S", "gate.max_demographic_parity_difference=0.05")
    assert done.returncode == 0, "a rejection is a result, not a failure"
    assert "REJECTED" in done.stdout and "demographic_parity_difference" in done.stdout
    decision = json.loads((project.root / "reports/gate/decision.json").read_text())
    assert decision["verdict"] == "fail"
    assert any(r.startswith("demographic_parity_difference[") for r in decision["reasons"])
    assert project.champion() == before
    rejected = max(project.versions(), key=lambda v: int(v.version))
    assert rejected.tags["gate.verdict"] == "fail" and "demographic_parity" in rejected.tags["gate.reasons"]


def _write_csv(project, frame, name):
    path = project.root / "data/input" / name
    frame.to_csv(path, index=False)
    return f"data/input/{name}"


@pytest.mark.parametrize("damage, column", [
    (lambda f: f.drop(columns=["hours_per_week"]), "hours_per_week"),
    (lambda f: f.assign(education_num=f["education_num"] + 40), "education_num"),
])
def test_bad_raw_data_fails_in_validate_naming_the_column(settled, damage, column):
    project = settled
    import pandas as pd

    from fairgate.core.config import SyntheticConfig
    from fairgate.core.synthetic import generate

    versions, champion = len(project.versions()), project.champion()
    source = _write_csv(project, damage(generate(SyntheticConfig(rows=2000, seed=1))), f"bad_{column}.csv")
    done = project.fairgate("run", "-S", f"data.source={source}", "-S", "validate.min_rows=500", check=False)
    assert done.returncode != 0
    assert "[validate]" in done.stderr and column in done.stderr
    assert len(project.versions()) == versions and project.champion() == champion
    summary = json.loads((project.root / "reports/validate/raw.json").read_text())
    assert not summary["success"]
    assert pd.read_parquet(project.root / "data/raw.parquet").shape[0] == 2000


def test_editing_core_code_a_stage_imports_makes_dvc_rerun_that_stage(settled):
    """The deps are exact: the drift profile's code is preprocess's (it writes the profile), not validate's."""
    project = settled
    module = project.root / "fairgate/core/drift.py"
    original = module.read_text()
    try:
        module.write_text(original + "\n# an edit\n")
        status = project.dvc("status").stdout
        stale = {line.strip().rstrip(":") for line in status.splitlines() if line and not line.startswith((" ", "\t"))}
        assert "preprocess" in stale and "fairgate/core/drift.py" in status, status
        assert not stale & {"ingest", "validate"}, status
    finally:
        module.write_text(original)
    assert "up to date" in project.dvc("status").stdout
