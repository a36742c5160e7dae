import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fairgate.core.backends import load_backend
from fairgate.core.backends.torch_backend import resolve_device, resolve_precision
from fairgate.core.errors import StageError


def test_device_resolution():
    assert resolve_device("auto", cuda_available=False) == "cpu"
    assert resolve_device("auto", cuda_available=True) == "cuda"
    assert resolve_device("cpu", cuda_available=True) == "cpu"
    with pytest.raises(StageError, match="train.device is 'cuda'"):
        resolve_device("cuda", cuda_available=False)


def test_precision_resolution():
    assert resolve_precision("cpu") == "fp32"
    assert resolve_precision("cuda", bf16_supported=True) == "bf16"
    assert resolve_precision("cuda", bf16_supported=False) == "fp16"


def test_the_step_is_captured_as_a_cuda_graph_only_on_cuda_without_loss_scaling_and_with_batches_to_spare():
    from fairgate.core.backends.torch_backend import use_cuda_graph
    from fairgate.core.config import TrainConfig

    cfg = TrainConfig(batch_size=512)
    assert use_cuda_graph(cfg, "cuda", "bf16", rows=100_000)
    assert use_cuda_graph(cfg, "cuda", "fp32", rows=100_000)
    assert not use_cuda_graph(cfg, "cpu", "fp32", rows=100_000)
    assert not use_cuda_graph(cfg, "cuda", "fp16", rows=100_000)  # GradScaler's scale changes between steps
    assert not use_cuda_graph(cfg, "cuda", "bf16", rows=2_000)  # too few full batches to pay for the capture
    assert not use_cuda_graph(cfg.model_copy(update={"cuda_graph": False}), "cuda", "bf16", rows=100_000)


def test_training_learns_and_is_seeded(data, params):
    backend = load_backend("torch")
    _, _, (Xt, yt, Xv, yv) = data
    first = backend.fit(Xt, yt, Xv, yv, params.train)
    second = backend.fit(Xt, yt, Xv, yv, params.train)
    p1, p2 = backend.predict_proba(first.model, Xv), backend.predict_proba(second.model, Xv)
    assert np.array_equal(p1, p2)
    assert roc_auc_score(yv, p1) > 0.8
    assert first.history[0]["val_loss"] > min(h["val_loss"] for h in first.history)


def test_early_stopping_stops_before_max_epochs(data, params):
    _, _, (Xt, yt, Xv, yv) = data
    cfg = params.train.model_copy(update={"epochs": 200, "patience": 1, "learning_rate": 0.05})
    result = load_backend("torch").fit(Xt, yt, Xv, yv, cfg)
    assert len(result.history) < 200
    assert result.best_epoch <= len(result.history)


def test_unknown_framework_is_rejected():
    with pytest.raises(ValueError, match="unknown train.framework"):
        load_backend("jax")


@pytest.mark.parametrize("weighted", [False, True])
def test_gathering_rows_block_by_block_trains_exactly_as_one_gather_per_epoch(data, params, monkeypatch, weighted):
    """The shuffled copy of the training rows is a block of batches, not the whole set; the batches, and so
    the trained model, are the same as with one gather per epoch."""
    import torch

    from fairgate.core.backends import torch_backend

    _, _, (Xt, yt, Xv, yv) = data
    cfg = params.train.model_copy(update={"epochs": 2, "batch_size": 64})
    weights = np.random.default_rng(0).uniform(0.5, 2.0, len(Xt)) if weighted else None
    states = []
    for batches_per_gather in (len(Xt), 3):  # the whole epoch at once, then blocks that do not divide it
        monkeypatch.setattr(torch_backend, "GATHER_BATCHES", batches_per_gather)
        model = torch_backend.fit(Xt, yt, Xv, yv, cfg, sample_weight=weights).model
        states.append(model.state_dict())
    assert all(torch.equal(states[0][key], states[1][key]) for key in states[0])


def test_a_step_that_cannot_be_captured_stops_training_with_the_setting_that_avoids_it(data, params, monkeypatch):
    # capture failing on a user's driver cannot be caused on this CPU-only machine: both the choice and the
    # failure are simulated; the optimizer and the rest are real
    from fairgate.core.backends import torch_backend

    def cannot_capture(*_args):
        raise RuntimeError("operation not permitted when stream is capturing")

    monkeypatch.setattr(torch_backend, "use_cuda_graph", lambda *_args: True)
    monkeypatch.setattr(torch_backend, "GraphedStep", cannot_capture)
    _, _, (X, y, Xv, yv) = data
    with pytest.raises(StageError, match="CUDA graph failed: operation not permitted") as raised:
        torch_backend.fit(X, y, Xv, yv, params.train.model_copy(update={"device": "cpu"}))
    assert "train.cuda_graph to false" in raised.value.fix
