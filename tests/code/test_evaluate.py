import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    count,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.metrics import accuracy_score

from fairgate.core.config import EvaluateConfig
from fairgate.core.evaluate import evaluate, expected_calibration_error, roc_points


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


def test_weighted_cells_give_exactly_fairlearns_row_level_report():
    """The report is computed on (group, label, prediction) counts; it must equal fairlearn on the rows."""
    rng = np.random.default_rng(3)
    n = 3000
    groups = pd.Series(rng.choice(["18-34", "35-54", "55+"], n, p=[0.5, 0.4, 0.1])).astype("str")
    y = rng.integers(0, 2, n)
    pred = np.where(groups == "55+", 1, rng.integers(0, 2, n))  # a group with a skewed selection rate
    proba = pred * 0.9 + 0.05
    report = evaluate(y, proba, pd.DataFrame({"age": groups}), EvaluateConfig())["fairness"]["age"]
    rows = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate,
                                "accuracy": accuracy_score, "count": count},
                       y_true=y, y_pred=pred, sensitive_features=groups).by_group
    for group, expected in rows.iterrows():
        assert report["groups"][group] == pytest.approx({k: float(v) for k, v in expected.items()}, abs=1e-12)
    for name, metric in (("demographic_parity_difference", demographic_parity_difference),
                         ("demographic_parity_ratio", demographic_parity_ratio),
                         ("equalized_odds_difference", equalized_odds_difference)):
        assert np.isclose(report[name], metric(y, pred, sensitive_features=groups), rtol=0, atol=1e-12), name


def test_ece_is_zero_when_calibrated_and_large_when_not():
    y = np.array([0, 1] * 50)
    assert expected_calibration_error(y, np.full(100, 0.5), 10) == 0.0
    assert expected_calibration_error(y, np.where(y == 1, 0.0, 1.0), 10) == 1.0


def test_the_roc_curve_is_thinned_to_what_a_plot_shows_and_every_point_left_out_is_near_a_kept_one():
    import sklearn.metrics as skm

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50_000)
    proba = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    fpr, tpr, _ = skm.roc_curve(y, proba)
    thinned = roc_points(y, proba, resolution=100)
    assert len(fpr) > 5_000 and len(thinned) <= 2 * 101
    kept = thinned.to_numpy()
    assert tuple(kept[0]) == (fpr[0], tpr[0]) and tuple(kept[-1]) == (1.0, 1.0)
    # each point of the full curve is within 1/100 of a kept point on both axes
    nearest = np.abs(np.stack([fpr, tpr], axis=1)[:, None, :] - kept[None, :, :]).max(axis=2).min(axis=1)
    assert nearest.max() < 1 / 100
    small = roc_points(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert len(small) == len(skm.roc_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))[0])
