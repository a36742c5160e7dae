"""The model contract: raw feature rows in, positive-class probabilities out, preprocessing bundled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.backends import load_backend
from fairgate.core.preprocess import Preprocessor


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
