import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fairgate.core.backends import load_backend
from fairgate.core.errors import StageError

keras_backend = pytest.importorskip("fairgate.core.backends.keras_backend")


def test_device_and_precision_resolution():
    assert keras_backend.resolve_device("auto", gpu_available=False) == "cpu"
    assert keras_backend.resolve_device("auto", gpu_available=True) == "cuda"
    with pytest.raises(StageError, match="train.device is 'cuda'"):
        keras_backend.resolve_device("cuda", gpu_available=False)
    assert keras_backend.resolve_precision("cuda") == "mixed_float16"
    assert keras_backend.resolve_precision("cpu") == "fp32"


def test_training_learns_is_seeded_and_logs_every_epoch(data, params):
    backend = load_backend("tensorflow")
    _, _, (Xt, yt, Xv, yv) = data
    first = backend.fit(Xt, yt, Xv, yv, params.train)
    second = backend.fit(Xt, yt, Xv, yv, params.train)
    p1, p2 = backend.predict_proba(first.model, Xv), backend.predict_proba(second.model, Xv)
    assert np.allclose(p1, p2, atol=1e-6)
    assert roc_auc_score(yv, p1) > 0.8
    assert [h["epoch"] for h in first.history] == list(range(1, len(first.history) + 1))
    assert first.samples_per_s > 0 and first.device == "cpu"


