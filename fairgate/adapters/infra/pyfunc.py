"""The MLflow pyfunc face of a ModelBundle: raw rows in, positive-class probabilities out."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from fairgate.adapters.model_files import load_bundle

PACKAGE_DIR = Path(__file__).resolve().parents[2]  # the whole fairgate package travels with the model
UNSEEN_CATEGORIES_ENV = "FAIRGATE_UNSEEN_CATEGORIES"


class RowsNotScored(MlflowException):
    """A 400 whose message stays what fairgate said: MLflow's server would put the whole request before it
    (``Failed to predict data '<every row>'. Error: ...``), burying the column and the row at the end."""

    def __init__(self, message: str) -> None:
        super().__init__(message, error_code=INVALID_PARAMETER_VALUE)

    @property
    def message(self) -> str:
        return self._said

    @message.setter
    def message(self, value: str) -> None:
        if not hasattr(self, "_said"):  # the first message is fairgate's; later rewrites are ignored
            self._said = value


class FairgateModel(mlflow.pyfunc.PythonModel):
    """Loads the bundle (preprocessor plus backend weights) and returns P(positive) per row."""

    def load_context(self, context: Any) -> None:
        self.bundle = load_bundle(Path(context.artifacts["bundle"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: dict | None = None) -> pd.Series:
        from fairgate.core.input_policy import check_rows

        try:
            # The row policy `fairgate score` applies too; `fairgate serve-model` passes score.unseen_categories.
            check_rows(model_input, self.bundle.preprocessor, self.bundle.inputs,
                       os.environ.get(UNSEEN_CATEGORIES_ENV, "error"))
            return pd.Series(self.bundle.predict_proba(model_input), name="probability")
        except (KeyError, ValueError, TypeError) as exc:
            # The request's rows are at fault (a missing column, text where a number belongs): a 400 that
            # says which, first, not a 500, from MLflow's model server.
            raise RowsNotScored(f"{str(exc).strip(chr(39))} (fairgate did not score these rows)") from None


def requirements(framework_requirements: list[str]) -> list[str]:
    """Explicit pins (inferring them costs ~12 s per model)."""
    pins = [f"{name}=={version(name)}" for name in ("mlflow", "pandas", "numpy", "pyarrow")]
    return pins + framework_requirements


def log_bundle(bundle_dir: Path, example: pd.DataFrame, framework_requirements: list[str]) -> Any:
    """Log the bundle as the run's pyfunc model with a signature, an input example and explicit pins."""
    from mlflow.models import infer_signature

    bundle = load_bundle(bundle_dir)
    signature = infer_signature(example, pd.Series(bundle.predict_proba(example), name="probability"))
    signature.inputs = _checked_by_fairgate(signature.inputs, bundle.preprocessor.numeric)
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


def _checked_by_fairgate(inputs: Any, numeric: list[str]) -> Any:
    """The input schema with every column optional and numbers of any type: MLflow's own enforcement would
    refuse a missing column in a long message that names it last, and cast a missing integer with pandas'
    IntCastingNaNError; the row policy (``core.input_policy``) says what is wrong, column and row first."""
    from mlflow.types.schema import AnyType, ColSpec, Schema

    return Schema([ColSpec(AnyType() if spec.name in numeric else spec.type, spec.name, required=False)
                   for spec in inputs.inputs])


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
