"""After promotion, through the real components: MLflow's model server over HTTP, the score and monitor Prefect
flows, the SQLite store's registry and ledger, and the approval path."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from fairgate.adapters.infra.files import umask
from fairgate.adapters.infra.processes import free_port, port_free
from tests.production import (
    KEY,
    post_rows,
    production_rows,
    skewed_by_sex,
    start_model_server,
    stop_model_server,
    write_batch,
)
from tests.project import Project

pytestmark = pytest.mark.e2e
# A fresh seed trains a different candidate; the wide margin lets it pass against the champion on small data.
NEW_CANDIDATE = ["-S", "gate.margin=0.2", "-S", "train.epochs=6"]
README_ROW = {"education_num": 13, "hours_per_week": 40, "capital_gain": 0, "fnlwgt": 200000, "workclass": "Private",
              "occupation": "Sales", "marital_status": "Married", "sex": "Female", "age_group": "35-54"}


# One row policy for the model server and `fairgate score` (core.input_policy): each case is the second data row.
REFUSED = [
    ("workclass", "Space-agency", "categories the champion never saw: {'workclass': ['Space-agency']} in column "
                                  "'workclass', row 2"),
    ("occupation", None, "column 'occupation' has no value in row 2, but training rows always had one"),
    ("education_num", -500, "column 'education_num' = [-500.0] in row 2 is outside its range [1, 16]"),
    ("education_num", 13.7, "column 'education_num' held whole numbers in training, but holds [13.7] in row 2"),
]


@pytest.fixture
def project(champion_project) -> Project:
    """A copy of the session's trained project (version 1 champion, `monitor.key` set), for one test."""
    return champion_project


def _set(project: Project, old: str, new: str) -> None:
    params = project.root / "params.yaml"
    assert old in params.read_text()
    params.write_text(params.read_text().replace(old, new))


def _pyfunc(project: Project, version: str):
    import mlflow.pyfunc

    project.client()  # points MLflow at the project's store
    return mlflow.pyfunc.load_model(f"models:/fairgate/{version}")


def _score(project: Project, batch, output) -> pd.DataFrame:
    done = project.fairgate("score", "--input", str(batch), "--output", str(output), "-v")
    assert "fairgate-score" in done.stderr, "scoring runs as a Prefect flow"
    return pd.read_parquet(output)


@pytest.fixture
def score_here(project, monkeypatch):
    """Score a batch in this process, for tests about what comes after scoring (the command has its own test);
    it records the batch as the project's last scored one, as the command does."""
    from fairgate.adapters.params_file import load_params
    from fairgate.adapters.score import score_batch

    monkeypatch.setenv("MLFLOW_TRACKING_URI", project.env["MLFLOW_TRACKING_URI"])

    def score(batch, output) -> pd.DataFrame:
        score_batch(project.root, load_params(project.root / "params.yaml"), batch, output)
        return pd.read_parquet(output)

    return score


def test_serve_model_answers_like_the_pyfunc_and_refuses_bad_rows_with_a_4xx(project, tmp_path):
    rows = production_rows(40).drop(columns=["income", KEY])
    port = free_port()
    server = start_model_server(project, port)
    try:
        url = f"http://127.0.0.1:{port}/invocations"
        records = json.loads(rows.to_json(orient="records"))
        status, body = post_rows(url, records)
        assert status == 200, body
        served = [p["probability"] for p in json.loads(body)["predictions"]]
        expected = _pyfunc(project, project.champion()).predict(rows)
        np.testing.assert_allclose(served, expected.to_numpy(), rtol=1e-5)
        status, body = post_rows(url, [README_ROW])
        assert status == 200 and 0 < json.loads(body)["predictions"][0]["probability"] < 1, body

        missing = [{k: v for k, v in records[0].items() if k != "occupation"}]
        status, body = post_rows(url, missing)
        assert status == 400 and json.loads(body)["message"].startswith("the columns ['occupation'] are missing"), body
        for column, value, message in REFUSED:  # the policy `fairgate score` applies (its own test below)
            status, body = post_rows(url, [records[0], records[1] | {column: value}])
            assert status == 400 and json.loads(body)["message"].startswith(message), (column, value, body)
    finally:
        out = stop_model_server(server)
    assert "model server stopped" in out and "Traceback" not in out
    assert port_free("127.0.0.1", port), "nothing listens after Ctrl+C"


