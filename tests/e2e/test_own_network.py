"""docs/models.md, "Your own network": a network file under networks/ trains in fairgate's loop, reruns train
and nothing before it when edited, and its bundle (with its own copy of the file) is served over HTTP."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fairgate.adapters.infra.processes import free_port
from tests.production import KEY, post_rows, production_rows, start_model_server, stop_model_server

pytestmark = pytest.mark.e2e
RAN = ("ingest", "validate", "preprocess", "train", "evaluate", "gate")


def _ran(done) -> list[str]:
    return [stage for stage in RAN if f"{stage}: running" in done.stderr]


def test_an_own_torch_network_trains_reruns_only_train_when_edited_and_its_bundle_serves(champion_project):
    project = champion_project
    done = project.fairgate("run", "-S", "train.network=networks/example_net.py:build")
    assert _ran(done) == ["train", "evaluate", "gate"], "params changed for train only"
    assert "Gate: " in done.stdout and (project.root / "models/candidate/network.py").is_file()
    version = str(max(int(v.version) for v in project.versions()))

    net = project.root / "networks" / "example_net.py"
    net.write_text(net.read_text().replace("nn.Linear(n_features, 48), nn.GELU(), nn.LayerNorm(48)",
                                           "nn.Linear(n_features, 40), nn.GELU(), nn.LayerNorm(40)")
                   .replace("nn.Linear(48, 1)", "nn.Linear(40, 1)"))
    again = project.fairgate("run")
    assert _ran(again) == ["train", "evaluate", "gate"], "editing the network file reruns train, not before it"

    rows = production_rows(30).drop(columns=["income", KEY])
    port = free_port()
    server = start_model_server(project, port, "--version", version)
    try:
        status, body = post_rows(f"http://127.0.0.1:{port}/invocations", json.loads(rows.to_json(orient="records")))
    finally:
        stop_model_server(server)
    assert status == 200, body
    served = np.array([p["probability"] for p in json.loads(body)["predictions"]])
    assert len(served) == 30 and ((served > 0) & (served < 1)).all(), "the bundle's copy of the 48-wide network"

