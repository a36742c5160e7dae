"""A scikit-learn-style estimator on disk (pickled with joblib, beside a JSON note of its class and params) and
in MLflow (its sklearn flavor).

Loading a pickle runs code from the file: load only model bundles from a store you trust (docs/models.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from fairgate.core.config import TrainConfig

MODEL_FILE = "model.joblib"
ARCHITECTURE = "architecture.json"
# The packages whose estimators a bundle may hold; each is pinned in the model's environment when installed here.
PACKAGES = ("scikit-learn", "lightgbm", "xgboost-cpu", "xgboost")


def save(model: Any, directory: Path, n_features: int, cfg: TrainConfig) -> None:
    joblib.dump(model, directory / MODEL_FILE)
    arch = {"framework": "sklearn", "n_features": n_features, "estimator": describe(model),
            "estimator_params": {k: repr(v) for k, v in sorted(model.get_params().items())}}
    (directory / ARCHITECTURE).write_text(json.dumps(arch, indent=2))


def load(directory: Path) -> Any:
    return joblib.load(directory / MODEL_FILE)  # a pickle: see the module's note


def describe(model: Any) -> str:
    return f"{type(model).__module__.split('.')[0]}.{type(model).__name__}"


def pip_requirements() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    pins = []
    for package in PACKAGES:
        try:
            pins.append(f"{package}=={version(package)}")
        except PackageNotFoundError:
            continue
    return pins


def log_native(model: Any, example: np.ndarray) -> None:
    """Also log the bare estimator (encoded features in) with MLflow's sklearn flavor."""
    import mlflow.sklearn

    mlflow.sklearn.log_model(model, name="estimator", input_example=example, pip_requirements=pip_requirements(),
                             serialization_format="cloudpickle")