def test_score_writes_predictions_with_the_version_the_input_hash_and_a_run(project, tmp_path):
    frame = production_rows(3000)
    batch, _ = write_batch(frame, tmp_path, "batch")
    scored = _score(project, batch, tmp_path / "out" / "scored.parquet")
    champion = project.champion()
    assert len(scored) == len(frame) and scored[KEY].tolist() == frame[KEY].tolist()
    assert set(scored["model_version"]) == {champion}
    assert set(scored["input_md5"]) == {hashlib.md5(batch.read_bytes()).hexdigest()}
    expected = _pyfunc(project, champion).predict(frame.drop(columns=["income", KEY]))
    np.testing.assert_allclose(scored["probability"], expected.to_numpy(), rtol=1e-5)
    assert scored["prediction"].tolist() == (expected >= 0.5).astype(int).tolist()
    run = project.client().get_run(scored["scoring_run_id"].iloc[0])
    assert run.data.tags["score.model_version"] == champion and run.data.metrics["score.rows"] == len(frame)
    assert not list((tmp_path / "out").glob(".*.tmp")), "no temporary file left behind"
    assert _mode(tmp_path / "out" / "scored.parquet") == 0o666 & ~umask(), "the output honours the umask"


def _mode(path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.parametrize(("case", "output", "message"), [
    ("its own input", lambda batch, root: batch, "is the batch itself, which scoring would overwrite"),
    ("its own Parquet input", None, "is the batch itself, which scoring would overwrite"),
    ("not Parquet", lambda batch, root: batch.with_name("scored.csv"), "does not end in .parquet"),
    ("DVC's data", lambda batch, root: root / "data/input/scored.parquet", "is under data/input, which DVC tracks"),
])
def test_score_refuses_an_output_that_would_overwrite_what_it_must_not(project, tmp_path, fairgate_here, case, output,
                                                                       message):
    batch, _ = write_batch(production_rows(50), tmp_path, "batch")
    if output is None:
        batch = tmp_path / "batch.parquet"
        production_rows(50).to_parquet(batch)
    before = batch.read_bytes()
    target = batch if output is None else output(batch, project.root)
    done = fairgate_here(project, "score", "--input", str(batch), "--output", str(target))
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert batch.read_bytes() == before and not (project.root / "data/input/scored.parquet").exists()


@pytest.mark.parametrize(("case", "content", "message"), [
    ("missing", None, "does not exist"),
    ("empty", "", "is empty"),
    ("header only", "header", "has no rows"),
])
def test_score_says_plainly_what_is_wrong_with_the_batch_file(project, tmp_path, case, content, message):
    batch = tmp_path / "batch.csv"
    if content is not None:
        columns = production_rows(5).columns
        batch.write_text(",".join(columns) + "\n" if content == "header" else content)
    done = project.fairgate("score", "--input", str(batch), "--output", str(tmp_path / "scored.parquet"), check=False)
    assert done.returncode == 1 and message in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "scored.parquet").exists()


def _second_row(column, value):
    def change(frame):
        frame = frame.astype({column: object})
        frame.loc[1, column] = value
        return frame
    return change


@pytest.mark.parametrize(("case", "change", "message"), [
    ("missing column", lambda f: f.drop(columns=["occupation"]), "the columns ['occupation'] are missing"),
    ("text in a numeric column", lambda f: f.astype({"hours_per_week": "str"}).assign(
        hours_per_week=lambda g: g["hours_per_week"].where(g.index != 7, "forty")),
     "column 'hours_per_week' must be numeric, as the champion was trained on it, but holds text: ['forty'] in row 8"),
    *((f"refused as the server refuses it: {column}={value}", _second_row(column, value), message)
      for column, value, message in REFUSED),
])
def test_a_bad_batch_stops_before_anything_is_written(project, tmp_path, case, change, message):
    batch, _ = write_batch(change(production_rows(500)).assign(income=">50K"), tmp_path, "bad")
    output = tmp_path / "out" / "scored.parquet"
    # through the real executable: the scoring flow must not run inside the test process (Prefect's settings
    # and logging there are the test session's)
    done = project.fairgate("score", "--input", str(batch), "--output", str(output), check=False)
    said = " ".join(done.stderr.split())
    assert done.returncode == 1 and message in said and "nothing was written" in said, done.stderr
    assert "Traceback" not in done.stderr
    assert not output.parent.exists() or not list(output.parent.iterdir()), f"{case}: no output, not even half"


