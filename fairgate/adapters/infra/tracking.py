"""MLflow tracking: the store location, the pipeline run every stage logs into, and its lineage tags."""

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

from fairgate.adapters.infra.locks import exclusive
from fairgate.adapters.infra.processes import alive
from fairgate.adapters.infra.timing import spent
from fairgate.core.errors import StageError

log = logging.getLogger(__name__)
DEFAULT_STORE = "mlflow.db"
# MLflow 3's UI opens an experiment on its GenAI overview unless this tag marks it as model training (the
# values its UI knows: "custom_model_development", "genai_development", ...).
KIND_TAG, MODEL_TRAINING = "mlflow.experimentKind", "custom_model_development"
ARTIFACT_DIR = "mlartifacts"


def redact(uri: str) -> str:
    """Hide a password in a URI (scheme://user:secret@host -> scheme://user:***@host)."""
    return re.sub(r"(?<=://)([^:/@]+):[^@/]+@", r"\1:***@", uri)


def check_reachable(uri: str, attempts: int = 4, first_delay_s: float = 0.5) -> None:
    """For a tracking server, retry /health with exponential backoff, then fail with a clear error."""
    if not uri.startswith(("http://", "https://")):
        return
    import urllib.request

    delay, last = first_delay_s, None
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last = exc
        if attempt < attempts:
            log.info("MLflow server %s not reachable (attempt %d/%d); retrying in %.1f s",
                     redact(uri), attempt, attempts, delay)
            time.sleep(delay)
            delay *= 2
    raise StageError("tracking", f"the MLflow tracking server {redact(uri)} is unreachable after {attempts} "
                     f"attempts ({last})", "start the server, or unset MLFLOW_TRACKING_URI to use the local store")


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


def tracking_uri(root: Path) -> str:
    """MLFLOW_TRACKING_URI when set, else a SQLite file at the project root."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{(root / DEFAULT_STORE).resolve()}"


_READY: set[str] = set()


def configure(root: Path, experiment: str) -> str:
    """Point MLflow at the store and make sure the experiment exists; return its id.

    A SQLite store is created under a file lock beside it, so two runs starting on one fresh store do not
    create it at once: copied from the machine's store template (infra.store_template), else by MLflow's
    own schema migrations.
    """
    import mlflow

    with spent("tracking"):
        uri = tracking_uri(root)
        if not uri.startswith("sqlite:///") or uri in _READY:
            return _configure(mlflow, root, experiment)
        db = Path(uri.removeprefix("sqlite:///"))
        with exclusive(db.with_name(f".{db.name}.create.lock")):
            if not db.exists():
                from fairgate.adapters.infra.store_template import create_from_template

                create_from_template(db)
            found = _configure(mlflow, root, experiment)
        _READY.add(uri)
        return found


def _configure(mlflow, root: Path, experiment: str) -> str:
    uri = tracking_uri(root)
    mlflow.set_tracking_uri(uri)
    existing = mlflow.get_experiment_by_name(experiment)
    if existing is not None:
        if existing.tags.get(KIND_TAG) != MODEL_TRAINING:  # made before fairgate tagged its experiments
            mlflow.MlflowClient().set_experiment_tag(existing.experiment_id, KIND_TAG, MODEL_TRAINING)
        return existing.experiment_id
    location = (root / ARTIFACT_DIR).resolve().as_uri() if uri.startswith("sqlite:") else None
    try:
        return mlflow.create_experiment(experiment, artifact_location=location, tags={KIND_TAG: MODEL_TRAINING})
    except Exception:  # another process created it first
        found = mlflow.get_experiment_by_name(experiment)
        if found is None:
            raise
        return found.experiment_id


def runs_page(base_url: str, experiment_id: str) -> str:
    """The experiment's runs table in the MLflow UI. MLflow 3.17's UI navigates by a global workflow type,
    "genai" unless the URL (or the browser's last choice) says otherwise, and in 3.17.2 that wins over the
    experiment's kind tag; so the link names the model-training view itself."""
    return f"{base_url.rstrip('/')}/#/experiments/{experiment_id}/runs?workflowType=machine_learning"


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
