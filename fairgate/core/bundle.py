"""The model contract: raw feature rows in, positive-class probabilities out, preprocessing bundled."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.backends import load_backend
from fairgate.core.preprocess import Preprocessor

PREPROCESSOR = "preprocessor.json"
FRAMEWORK = "framework.json"


@dataclass
class ModelBundle:
    preprocessor: Preprocessor
    model: Any
    framework: str

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Score raw rows (the raw columns, in any order, extra columns ignored)."""
        missing = [c for c in self.preprocessor.numeric + self.preprocessor.categorical if c not in frame.columns]
        if missing:
            raise KeyError(f"input rows lack the model's feature columns {missing}")
        encoded = self.preprocessor.transform(frame)
        return load_backend(self.framework).predict_proba(self.model, encoded)

    def save(self, directory: Path, **backend_kwargs: Any) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.preprocessor.save(directory / PREPROCESSOR)
        (directory / FRAMEWORK).write_text(json.dumps({"framework": self.framework}))
        load_backend(self.framework).save(self.model, directory, **backend_kwargs)

    @classmethod
    def load(cls, directory: Path) -> ModelBundle:
        framework = json.loads((directory / FRAMEWORK).read_text())["framework"]
        model = load_backend(framework).load(directory)
        return cls(Preprocessor.load(directory / PREPROCESSOR), model, framework)