def _monitor(project: Project, predictions, labels, check: bool = True):
    given = ["--predictions", str(predictions)] if predictions else []  # default: the last scored batch
    return project.fairgate("monitor", "--labels", str(labels), *given, check=check)


def _report(project: Project) -> dict:
    return json.loads((project.root / "reports/monitor/report.json").read_text())


def test_monitor_says_ok_on_a_clean_labelled_batch(project, tmp_path, score_here):
    batch, labels = write_batch(production_rows(4000), tmp_path, "clean")
    score_here(batch, tmp_path / "scored.parquet")
    done = _monitor(project, None, labels)  # as the README shows it
    report = _report(project)
    assert report["verdict"] == "ok" and report["rows"] == 4000 and "Fairness monitoring: OK" in done.stdout
    gap = next(c for c in report["checks"] if c["name"] == "demographic_parity_difference[sex]")
    assert gap["interval"]["low"] <= gap["interval"]["estimate"] <= gap["interval"]["high"]
    assert gap["at_gate"]["interval"] is not None, "the champion's gate evidence is set beside production's"
    assert (project.root / "reports/monitor/report.md").read_text().startswith("# Fairness monitoring: OK")
    assert _mode(project.root / "reports/monitor/report.json") == 0o666 & ~umask(), "the report honours the umask"
    assert (project.root / "reports/monitor/timeline.png").stat().st_size > 10_000

    again = _monitor(project, None, labels, check=False)  # the same labels again would count their rows twice
    assert again.returncode == 1 and "'clean-labels.csv' was already judged as look 1" in again.stderr, again.stderr
    assert "Traceback" not in again.stderr and _report(project)["record"]["looks"] == 1


def test_monitor_on_a_small_labelled_batch_is_insufficient_evidence_and_does_nothing(project, tmp_path, score_here):
    champion = project.champion()
    _set(project, "on_breach: alert", "on_breach: rollback")
    batch, labels = write_batch(production_rows(4000), tmp_path, "small")
    score_here(batch, tmp_path / "scored.parquet")
    pd.read_csv(labels).head(40).to_csv(labels, index=False)  # only 40 labels have arrived
    done = _monitor(project, tmp_path / "scored.parquet", labels)
    assert _report(project)["verdict"] == "insufficient_evidence" and "INSUFFICIENT_EVIDENCE" in done.stdout
    assert project.champion() == champion


def _skewed_batch(score_here, tmp_path) -> tuple:
    frame = production_rows(4000)
    batch, _ = write_batch(frame, tmp_path, "plain")
    probability = score_here(batch, tmp_path / "plain.parquet")["probability"]
    batch, labels = write_batch(skewed_by_sex(frame, probability), tmp_path, "skewed")
    score_here(batch, tmp_path / "skewed.parquet")
    return tmp_path / "skewed.parquet", labels


def test_a_breach_alerts_and_exits_non_zero_without_moving_the_champion(project, tmp_path, score_here):
    champion = project.champion()
    predictions, labels = _skewed_batch(score_here, tmp_path)
    done = _monitor(project, predictions, labels, check=False)
    assert done.returncode == 4 and "Fairness monitoring: BREACH" in done.stdout, done.stdout + done.stderr
    report = _report(project)
    breached = {c["name"] for c in report["checks"] if c["status"] == "breach"}
    assert "demographic_parity_difference[sex]" in breached and report["action"] is None
    assert project.champion() == champion


