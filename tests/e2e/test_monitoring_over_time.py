"""`fairgate serve --monitor DIR` for real, against the session's Prefect server: three label files that land in
a folder are judged in the order they landed, each once, as looks of the champion's record; a restarted serve
judges none of them again, and the record's looks are in MLflow as steps of one run."""

from __future__ import annotations

import os
import subprocess
import time

import pandas as pd
import pytest

from fairgate.adapters.infra import monitoring_store
from fairgate.adapters.infra.tracking import safe_key
from tests.production import KEY, production_rows
from tests.project import BIN, Project
from tests.servers import prefect_post, stop_group, wait_for

pytestmark = pytest.mark.e2e
NAME = "landing"


def _record(project: Project) -> dict | None:
    project.client()  # points MLflow at the project's store
    return monitoring_store.read_record("fairgate", "1")


def _completed_runs(api: str) -> list[dict]:
    body = {"deployments": {"name": {"any_": [NAME]}}, "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
    return prefect_post(api, "flow_runs/filter", body)


def _serve(project: Project, landing, log) -> subprocess.Popen:
    with log.open("a") as out:
        return subprocess.Popen([str(BIN / "fairgate"), "serve", "--monitor", str(landing), "--interval", "5",
                                 "--name", NAME], cwd=project.root, env=project.env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def test_label_files_landing_in_a_folder_are_judged_in_order_once_and_a_restart_judges_none_again(
        champion_project, tmp_path, monkeypatch):
    from fairgate.adapters.params_file import load_params
    from fairgate.adapters.score import score_batch

    project = champion_project
    monkeypatch.setenv("MLFLOW_TRACKING_URI", project.env["MLFLOW_TRACKING_URI"])
    frame = production_rows(1800, seed=5)
    batch = tmp_path / "week.csv"
    frame.drop(columns="income").to_csv(batch, index=False)
    score_batch(project.root, load_params(project.root / "params.yaml"), batch,
                project.root / "predictions/week.scored.parquet")
    landing = project.root / "landing"
    landing.mkdir()
    names = ["week-03.csv", "week-01.csv", "week-02.csv"]  # landed in this order, which is not the names' order
    now = time.time()
    for i, name in enumerate(names):
        frame.iloc[600 * i:600 * (i + 1)][[KEY, "income"]].to_csv(landing / name, index=False)
        os.utime(landing / name, (now - 60 + i, now - 60 + i))
    (landing / ".partial.csv").write_text("id,income\n")  # hidden: a file still being copied in

    api, log = project.env["PREFECT_API_URL"], tmp_path / "serve.log"
    serve = _serve(project, landing, log)
    try:
        record = wait_for(lambda: (r := _record(project)) and len(r["looks"]) == 3 and r, 240,
                          "three looks in the champion's record")
    finally:
        stop_group(serve)
    assert [look["file"] for look in record["looks"]] == names, "judged in the order they landed"
    assert [look["rows"] for look in record["looks"]] == [600, 600, 600]
    assert "Serving deployment 'fairgate-monitor-landing/landing'" in log.read_text()

    served_before = len(_completed_runs(api))
    serve = _serve(project, landing, log)
    try:
        try:
            wait_for(lambda: len(_completed_runs(api)) > served_before, 120, "a scheduled run after the restart")
        except AssertionError:
            body = {"deployments": {"name": {"any_": [NAME]}}}
            runs = prefect_post(api, "flow_runs/filter", body)
            states = [(r["name"], r["state_type"], r["state_name"], r["expected_start_time"]) for r in runs]
            print("the deployment's flow runs:", states)
            raise
    finally:
        stop_group(serve)
    assert len(_record(project)["looks"]) == 3, "a restart judges no file twice:\n" + log.read_text()[-3000:]

    report = pd.read_json(project.root / "reports/monitor/report.json", typ="series")
    assert report["record"]["looks"] == 3 and report["record"]["rows"] == 1800
    client = project.client()
    metric = safe_key("monitor.cumulative.demographic_parity_difference[sex]")
    history = client.get_metric_history(record["run_id"], metric)
    assert [m.step for m in history] == [1, 2, 3], "one MLflow run per record, a step per look"
    assert client.get_run(record["run_id"]).data.tags["monitor.looks"] == "3"


def test_serve_monitor_refuses_a_folder_that_is_not_there_and_a_project_without_a_key(champion_project, tmp_path):
    project = champion_project
    missing = project.fairgate("serve", "--monitor", str(tmp_path / "nowhere"), check=False)
    assert missing.returncode == 2 and "is not a folder" in missing.stderr and "Traceback" not in missing.stderr
    params = project.root / "params.yaml"
    params.write_text(params.read_text().replace("key: id", "key: null"))
    (tmp_path / "landing").mkdir()
    keyless = project.fairgate("deploy", "--monitor", str(tmp_path / "landing"), check=False)
    assert keyless.returncode == 2 and "monitor.key is not set" in keyless.stderr, keyless.stderr
