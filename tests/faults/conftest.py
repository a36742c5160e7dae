"""Helpers for the fault tests. Their project with a champion already in place, so every failure can be checked to
leave it alone, is `champion_project` (tests/conftest.py): a copy of the session's trained project per test."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from fairgate.core.config import SyntheticConfig
from fairgate.core.synthetic import generate


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
