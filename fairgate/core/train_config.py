"""The ``train`` section of params.yaml."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class TrainConfig(BaseModel):
    """How the candidate is trained: fairgate's network (torch or tensorflow) or any scikit-learn-style
    classifier (``framework: sklearn`` with ``estimator`` and ``estimator_params``; docs/models.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    framework: Literal["torch", "tensorflow", "sklearn"] = "torch"
    estimator: str = "sklearn.ensemble.HistGradientBoostingClassifier"  # framework: sklearn only
    estimator_params: dict[str, Any] = Field(default_factory=dict)
    early_stopping_rounds: int = Field(50, ge=1)  # boosting rounds without a better validation loss
    network: str | None = None  # torch or tensorflow: networks/FILE.py:CALLABLE instead of fairgate's MLP
    device: Literal["auto", "cpu", "cuda"] = "auto"
    hidden_sizes: list[int] = Field(default_factory=lambda: [64, 32], min_length=1)
    dropout: float = Field(0.1, ge=0.0, lt=1.0)
    learning_rate: float = Field(0.002, gt=0.0, le=1.0)
    batch_size: int = Field(512, ge=1)
    epochs: int = Field(15, ge=1)
    patience: int = Field(3, ge=1)
    seed: int = 42
    log_native: bool = False  # also log the bare network in its MLflow flavor (~1 s a run)
    cuda_graph: bool = True  # on CUDA, replay each full batch's step as one captured graph

    @model_validator(mode="after")
    def _estimator_usable(self) -> TrainConfig:
        if self.network is not None:
            from fairgate.core.network_file import spec_problem

            problem = spec_problem(self.network) or (
                "train.network is for the torch and tensorflow backends; with framework: sklearn set "
                "train.estimator" if self.framework == "sklearn" else None)
            if problem:
                raise ValueError(problem)
        if self.framework == "sklearn":  # imported only then: the class's package may be slow to import
            from fairgate.core.classifier_contract import check_params

            check_params(self.estimator, self.estimator_params)
        return self


def model_label(cfg: TrainConfig) -> str | None:
    """The estimator's short name (``HistGradientBoosting``) for a scikit-learn-style model; None for fairgate's
    own network."""
    if cfg.framework != "sklearn":
        return None
    return cfg.estimator.rsplit(".", 1)[-1].removesuffix("Classifier") or cfg.estimator


TREE_PACKAGES = ("lightgbm.", "xgboost.", "catboost.")
TREE_NAMES = ("Tree", "Forest", "Boosting")


def tree_model(cfg: TrainConfig) -> bool:
    """Whether the configured model splits on thresholds (it reads category codes as well as one-hot columns)."""
    if cfg.framework != "sklearn":
        return False
    name = cfg.estimator.rsplit(".", 1)[-1]
    return cfg.estimator.startswith(TREE_PACKAGES) or any(word in name for word in TREE_NAMES)
