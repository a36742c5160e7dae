"""A new SQLite MLflow store as a copy of one that MLflow created once on this machine.

Creating a store runs MLflow's schema migrations, 1-2 s on the first run of every new project. The
migrated schema depends only on the MLflow version, so fairgate keeps one freshly created store per MLflow
version in the user's cache and copies it. The copy then gets the values MLflow writes per store: the
Default experiment's artifact location (resolved against the working directory) and its times.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)
SERVER_ARTIFACT_ROOT = "_MLFLOW_SERVER_ARTIFACT_ROOT"  # set inside an MLflow server; its root then wins


def template_path() -> Path:
    import mlflow

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fairgate"
    return cache / f"mlflow-{mlflow.__version__}-store.db"


def _build(template: Path) -> None:
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    template.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=template.parent) as scratch:
        db = Path(scratch) / "store.db"
        store = SqlAlchemyStore(f"sqlite:///{db}", str(Path(scratch) / "mlruns"))
        store.engine.dispose()
        os.replace(db, template)  # another process building the same template at once writes the same file


def _default_artifact_location() -> str:
    """What MLflow's SqlAlchemyStore writes for experiment 0 when a client creates the store from here."""
    from mlflow.store.tracking import DEFAULT_LOCAL_FILE_AND_ARTIFACT_PATH
    from mlflow.utils.uri import append_to_uri_path, resolve_uri_if_local

    return append_to_uri_path(resolve_uri_if_local(DEFAULT_LOCAL_FILE_AND_ARTIFACT_PATH), "0")


def create_from_template(db: Path) -> bool:
    """Create the store ``db`` (which must not exist) from the cached template; False when it could not, and
    then MLflow creates it the usual way."""
    if os.environ.get(SERVER_ARTIFACT_ROOT):
        return False
    partial = db.with_name(f".{db.name}.{os.getpid()}.partial")
    try:
        template = template_path()
        if not template.exists():
            _build(template)
        shutil.copyfile(template, partial)
        now = int(time.time() * 1000)
        with sqlite3.connect(partial) as connection:
            connection.execute("UPDATE experiments SET artifact_location = ?, creation_time = ?, last_update_time = ? "
                               "WHERE experiment_id = 0", (_default_artifact_location(), now, now))
        connection.close()
        os.replace(partial, db)
        return True
    except Exception:  # the cache is a shortcut only: anything wrong with it means MLflow creates the store
        log.debug("could not create %s from the store template", db, exc_info=True)
        partial.unlink(missing_ok=True)
        return False
