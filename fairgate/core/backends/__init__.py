"""Training backends behind one interface; only the selected one is ever imported."""

from __future__ import annotations

import importlib
from types import ModuleType

from fairgate.core.train_config import TrainConfig

MODULES = {"torch": "fairgate.core.backends.torch_backend", "tensorflow": "fairgate.core.backends.keras_backend",
           "sklearn": "fairgate.core.backends.sklearn_backend"}


def load_backend(framework: str) -> ModuleType:
    """Import the backend module for ``framework``.

    Each exposes fit and predict_proba (their files and MLflow logging are in
    ``fairgate.adapters.backends``), so no caller ever branches on the framework, and the framework
    that is not selected is never imported.
    """
    if framework not in MODULES:
        raise ValueError(f"unknown train.framework '{framework}'; allowed: {sorted(MODULES)}")
    return importlib.import_module(MODULES[framework])


def accepts_sample_weight(cfg: TrainConfig) -> bool:
    """Whether the configured model can be trained on weighted rows (reweighing and reductions need it)."""
    if cfg.framework != "sklearn":
        return True
    from fairgate.core.classifier_contract import fit_accepts

    return fit_accepts(cfg.estimator, "sample_weight")
