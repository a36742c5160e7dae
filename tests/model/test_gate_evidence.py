"""Behavioural evidence that the gate is statistically sound, on real trained models.

(a) noise: retraining the same config with other seeds does not look like progress in superiority mode;
(b) bias: data generated with bias=1 is rejected by the demographic-parity ceiling for every seed.
"""

import numpy as np
import pytest

from bench.modeldata import prepare
from fairgate.core.backends import load_backend
from fairgate.core.evaluate import classification_metrics
from fairgate.core.gate import PASS, decide
from fairgate.core.gate_statistics import gate_statistics

pytestmark = pytest.mark.e2e


def _prepared(rows: int, seed: int, bias: float, epochs: int = 6):
    return prepare(rows, seed, bias, epochs=epochs, hidden_sizes=[32, 16])


def _train_predict(params, arrays, X_test, seed: int) -> np.ndarray:
    backend = load_backend("torch")
    result = backend.fit(*arrays, params.train.model_copy(update={"seed": seed}))
    return backend.predict_proba(result.model, X_test)


def _decide(params, gate_cfg, y, proba, champion_pred, sensitive, champion_version):
    pred = (proba >= 0.5).astype(int)
    stats = gate_statistics(y, pred, champion_pred, sensitive, n=1000, seed=0, confidence=0.95, primary="accuracy")
    report = {"metrics": classification_metrics(y, proba, params.evaluate)}
    return decide(report, stats, gate_cfg, champion_version=champion_version), pred


def test_a_seed_noise_rarely_promotes_in_superiority_mode():
    params, schema, splits, X_test, y, arrays = _prepared(rows=30_000, seed=11, bias=0.0)
    cfg = params.gate.model_copy(update={"mode": "superiority"})
    sensitive = splits.test[list(schema.sensitive)]
    champion, promotions = None, 0
    for step, seed in enumerate(range(100, 120)):
        proba = _train_predict(params, arrays, X_test, seed)
        decision, pred = _decide(params, cfg, y, proba, champion, sensitive, None if champion is None else str(step))
        if decision.verdict == PASS:
            promotions += champion is not None
            champion = pred
    assert champion is not None, "the first model should pass the absolute checks"
    assert promotions <= 2, f"{promotions} of 19 retrainings on noise were promoted"


def test_b_biased_data_is_rejected_for_every_seed():
    for seed in range(10):
        params, schema, splits, X_test, y, arrays = _prepared(rows=10_000, seed=seed, bias=1.0, epochs=15)
        proba = _train_predict(params, arrays, X_test, seed)
        decision, _ = _decide(params, params.gate, y, proba, None, splits.test[list(schema.sensitive)], None)
        assert decision.verdict != PASS, f"seed {seed} passed"
        assert any(c.name.startswith("demographic_parity_difference[") and not c.passed for c in decision.checks)
