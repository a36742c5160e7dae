"""Helpers for tests that start real servers: free ports, Prefect's REST API, waiting, stopping."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from typing import Any


def prefect_post(api_url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    request = urllib.request.Request(f"{api_url}/{path}", data=json.dumps(body or {}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def flow_runs(api_url: str, state: str) -> list[dict[str, Any]]:
    """Flow runs in ``state`` (COMPLETED, FAILED, ...), earliest expected start first."""
    body = {"flow_runs": {"state": {"type": {"any_": [state]}}}, "sort": "EXPECTED_START_TIME_ASC"}
    try:
        return prefect_post(api_url, "flow_runs/filter", body)
    except OSError:
        return []


def wait_for(check: Callable[[], Any], timeout_s: float, what: str, poll_s: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(poll_s)
    raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")


def stop_group(process: subprocess.Popen, timeout_s: float = 30.0) -> None:
    """SIGTERM the process group ``process`` leads, and wait for the leader to exit."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
