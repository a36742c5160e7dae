from fairgate.config import GateConfig
from fairgate.gate import decide


def _report(accuracy=0.85, auc=0.9, dp=0.02, eo=0.03):
    return {"metrics": {"accuracy": accuracy, "roc_auc": auc},
            "fairness": {"sex": {"demographic_parity_difference": dp, "equalized_odds_difference": eo}}}


def test_good_first_model_passes_absolute_checks_only():
    decision = decide(_report(), None, GateConfig())
    assert decision.passed and decision.reasons == []
    assert {c.kind for c in decision.checks} == {"floor", "fairness"}


def test_every_failure_is_reported_not_just_the_first():
    decision = decide(_report(accuracy=0.5, dp=0.3, eo=0.4), None, GateConfig())
    assert not decision.passed
    failed = {c.name for c in decision.checks if not c.passed}
    assert failed == {"accuracy", "demographic_parity_difference[sex]", "equalized_odds_difference[sex]"}
    assert any("demographic_parity_difference[sex]" in r for r in decision.reasons)


def test_regression_against_champion_respects_tolerance():
    cfg = GateConfig(max_accuracy_drop=0.01)
    assert decide(_report(accuracy=0.845), _report(accuracy=0.85), cfg, "3").passed
    worse = decide(_report(accuracy=0.80), _report(accuracy=0.85), cfg, "3")
    assert not worse.passed and worse.champion_version == "3"
    assert any(c.name == "accuracy_vs_champion" and not c.passed for c in worse.checks)


def test_nan_metric_fails_closed():
    assert not decide(_report(auc=float("nan")), None, GateConfig()).passed


def test_decision_serialises_with_values_thresholds_and_outcomes():
    payload = decide(_report(dp=0.2), None, GateConfig()).to_dict()
    check = next(c for c in payload["checks"] if c["name"] == "demographic_parity_difference[sex]")
    assert check == {"name": "demographic_parity_difference[sex]", "kind": "fairness", "value": 0.2,
                     "threshold": 0.1, "comparison": "<=", "passed": False, "detail": ""}
    assert payload["verdict"] == "fail"
