"""The model contract: raw feature rows in, positive-class probabilities out, preprocessing bundled.

A mitigated model keeps the contract: an ensemble (from a reduction) answers with the weight of its
members that decide positive, and group thresholds (post-processing) remap each row's probability so
that its group's threshold lands on 0.5, the decision threshold evaluate and serving use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.backends import load_backend
from fairgate.core.estimator import Ensemble
from fairgate.core.mitigation.thresholds import GroupThresholds, group_labels
from fairgate.core.preprocess import Preprocessor


@dataclass
class ModelBundle:
    preprocessor: Preprocessor
    model: Any
    framework: str
    thresholds: GroupThresholds | None = None

    @property
    def inputs(self) -> list[str]:
        """The raw columns the model reads (group thresholds read their sensitive columns too)."""
        columns = self.preprocessor.numeric + self.preprocessor.categorical
        return list(dict.fromkeys(columns + (self.threshold_features if self.thresholds else [])))

    @property
    def threshold_features(self) -> list[str]:
        feature = self.thresholds.feature if self.thresholds else []
        return [feature] if isinstance(feature, str) else list(feature)

    def model_proba(self, encoded: np.ndarray) -> np.ndarray:
        """The model's probability for encoded rows, before any group thresholds."""
        if isinstance(self.model, Ensemble):
            return self.model.positive_share(self.framework, encoded)
        return load_backend(self.framework).predict_proba(self.model, encoded)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Score raw rows (the raw columns, in any order, extra columns ignored)."""
        missing = [c for c in self.inputs if c not in frame.columns]
        if missing:
            raise KeyError(f"input rows lack the model's feature columns {missing}")
        proba = self.model_proba(self.preprocessor.transform(frame))
        if self.thresholds is not None:
            proba = self.thresholds.adjust(proba, group_labels(frame, self.threshold_features))
        return proba
