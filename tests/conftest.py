"""Shared fixtures: small configs and frames for unit tests; the session's Prefect server, fresh projects and
copies of one trained project for the end-to-end tests."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from fairgate.core.config import Params, build_params
from fairgate.core.contract import Schema, resolve_schema
from fairgate.core.synthetic import generate
from tests.project import SMALL, Project, clone_project, make_project


@pytest.fixture(scope="session")
def params() -> Params:
    return build_params({"data": {"synthetic": {"rows": 4000, "seed": 7},
                                  "label_values": [">50K", "<=50K"]},
                         "validate": {"ranges": {"hours_per_week": [1, 99], "education_num": [1, 16]}},
                         "train": {"epochs": 8, "hidden_sizes": [32, 16]}})


@pytest.fixture(scope="session")
def raw(params: Params) -> pd.DataFrame:
    from fairgate.core.ingest import normalise

    return normalise(generate(params.data.synthetic), params.data)


@pytest.fixture(scope="session")
def schema(params: Params, raw: pd.DataFrame) -> Schema:
    return resolve_schema(params.data, list(raw.columns), raw.dtypes)


@pytest.fixture(scope="session")
def _slice(tmp_path_factory: pytest.TempPathFactory, params: Params):
    """ingest → validate → preprocess → train → evaluate run in-process against a real SQLite MLflow store."""
    from fairgate.adapters.stages.context import StageContext
    from fairgate.adapters.stages.runner import run_stage

    root = tmp_path_factory.mktemp("slice")
    ctx = StageContext(root=root, params=params.model_copy(update={"validate_": params.validate_cfg.model_copy(
        update={"min_rows": 500})}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        for stage in ("ingest", "validate", "preprocess", "train", "evaluate"):
            run_stage(ctx, stage)
    return ctx


@pytest.fixture
def slice_ctx(_slice, monkeypatch: pytest.MonkeyPatch):
    """The slice's context, with MLflow pointed at the slice's store for the test."""
    from fairgate.adapters.infra.mlflow_store import configure

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{_slice.root / 'mlflow.db'}")
    configure(_slice.root, _slice.params.tracking.experiment)
    return _slice


class SharedPrefectServer:
    """One Prefect server for the test session, started on first use: every project's runs reach it through
    PREFECT_API_URL instead of each booting a temporary one. Only the tests of the temporary server's own
    lifecycle (docs/testing.md) run without it."""

    def __init__(self, home: Path) -> None:
        self.home, self.process, self._url = home, None, None

    @property
    def url(self) -> str:
        if self._url is None:
            from fairgate.adapters.infra import processes
            from fairgate.adapters.infra.prefect_api import quiet_env, server_command

            port = processes.free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"PREFECT_HOME": str(self.home)}
            log = self.home / "server.log"
            self.process = processes.spawn(server_command("127.0.0.1", port), log, quiet_env(env), self.home)
            url = f"http://127.0.0.1:{port}/api"
            processes.wait_healthy(f"{url}/health", "the tests' Prefect server", log, self.process)
            self._url = url
        return self._url

    def stop(self) -> None:
        if self.process is not None:
            from fairgate.adapters.infra import processes

            processes.stop(self.process.pid)


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory):
    server = SharedPrefectServer(tmp_path_factory.mktemp("shared-prefect-home"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def new_project(tmp_path_factory: pytest.TempPathFactory, prefect_server: SharedPrefectServer):
    """A factory of fresh copies of the repository, untrained, whose runs use the session's Prefect server
    (``own_server=True``: each run starts its temporary one, for the tests of that server's lifecycle)."""

    def make(name: str = "project", own_server: bool = False) -> Project:
        return make_project(tmp_path_factory.mktemp(name), tmp_path_factory.mktemp("prefect-home"),
                            None if own_server else prefect_server.url)

    return make


@pytest.fixture(scope="session")
def copy_of(tmp_path_factory: pytest.TempPathFactory):
    """A factory of independent copies of a prepared project (``tests.project.clone_project``)."""

    def copy(source: Project, name: str = "copy") -> Project:
        return clone_project(source, tmp_path_factory.mktemp(name) / "project", tmp_path_factory.mktemp("prefect-home"))

    return copy


@dataclass(frozen=True)
class Trained:
    """The session's trained project: generated rows trained and gated once (SMALL, ``monitor.key`` set), version 1
    champion; with the output of that first run and of the rerun right after it."""

    project: Project
    first: subprocess.CompletedProcess
    rerun: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def trained(new_project) -> Trained:
    from tests.production import KEY

    project = new_project("trained")
    first = project.fairgate("run", *SMALL, "-S", f"monitor.key={KEY}")
    assert project.champion() == "1", first.stdout[-2000:]
    return Trained(project, first, project.fairgate("run"))


@pytest.fixture
def champion_project(trained: Trained, copy_of) -> Project:
    """A copy of the session's trained project, for one test: version 1 is champion, every stage up to date."""
    return copy_of(trained.project, "champion")


@pytest.fixture
def fairgate_here(monkeypatch: pytest.MonkeyPatch):
    """The `fairgate` CLI called in this process, from a project's directory and with its environment, giving what
    a subprocess would (exit code, stdout, stderr): for the message tests, which need no interpreter of their own.
    Each family keeps one test through the real executable, for the exit code and the no-traceback rule. Only for
    commands that stop before a Prefect flow runs: a flow run here would use the test process's Prefect settings
    and bind its logging to this call's captured streams."""
    import logging
    import warnings

    import prefect.main  # noqa: F401  (it sets up Prefect's logging on import: on the session's streams, not a call's)
    from typer.testing import CliRunner

    from fairgate.app.cli import app

    def call(project: Project, *args: str) -> subprocess.CompletedProcess:
        root, environ = logging.getLogger(), dict(os.environ)
        handlers, level = root.handlers[:], root.level
        monkeypatch.chdir(project.root)
        os.environ.clear()
        os.environ.update(project.env)
        try:
            with warnings.catch_warnings():
                result = CliRunner().invoke(app, list(args))
        finally:
            os.environ.clear()
            os.environ.update(environ)
            root.handlers[:] = handlers
            root.setLevel(level)
        return subprocess.CompletedProcess(["fairgate", *args], result.exit_code, result.stdout, result.stderr)

    return call
