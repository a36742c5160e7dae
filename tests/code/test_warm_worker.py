"""When a warm standby may serve a `fairgate run`, and the socket that hands the run over."""

from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from fairgate.adapters.infra import warm_socket
from fairgate.app.warm import client as warm_client
from fairgate.app.warm import standby

ROOT = Path("/projects/census")
BASELINE = {"PREFECT_HOME": "/home/u/.prefect", "PREFECT_API_URL": "http://127.0.0.1:4200/api",
            "MLFLOW_TRACKING_URI": "sqlite:///m.db", "PATH": "/usr/bin", "TERM": "xterm"}


def _request(**changes) -> dict:
    env = {k: v for k, v in BASELINE.items() if k != "PREFECT_API_URL"} | changes.pop("env", {})
    return {"argv": ["run"], "cwd": str(ROOT), "env": env, "executable": sys.executable, "root": str(ROOT)} | changes


@pytest.fixture(scope="module")
def fingerprint() -> str:
    return standby.code_fingerprint()


def test_a_run_from_the_same_environment_is_served(fingerprint):
    shell_only = _request(env={"TERM": "dumb", "COLUMNS": "200", "OLDPWD": "/tmp"})  # what libraries do not read
    assert standby.declined(shell_only, ROOT, BASELINE, fingerprint) == (None, False)
    same_server = _request(env={"PREFECT_API_URL": BASELINE["PREFECT_API_URL"]})
    assert standby.declined(same_server, ROOT, BASELINE, fingerprint) == (None, False)


@pytest.mark.parametrize(("request_changes", "said"), [
    ({"env": {"MLFLOW_TRACKING_URI": "sqlite:///other.db"}}, "differs in MLFLOW_TRACKING_URI"),
    ({"env": {"PREFECT_LOGGING_LEVEL": "DEBUG"}}, "differs in PREFECT_LOGGING_LEVEL"),
    ({"env": {"PREFECT_API_URL": "http://10.0.0.5:4200/api"}}, "another Prefect server"),
    ({"executable": "/opt/other/bin/python"}, "this command /opt/other/bin/python"),
    ({"root": "/projects/other"}, "not /projects/other"),
])
def test_a_run_the_standby_could_get_wrong_is_declined_and_says_why(fingerprint, request_changes, said):
    why, restart = standby.declined(_request(**request_changes), ROOT, BASELINE, fingerprint)
    assert why is not None and said in why
    assert restart is False


def test_changed_code_is_declined_and_the_standby_restarts():
    why, restart = standby.declined(_request(), ROOT, BASELINE, "the fingerprint of older code")
    assert "code or the installed packages changed" in why and restart is True


def test_the_fingerprint_follows_fairgates_source(tmp_path, monkeypatch, fingerprint):
    assert standby.code_fingerprint() == fingerprint
    source = Path(standby.__file__)
    stat = source.stat()
    try:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        assert standby.code_fingerprint() != fingerprint
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_the_request_and_the_three_streams_cross_the_socket(tmp_path):
    client, server = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with client, server:
        sent = _request(env={"BIG": "x" * 300_000})  # more than the socket's buffer holds: read while it is sent
        sender = threading.Thread(target=warm_socket.send_request, args=(client, sent))
        sender.start()
        received, streams = warm_socket.receive_request(server)
        sender.join()
        try:
            assert received == sent
            assert [os.fstat(fd).st_ino for fd in streams] == [os.fstat(fd).st_ino for fd in (0, 1, 2)]
        finally:
            for fd in streams:
                os.close(fd)
        assert warm_socket.same_user(server)
        warm_socket.send_line(server, {"pid": 7})
        warm_socket.send_line(server, {"exit": 3})
        server.shutdown(socket.SHUT_WR)
        assert list(warm_socket.replies(client)) == [{"pid": 7}, {"exit": 3}]


def test_a_connection_that_sends_nothing_is_a_probe():
    client, server = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with client, server:
        client.close()
        assert warm_socket.receive_request(server) is None


def test_no_worker_means_no_connection(tmp_path):
    assert warm_socket.connect(tmp_path) is None
    (tmp_path / ".fairgate").mkdir()
    (tmp_path / warm_socket.SOCKET).write_text("")  # left behind by a worker that was killed
    assert warm_socket.connect(tmp_path) is None
    assert warm_client.delegate(tmp_path, ["run"]) is None


def test_a_long_project_path_gets_a_short_socket_address(tmp_path, monkeypatch):
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert len(warm_socket.address(deep)) < 100
    assert Path(warm_socket.address(deep)).resolve() == (deep / warm_socket.SOCKET).resolve()
