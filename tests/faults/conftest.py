"""A project with a champion already in place, so every failure can be checked to leave it alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from fairgate.core.config import SyntheticConfig
from fairgate.core.synthetic import generate
from tests.project import SMALL, Project, make_project


@pytest.fixture(scope="module")
def champion_project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("faults"), tmp_path_factory.mktemp("prefect-home"))
    project.fairgate("run", *SMALL)
    assert project.champion() == "1"
    return project


def tree_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for item in sorted(path.rglob("*") if path.is_dir() else [path]):
        if item.is_file():
            digest.update(item.name.encode() + item.read_bytes())
    return digest.hexdigest()


def clean_frame(rows: int = 2000, seed: int = 1) -> pd.DataFrame:
    """Generated rows as a file would hold them: plain strings, no categorical dtype."""
    frame = generate(SyntheticConfig(rows=max(rows, 100), seed=seed)).head(rows)
    return frame.astype({c: "str" for c in frame.select_dtypes("category").columns})
