"""No credentials in params or logs; passwords in URIs are redacted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fairgate.adapters.infra.mlflow_store import redact
from tests.project import Project

REPO = Path(__file__).resolve().parents[2]


def test_uri_passwords_are_redacted():
    assert redact("postgresql://fg:s3cret@db:5432/mlflow") == "postgresql://fg:***@db:5432/mlflow"
    assert redact("http://alice:pa:ss@host/") == "http://alice:***@host/"
    assert redact("sqlite:////tmp/mlflow.db") == "sqlite:////tmp/mlflow.db"


def test_params_file_holds_no_credentials():
    text = (REPO / "params.yaml").read_text().lower()
    assert not re.search(r"(password|secret|token|api_key)\s*:", text)
    assert not re.search(r"://[^/\s:@]+:[^@\s]+@", text)


@pytest.mark.e2e
def test_unreachable_server_fails_with_bounded_retries_and_no_password_in_output(new_project):
    project: Project = new_project("unreachable")
    project.env["MLFLOW_TRACKING_URI"] = "http://alice:hunter2@127.0.0.1:9"
    done = project.fairgate("run", check=False)
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "unreachable after 4 attempts" in " ".join(output.split())
    assert "hunter2" not in output and "alice:***@" in output
    assert not (project.root / "data/raw.parquet").exists(), "nothing runs without the tracking server"
