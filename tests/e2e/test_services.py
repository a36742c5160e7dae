"""The production profile for real: `fairgate services up` on PostgreSQL, the whole pipeline against
those servers with the champion alias in the server-side registry, a deployment run by the process
worker, and `fairgate services down` leaving nothing behind."""

from __future__ import annotations

import json
import uuid

import pandas as pd
import pytest

from fairgate.adapters.infra.processes import free_port, port_free
from fairgate.app.pipeline_run import write_params
from tests.project import SMALL, make_project
from tests.servers import flow_runs, prefect_post, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.services]
POSTGRES = "postgresql://postgres@127.0.0.1:5432"


def _admin():
    psycopg2 = pytest.importorskip("psycopg2")
    try:
        connection = psycopg2.connect(f"{POSTGRES}/postgres", connect_timeout=3)
    except psycopg2.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES} ({str(exc).strip()}); "
                    "these tests need a server with trust auth for user postgres")
    connection.autocommit = True
    return connection


@pytest.fixture
def services_project(tmp_path):
    admin = _admin()
    prefix = f"fgtest_{uuid.uuid4().hex[:8]}"
    project = make_project(tmp_path / "project", tmp_path / "prefect-home")
    write_params(project.root, None, SMALL[1::2])
    mlflow_port, prefect_port = free_port(), free_port()
    project.env["FAIRGATE_POSTGRES_URL"] = POSTGRES
    up = project.fairgate("services", "up", "--prefix", prefix, "--mlflow-port", str(mlflow_port),
                          "--prefect-port", str(prefect_port), "--pool", f"{prefix}-pool", check=False)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        exports = dict(line.removeprefix("export ").split("=", 1) for line in up.stdout.splitlines()
                       if line.startswith("export "))
        project.env.update(exports)
        yield project, prefix, (mlflow_port, prefect_port)
    finally:
        project.fairgate("services", "down", check=False)
        with admin.cursor() as cursor:
            for purpose in ("mlflow", "prefect"):
                cursor.execute(f'DROP DATABASE IF EXISTS "{prefix}_{purpose}" WITH (FORCE)')
        admin.close()


def test_the_production_profile_end_to_end(services_project, tmp_path):
    """The pipeline, a deployment run by the process worker, then approval, serving, scoring and monitoring, with
    the registry, the ledger and the flow runs on the PostgreSQL-backed servers; `services down` leaves nothing.
    One test, so that the servers start once."""
    project, prefix, ports = services_project
    api = project.env["PREFECT_API_URL"]
    assert project.env["MLFLOW_TRACKING_URI"].startswith("http://127.0.0.1:")
    with _admin().cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{prefix}_%",))
        assert {row[0] for row in cursor.fetchall()} == {f"{prefix}_mlflow", f"{prefix}_prefect"}

    _pipeline_then_a_deployment_on_the_worker(project, prefix, api)
    _after_promotion(project, api, tmp_path)

    project.fairgate("services", "down")
    assert all(port_free("127.0.0.1", port) for port in ports)
    assert "no services started" in project.fairgate("services", "status").stdout


def _pipeline_then_a_deployment_on_the_worker(project, prefix: str, api: str) -> None:
    project.fairgate("run")
    assert project.champion() == "1", "the champion alias lives in the server-side registry"
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    (run,) = client.search_runs([experiment])
    completed = {r["id"] for r in flow_runs(api, "COMPLETED")}
    assert run.data.tags["prefect.flow_run_id"] in completed, "the Prefect server on PostgreSQL recorded the flow run"
    assert run.data.tags["fairgate.stage.promote"] == "ran"

    import mlflow.pyfunc  # the model's files come back through the server's artifact proxy

    scored = mlflow.pyfunc.load_model("models:/fairgate@champion").predict(
        pd.read_parquet(project.root / "data/processed/test.parquet").head(5))
    assert len(scored) == 5
    assert not (project.root / "mlartifacts").exists(), "artifacts go to the server, not the project"

    deployed = project.fairgate("deploy", "--pool", f"{prefix}-pool")
    assert "registered for work pool" in deployed.stdout
    deployment = prefect_post(api, "deployments/filter", {})[0]
    started = prefect_post(api, f"deployments/{deployment['id']}/create_flow_run", {})
    finished = wait_for(lambda: [r for r in flow_runs(api, "COMPLETED") if r["id"] == started["id"]]
                        or _failed(api, started["id"]), 240, "the worker to run the deployment")
    assert finished[0]["state_type"] == "COMPLETED", finished
    assert client.search_runs([experiment], f"tags.`prefect.flow_run_id` = '{started['id']}'"), \
        "the worker's run logs to the MLflow server"


def _failed(api: str, run_id: str) -> list:
    failed = [r for r in flow_runs(api, "FAILED") + flow_runs(api, "CRASHED") if r["id"] == run_id]
    if failed:
        raise AssertionError(f"the deployed run failed: {failed[0]['state_name']}")
    return []


def _after_promotion(project, api: str, tmp_path) -> None:
    """Approval, serving, scoring and monitoring once against the servers."""
    from tests.production import post_rows, production_rows, start_model_server, stop_model_server, write_batch

    champion = project.champion()
    done = project.fairgate("run", "-S", "train.seed=11", "-S", "gate.margin=0.2", "-S", "promote.require_approval=true",
                            "-S", "monitor.key=id")
    waiting = project.champion(alias="candidate")
    assert "waits for approval" in done.stdout and project.champion() == champion and waiting not in (None, champion)
    project.fairgate("approve", waiting, "--reason", "reviewed")
    assert project.champion() == waiting and "approved: reviewed" in project.fairgate("history").stdout

    port = free_port()
    server = start_model_server(project, port)
    try:
        status, body = post_rows(f"http://127.0.0.1:{port}/invocations",
                                 production_rows(5).drop(columns=["income", "id"]).to_dict(orient="records"))
        assert status == 200 and len(json.loads(body)["predictions"]) == 5, body
    finally:
        stop_model_server(server)

    batch, labels = write_batch(production_rows(3000), tmp_path, "batch")
    project.fairgate("score", "--input", str(batch))
    monitored = project.fairgate("monitor", "--labels", str(labels))
    assert "Fairness monitoring: OK" in monitored.stdout
    names = {f["id"]: f["name"] for f in prefect_post(api, "flows/filter", {})}
    flows = {names[r["flow_id"]] for r in flow_runs(api, "COMPLETED")}
    assert {"fairgate-score", "fairgate-monitor"} <= flows, "both flows ran on the Prefect server"
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    assert client.search_runs([experiment], "tags.`monitor.verdict` = 'ok'"), "the monitor run is on the MLflow server"
