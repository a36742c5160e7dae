"""The mitigation core: reweighing, deterministic group thresholds, when mitigation runs, which candidate wins,
and why none can; fairgate's network as a scikit-learn estimator under fairlearn's ExponentiatedGradient."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fairgate.core.mitigation.choice import choose, explain_infeasible, plan
from fairgate.core.mitigation.methods import reweighing_weights
from fairgate.core.mitigation.thresholds import (
    DEMOGRAPHIC_PARITY,
    EQUALIZED_ODDS,
    TARGET_GRID,
    GroupThresholds,
    fit_group_thresholds,
)


def _biased(n: int = 20_000, seed: int = 0):
    rng = np.random.default_rng(seed)
    groups = pd.Series(rng.choice(["F", "M"], n))
    labels = (rng.random(n) < np.where(groups == "M", 0.45, 0.2)).astype(int)
    scores = np.clip(0.45 * labels + 0.4 * rng.random(n) + np.where(groups == "M", 0.1, 0.0), 0, 1)
    return scores, groups, labels


def _rates(pred: np.ndarray, groups: pd.Series, labels: np.ndarray | None = None) -> pd.Series:
    frame = pd.DataFrame({"p": pred, "g": groups})
    if labels is not None:
        frame = frame[labels == 1]
    return frame.groupby("g")["p"].mean()


def test_reweighing_makes_the_label_independent_of_the_group():
    _, groups, labels = _biased()
    weights = reweighing_weights(groups, labels)
    weighted = pd.DataFrame({"g": groups, "y": labels, "w": weights}).groupby("g").apply(
        lambda d: np.average(d["y"], weights=d["w"]), include_groups=False)
    assert weighted.max() - weighted.min() < 1e-6, "float32 weights"
    assert abs(weights.mean() - 1.0) < 0.01, "weights keep the overall scale"


@pytest.mark.parametrize("constraint", [DEMOGRAPHIC_PARITY, EQUALIZED_ODDS])
def test_group_thresholds_meet_the_band_on_the_rows_they_were_fitted_on(constraint):
    scores, groups, labels = _biased()
    fitted = fit_group_thresholds(scores, groups, labels, constraint, slack=0.04, min_rows=30, feature="sex")
    assert fitted.validation["feasible"] and set(fitted.thresholds) == {"F", "M"}
    pred = fitted.adjust(scores, groups) >= 0.5
    if constraint == DEMOGRAPHIC_PARITY:
        assert np.ptp(_rates(pred, groups)) <= 0.04 + 1e-9
    else:
        assert np.ptp(_rates(pred, groups, labels)) <= 0.04 + 1e-9
        assert np.ptp(_rates(pred, groups, 1 - labels)) <= 0.04 + 1e-9
    again = fit_group_thresholds(scores, groups, labels, constraint, slack=0.04, min_rows=30, feature="sex")
    assert again.thresholds == fitted.thresholds, "deterministic: the same rows give the same thresholds"


def test_adjusted_scores_put_each_groups_threshold_at_one_half_and_keep_order():
    thresholds = GroupThresholds("sex", {"F": 0.2, "M": 0.7}, 0.5, DEMOGRAPHIC_PARITY, 0.05)
    scores = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9, 0.4])
    groups = pd.Series(["F", "F", "F", "M", "M", "M", "X"])
    adjusted = thresholds.adjust(scores, groups)
    assert list(adjusted >= 0.5) == [False, True, True, False, True, True, False]
    assert adjusted[1] == pytest.approx(0.5) and adjusted[4] == pytest.approx(0.5)
    assert np.all(np.diff(adjusted[:3]) > 0) and np.all(np.diff(adjusted[3:6]) > 0)
    assert GroupThresholds.from_dict(thresholds.to_dict()) == thresholds


def _check(name: str, kind: str, status: str, value: float = 0.2, threshold: float = 0.1) -> dict:
    return {"name": name, "kind": kind, "status": status, "value": value, "threshold": threshold}


def _decision(verdict: str, checks: list[dict], estimate: float = 0.8) -> dict:
    return {"verdict": verdict, "checks": checks, "reasons": [c["name"] for c in checks if c["status"] != "pass"],
            "statistics": {"primary": {"candidate": {"estimate": estimate}}}}


def test_mitigation_runs_only_when_fairness_checks_alone_fail():
    dp = _check("demographic_parity_difference[sex]", "fairness", "fail")
    eo = _check("equalized_odds_difference[sex]", "fairness", "fail")
    floor = _check("accuracy", "floor", "fail", 0.7, 0.78)
    methods = ["reweigh", "threshold"]
    assert plan(_decision("fail", [dp]), methods, "auto")[:2] == ([DEMOGRAPHIC_PARITY], ["sex"])
    assert plan(_decision("fail", [dp, eo]), methods, "auto")[0] == [DEMOGRAPHIC_PARITY, EQUALIZED_ODDS]
    assert plan(_decision("fail", [eo]), methods, DEMOGRAPHIC_PARITY)[0] == [DEMOGRAPHIC_PARITY]
    constraints, _, why = plan(_decision("fail", [dp, floor]), methods, "auto")
    assert constraints == [] and "cannot help" in why and "accuracy" in why
    assert plan(_decision("fail", [dp]), [], "auto")[0] == [] and "empty" in plan(_decision("fail", [dp]), [], "auto")[2]
    unsure = _check("demographic_parity_difference[sex]", "fairness", "insufficient_evidence")
    constraints, _, why = plan(_decision("insufficient_evidence", [unsure]), methods, "auto")
    assert constraints == [] and "insufficient evidence" in why
    assert plan(_decision("pass", []), methods, "auto")[0] == []


def test_the_best_passing_candidate_wins_else_the_closest_is_named():
    dp = _check("demographic_parity_difference[sex]", "fairness", "fail", 0.3)
    near = _check("demographic_parity_difference[sex]", "fairness", "fail", 0.12)
    decisions = {"unmitigated": _decision("fail", [dp], 0.85), "a": _decision("pass", [], 0.82),
                 "b": _decision("pass", [], 0.83)}
    assert choose(decisions) == ("b", True)
    assert choose({"unmitigated": _decision("fail", [dp], 0.85), "a": _decision("fail", [near], 0.8)}) == ("a", False)
    unsure = _decision("insufficient_evidence", [_check("x[sex]", "fairness", "insufficient_evidence")])
    assert choose({"unmitigated": _decision("fail", [dp]), "a": unsure})[1] is False, "never promotes without evidence"


def test_when_both_ceilings_cannot_hold_the_card_says_why_from_the_base_rates():
    diagnosis = {"features": {"sex": {"groups": {"F": {"positive_rate": 0.2, "share": 0.5},
                                                 "M": {"positive_rate": 0.46, "share": 0.5}}}}}
    best = {"candidate": "threshold", "primary_metric": "accuracy", "primary": {"estimate": 0.83},
            "gaps": {"demographic_parity_difference[sex]": {"estimate": 0.13, "low": 0.1, "high": 0.16}},
            "reasons": ["demographic_parity_difference[sex] = 0.16 is not < 0.1"]}
    gate = {"max_demographic_parity_difference": 0.1, "max_equalized_odds_difference": 0.1, "min_accuracy": 0.78}
    lines = explain_infeasible(diagnosis, ["sex"], gate, best)
    assert "F 0.200, M 0.460 (gap 0.260)" in lines[0]
    room, youden = 0.1 - 0.03, (0.1 - 0.03) / 0.26
    assert f"{room:.3f} / 0.260 = {youden:.3f}" in lines[1]
    assert f"caps accuracy near {(1 - 0.33) + 0.33 * youden:.3f}" in lines[1] and "below the floor" in lines[1]
    assert "threshold" in lines[-1] and "0.16 is not < 0.1" in lines[-1]
    assert len(explain_infeasible(diagnosis, ["sex"], gate | {"max_equalized_odds_difference": 1.0}, best)) == 2


def test_fairgates_network_trains_under_exponentiated_gradient_as_a_sklearn_estimator():
    from fairlearn.reductions import DemographicParity, ExponentiatedGradient
    from sklearn.base import clone

    from fairgate.core.estimator import Ensemble, FairgateClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4)).astype(np.float32)
    groups = pd.Series(np.where(X[:, 0] > 0, "a", "b"))
    y = (X[:, 0] + X[:, 1] + rng.normal(scale=0.5, size=3000) > 0).astype(int)
    estimator = FairgateClassifier("torch", {"epochs": 2, "hidden_sizes": [8], "batch_size": 256})
    assert clone(estimator).get_params() == estimator.get_params()
    weighted = clone(estimator).fit(X, y, sample_weight=np.where(groups == "a", 2.0, 1.0))
    assert weighted.predict_proba(X).shape == (3000, 2) and set(weighted.predict(X)) <= {0, 1}
    search = ExponentiatedGradient(estimator, DemographicParity(), eps=0.05, max_iter=3)
    search.fit(X, y, sensitive_features=groups)
    ensemble = Ensemble([p.model_ for p in search.predictors_], list(search.weights_))
    share = ensemble.positive_share("torch", X)
    assert share.shape == (3000,) and share.min() >= 0.0 and share.max() <= 1.0
    assert TARGET_GRID[0] == 0.0
