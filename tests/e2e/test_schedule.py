"""`fairgate serve` for real: a local Prefect server, a served deployment on a short interval, a
scheduled run that completes and leaves its MLflow run, and nothing left running afterwards."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

from fairgate.adapters.infra.processes import free_port, port_free
from fairgate.app.pipeline_run import write_params
from tests.project import BIN, SMALL
from tests.servers import flow_runs, stop_group, wait_for

pytestmark = pytest.mark.e2e


def test_served_deployment_runs_on_schedule_and_logs_its_mlflow_run(new_project, tmp_path):
    project = new_project("serve", own_server=True)  # `fairgate serve` starts and stops its own local server
    write_params(project.root, None, SMALL[1::2])
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen([str(BIN / "fairgate"), "serve", "--interval", "15", "--port", str(port)],
                                 cwd=project.root, env=project.env, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    try:
        completed = wait_for(lambda: flow_runs(api, "COMPLETED"), 300, "a scheduled run to complete")
        assert not flow_runs(api, "FAILED"), log.read_text()[-3000:]
    finally:
        stop_group(serve)
    first = completed[0]
    assert first["deployment_id"] and first["auto_scheduled"], first

    runs = project.client().search_runs(
        [project.client().get_experiment_by_name("fairgate").experiment_id],
        f"tags.`prefect.flow_run_id` = '{first['id']}'")
    assert len(runs) == 1, "the scheduled run logs exactly one MLflow pipeline run"
    assert runs[0].data.metrics["test.accuracy"] > 0.7
    assert runs[0].data.tags["fairgate.stage.train"] == "ran"
    assert project.champion() == "1"
    assert "Serving deployment 'fairgate-scheduled/scheduled'" in log.read_text()
    assert port_free("127.0.0.1", port), "the local Prefect server must stop with `fairgate serve`"


def test_batch_scoring_served_on_a_schedule_writes_the_predictions(champion_project, tmp_path):
    from tests.production import production_rows, write_batch

    project = champion_project
    project.env.pop("PREFECT_API_URL")  # `fairgate serve` starts and stops its own local server
    batch, _ = write_batch(production_rows(2000), tmp_path, "landing")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen([str(BIN / "fairgate"), "serve", "--score", str(batch), "--interval", "15",
                                  "--port", str(port)], cwd=project.root, env=project.env, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        completed = wait_for(lambda: [r for r in flow_runs(api, "COMPLETED") if r["deployment_id"]], 240,
                             "a scheduled scoring run to complete")
        assert not flow_runs(api, "FAILED"), log.read_text()[-3000:]
    finally:
        stop_group(serve)
    assert completed[0]["deployment_id"] and completed[0]["auto_scheduled"], completed[0]
    assert "Serving deployment 'fairgate-score/scheduled'" in log.read_text()
    scored = pd.read_parquet(project.root / "predictions/landing.scored.parquet")
    assert len(scored) == 2000 and set(scored["model_version"]) == {"1"}
    assert port_free("127.0.0.1", port)
