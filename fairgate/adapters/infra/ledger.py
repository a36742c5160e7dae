"""The audit ledger: every promotion decision, appended to a JSON-lines artifact kept with the model.

The ledger lives in an MLflow run of the `<experiment>-ledger` experiment, found through the
registered model's `fairgate.ledger_run_id` tag; the model's tags also carry the entry count and the
latest entry. Appends happen under the promotion lock, so none is lost.

A move of the alias is written ahead: its entry is appended as an intent (``promoting``,
``rolling_back``) before the alias moves and completed (``promoted``, ``rolled_back``) after, so a
crash at any instruction leaves a trace that ``promotion.reconcile`` resolves.
"""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LEDGER_FILE = "ledger.jsonl"
RUN_TAG = "fairgate.ledger_run_id"


def client():
    import mlflow

    return mlflow.MlflowClient()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def ledger_run(name: str, create: bool) -> str | None:
    mlflow_client = client()
    tags = mlflow_client.get_registered_model(name).tags
    if RUN_TAG in tags:
        return tags[RUN_TAG]
    if not create:
        return None
    experiment = f"{name}-ledger"
    found = mlflow_client.get_experiment_by_name(experiment)
    experiment_id = found.experiment_id if found else mlflow_client.create_experiment(
        experiment, tags={"mlflow.experimentKind": "custom_model_development"})
    run = mlflow_client.create_run(experiment_id, run_name=f"ledger:{name}", tags={"fairgate.ledger_for": name})
    mlflow_client.set_terminated(run.info.run_id, "FINISHED")
    mlflow_client.set_registered_model_tag(name, RUN_TAG, run.info.run_id)
    return run.info.run_id


def read(name: str) -> list[dict[str, Any]]:
    """All entries, oldest first (empty when the model has no ledger yet)."""
    from mlflow.exceptions import MlflowException

    try:
        run_id = ledger_run(name, create=False)
    except MlflowException:
        return []
    if run_id is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = client().download_artifacts(run_id, LEDGER_FILE, tmp)
        except (MlflowException, OSError):
            return []
        return [json.loads(line) for line in Path(local).read_text().splitlines() if line.strip()]


INTENTS = {"promoting": "promoted", "rolling_back": "rolled_back"}
MOVES = ("promoted", "rolled_back", "unaudited")  # the completed entries that set the champion


def _write(name: str, run_id: str, entries: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / LEDGER_FILE
        path.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in entries))
        client().log_artifact(run_id, str(path))
    mlflow_client = client()
    mlflow_client.set_registered_model_tag(name, "ledger.entries", str(len(entries)))
    mlflow_client.set_registered_model_tag(name, "ledger.last", one_line(entries[-1]))


def one_line(entry: dict[str, Any]) -> str:
    """An entry as a reviewer reads it in a tag: ``#3 promoted v4 (champion 2 -> 4) by ana@host: why``."""
    why = "; ".join(entry.get("reasons") or [])
    return (f"#{entry['seq']} {entry['action']} v{entry.get('version')} (champion {entry.get('previous_champion')} -> "
            f"{entry.get('champion_after')}) by {entry.get('actor', '?')} at {entry['time']}"
            + (f": {why}" if why else ""))[:5000]


def append(name: str, entry: dict[str, Any]) -> dict[str, Any]:
    """Append one entry (call under the promotion lock) and mirror it in the model's tags."""
    run_id = ledger_run(name, create=True)
    entries = read(name)
    entry = {"time": now(), "seq": len(entries) + 1} | entry
    _write(name, run_id, [*entries, entry])
    return entry


def settle(name: str, seq: int, action: str, **changes: Any) -> dict[str, Any]:
    """Turn intent ``seq`` into ``action`` (its completion, or ``aborted``), under the promotion lock."""
    run_id = ledger_run(name, create=True)
    entries = read(name)
    intent = entries[seq - 1]
    entry = intent | {"action": action, "time": now(), "intended": intent["time"]} | changes
    entries[seq - 1] = entry
    _write(name, run_id, entries)
    return entry


def open_intents(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["action"] in INTENTS]


def ledger_champion(entries: list[dict[str, Any]]) -> str | None:
    """The champion after the last completed move (None before the first)."""
    moves = [e for e in entries if e["action"] in MOVES]
    return moves[-1]["champion_after"] if moves else None


def champion_at(entries: list[dict[str, Any]], when: datetime) -> str | None:
    """The version that was champion at ``when`` according to the ledger (None before the first).

    A move counts from its ``time``, when it was completed (its intent's time is kept as ``intended``);
    an open intent or an aborted move never counts.
    """
    champion = None
    for entry in entries:
        if entry["action"] in MOVES and datetime.fromisoformat(entry["time"]) <= when:
            champion = entry.get("champion_after")
    return champion


def champions(entries: list[dict[str, Any]]) -> list[str]:
    """Every version the completed moves made champion, oldest first (repeats kept)."""
    return [e["champion_after"] for e in entries if e["action"] in MOVES and e.get("champion_after") is not None]


def removed_since_champion(entries: list[dict[str, Any]], version: str) -> str | None:
    """Why ``version`` may not simply come back: what turned it down after it last became champion (a breach that
    removed it, a failed re-gate, a reviewer's rejection), or None."""
    last = max((i for i, e in enumerate(entries) if e["action"] in MOVES and e.get("champion_after") == version),
               default=-1)
    why = None
    for entry in entries[last + 1:]:
        if entry["action"] == "rolled_back" and entry.get("previous_champion") == version and _for_breach(entry):
            why = f"removed by monitoring (ledger #{entry['seq']}: {'; '.join(entry.get('reasons') or [])})"
        elif entry.get("version") == version and entry["action"] in ("rejected", "approval_rejected"):
            why = f"rejected (ledger #{entry['seq']}: {'; '.join(entry.get('reasons') or [])})"
    return why


def _for_breach(entry: dict[str, Any]) -> bool:
    return entry.get("cause") == "breach" or any(r.startswith("monitor: breach") for r in entry.get("reasons") or [])
