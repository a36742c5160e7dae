"""Any scikit-learn-style classifier (``train.estimator``, built with ``train.estimator_params``), with the
contract the network backends keep: encoded rows in, the positive class's probability out.

Early stopping uses fairgate's validation split where the estimator can take one: ``X_val``/``y_val`` in
``fit`` (scikit-learn's histogram gradient boosting) or an ``eval_set`` (LightGBM, XGBoost).
"""

from __future__ import annotations

import inspect
import shutil
import time
from typing import Any

import numpy as np

from fairgate.core.backends.common import PREDICT_BATCH, EpochCallback, FitResult, choose_device
from fairgate.core.classifier_contract import estimator_class
from fairgate.core.config import TrainConfig


def _gpu_visible() -> bool:
    return shutil.which("nvidia-smi") is not None


def build(cfg: TrainConfig) -> tuple[Any, str]:
    """A fresh estimator, seeded with ``train.seed`` where it takes a seed, and the device it will use."""
    cls = estimator_class(cfg.estimator)
    defaults = cls().get_params()
    params = dict(cfg.estimator_params)
    if "random_state" in defaults:
        params.setdefault("random_state", cfg.seed)
    device = "cpu"
    if "device" in defaults and cls.__module__.startswith("xgboost"):
        device = choose_device(cfg.device, _gpu_visible())
        params.setdefault("device", device)
    if cls.__module__.startswith("lightgbm"):
        params.setdefault("verbose", -1)  # a keyword its constructor passes on to the booster: no [Info] lines
    return cls(**params), device


def _early_stopping(estimator: Any, X_val: np.ndarray, y_val: np.ndarray, cfg: TrainConfig) -> dict[str, Any]:
    """The extra ``fit`` arguments that make the estimator stop early on fairgate's validation rows."""
    accepted = inspect.signature(type(estimator).fit).parameters
    if "X_val" in accepted:
        if estimator.get_params().get("early_stopping") == "auto":
            estimator.set_params(early_stopping=True)
        return {"X_val": X_val, "y_val": y_val}
    if "eval_set" not in accepted and "eval_X" not in accepted:
        return {}
    module = type(estimator).__module__
    if module.startswith("lightgbm"):
        import lightgbm

        stop = [lightgbm.early_stopping(cfg.early_stopping_rounds, verbose=False)]
        if "eval_X" in accepted:  # LightGBM 4.7 deprecates eval_set for these
            return {"eval_X": X_val, "eval_y": y_val, "callbacks": stop}
        return {"eval_set": [(X_val, y_val)], "callbacks": stop}
    if module.startswith("xgboost"):
        if estimator.get_params().get("early_stopping_rounds") is None:
            estimator.set_params(early_stopping_rounds=cfg.early_stopping_rounds)
        return {"eval_set": [(X_val, y_val)], "verbose": False}
    return {"eval_set": [(X_val, y_val)]}


def _log_loss(model: Any, X: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(predict_proba(model, X), 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _rounds(model: Any) -> int:
    """Boosting rounds kept (the best iteration when early stopping chose one), else 1."""
    for name in ("best_iteration_", "best_iteration", "n_iter_"):
        value = getattr(model, name, None)
        if isinstance(value, int | np.integer) and value > 0:
            return int(value) + (name != "n_iter_")
    return 1


def fit(X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, cfg: TrainConfig,
        on_epoch: EpochCallback = None, sample_weight: np.ndarray | None = None) -> FitResult:
    """Fit the configured estimator; one history record (its training and validation log loss)."""
    estimator, device = build(cfg)
    extra = _early_stopping(estimator, X_val, y_val, cfg)
    if sample_weight is not None:
        extra["sample_weight"] = np.asarray(sample_weight, dtype=np.float64)
    started = time.perf_counter()
    estimator.fit(X_train, np.asarray(y_train).astype(int), **extra)
    seconds = time.perf_counter() - started
    record = {"epoch": 1, "train_loss": _log_loss(estimator, X_train, y_train),
              "val_loss": _log_loss(estimator, X_val, y_val)}
    if on_epoch:
        on_epoch(record)
    return FitResult(model=estimator, history=[record], best_epoch=_rounds(estimator), device=device,
                     precision="fp32" if device == "cuda" else "fp64",
                     samples_per_s=len(X_train) / seconds if seconds else 0.0)


def predict_proba(model: Any, X: np.ndarray, batch: int = PREDICT_BATCH) -> np.ndarray:
    """Probability of the positive class (label 1) for each row of the encoded matrix."""
    column = list(model.classes_).index(1) if 1 in list(model.classes_) else -1
    parts = [model.predict_proba(X[start:start + batch])[:, column] for start in range(0, len(X), batch)]
    return np.concatenate(parts).astype(np.float64) if parts else np.zeros(0)