def test_a_breach_with_on_breach_rollback_moves_the_champion_back_and_only_an_override_returns_it(
        project, tmp_path, score_here, fairgate_here):
    before = project.champion()
    project.fairgate("run", *NEW_CANDIDATE, "-S", "train.seed=11")
    after = project.champion()
    assert after != before, "the new candidate was promoted"
    _set(project, "on_breach: alert", "on_breach: rollback")
    batch, fair = write_batch(production_rows(2000, seed=3), tmp_path, "fair")
    score_here(batch, tmp_path / "fair.parquet")
    assert _monitor(project, tmp_path / "fair.parquet", fair).returncode == 0 and project.champion() == after
    predictions, labels = _skewed_batch(score_here, tmp_path)  # the second look: a planted shift
    done = _monitor(project, predictions, labels, check=False)
    assert done.returncode == 4, done.stdout + done.stderr
    assert project.champion() == before
    report = _report(project)
    assert f"rolled back from version {after} to version {before}" in report["action"]
    assert report["record"]["first_breach"]["look"] == 2 and report["record"]["rows"] == 6000
    history = " ".join(project.fairgate("history").stdout.split())
    assert f"rolled_back version {before} (champion {after} -> {before})" in history
    assert ("monitor: breach after 2 looks (6000 labelled production rows, anytime-valid at alpha 0.05): "
            "demographic_parity_difference[sex] lower bound") in history
    assert "> ceiling 0.3 over looks 2-2" in history, "the restart at the shifted look shows it"

    refused = project.fairgate("rollback", "--reason", "test", check=False)
    assert refused.returncode == 1 and f"version {after} (removed by monitoring" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and project.champion() == before
    unexplained = fairgate_here(project, "rollback", "--to", after, "--force")
    assert unexplained.returncode == 2 and "add --reason" in unexplained.stderr and project.champion() == before
    fairgate_here(project, "rollback", "--to", after, "--force", "--reason", "the labels were mislabelled")
    assert project.champion() == after
    history = " ".join(project.fairgate("history").stdout.split())
    assert f"rolled_back version {after} (champion {before} -> {after}) verdict=None by" in history
    assert "OVERRIDE: the labels were mislabelled" in history


def test_a_breach_with_rollback_but_no_earlier_champion_is_still_reported_and_exits_4(project, tmp_path, score_here):
    _set(project, "on_breach: alert", "on_breach: rollback")
    predictions, labels = _skewed_batch(score_here, tmp_path)
    done = _monitor(project, predictions, labels, check=False)
    assert done.returncode == 4 and "Fairness monitoring: BREACH" in done.stdout, done.stdout + done.stderr
    report = _report(project)
    assert report["verdict"] == "breach" and "rollback FAILED: no earlier champion" in report["action"]
    assert "rollback FAILED" in done.stdout and project.champion() == "1"


def _waiting_run(project: Project, seed: int) -> str:
    done = project.fairgate("run", *NEW_CANDIDATE, "-S", f"train.seed={seed}", "-S", "promote.require_approval=true")
    version = json.loads((project.root / "reports/promote/promotion.json").read_text())["version"]
    assert "waits for approval" in done.stdout, done.stdout
    return version


def test_with_approval_required_a_pass_waits_and_approve_moves_the_champion_even_after_it_moved(project):
    champion = project.champion()
    first = _waiting_run(project, 21)
    client = project.client()
    assert project.champion() == champion and project.champion(alias="candidate") == first
    assert "Waiting for approval" in client.get_model_version("fairgate", first).description
    project.env["FAIRGATE_ACTOR"] = "ana (reviewer)"
    try:
        done = project.fairgate("approve", first, "--reason", "card reviewed")
        assert project.champion() == first and project.champion(alias="candidate") is None, done.stdout
        second = _waiting_run(project, 22)
        project.fairgate("rollback", "--to", champion, "--reason", "the champion moves meanwhile")
        done = project.fairgate("approve", second, "--reason", "still fine")
    finally:
        project.env.pop("FAIRGATE_ACTOR")
    assert "after re-gating it against the current champion" in done.stdout, done.stdout
    assert project.champion() == second
    history = " ".join(project.fairgate("history").stdout.split())
    assert f"promoted version {first} (champion {champion} -> {first}) verdict=pass by ana (reviewer): approved: card " \
           "reviewed" in history
    assert f"awaiting_approval version {second} (champion {champion} -> {champion})" in history


