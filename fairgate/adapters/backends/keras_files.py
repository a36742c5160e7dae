"""The Keras network on disk (its .keras file plus architecture) and in MLflow (its native flavor)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fairgate.adapters.backends.network_copy import keep_network_file
from fairgate.core.backends import keras_backend  # sets the Keras backend before keras is imported
from fairgate.core.config import TrainConfig

keras = keras_backend.keras
MODEL_FILE = "model.keras"
ARCHITECTURE = "architecture.json"


def save(model, directory: Path, n_features: int, cfg: TrainConfig) -> None:
    model.save(directory / MODEL_FILE)
    arch = {"framework": "tensorflow", "n_features": n_features, "hidden_sizes": cfg.hidden_sizes,
            "dropout": cfg.dropout, "network": keep_network_file(cfg, directory)}  # the .keras file rebuilds it
    (directory / ARCHITECTURE).write_text(json.dumps(arch, indent=2))


def load(directory: Path):
    return keras.models.load_model(directory / MODEL_FILE, compile=False)


def pip_requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    try:
        tensorflow = f"tensorflow-cpu=={version('tensorflow-cpu')}"
    except PackageNotFoundError:
        tensorflow = f"tensorflow=={version('tensorflow')}"
    return [tensorflow, f"keras=={keras.__version__}"]


def log_native(model, example: np.ndarray) -> None:
    """Also log the bare network (encoded features in, probability out) with MLflow's TensorFlow flavor."""
    import mlflow.tensorflow

    mlflow.tensorflow.log_model(model, name="network", input_example=example, pip_requirements=pip_requirements())
