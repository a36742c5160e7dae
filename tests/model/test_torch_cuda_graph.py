"""On a CUDA device the torch backend replays each full batch's training step as one captured graph. It must
train as the eager step does, and the steps the capture needs beforehand must leave no trace. CI has no GPU,
so these skip there; run them on a GPU machine (`pytest tests/model/test_torch_cuda_graph.py`)."""

import numpy as np
import pytest
import torch

from bench.throughput import _data
from fairgate.core.backends import torch_backend
from fairgate.core.config import TrainConfig

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason="needs a CUDA device: the captured step exists only on a GPU")


def test_capturing_the_step_leaves_the_weights_the_optimizer_and_the_dropout_masks_as_they_were():
    model = torch_backend.build_model(12, [32, 16], 0.1).cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.002, fused=True, capturable=True)
    before = [p.detach().clone() for p in model.parameters()]
    rng = torch.cuda.get_rng_state()
    torch_backend.GraphedStep(model, optimizer, 256, 12, weighted=False,
                              autocast=lambda: torch.autocast("cuda", dtype=torch.bfloat16, cache_enabled=False))
    assert all(torch.equal(p, b) for p, b in zip(model.parameters(), before, strict=True))
    assert all(not torch.is_tensor(v) or not v.any() for state in optimizer.state.values() for v in state.values())
    assert torch.equal(torch.cuda.get_rng_state(), rng)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_the_captured_step_trains_as_the_eager_step_does(weighted):
    X, y, Xv, yv = _data(60_000, width=12, seed=3)
    w = np.random.default_rng(3).uniform(0.5, 2.0, size=len(X)).astype(np.float32)
    cfg = TrainConfig(epochs=3, patience=4, batch_size=512, dropout=0.0, hidden_sizes=[32, 16], device="cuda")
    graphed = torch_backend.fit(X, y, Xv, yv, cfg, sample_weight=w if weighted else None)
    eager = torch_backend.fit(X, y, Xv, yv, cfg.model_copy(update={"cuda_graph": False}),
                              sample_weight=w if weighted else None)
    assert torch_backend.use_cuda_graph(cfg, "cuda", graphed.precision, len(X))
    assert graphed.history[-1]["val_loss"] < 0.5  # it learned (a coin flip is 0.69)
    for ours, theirs in zip(graphed.history, eager.history, strict=True):
        assert ours["train_loss"] == pytest.approx(theirs["train_loss"], abs=2e-3)
        assert ours["val_loss"] == pytest.approx(theirs["val_loss"], abs=2e-3)
    np.testing.assert_allclose(torch_backend.predict_proba(graphed.model, Xv),
                               torch_backend.predict_proba(eager.model, Xv), atol=0.02)
