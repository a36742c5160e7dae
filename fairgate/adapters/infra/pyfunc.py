"""The MLflow pyfunc face of a ModelBundle: raw rows in, positive-class probabilities out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

from fairgate.adapters.model_files import load_bundle

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # the whole fairgate package travels with the model


class FairgateModel(mlflow.pyfunc.PythonModel):
    """Loads the bundle (preprocessor plus backend weights) and returns P(positive) per row."""

    def load_context(self, context: Any) -> None:
        self.bundle = load_bundle(Path(context.artifacts["bundle"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.Series:
        try:
            return pd.Series(self.bundle.predict_proba(model_input), name="probability")
        except (KeyError, ValueError, TypeError) as exc:
            # The request's rows are at fault (a missing column, text where a number belongs): a 400 that
            # says which, not a 500, from MLflow's model server.
            from mlflow.exceptions import MlflowException
            from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

            raise MlflowException(f"fairgate could not score these rows: {exc}",
                                  error_code=INVALID_PARAMETER_VALUE) from None


def requirements(framework_requirements: list[str]) -> list[str]:
    """Explicit pins (inferring them costs ~12 s per model)."""
    pins = [f"{name}=={version(name)}" for name in ("mlflow", "pandas", "numpy", "pyarrow")]
    return pins + framework_requirements


def log_bundle(bundle_dir: Path, example: pd.DataFrame, framework_requirements: list[str]) -> Any:
    """Log the bundle as the run's pyfunc model with a signature, an input example and explicit pins."""
    from mlflow.models import infer_signature

    bundle = load_bundle(bundle_dir)
    signature = infer_signature(example, pd.Series(bundle.predict_proba(example), name="probability"))
    with _pins_taken_as_installed():
        return mlflow.pyfunc.log_model(
            name="model",
            python_model=FairgateModel(),
            artifacts={"bundle": str(bundle_dir)},
            code_paths=[str(PACKAGE_DIR)],
            signature=signature,
            input_example=example,
            pip_requirements=requirements(framework_requirements),
        )


@contextmanager
def _pins_taken_as_installed() -> Iterator[None]:
    """Skip MLflow's check that the model's pip requirements match the installed packages.

    The check (on saving the model, and again on loading it to validate the input example) first maps every
    installed distribution to its modules, about half a second of a cold run's model logging. Every pin
    fairgate passes is read from this environment (``requirements`` and the backends' ``pip_requirements``),
    so the check could only ever pass.
    """
    import mlflow.utils.environment

    name = "warn_dependency_requirement_mismatches"
    modules = [module for module in (mlflow.utils.environment, mlflow.pyfunc) if hasattr(module, name)]
    checks = [getattr(module, name) for module in modules]
    for module in modules:
        setattr(module, name, lambda _requirements: None)
    try:
        yield
    finally:
        for module, check in zip(modules, checks, strict=True):
            setattr(module, name, check)
