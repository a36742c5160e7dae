import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from fairgate.backends import load_backend
from fairgate.backends.torch_backend import resolve_device, resolve_precision
from fairgate.bundle import ModelBundle
from fairgate.errors import StageError
from fairgate.preprocess import encode_labels, fit_preprocessor, split


@pytest.fixture(scope="module")
def data(raw, schema, params):
    splits = split(raw, schema, params.preprocess)
    prep = fit_preprocessor(splits.train, schema)
    arrays = [prep.transform(splits.train), encode_labels(splits.train, schema),
              prep.transform(splits.val), encode_labels(splits.val, schema)]
    return prep, splits, arrays


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


def test_divergence_stops_with_a_message(data, params):
    _, _, (Xt, yt, Xv, yv) = data
    poisoned = Xt.copy()
    poisoned[0, 0] = np.inf
    with pytest.raises(StageError, match="diverged"):
        load_backend("torch").fit(poisoned, yt, Xv, yv, params.train)


def test_bundle_scores_raw_rows_after_a_save_load_round_trip(data, params, tmp_path):
    prep, splits, (Xt, yt, Xv, yv) = data
    result = load_backend("torch").fit(Xt, yt, Xv, yv, params.train.model_copy(update={"epochs": 2}))
    bundle = ModelBundle(prep, result.model, "torch")
    bundle.save(tmp_path / "b", n_features=Xt.shape[1], cfg=params.train)
    again = ModelBundle.load(tmp_path / "b")
    assert np.allclose(bundle.predict_proba(splits.test), again.predict_proba(splits.test), atol=1e-7)
    with pytest.raises(KeyError, match="hours_per_week"):
        again.predict_proba(splits.test.drop(columns=["hours_per_week"]))


def test_unknown_framework_is_rejected():
    with pytest.raises(ValueError, match="unknown train.framework"):
        load_backend("jax")
