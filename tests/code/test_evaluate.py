import numpy as np
import pandas as pd
from fairlearn.metrics import demographic_parity_difference

from fairgate.config import EvaluateConfig
from fairgate.evaluate import evaluate, expected_calibration_error


def test_perfect_scores_and_per_group_table():
    y = np.array([0, 1, 0, 1, 1, 0])
    proba = np.array([0.1, 0.9, 0.2, 0.8, 0.7, 0.3])
    groups = pd.DataFrame({"sex": ["a", "a", "a", "b", "b", "b"]})
    report = evaluate(y, proba, groups, EvaluateConfig())
    assert report["metrics"]["accuracy"] == 1.0 and report["metrics"]["roc_auc"] == 1.0
    table = report["fairness"]["sex"]["groups"]
    assert table["a"]["count"] == 3 and table["b"]["selection_rate"] == 2 / 3
    assert np.isclose(report["fairness"]["sex"]["demographic_parity_difference"], 1 / 3)


def test_fairness_gaps_match_fairlearn_on_random_data():
    rng = np.random.default_rng(0)
    y, proba = rng.integers(0, 2, 500), rng.random(500)
    groups = pd.DataFrame({"g": rng.choice(["x", "y", "z"], 500)})
    report = evaluate(y, proba, groups, EvaluateConfig())
    expected = demographic_parity_difference(y, (proba >= 0.5).astype(int), sensitive_features=groups["g"])
    assert np.isclose(report["fairness"]["g"]["demographic_parity_difference"], expected)


def test_ece_is_zero_when_calibrated_and_large_when_not():
    y = np.array([0, 1] * 50)
    assert expected_calibration_error(y, np.full(100, 0.5), 10) == 0.0
    assert expected_calibration_error(y, np.where(y == 1, 0.0, 1.0), 10) == 1.0
