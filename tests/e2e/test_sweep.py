"""`fairgate sweep` on a real local Dask cluster: one MLflow child run per seed, trained in Dask worker
processes, the spread logged on the parent run, and nothing registered."""

from __future__ import annotations

import json

import pytest

from fairgate.app.pipeline_run import write_params
from tests.project import SMALL

pytestmark = pytest.mark.e2e


def test_seed_sweep_on_a_local_dask_cluster(new_project):
    project = new_project("sweep")
    write_params(project.root, None, SMALL[1::2])
    done = project.fairgate("sweep", "--seeds", "1-3", "--task-runner", "dask", "--workers", "2")
    assert "3 seeds (torch)" in done.stdout and "Seed-to-seed spread of accuracy" in done.stdout

    client = project.client()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    (parent,) = client.search_runs([experiment], "tags.`fairgate.sweep` = 'parent'")
    children = client.search_runs([experiment], f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'")
    assert sorted(c.data.params["train.seed"] for c in children) == ["1", "2", "3"]
    accuracies = [c.data.metrics["test.accuracy"] for c in children]
    assert all(0.7 < a < 0.95 for a in accuracies) and len(set(accuracies)) > 1, "seeds must train different models"
    assert parent.data.metrics["sweep.accuracy.mean"] == pytest.approx(sum(accuracies) / 3)

    summary = json.loads((project.root / "reports/sweep/summary.json").read_text())
    flow_pid = parent.data.tags["fairgate.pid"]  # the data stages logged from the flow's own process
    assert all(not run["worker"].endswith(f":{flow_pid}") for run in summary["runs"]), "seeds train in Dask workers"
    assert project.versions() == [], "a sweep never registers a model"
