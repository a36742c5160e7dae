"""A module's own fresh (untrained) copy of the repository, for e2e tests that start from nothing."""

from __future__ import annotations

import pytest

from tests.project import Project


@pytest.fixture(scope="module")
def project(new_project) -> Project:
    return new_project("project")
