"""Training backends behind one interface; only the selected one is ever imported."""

from __future__ import annotations

import importlib
from types import ModuleType

_MODULES = {"torch": "fairgate.core.backends.torch_backend", "tensorflow": "fairgate.core.backends.keras_backend"}


def load_backend(framework: str) -> ModuleType:
    """Import the backend module for ``framework``.

    Each exposes fit and predict_proba (their files and MLflow logging are in
    ``fairgate.adapters.backends``), so no caller ever branches on the framework, and the framework
    that is not selected is never imported.
    """
    if framework not in _MODULES:
        raise ValueError(f"unknown train.framework '{framework}'; allowed: {sorted(_MODULES)}")
    return importlib.import_module(_MODULES[framework])
