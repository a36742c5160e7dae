"""Bad data through `fairgate run` on a file, one case per stage that finds it (and the cases only a whole run
shows): a non-zero exit, an error naming the stage, the column or value and the fix, no model version
registered, the champion unchanged, and the outputs of the stages after the failing one intact. Every
other bad-data case runs at its stage, in-process, in `test_bad_data_stages.py`."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fairgate.core.config import build_params
from fairgate.core.contract import resolve_schema
from fairgate.core.ingest import normalise
from fairgate.core.preprocess import split
from tests.faults.conftest import clean_frame, tree_digest

pytestmark = pytest.mark.e2e
# Each case starts from the same contract; -S values persist in params.yaml, so reset them every time.
BASELINE = ["-S", "validate.min_rows=500", "-S", "validate.extra_columns=allow", "-S", "validate.max_duplicate_fraction=0.1",
            "-S", "validate.min_group_rows=30", "-S", "gate.min_group_size=30", "-S", "evaluate.max_unseen_share=0.05",
            "-S", "drift.warn_above=0.1", "-S", "drift.fail_above=0.25", "-S", "evaluate.unseen_categories=infrequent",
            "-S", "validate.null_tolerance={}", "-S", "data.encoding=utf-8"]
LATER_OUTPUTS = {"ingest": ["data/processed", "models/candidate"], "validate": ["data/processed", "models/candidate"],
                 "drift": ["data/processed", "models/candidate"],
                 "evaluate": ["reports/evaluate/report.json", "reports/evaluate/test_proba.npy",
                              "reports/gate/decision.json"]}


def _run_bad(project, name: str, content, stage: str, expected: list[str], *extra: str) -> str:
    path = project.root / "data/input" / name
    if isinstance(content, pd.DataFrame):
        content.to_csv(path, index=False)
    elif content is not None:
        path.write_text(content)
    versions, champion = len(project.versions()), project.champion()
    before = {p: tree_digest(project.root / p) for p in LATER_OUTPUTS[stage]}
    done = project.fairgate("run", "-S", f"data.source=data/input/{name}", *BASELINE, *extra, check=False)
    message = " ".join(done.stderr.split())  # the terminal output wraps long lines
    assert done.returncode != 0, message
    assert f"[{stage}]" in message, message
    for word in expected:
        assert word in message, f"{word!r} not in:\n{message}"
    assert "fix:" in message
    assert len(project.versions()) == versions, "no model version may be registered"
    assert project.champion() == champion
    assert {p: tree_digest(project.root / p) for p in LATER_OUTPUTS[stage]} == before
    return message


def test_missing_file(champion_project):
    _run_bad(champion_project, "absent.csv", None, "ingest", ["absent.csv", "does not exist", "data.source"])








def test_required_column_missing(champion_project):
    _run_bad(champion_project, "nohours.csv", clean_frame().drop(columns=["hours_per_week"]), "validate",
             ["hours_per_week", "expect_column_to_exist"])


















def test_sensitive_group_absent_from_the_test_split(champion_project):
    frame = clean_frame()
    frame.loc[:1, "sex"] = "Other"  # two rows: their strata are too small to reach the test split
    _run_bad(champion_project, "tinygroup.csv", frame, "evaluate", ["sex", "Other", "absent from the test split"],
             "-S", "validate.min_group_rows=1", "-S", "gate.min_group_size=1")


def _unseen_in_test_rows() -> pd.DataFrame:
    frame = clean_frame()
    params = build_params({"data": {"source": "x.csv", "label_values": [">50K", "<=50K"]}})
    raw = normalise(frame.copy(), params.data)
    schema = resolve_schema(params.data, list(raw.columns), raw.dtypes)
    test = split(raw.assign(row_id=np.arange(len(raw))), schema, params.preprocess).test
    frame.loc[test["row_id"].head(2).to_numpy(), "occupation"] = "Astronaut"  # only test rows get it
    return frame


def test_category_at_evaluation_that_training_never_saw_stops_when_asked_to(champion_project):
    _run_bad(champion_project, "unseen.csv", _unseen_in_test_rows(), "evaluate",
             ["occupation", "Astronaut", "unseen_categories"], "-S", "evaluate.unseen_categories=error")


def test_category_at_evaluation_that_training_never_saw_joins_the_infrequent_bucket(champion_project):
    _unseen_in_test_rows().to_csv(champion_project.root / "data/input/unseen.csv", index=False)
    done = champion_project.fairgate("run", "-S", "data.source=data/input/unseen.csv", *BASELINE,
                                     "-S", "evaluate.max_unseen_share=0", check=False)
    output = " ".join(done.stderr.split())
    assert done.returncode == 0, output
    assert "above evaluate.max_unseen_share 0.0" in output and "occupation" in output
    report = json.loads((champion_project.root / "reports/evaluate/report.json").read_text())
    assert report["unseen_categories"]["values"] == {"occupation": ["Astronaut"]}
    assert report["unseen_categories"]["share"]["occupation"] == pytest.approx(2 / report["n_test"])


def test_drift_from_the_champions_training_rows_stops_before_training(champion_project):
    frame = clean_frame().assign(hours_per_week=lambda f: f["hours_per_week"] + 15)
    message = _run_bad(champion_project, "drifted.csv", frame, "drift",
                       ["feature:hours_per_week", "drift.fail_above", "champion version"])
    report = json.loads((champion_project.root / "reports/drift/report.json").read_text())
    assert report["status"] == "fail" and report["worst"] == "feature:hours_per_week"
    assert "reports/drift/report.json" in message


def test_drift_above_the_warning_line_warns_and_goes_on(champion_project):
    clean_frame().to_csv(champion_project.root / "data/input/clean.csv", index=False)
    done = champion_project.fairgate("run", "-S", "data.source=data/input/clean.csv", *BASELINE,
                                     "-S", "drift.warn_above=0.0", check=False)
    output = " ".join(done.stderr.split())
    assert done.returncode == 0, output
    assert "above drift.warn_above 0.0" in output
    assert json.loads((champion_project.root / "reports/drift/report.json").read_text())["status"] == "warn"
    assert (champion_project.root / "reports/gate/decision.json").exists()






def test_missing_sensitive_values_form_a_group_of_their_own(champion_project):
    frame = clean_frame(3000)
    frame.loc[frame.sample(300, random_state=0).index, "sex"] = None
    frame.to_csv(champion_project.root / "data/input/nosex.csv", index=False)
    done = champion_project.fairgate("run", "-S", "data.source=data/input/nosex.csv", *BASELINE,
                                     "-S", "validate.null_tolerance={sex: 0.15}", "-S", "drift.fail_above=null",
                                     check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((champion_project.root / "reports/evaluate/report.json").read_text())
    assert set(report["fairness"]["sex"]["groups"]) == {"Female", "Male", "__missing__"}
    assert report["fairness"]["sex"]["groups"]["__missing__"]["count"] >= 50
    decision = json.loads((champion_project.root / "reports/gate/decision.json").read_text())
    assert decision["statistics"]["group_counts"]["sex"]["__missing__"] >= 50, "judged like any other group"
    assert not any("absent from the test split" in r for r in decision["reasons"])


def test_a_source_outside_data_input_is_hashed_on_every_run(champion_project, tmp_path):
    outside = tmp_path / "outside.csv"
    clean_frame(300).to_csv(outside, index=False)  # too few rows: each run stops in validate, quickly
    run = ("run", "-S", f"data.source={outside}", *BASELINE)
    first = champion_project.fairgate(*run, check=False)
    assert "[validate]" in first.stderr and "lies outside data/input" in " ".join(first.stderr.split())
    again = " ".join(champion_project.fairgate(*run, check=False).stderr.split())
    assert "ingest: up to date" in again and "lies outside data/input" in again, "warned on every run"
    clean_frame(400).to_csv(outside, index=False)
    changed = " ".join(champion_project.fairgate(*run, check=False).stderr.split())
    assert "ingest: running" in changed and "changed since the snapshot was taken" in changed
    assert pd.read_parquet(champion_project.root / "data/raw.parquet").shape[0] == 400
