"""The Prefect server `fairgate run` starts for itself: up before the flow needs it, gone after."""

from __future__ import annotations

import os
import urllib.request

import pytest

from fairgate.adapters.infra import processes
from fairgate.adapters.infra.prefect_api import API_ENV, RunServer

pytestmark = pytest.mark.e2e


def test_run_server_answers_then_stops_and_unsets_the_api_url(tmp_path, monkeypatch):
    monkeypatch.delenv(API_ENV, raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    with RunServer(tmp_path) as server:
        server.start()
        url = os.environ[API_ENV]
        server.wait_ready()
        with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
            assert response.status == 200
        pid = server.process.pid
    assert API_ENV not in os.environ
    assert not processes.alive(pid)
    assert (tmp_path / "prefect-home" / "prefect.db").exists()  # the server used the configured home


def test_a_configured_server_is_used_and_nothing_is_started(tmp_path, monkeypatch):
    monkeypatch.setenv(API_ENV, "http://127.0.0.1:9/api")
    with RunServer(tmp_path) as server:
        server.start()
        server.wait_ready()
        assert server.process is None
    assert os.environ[API_ENV] == "http://127.0.0.1:9/api"


def test_the_server_stops_even_when_draining_prefect_queues_fails(tmp_path, monkeypatch):
    import pytest

    from fairgate.adapters.infra import prefect_api

    def broken() -> None:
        raise RuntimeError("drain failed")

    monkeypatch.delenv(API_ENV, raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    monkeypatch.setattr(prefect_api, "send_queued_logs_and_events", broken)  # a fault we cannot cause for real
    with pytest.raises(RuntimeError, match="drain failed"), RunServer(tmp_path) as server:
        server.start()
        server.wait_ready()
        pid = server.process.pid
    assert not processes.alive(pid) and API_ENV not in os.environ


def test_the_run_server_is_primed_and_its_flows_send_no_heartbeats(tmp_path, monkeypatch):
    from prefect.settings import get_current_settings

    monkeypatch.delenv(API_ENV, raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    default = get_current_settings().flows.heartbeat_frequency
    with RunServer(tmp_path) as server:
        server.start()
        server.wait_ready()
        server._primer.join(timeout=60)
        assert not server._primer.is_alive(), "priming the server's routes did not finish"
        with server.flow_settings():
            assert get_current_settings().flows.heartbeat_frequency is None
        assert get_current_settings().flows.heartbeat_frequency == default


def test_flows_on_a_configured_server_keep_prefects_heartbeat_setting(tmp_path, monkeypatch):
    from prefect.settings import get_current_settings

    monkeypatch.setenv(API_ENV, "http://127.0.0.1:9/api")
    default = get_current_settings().flows.heartbeat_frequency
    with RunServer(tmp_path) as server:
        server.start()
        with server.flow_settings():
            assert get_current_settings().flows.heartbeat_frequency == default is not None
