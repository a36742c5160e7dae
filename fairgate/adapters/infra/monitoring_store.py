"""Monitoring records, kept beside the ledger: artifacts of the same MLflow run, so they live with the model's
audit trail on whichever store it uses, and survive restarts and other machines.

- ``monitoring/v<version>.json``: the champion's record (``core.monitoring_record``);
- ``monitoring/judged.json``: every labels file judged, by content, with the version and look that judged it,
  so that a watched folder's files are judged once across restarts and champions.

Read and write them under ``exclusive(lock(name))``: a look is read, extended and written as one step.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from fairgate.adapters.infra import ledger
from fairgate.adapters.infra.locks import lock_path
from fairgate.adapters.infra.promotion import store_uri

FOLDER = "monitoring"
JUDGED = "judged.json"


def lock(name: str) -> Path:
    return lock_path(store_uri(), f"{name}-monitoring")


def _read(name: str, file: str) -> Any:
    from mlflow.exceptions import MlflowException

    run_id = ledger.ledger_run(name, create=False)
    if run_id is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = ledger.client().download_artifacts(run_id, f"{FOLDER}/{file}", tmp)
        except (MlflowException, OSError):
            return None
        return json.loads(Path(local).read_text())


def _write(name: str, file: str, payload: Any) -> None:
    run_id = ledger.ledger_run(name, create=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / file
        path.write_text(json.dumps(payload, sort_keys=True))
        ledger.client().log_artifact(run_id, str(path), FOLDER)


def read_record(name: str, version: str) -> dict[str, Any] | None:
    return _read(name, f"v{version}.json")


def write_record(name: str, record: dict[str, Any]) -> None:
    _write(name, f"v{record['version']}.json", record)


def judged_files(name: str) -> dict[str, dict[str, Any]]:
    """Content digest -> where it was judged (file name, version, look)."""
    return _read(name, JUDGED) or {}


def mark_judged(name: str, digest: str, entry: dict[str, Any]) -> None:
    _write(name, JUDGED, judged_files(name) | {digest: entry})
