"""Each backend's files and MLflow logging: save, load, pip requirements and its native flavor.

The counterpart of ``fairgate.core.backends`` (fit, predict); only the selected framework is imported.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_MODULES = {"torch": "fairgate.adapters.backends.torch_files", "tensorflow": "fairgate.adapters.backends.keras_files",
            "sklearn": "fairgate.adapters.backends.sklearn_files"}


def backend_files(framework: str) -> ModuleType:
    """The module with save, load, pip_requirements and log_native for ``framework``."""
    if framework not in _MODULES:
        raise ValueError(f"unknown train.framework '{framework}'; allowed: {sorted(_MODULES)}")
    return importlib.import_module(_MODULES[framework])
