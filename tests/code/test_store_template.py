"""A new SQLite store copied from the machine's template is the store MLflow itself would have created."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

MAKE_STORE = """
import sys
from pathlib import Path
from fairgate.adapters.infra import mlflow_store, store_template
if sys.argv[1] == "mlflow":
    store_template.create_from_template = lambda db: False
mlflow_store.configure(Path("."), "fairgate")
"""


def _make_store(folder: Path, how: str, cache: Path) -> Path:
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")} | {"XDG_CACHE_HOME": str(cache)}
    subprocess.run([sys.executable, "-c", MAKE_STORE, how], cwd=folder, env=env, check=True, capture_output=True)
    return folder / "mlflow.db"


def _schema(db: Path) -> tuple[set, list]:
    """Every table and index with its definition, and the migration revision. MLflow's own migrations do not
    always write a table's clauses in the same order (two stores it created differ so), so the clauses of
    each definition are compared as a set."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT type, name, tbl_name, sql FROM sqlite_master").fetchall()
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    clauses = lambda sql: frozenset(line.strip().rstrip(",").strip() for line in (sql or "").splitlines())  # noqa: E731
    return {(kind, name, table, clauses(sql)) for kind, name, table, sql in rows}, revision


def _experiments(db: Path) -> list:
    with sqlite3.connect(db) as connection:
        return connection.execute("SELECT experiment_id, name, artifact_location, lifecycle_stage FROM experiments "
                                  "ORDER BY experiment_id").fetchall()


def test_a_store_from_the_template_equals_one_mlflow_migrates(tmp_path):
    cache = tmp_path / "cache"
    by_mlflow = _make_store(tmp_path / "a", "mlflow", cache)
    assert not any(cache.glob("fairgate/*.db")), "MLflow's own path must not touch the template"
    first = _make_store(tmp_path / "b", "template", cache)
    assert len(list(cache.glob("fairgate/mlflow-*-store.db"))) == 1
    copied = _make_store(tmp_path / "c", "template", cache)
    assert _schema(first) == _schema(copied) == _schema(by_mlflow)
    expected = [(eid, name, location.replace(str(tmp_path / "a"), str(tmp_path / "c")), stage)
                for eid, name, location, stage in _experiments(by_mlflow)]
    assert _experiments(copied) == expected, "the Default experiment's location is this project's, not the template's"
    assert not list((tmp_path / "c").glob("*.partial"))


def test_a_broken_template_falls_back_to_mlflow_and_leaves_nothing_half_written(tmp_path):
    cache = tmp_path / "cache"
    _make_store(tmp_path / "a", "template", cache)
    (template,) = cache.glob("fairgate/mlflow-*-store.db")
    template.write_bytes(b"not a database")
    db = _make_store(tmp_path / "b", "template", cache)
    assert _schema(db) == _schema(tmp_path / "a" / "mlflow.db")
    assert [row[1] for row in _experiments(db)] == ["Default", "fairgate"]
    assert not list((tmp_path / "b").glob("*.partial"))
