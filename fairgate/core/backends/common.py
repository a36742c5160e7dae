"""What every backend returns and shares; imports no framework."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fairgate.core.errors import StageError


@dataclass
class FitResult:
    model: Any
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    device: str = "cpu"
    precision: str = "fp32"
    samples_per_s: float = 0.0


EpochCallback = Callable[[dict[str, float]], None] | None

# Rows a network scores at once. Scoring a multiple of it at a time meets the same batches, so the same numbers.
PREDICT_BATCH = 65536


def choose_device(requested: str, gpu_available: bool) -> str:
    """Map ``train.device`` to 'cuda' or 'cpu', failing before training when a GPU is asked for but absent."""
    if requested == "cuda" and not gpu_available:
        raise StageError("train", "train.device is 'cuda' but no CUDA device is visible",
                         "set train.device to 'auto' or 'cpu', or run on a machine with a GPU")
    return "cuda" if requested == "cuda" or (requested == "auto" and gpu_available) else "cpu"


def diverged(epoch: int, loss: float) -> StageError:
    return StageError("train", f"training diverged at epoch {epoch} (loss is {loss})",
                      "lower train.learning_rate or check the processed data for extreme values")
