"""Fairness monitoring's verdicts on production rows: the gate's bootstrap, judged the other way round (a breach
needs the whole interval past the rule)."""

import numpy as np
import pandas as pd

from fairgate.core import monitoring_record as records
from fairgate.core.config import GateConfig
from fairgate.core.monitor import BREACH, INSUFFICIENT, OK, breach_reason, cumulative_report, judge_production, markdown

GATE = GateConfig(min_accuracy=0.78, max_demographic_parity_difference=0.1, max_equalized_odds_difference=0.1,
                  min_group_size=30)


def _rows(n=4000, seed=0, flip=0.12, favour_men=0.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    sex = rng.choice(["Female", "Male"], n)
    predicted = np.where(rng.random(n) < flip, 1 - y, y)
    predicted = np.where((sex == "Male") & (rng.random(n) < favour_men), 1, predicted)
    return y, predicted, pd.DataFrame({"sex": sex})


def _status(report, name):
    return next(c["status"] for c in report["checks"] if c["name"] == name)


def test_fair_and_accurate_rows_are_ok():
    report = judge_production(*_rows(), GATE)
    assert report["verdict"] == OK and report["rows"] == 4000


def test_a_gap_whose_whole_interval_is_above_the_ceiling_is_a_breach():
    report = judge_production(*_rows(favour_men=0.6), GATE)
    assert report["verdict"] == BREACH
    assert _status(report, "demographic_parity_difference[sex]") == BREACH
    assert _status(report, "accuracy") == OK


def test_a_gap_above_the_ceiling_only_in_its_estimate_is_not_yet_a_breach():
    y, predicted, sensitive = _rows(n=400, seed=3, favour_men=0.22)
    report = judge_production(y, predicted, sensitive, GATE)
    gap = next(c for c in report["checks"] if c["name"] == "demographic_parity_difference[sex]")
    assert gap["interval"]["low"] <= 0.1 < gap["interval"]["high"], gap["interval"]
    assert gap["status"] == OK


def test_accuracy_whose_upper_bound_is_below_the_floor_is_a_breach():
    report = judge_production(*_rows(flip=0.35), GATE)
    assert _status(report, "accuracy") == BREACH and report["verdict"] == BREACH


def test_a_small_group_gives_insufficient_evidence_but_not_over_a_breach():
    y, predicted, sensitive = _rows(n=60, seed=1)
    report = judge_production(y, predicted, sensitive, GATE)
    assert report["verdict"] == INSUFFICIENT
    assert "groups below gate.min_group_size=30" in next(c["detail"] for c in report["checks"] if c.get("detail"))
    y, predicted, sensitive = _rows(n=60, seed=1, flip=0.6)
    assert judge_production(y, predicted, sensitive, GATE)["verdict"] == BREACH


def _report(rows, evidence=None, **fields):
    """A first look's report, as `fairgate monitor` builds it: the look judged alone, then added to a new record."""
    y, predicted, sensitive = rows
    own = judge_production(y, predicted, sensitive, GATE, evidence)
    record = records.new_record("m", fields.get("version", "3"), records.groups_seen(sensitive), 0.05, 52)
    cells = records.look_counts(y, predicted, sensitive, record["groups"])
    record, checks = records.add_look(record, cells, "week-01.csv", "abc", "now", own, GATE)
    return record, cumulative_report(record, checks, own) | {"model": "m", "version": "3", "key": "id"} | fields


def test_the_report_sets_the_gate_evidence_beside_production():
    evidence = {"accuracy": {"value": 0.85, "interval": None},
                "demographic_parity_difference[sex]": {"value": 0.05, "interval": {"estimate": 0.03, "low": 0.01,
                                                                                   "high": 0.05}}}
    _, report = _report(_rows(), evidence)
    text = markdown(report)
    assert text.startswith("# Fairness monitoring: OK")
    assert "| accuracy |" in text and "| 0.85 |" in text and "0.03 [0.01, 0.05]" in text
    assert next(c for c in report["checks"] if c["name"] == "equalized_odds_difference[sex]")["at_gate"] is None
    assert "Champion `m` version 3, look 1: 4000 labelled production rows in `week-01.csv`" in text
    assert "The verdict is cumulative" in text and "This look alone says OK" in text


def test_the_report_of_rows_an_older_version_scored_says_so_and_names_the_champion():
    _, report = _report(_rows(), version="1", champion="2")
    text = markdown(report)
    assert "rows scored by version 1 (champion is 2)" in text and "Champion `m` version 1" not in text


def test_a_breach_stands_for_the_record_and_the_rollback_reason_carries_the_cumulative_evidence():
    record, report = _report(_rows(n=4000, favour_men=0.6))
    assert report["verdict"] == BREACH and record["first_breach"] == {"look": 1, "checks": [
        "demographic_parity_difference[sex]", "equalized_odds_difference[sex]"]}
    reason = breach_reason(report)
    assert reason.startswith("monitor: breach after 1 looks (4000 labelled production rows, anytime-valid at alpha "
                             "0.05): demographic_parity_difference[sex] lower bound 0.")
    y, predicted, sensitive = _rows(n=4000, seed=5)  # a fair look afterwards: the breach still stands
    own = judge_production(y, predicted, sensitive, GATE)
    later, checks = records.add_look(record, records.look_counts(y, predicted, sensitive, record["groups"]),
                                     "week-02.csv", "def", "now", own, GATE)
    assert records.standing_verdict(later, checks) == BREACH and own["verdict"] == OK
    assert "first shown at look 1" in markdown(cumulative_report(later, checks, own) | {
        "model": "m", "version": "3", "key": "id"})


def test_rows_of_a_group_the_record_did_not_know_are_named_and_kept_out_of_the_cumulative_counts():
    y, predicted, sensitive = _rows(n=400)
    record = records.new_record("m", "1", {"sex": ["Female"]}, 0.05, 52)
    cells = records.look_counts(y, predicted, sensitive, record["groups"])
    assert cells["unknown_groups"] == {"sex": {"Male": int((sensitive["sex"] == "Male").sum())}}
    assert sum(map(sum, cells["counts"]["sex"][0])) == int((sensitive["sex"] == "Female").sum())
    assert sum(map(sum, cells["overall"])) == 400


def _looks(groups: int, rows: int, seed: int, lowered: float = 0.0):
    """A look at ``groups`` groups of ``rows`` labelled rows. The champion predicts positive for 28% of every group,
    and the labels are its predictions with 15% flipped at random, so the true gaps are 0; except that group g0's
    selection rate is lowered by ``lowered``."""
    rng = np.random.default_rng(seed)
    group = np.repeat([f"g{i}" for i in range(groups)], rows)
    rate = np.where(group == "g0", 0.28 + lowered, 0.28 + 0.0)
    predicted = (rng.random(len(group)) < rate).astype(int)
    y = np.where(rng.random(len(group)) < 0.15, 1 - predicted, predicted)
    return y, predicted, pd.DataFrame({"region": group})


def test_fair_labels_on_six_groups_of_a_hundred_are_rarely_a_breach():
    verdicts = [judge_production(*_looks(6, 100, seed), GATE)["verdict"] for seed in range(200)]
    assert verdicts.count(BREACH) <= 10, verdicts.count(BREACH)  # at least 95% of looks are not a breach


def test_a_planted_gap_of_a_quarter_with_five_hundred_rows_per_group_is_found():
    reports = [judge_production(*_looks(6, 500, seed, lowered=-0.25), GATE) for seed in range(50)]
    found = [_status(r, "demographic_parity_difference[region]") == BREACH for r in reports]
    assert sum(found) >= 40, sum(found)  # at least 80% of looks
