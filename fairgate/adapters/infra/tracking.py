"""MLflow tracking: the pipeline run every stage logs into, what is logged (under names MLflow accepts), and
the runs a killed process left open."""

from __future__ import annotations

import hashlib
import logging
import math
import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fairgate.adapters.infra.mlflow_store import configure
from fairgate.adapters.infra.processes import alive
from fairgate.adapters.infra.timing import spent

log = logging.getLogger(__name__)


def reap_orphaned_runs(root: Path, experiment: str) -> list[dict[str, str]]:
    """Mark as KILLED the RUNNING runs left by a fairgate process on this host that no longer exists.

    Returns their tags, so that the caller can close the Prefect flow run each one names too.
    """
    import mlflow

    configure(root, experiment)
    client = mlflow.MlflowClient()
    found = client.get_experiment_by_name(experiment)
    reaped = []
    with spent("tracking"):
        runs = client.search_runs([found.experiment_id], "attributes.status = 'RUNNING'", max_results=200)
        for run in runs:
            tags = run.data.tags
            if tags.get("fairgate.host") != socket.gethostname() or "fairgate.pid" not in tags:
                continue
            if not alive(int(tags["fairgate.pid"])):
                client.set_terminated(run.info.run_id, "KILLED")
                client.set_tag(run.info.run_id, "fairgate.reaped", "process ended without closing the run")
                reaped.append(tags)
                log.warning("marked MLflow run %s KILLED: its process ended while it ran", run.info.run_id)
    return reaped


def new_run(root: Path, experiment: str, name: str, tags: dict[str, str] | None = None) -> str:
    """Create a FINISHED-on-exit run in ``experiment`` and return its id."""
    import mlflow

    experiment_id = configure(root, experiment)
    client = mlflow.MlflowClient()
    run = client.create_run(experiment_id, run_name=name, tags={"fairgate.pipeline": "true"} | (tags or {}))
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


@contextmanager
def open_run(root: Path, experiment: str, run_id: str, tags: dict[str, str]) -> Iterator[Any]:
    """Reopen run ``run_id`` for logging, tagged with ``tags`` and the process that logs into it.

    On an exception the run is marked FAILED and the exception propagates.
    """
    import mlflow

    configure(root, experiment)
    with spent("tracking"):
        run = mlflow.start_run(run_id=run_id)
        mlflow.set_tags(tags | {"fairgate.pid": str(os.getpid()), "fairgate.host": socket.gethostname()})
    try:
        yield run
    except BaseException:
        with spent("tracking"):
            mlflow.end_run("FAILED")
        raise
    with spent("tracking"):
        mlflow.end_run()


_SYMBOLS = {">=": "ge", "<=": "le", ">": "gt", "<": "lt", "=": "eq", "!": "not", "%": "pct", "+": "plus", "&": "and"}
_UNSAFE = re.compile(r"[^\w.\- :]")
KEY_LIMIT = 250


def safe_key(key: str) -> str:
    """A name MLflow accepts for a param or metric: symbols spelled out (``>50K.`` -> ``gt50K.``), other
    characters it rejects (and ``/``, which it reads as a path) replaced, over-long names cut with a hash."""
    for symbol, word in _SYMBOLS.items():
        key = key.replace(symbol, word)
    key = _UNSAFE.sub("_", key)
    if key in ("", ".", "..") or key.startswith(".."):
        key = f"_{key}"
    if len(key) > KEY_LIMIT:
        key = f"{key[:KEY_LIMIT - 9]}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
    return key


def safe_keys(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` under safe names; two names that would collide keep apart with a hash of the original."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        safe = safe_key(key)
        if safe in out or (safe != key and safe in values):
            safe = safe_key(f"{safe[:KEY_LIMIT - 9]}-{hashlib.sha256(key.encode()).hexdigest()[:8]}")
        out[safe] = value
    return out


def _log_batch(rows: list[tuple[str, Any, int]]) -> None:
    import mlflow
    from mlflow.entities import Metric

    stamp = int(time.time() * 1000)
    originals = list(dict.fromkeys(key for key, _, _ in rows))
    renamed = dict(zip(originals, safe_keys(dict.fromkeys(originals)), strict=True))
    batch = [Metric(renamed[key], float(value), stamp, step) for key, value, step in rows
             if value is not None and math.isfinite(float(value))]
    with spent("tracking"):
        for start in range(0, len(batch), 1000):  # the store's per-call limit
            mlflow.MlflowClient().log_batch(mlflow.active_run().info.run_id, metrics=batch[start:start + 1000])


def log_flat_metrics(metrics: dict[str, Any], prefix: str = "") -> None:
    """Log many metrics in one batched call (no round trip per metric)."""
    _log_batch([(f"{prefix}{k}", v, 0) for k, v in metrics.items()])


def log_metric_steps(rows: list[tuple[str, Any, int]]) -> None:
    """Log ``(key, value, step)`` rows in one batched call; None values are skipped."""
    _log_batch(rows)


def log_history(history: list[dict[str, float]], keys: tuple[str, ...]) -> None:
    """Log per-epoch curves, every epoch and key in one batched call."""
    _log_batch([(key, record[key], int(record["epoch"])) for record in history for key in keys])


def log_params_flat(section: str, values: dict[str, Any]) -> None:
    import mlflow

    flat = safe_keys({f"{section}.{k}": v for k, v in _flatten(values).items()})
    with spent("tracking"):
        existing = mlflow.get_run(mlflow.active_run().info.run_id).data.params
        fresh = {k: str(v)[:6000] for k, v in flat.items() if k not in existing}
        if fresh:
            mlflow.log_params(fresh)


def log_files(paths: list[Path], artifact_dir: str) -> None:
    """Log files and directories as artifacts of the active run."""
    import mlflow

    with spent("tracking"):
        for path in paths:
            if path.is_dir():
                mlflow.log_artifacts(str(path), f"{artifact_dir}/{path.name}")
            else:
                mlflow.log_artifact(str(path), artifact_dir)


def set_tags(tags: dict[str, Any]) -> None:
    import mlflow

    with spent("tracking"):
        mlflow.set_tags(tags)


def _flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dict) and value:
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
