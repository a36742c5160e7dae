"""The model bundle on disk: its preprocessor, its framework, its network (or an ensemble of them, each in
``member-<i>/`` with ``ensemble.json`` holding the weights), and any group thresholds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fairgate.adapters.backends import backend_files
from fairgate.core.bundle import ModelBundle
from fairgate.core.estimator import Ensemble
from fairgate.core.mitigation.thresholds import GroupThresholds
from fairgate.core.preprocess import Preprocessor

PREPROCESSOR = "preprocessor.json"
FRAMEWORK = "framework.json"
THRESHOLDS = "thresholds.json"
ENSEMBLE = "ensemble.json"


def save_bundle(bundle: ModelBundle, directory: Path, **backend_kwargs: Any) -> None:
    """Write the bundle into ``directory`` (callers make it atomic with ``files.atomic_dir``).

    ``backend_kwargs`` (``n_features``, ``cfg``) are what the backend needs to rebuild a network.
    """
    directory.mkdir(parents=True, exist_ok=True)
    (directory / PREPROCESSOR).write_text(bundle.preprocessor.to_json())
    (directory / FRAMEWORK).write_text(json.dumps({"framework": bundle.framework}))
    files = backend_files(bundle.framework)
    if isinstance(bundle.model, Ensemble):
        (directory / ENSEMBLE).write_text(json.dumps({"weights": bundle.model.weights}))
        for i, member in enumerate(bundle.model.members):
            (directory / f"member-{i}").mkdir()
            files.save(member, directory / f"member-{i}", **backend_kwargs)
    else:
        files.save(bundle.model, directory, **backend_kwargs)
    if bundle.thresholds is not None:
        (directory / THRESHOLDS).write_text(json.dumps(bundle.thresholds.to_dict(), indent=2, sort_keys=True))


def load_bundle(directory: Path) -> ModelBundle:
    framework = json.loads((directory / FRAMEWORK).read_text())["framework"]
    files = backend_files(framework)
    if (directory / ENSEMBLE).exists():
        weights = json.loads((directory / ENSEMBLE).read_text())["weights"]
        model: Any = Ensemble([files.load(directory / f"member-{i}") for i in range(len(weights))], weights)
    else:
        model = files.load(directory)
    thresholds = (GroupThresholds.from_dict(json.loads((directory / THRESHOLDS).read_text()))
                  if (directory / THRESHOLDS).exists() else None)
    return ModelBundle(Preprocessor.from_json((directory / PREPROCESSOR).read_text()), model, framework, thresholds)
