"""The e2e tests share one throw-away copy of the repository per module."""

from __future__ import annotations

import pytest

from tests.project import Project, make_project


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("project"), tmp_path_factory.mktemp("prefect-home"))
