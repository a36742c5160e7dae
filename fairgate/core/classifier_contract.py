"""scikit-learn's classifier contract, checked before anything is trained: can ``train.estimator`` be imported,
is it a classifier, and are ``train.estimator_params`` its parameters, with values it accepts."""

from __future__ import annotations

import importlib
import inspect
from typing import Any


class EstimatorError(ValueError):
    """``train.estimator`` or ``train.estimator_params`` cannot make a classifier."""


def estimator_class(path: str) -> type:
    """The class ``path`` names (``package.module.Class``), checked to follow scikit-learn's classifier contract."""
    module_name, _, class_name = path.rpartition(".")
    if not module_name:
        raise EstimatorError(f"train.estimator '{path}' is not a dotted path such as "
                             "sklearn.ensemble.HistGradientBoostingClassifier")
    try:
        found = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise EstimatorError(f"train.estimator '{path}' cannot be imported ({exc}); install its package or fix "
                             "the name, e.g. sklearn.ensemble.HistGradientBoostingClassifier") from None
    missing = [m for m in ("fit", "predict_proba", "get_params", "set_params") if not callable(getattr(found, m, None))]
    if not isinstance(found, type) or missing:
        raise EstimatorError(f"train.estimator '{path}' is not a scikit-learn-style classifier (it lacks "
                             f"{', '.join(missing) or 'a class'}); give a class with fit, predict_proba and get_params")
    return found


def check_params(path: str, params: dict[str, Any]) -> None:
    """Every key of ``train.estimator_params`` must be one of the estimator's parameters."""
    cls = estimator_class(path)
    valid = sorted(cls().get_params())
    unknown = [key for key in params if key not in valid]
    if unknown:
        raise EstimatorError(f"train.estimator_params.{unknown[0]} is not a parameter of {path}; its parameters: "
                             f"{', '.join(valid)}")
    check_values = getattr(cls(**params), "_validate_params", None) if hasattr(cls, "_parameter_constraints") else None
    if check_values is not None:
        try:
            check_values()
        except (ValueError, TypeError) as exc:
            raise EstimatorError(f"train.estimator_params: {exc}") from None


def fit_accepts(path: str, argument: str) -> bool:
    return argument in inspect.signature(estimator_class(path).fit).parameters
