"""The MLflow store: its address (a SQLite file at the project root, or a tracking server), its creation, and
the experiment the pipeline logs into."""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from fairgate.adapters.infra.locks import exclusive
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
