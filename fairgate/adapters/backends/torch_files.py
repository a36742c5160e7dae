"""The torch network on disk (weights plus architecture) and in MLflow (its native flavor)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from fairgate.adapters.backends.network_copy import keep_network_file
from fairgate.core import network_file
from fairgate.core.backends.torch_backend import NETWORK_CONTRACT, build_model
from fairgate.core.config import TrainConfig

WEIGHTS = "model.pt"
ARCHITECTURE = "architecture.json"


def save(model: nn.Module, directory: Path, n_features: int, cfg: TrainConfig) -> None:
    """Write the weights and the architecture needed to rebuild the module."""
    torch.save(model.state_dict(), directory / WEIGHTS)
    arch = {"framework": "torch", "n_features": n_features, "hidden_sizes": cfg.hidden_sizes, "dropout": cfg.dropout,
            "network": keep_network_file(cfg, directory)}
    (directory / ARCHITECTURE).write_text(json.dumps(arch, indent=2))


def load(directory: Path) -> nn.Module:
    """Rebuild the module from ``save``'s files, on CPU, in eval mode."""
    arch = json.loads((directory / ARCHITECTURE).read_text())
    if arch.get("network"):  # the user's own network, rebuilt from the copy of its file kept in the bundle
        model = network_file.build(arch["network"], arch["n_features"], nn.Module, NETWORK_CONTRACT, root=directory)
    else:
        model = build_model(arch["n_features"], arch["hidden_sizes"], arch["dropout"])
    model.load_state_dict(torch.load(directory / WEIGHTS, map_location="cpu", weights_only=True))
    return model.eval()


def pip_requirements() -> list[str]:
    return [f"torch=={torch.__version__.split('+')[0]}"]


def log_native(model: nn.Module, example: np.ndarray) -> None:
    """Also log the bare network (encoded features in, logits out) with MLflow's PyTorch flavor."""
    import mlflow.pytorch

    mlflow.pytorch.log_model(model, name="network", input_example=np.ascontiguousarray(example),
                             pip_requirements=pip_requirements())
