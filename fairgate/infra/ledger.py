"""The audit ledger: every promotion decision, appended to a JSON-lines artifact kept with the model.

The ledger lives in an MLflow run of the `<experiment>-ledger` experiment, found through the
registered model's `fairgate.ledger_run_id` tag; the model's tags also carry the entry count and the
latest entry. Appends happen under the promotion lock, so none is lost.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LEDGER_FILE = "ledger.jsonl"
RUN_TAG = "fairgate.ledger_run_id"


def _client():
    import mlflow

    return mlflow.MlflowClient()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _ledger_run(name: str, create: bool) -> str | None:
    client = _client()
    tags = client.get_registered_model(name).tags
    if RUN_TAG in tags:
        return tags[RUN_TAG]
    if not create:
        return None
    experiment = f"{name}-ledger"
    found = client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(experiment)
    run = client.create_run(experiment_id, run_name=f"ledger:{name}", tags={"fairgate.ledger_for": name})
    client.set_terminated(run.info.run_id, "FINISHED")
    client.set_registered_model_tag(name, RUN_TAG, run.info.run_id)
    return run.info.run_id


def read(name: str) -> list[dict[str, Any]]:
    """All entries, oldest first (empty when the model has no ledger yet)."""
    from mlflow.exceptions import MlflowException

    try:
        run_id = _ledger_run(name, create=False)
    except MlflowException:
        return []
    if run_id is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = _client().download_artifacts(run_id, LEDGER_FILE, tmp)
        except (MlflowException, OSError):
            return []
        return [json.loads(line) for line in Path(local).read_text().splitlines() if line.strip()]


def append(name: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Append one entry (call under the promotion lock) and mirror it in the model's tags."""
    run_id = _ledger_run(name, create=True)
    entries = read(name)
    entry = {"time": now(), "seq": len(entries) + 1} | entry
    entries.append(entry)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / LEDGER_FILE
        path.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in entries))
        _client().log_artifact(run_id, str(path))
    client = _client()
    client.set_registered_model_tag(name, "ledger.entries", str(len(entries)))
    client.set_registered_model_tag(name, "ledger.last", json.dumps(entry, sort_keys=True)[:5000])
    return entry


def champion_at(entries: list[dict[str, Any]], when: datetime) -> str | None:
    """The version that was champion at ``when`` according to the ledger (None before the first)."""
    champion = None
    for entry in entries:
        if datetime.fromisoformat(entry["time"]) <= when:
            champion = entry.get("champion_after")
    return champion
