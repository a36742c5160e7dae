"""What a reviewer reads in the MLflow UI: run names that say what happened, the run's description (MLflow's
note tag, shown on the Overview without a click), failure status, and the datasets each model saw."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from fairgate.adapters.infra.timing import spent

NOTE = "mlflow.note.content"  # what the run page's Description shows
NOTE_LIMIT = 60_000


def _client():
    import mlflow

    return mlflow.MlflowClient()


def describe(run_id: str, name: str | None = None, note: str | None = None, tags: dict[str, str] | None = None,
             status: str | None = None) -> None:
    """Rename the run, set its description, tag it and (for a failure) mark its status."""
    client = _client()
    with spent("tracking"):
        if name:
            client.update_run(run_id, name=name[:250])
        for key, value in ((tags or {}) | ({NOTE: note[:NOTE_LIMIT]} if note else {})).items():
            client.set_tag(run_id, key, str(value))
        if status:
            client.set_terminated(run_id, status)


def short_check(name: str) -> str:
    """``demographic_parity_difference[sex]`` -> ``demographic_parity[sex]``: fits a run name."""
    return name.replace("_difference", "").replace("_vs_champion", " vs champion")


def outcome_name(version: str, decision: dict[str, Any], action: str, candidate: str, model: str | None = None) -> str:
    """``v4 promoted (acc 0.853)``, ``v7 promoted: HistGradientBoosting (acc 0.871)`` (``model``, when it is not
    fairgate's own network), ``v5 rejected: demographic_parity[sex]``, ``v6 insufficient evidence: ...``."""
    via = "" if candidate == "unmitigated" else f" via {candidate}"
    if action in ("promoted", "already_champion"):
        accuracy = decision.get("metrics", {}).get("accuracy")
        shown = f" (acc {accuracy:.3f})" if accuracy is not None else ""
        what = f": {model}" if model else ""
        return f"v{version} {'promoted' if action == 'promoted' else 'champion'}{what}{via}{shown}"
    if action in ("awaiting_approval", "approval_rejected"):
        return f"v{version} passed{via}, " + ("waits for approval" if action == "awaiting_approval" else
                                              "rejected by a reviewer")
    failed = [c["name"] for c in decision["checks"] if c["status"] == "fail"]
    unsure = [c["name"] for c in decision["checks"] if c["status"] == "insufficient_evidence"]
    if failed:
        return f"v{version} rejected: " + ", ".join(short_check(n) for n in failed[:3]) + ("..." if len(failed) > 3 else "")
    return f"v{version} insufficient evidence: " + ", ".join(short_check(n) for n in unsure[:3])


def dataset(name: str, frame: pd.DataFrame, rows: int, digest: str | None, source: str) -> Any:
    """An MLflow dataset entity from a profile, not the rows: schema from ``frame``'s first rows (all it needs to
    hold), ``rows`` for the row count, and
    DVC's md5 as the digest, so logging it costs the same at 10M rows as at 10k."""
    from mlflow.entities import Dataset
    from mlflow.types.utils import _infer_schema

    schema = json.dumps({"mlflow_colspec": _infer_schema(frame.head(100)).to_dict()})
    return Dataset(name=name, digest=(digest or "unrecorded")[:36], source_type="local", source=json.dumps({"uri": source}),
                   schema=schema, profile=json.dumps({"num_rows": int(rows), "num_elements": int(rows) * frame.shape[1]}))


def log_datasets(run_id: str, entries: list[tuple[Any, str]]) -> None:
    """Attach datasets to a run, each with its context (``training``, ``validation``, ``test``, ``raw``)."""
    from mlflow.entities import DatasetInput, InputTag

    with spent("tracking"):
        _client().log_inputs(run_id, datasets=[DatasetInput(dataset=d, tags=[InputTag("mlflow.data.context", context)])
                                               for d, context in entries])