def test_reject_clears_the_pending_alias_and_leaves_the_champion_and_rollback_cannot_promote_it(project,
                                                                                                   fairgate_here):
    champion = project.champion()
    waiting = _waiting_run(project, 31)
    empty = fairgate_here(project, "reject", waiting, "--reason", " ")
    assert empty.returncode == 1 and "--reason is empty" in empty.stderr
    done = project.fairgate("reject", waiting, "--reason", "not this quarter")
    assert project.champion() == champion and project.champion(alias="candidate") is None, done.stdout
    assert f"approval_rejected version {waiting}" in project.fairgate("history").stdout
    refused = project.fairgate("approve", waiting, "--reason", "changed my mind", check=False)
    assert refused.returncode == 1 and "is not waiting for approval" in refused.stderr
    around = fairgate_here(project, "rollback", "--to", waiting, "--reason", "a side door", "--force")
    assert around.returncode == 1 and f"version {waiting} of 'fairgate' was never champion" in around.stderr
    assert project.champion() == champion


def test_approving_a_version_that_failed_the_gate_is_refused(project):
    champion = project.champion()
    project.fairgate("run", "-S", "train.seed=41", "-S", "gate.min_accuracy=0.99", "-S", "promote.require_approval=true")
    failed = json.loads((project.root / "reports/promote/promotion.json").read_text())["version"]
    refused = project.fairgate("approve", failed, "--reason", "ship it", check=False)
    assert refused.returncode == 1 and f"version {failed} failed the gate (accuracy" in refused.stderr, refused.stderr
    assert "Traceback" not in refused.stderr and project.champion() == champion
    around = project.fairgate("rollback", "--to", failed, "--reason", "ship it anyway", check=False)
    assert around.returncode == 1 and "was never champion" in around.stderr and project.champion() == champion


def test_a_census_batch_with_real_quirks_is_scored_and_monitored(new_project, tmp_path):
    """Unlike the built-in data: ', ' separators, `?` markers, labels ending in '.', duplicate rows, a rare
    country, an id column that init drops as a feature but proposes as monitor.key (so scoring carries it), and a
    champion that is group thresholds over the network (it reads `sex` when scoring)."""
    from bench import census

    project = new_project("census-after")
    census.write(project.root / "adult.csv", rows=6000)
    lines = (project.root / "adult.csv").read_text().splitlines()  # an id column, as exports have
    (project.root / "adult.csv").write_text("\n".join(["row_id, " + lines[0], *(f"{i}, {line}" for i, line in
                                                                               enumerate(lines[1:]))]) + "\n")
    drafted = project.fairgate("init", "--data", "adult.csv", "--sensitive", "sex")
    assert "monitor.key: row_id" in drafted.stdout, "init proposes the identifier it drops as the key"
    params = yaml.safe_load((project.root / "params.yaml").read_text())
    assert params["monitor"]["key"] == "row_id" and "row_id" in params["data"]["drop"], "not a feature, but the key"
    project.fairgate("run", "-S", "gate.max_equalized_odds_difference=1.0")
    assert project.champion("adult") == "1"
    _set(project, "unseen_categories: error", "unseen_categories: infrequent")  # score: the rare country may be new

    rows = census.frame(1500, seed=9).reset_index(drop=True)
    rows.insert(0, "row_id", [str(i) for i in range(len(rows))])
    batch, labels = tmp_path / "batch.csv", tmp_path / "labels.csv"
    for path, columns in ((batch, [c for c in rows.columns if c != "income"]), (labels, ["row_id", "income"])):
        path.write_text("\n".join([", ".join(columns), *(", ".join(r) for r in rows[columns].itertuples(index=False))])
                        + "\n")
    done = project.fairgate("score", "--input", str(batch))
    scored = pd.read_parquet(project.root / "predictions/batch.scored.parquet")
    assert len(scored) == 1500 and set(scored["model_version"]) == {"1"}, done.stdout
    assert scored["probability"].between(0, 1).all() and set(scored["sex"]) == {"Male", "Female"}
    monitored = project.fairgate("monitor", "--labels", str(labels), check=False)
    report = _report(project)
    assert report["rows"] == 1500 and report["verdict"] in ("ok", "breach"), monitored.stdout + monitored.stderr
    assert monitored.returncode == (4 if report["verdict"] == "breach" else 0)
