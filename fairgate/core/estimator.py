"""fairgate's own network as a scikit-learn estimator, so that fairlearn's reductions can train it unchanged.

It follows the estimator contract (``fit(X, y, sample_weight=None)``, ``predict``, ``predict_proba``,
``get_params``): X is the encoded matrix preprocess writes, and early stopping uses a seeded tenth of
the rows it is given, so fitting never needs rows from outside ``fit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from fairgate.core.backends import load_backend
from fairgate.core.config import TrainConfig


class FairgateClassifier(ClassifierMixin, BaseEstimator):
    """The configured backend's MLP behind scikit-learn's classifier interface."""

    def __init__(self, framework: str = "torch", train: dict[str, Any] | None = None, holdout: float = 0.1) -> None:
        self.framework = framework
        self.train = train
        self.holdout = holdout

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> FairgateClassifier:
        cfg = TrainConfig(**(self.train or {}))
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y).astype(np.int8)
        rows = np.random.default_rng(cfg.seed).permutation(len(X))
        cut = max(1, int(len(X) * self.holdout))
        val, fit_rows = rows[:cut], rows[cut:]
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32)[fit_rows]
        result = load_backend(self.framework).fit(X[fit_rows], y[fit_rows], X[val], y[val], cfg,
                                                  sample_weight=weights)
        self.model_ = result.model
        self.classes_ = np.array([0, 1])
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        positive = load_backend(self.framework).predict_proba(self.model_, np.asarray(X, dtype=np.float32))
        return np.column_stack([1.0 - positive, positive])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


@dataclass
class Ensemble:
    """A weighted vote of networks (what fairlearn's ExponentiatedGradient returns): the probability of a
    positive decision is the weight of the members that decide positive, as the randomised classifier
    would draw them."""

    members: list[Any]
    weights: list[float]

    def positive_share(self, framework: str, X: np.ndarray) -> np.ndarray:
        backend = load_backend(framework)
        votes = [(backend.predict_proba(m, X) >= 0.5).astype(np.float64) for m in self.members]
        return np.average(np.vstack(votes), axis=0, weights=self.weights)
