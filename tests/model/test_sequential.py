"""The anytime-valid monitor keeps its promise, simulated from a known truth: a rate's confidence sequence misses
the truth at any look rarely enough, a year of weekly looks with every check at its limit breaches falsely in at
most alpha of the years (where today's per-look rule breaches in most), and restarts find a shift after good weeks."""

import numpy as np

from bench.monitoring import first_breaches, truth_years
from fairgate.core import cumulative, sequential
from fairgate.core.config import GateConfig


def test_a_rates_sequence_misses_the_truth_at_any_of_a_hundred_looks_in_at_most_alpha_of_runs():
    rng = np.random.default_rng(4)
    for p in (0.03, 0.3, 0.5):
        draws = rng.binomial(40, p, size=(100, 2000))  # 100 looks of 40 trials, 2000 runs
        seq = sequential.rate_sequence(np.cumsum(draws, axis=0), 40.0 * np.arange(1, 101)[:, None], 0.05)
        ever_missed = ((seq.low > p) | (seq.high < p)).any(axis=0).mean()
        assert ever_missed <= 0.05, (p, ever_missed)
        assert np.all(seq.low <= seq.estimate) and np.all(seq.estimate <= seq.high)


def test_a_sequence_narrows_as_rows_arrive_and_is_the_whole_range_before_any():
    seq = sequential.rate_sequence(np.array([0, 30, 300, 3000]), np.array([0, 100, 1000, 10000]), 0.01)
    widths = seq.high - seq.low
    assert widths[0] == 1.0 and np.isnan(seq.estimate[0])
    assert widths[1] > widths[2] > widths[3] > 0.0


def test_the_shares_of_alpha_over_every_restart_ever_sum_to_at_most_one():
    assert sequential.start_weights(200_000, 52).sum() <= 1.0
    assert np.allclose(sequential.start_weights(52, 52), 0.75 / 52)


def test_a_year_of_weekly_looks_with_every_check_at_its_limit_breaches_falsely_in_at_most_five_percent_of_years():
    counts, overall, gate = truth_years(200, seed=2)
    first = first_breaches(counts, overall, gate)
    assert np.mean(first["anytime"] > 0) <= 0.05, np.mean(first["anytime"] > 0)
    assert np.mean(first["naive"] > 0) > 0.5, "the per-look rule this replaces breaches in most such years"


def _two_groups(looks: int, years: int, rows: int, rates: list[np.ndarray], seed: int) -> np.ndarray:
    """counts[look, year, group, label, prediction] for two equal groups, labels positive at 0.3, predictions
    independent of the label at each group's rate per look."""
    rng = np.random.default_rng(seed)
    counts = np.zeros((looks, years, 2, 2, 2))
    for g, rate in enumerate(rates):
        positives = rng.binomial(rows // 2, 0.3, size=(looks, years))
        for label, n in ((1, positives), (0, rows // 2 - positives)):
            selected = rng.binomial(n, rate[:, None])
            counts[:, :, g, label, 1], counts[:, :, g, label, 0] = selected, n - selected
    return counts


def test_a_shift_after_twenty_good_weeks_is_found_by_a_restart_within_a_few_looks():
    looks, years = 30, 100
    shifted = np.where(np.arange(looks) >= 20, 0.55, 0.3)
    counts = _two_groups(looks, years, 1000, [shifted, np.full(looks, 0.3)], seed=9)
    first = np.zeros(years, dtype=int)
    for t in range(1, looks + 1):
        found = cumulative.judge_gap(counts[:t], "demographic_parity_difference", 0.1, 0.05, 52, 5)
        first = np.where((first == 0) & found.breach, t, first)
        if t == 20:
            assert not found.breach.any(), "no breach before the shift"
    delay = first - 20
    assert np.all(first > 20) and np.median(delay) <= 3, np.median(delay)
    assert (found.start[first > 0] > 15).all(), "the window that shows it starts near the shift, not at look 1"


def test_the_record_judges_every_check_and_keeps_group_names_in_order():
    gate = GateConfig()
    counts = _two_groups(3, 1, 600, [np.full(3, 0.3), np.full(3, 0.3)], seed=1)[:, 0]
    record = {"alpha": 0.05, "horizon": 52, "groups": {"sex": ["Female", "Male"]},
              "looks": [{"overall": c.sum(axis=0).tolist(), "counts": {"sex": c.tolist()}} for c in counts]}
    checks = cumulative.judge_record(record, gate)
    assert [c["name"] for c in checks] == cumulative.check_names(["sex"])
    assert all(c["interval"]["low"] <= c["interval"]["estimate"] <= c["interval"]["high"] for c in checks)
    assert checks[0]["status"] == cumulative.BREACH, "accuracy near 0.58 is below the 0.78 floor after 1800 rows"
    assert [c["status"] for c in checks[1:]] == [cumulative.OK, cumulative.OK]
