import numpy as np
import pandas as pd
import pytest

from fairgate.core.bootstrap import joint_groups
from fairgate.core.config import GateConfig
from fairgate.core.gate import FAIL, INSUFFICIENT, PASS, decide
from fairgate.core.gate_statistics import gate_statistics

REPORT = {"metrics": {"accuracy": 0.85, "roc_auc": 0.9}}


def _data(n=6000, seed=0, flip=0.15, champion_flip=0.15, bias=0.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sex = rng.choice(["F", "M"], n)
    candidate = np.where(rng.random(n) < flip, 1 - y, y)
    candidate = np.where((sex == "M") & (rng.random(n) < bias), 1, candidate)
    champion = np.where(rng.random(n) < champion_flip, 1 - y, y)
    return y, candidate, champion, pd.DataFrame({"sex": sex})


def _stats(y, cand, champ, sens, **kw):
    return gate_statistics(y, cand, champ, sens, n=kw.get("n", 500), seed=1, confidence=0.95,
                            primary="accuracy", intersectional=kw.get("intersectional", False))


def test_first_model_gets_absolute_checks_only():
    y, cand, _, sens = _data()
    decision = decide(REPORT, _stats(y, cand, None, sens), GateConfig())
    assert decision.verdict == PASS
    assert {c.kind for c in decision.checks} == {"floor", "fairness"}


def test_every_failure_is_reported_not_just_the_first():
    y, cand, _, sens = _data(bias=0.5)
    decision = decide({"metrics": {"accuracy": 0.5, "roc_auc": 0.9}}, _stats(y, cand, None, sens), GateConfig())
    failed = {c.name for c in decision.checks if c.status == FAIL}
    assert {"accuracy", "demographic_parity_difference[sex]", "equalized_odds_difference[sex]"} <= failed
    assert len(decision.reasons) == len(failed)


def test_a_ceiling_inside_the_interval_is_insufficient_evidence_with_the_rows_that_would_decide():
    y, cand, _, sens = _data(n=400, bias=0.12)
    stats = _stats(y, cand, None, sens)
    interval = stats["fairness"]["sex"]["demographic_parity_difference"]["candidate"]
    ceiling = (interval["estimate"] + interval["high"]) / 2
    check = next(c for c in decide(REPORT, stats, GateConfig(max_demographic_parity_difference=ceiling)).checks
                 if c.name == "demographic_parity_difference[sex]")
    assert interval["low"] < interval["estimate"] < ceiling < interval["high"] and check.status == INSUFFICIENT
    needed = check.needed["rows"]
    assert needed > 200 and f"about {needed:,} rows per group (now 194-206)" in check.detail
    assert "straddles the ceiling" in check.detail


def test_a_ceiling_below_the_whole_interval_fails_and_above_it_passes():
    y, cand, _, sens = _data(n=400, bias=0.4)
    stats = _stats(y, cand, None, sens)
    interval = stats["fairness"]["sex"]["demographic_parity_difference"]["candidate"]
    assert interval["low"] > 0.04
    below, above = (decide(REPORT, stats, GateConfig(max_demographic_parity_difference=c, max_equalized_odds_difference=1))
                    for c in (interval["low"] * 0.9, interval["high"] * 1.01))
    assert below.verdict == FAIL and "the gap is shown above the ceiling" in below.reasons[0]
    assert above.verdict == PASS


def test_non_inferiority_and_superiority_rules():
    y, cand, champ, sens = _data(flip=0.15, champion_flip=0.15, seed=3)
    stats = _stats(y, cand, champ, sens)
    assert decide(REPORT, stats, GateConfig(mode="non_inferiority", margin=0.03), "1").verdict == PASS
    assert decide(REPORT, stats, GateConfig(mode="superiority"), "1").verdict == FAIL
    better = _stats(*_data(flip=0.10, champion_flip=0.16, seed=3))
    assert decide(REPORT, better, GateConfig(mode="superiority"), "1").verdict == PASS
    worse = _stats(*_data(flip=0.20, champion_flip=0.12, seed=3))
    decision = decide(REPORT, worse, GateConfig(mode="non_inferiority", margin=0.01), "1")
    assert decision.verdict == FAIL and any("accuracy_vs_champion" in r for r in decision.reasons)


def test_small_group_is_insufficient_evidence_and_blocks_by_default():
    y, cand, _, sens = _data(n=2000)
    sens.loc[:9, "sex"] = "X"
    stats = _stats(y, cand, None, sens)
    decision = decide(REPORT, stats, GateConfig(min_group_size=30))
    statuses = {c.name: c.status for c in decision.checks}
    assert statuses["demographic_parity_difference[sex]"] == INSUFFICIENT
    assert decision.verdict == INSUFFICIENT and "'X': 10" in decision.reasons[0]
    assert decide(REPORT, stats, GateConfig(min_group_size=30, on_insufficient_evidence="allow")).verdict == PASS


def test_optional_fairness_increase_check_against_champion():
    y, cand, champ, sens = _data(bias=0.3)
    stats = _stats(y, cand, champ, sens)
    cfg = GateConfig(max_fairness_increase=0.02, max_demographic_parity_difference=1, max_equalized_odds_difference=1,
                     margin=1)
    decision = decide(REPORT, stats, cfg, "1")
    assert "demographic_parity_difference_increase[sex]" in {c.name for c in decision.checks if c.status == FAIL}


def test_nan_metric_fails_closed():
    y, cand, _, sens = _data()
    assert decide({"metrics": {"accuracy": 0.9, "roc_auc": float("nan")}}, _stats(y, cand, None, sens),
                  GateConfig()).verdict == FAIL


def test_decision_serialises_value_threshold_status_and_interval():
    y, cand, _, sens = _data()
    payload = decide(REPORT, _stats(y, cand, None, sens), GateConfig()).to_dict()
    check = next(c for c in payload["checks"] if c["name"] == "demographic_parity_difference[sex]")
    assert check["threshold"] == 0.1 and check["comparison"] == "<" and check["status"] == "pass"
    assert check["passed"] is True and set(check["interval"]) == {"estimate", "low", "high"}


@pytest.mark.parametrize("primary", ["accuracy", "balanced_accuracy"])
def test_bootstrap_matches_a_row_resampling_bootstrap(primary):
    from sklearn.metrics import accuracy_score, balanced_accuracy_score

    y, cand, champ, sens = _data(n=3000, seed=5)
    metric = accuracy_score if primary == "accuracy" else balanced_accuracy_score
    stats = gate_statistics(y, cand, champ, sens, n=2000, seed=2, confidence=0.9, primary=primary)
    rng = np.random.default_rng(9)
    diffs = []
    for _ in range(2000):
        i = rng.integers(0, len(y), len(y))
        diffs.append(metric(y[i], cand[i]) - metric(y[i], champ[i]))
    low, high = np.percentile(diffs, [5, 95])
    got = stats["primary"]["difference"]
    assert got["estimate"] == pytest.approx(metric(y, cand) - metric(y, champ), abs=1e-6)
    assert got["low"] == pytest.approx(low, abs=0.004) and got["high"] == pytest.approx(high, abs=0.004)


def test_bootstrap_is_seeded_and_handles_intersections():
    y, cand, champ, sens = _data(n=1000)
    sens["age"] = np.random.default_rng(0).choice(["a", "b"], len(y))
    one = _stats(y, cand, champ, sens, intersectional=True)
    assert one == _stats(y, cand, champ, sens, intersectional=True)
    assert set(one["fairness"]) == {"sex", "age", "sex x age"}
    assert sum(one["group_counts"]["sex x age"].values()) == len(y)


@pytest.mark.parametrize("features", [1, 2, 3])
def test_joint_groups_number_rows_as_factorising_their_tuples_does(features):
    rng = np.random.default_rng(features)
    groups = {name: pd.Series(rng.choice(values, 500, p=weights))
              for name, values, weights in [("sex", ["Male", "Female"], [0.6, 0.4]),
                                            ("race", ["White", "Black", "Other"], [0.8, 0.15, 0.05]),
                                            ("age", ["18-34", "55+"], [0.5, 0.5])][:features]}
    tuples = pd.MultiIndex.from_arrays(list(groups.values())) if features > 1 else pd.Index(groups["sex"])
    codes, uniques = pd.factorize(tuples)
    expected = uniques.to_frame(index=False) if features > 1 else pd.DataFrame({0: uniques})
    joint_codes, labels = joint_groups(groups)
    assert np.array_equal(joint_codes, codes)
    assert labels.to_numpy().tolist() == expected.to_numpy().tolist()


def _groups(groups: int, rows: int, seed: int, lowered: float = 0.0):
    """Labels at base rate 0.3 and predictions with TPR 0.7 and FPR 0.1 in every group (true gaps 0), except
    that group g0's predicted positives are kept with probability 1 - ``lowered`` / 0.28 (its selection rate
    lowered by ``lowered``)."""
    rng = np.random.default_rng(seed)
    group = np.repeat([f"g{i}" for i in range(groups)], rows)
    y = (rng.random(len(group)) < 0.3).astype(int)
    pred = np.where(y == 1, rng.random(len(y)) < 0.7, rng.random(len(y)) < 0.1).astype(int)
    pred = np.where((group == "g0") & (rng.random(len(y)) < lowered / 0.28), 0, pred)
    return y, pred, None, pd.DataFrame({"group": group})


def _fairness_statuses(groups: int, rows: int, seed: int, lowered: float = 0.0) -> dict[str, str]:
    decision = decide(REPORT, _stats(*_groups(groups, rows, seed, lowered), n=200), GateConfig())
    return {c.name.split("[")[0]: c.status for c in decision.checks if c.kind == "fairness"}


def test_fair_predictions_on_six_groups_of_a_thousand_never_fail():
    statuses = [_fairness_statuses(6, 1000, seed) for seed in range(100)]
    assert not [s for s in statuses if FAIL in s.values()]
    assert sum(s["demographic_parity_difference"] == PASS for s in statuses) >= 90  # DP is decided at this size


def test_fair_predictions_on_six_groups_of_ten_thousand_pass():
    for seed in range(5):
        assert set(_fairness_statuses(6, 10_000, seed).values()) == {PASS}


def test_a_planted_gap_of_a_fifth_on_six_groups_of_a_thousand_fails():
    for seed in range(5):
        assert _fairness_statuses(6, 1000, seed, lowered=0.2)["demographic_parity_difference"] == FAIL


def test_equalized_odds_counts_the_positives_not_the_rows():
    """400 rows but 6 labelled positives: no bound on the TPR gap, whatever the rows say."""
    y, pred, _, sens = _groups(2, 400, 0)
    few = np.flatnonzero((sens["group"] == "g1").to_numpy() & (y == 1))[6:]
    y[few] = 0
    decision = decide(REPORT, _stats(y, pred, None, sens, n=200), GateConfig(min_group_size=30))
    check = next(c for c in decision.checks if c.name == "equalized_odds_difference[group]")
    assert check.status == INSUFFICIENT and "positives {'g1': 6}" in check.detail


def test_the_intersection_is_judged_by_the_same_rules_and_its_small_cells_are_undecided():
    y, pred, _, sens = _groups(2, 3000, 4)
    sens["age"] = np.random.default_rng(99).choice(["a", "b", "c"], len(y), p=[0.45, 0.45, 0.1])
    stats = gate_statistics(y, pred, None, sens, n=200, seed=1, confidence=0.95, primary="accuracy", intersectional=True)
    checks = {c.name: c for c in decide(REPORT, stats, GateConfig(intersectional=True)).checks if c.kind == "fairness"}
    assert checks["demographic_parity_difference[group]"].status == PASS
    joint = checks["equalized_odds_difference[group x age]"]
    assert joint.status == INSUFFICIENT and "labelled positives per group" in joint.detail
    assert not [c for c in checks.values() if c.status == FAIL]
    assert len(stats["evidence"]["group x age"]) == 6
