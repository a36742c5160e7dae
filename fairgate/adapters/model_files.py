"""The model bundle on disk: its preprocessor, its framework and its network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fairgate.adapters.backends import backend_files
from fairgate.core.bundle import ModelBundle
from fairgate.core.preprocess import Preprocessor

PREPROCESSOR = "preprocessor.json"
FRAMEWORK = "framework.json"


def save_bundle(bundle: ModelBundle, directory: Path, **backend_kwargs: Any) -> None:
    """Write the bundle into ``directory`` (callers make it atomic with ``files.atomic_dir``)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / PREPROCESSOR).write_text(bundle.preprocessor.to_json())
    (directory / FRAMEWORK).write_text(json.dumps({"framework": bundle.framework}))
    backend_files(bundle.framework).save(bundle.model, directory, **backend_kwargs)


def load_bundle(directory: Path) -> ModelBundle:
    framework = json.loads((directory / FRAMEWORK).read_text())["framework"]
    model = backend_files(framework).load(directory)
    return ModelBundle(Preprocessor.from_json((directory / PREPROCESSOR).read_text()), model, framework)
