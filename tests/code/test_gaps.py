"""The fairness gaps' intervals: the published contrast interval, the promise each bound makes (checked by
simulating from known group rates), and the rows that would decide a check."""

import numpy as np
import pytest

from fairgate.core.gaps import Rates, contrast_bounds, gap_interval, rows_to_decide, upper_bound, wilson, z_value


def test_contrast_bounds_match_newcombes_published_examples():
    """Newcombe (1998), Table II, method 10: 56/70 - 48/80 and 9/10 - 3/10."""
    z = z_value(0.025)
    low, high = contrast_bounds(Rates(np.array([56.0, 48.0, 9.0, 3.0]), np.array([70.0, 80.0, 10.0, 10.0])), z)
    assert (low[0, 1], high[0, 1]) == pytest.approx((0.0524, 0.3339), abs=1e-4)
    assert (low[2, 3], high[2, 3]) == pytest.approx((0.1705, 0.8090), abs=1e-4)
    assert (low[1, 0], high[1, 0]) == pytest.approx((-0.3339, -0.0524), abs=1e-4)  # the same pair reversed


def test_wilson_interval_for_none_and_half():
    p, low, high = wilson(Rates(np.array([0.0, 5.0]), np.array([10.0, 10.0])), z_value(0.025))
    assert low[0] == pytest.approx(0.0, abs=1e-12) and high[0] == pytest.approx(0.2775, abs=1e-4)
    assert (low[1], high[1]) == pytest.approx((0.2366, 0.7634), abs=1e-4)


def _draw(rates: np.ndarray, rows: int, trials: int, seed: int) -> Rates:
    rng = np.random.default_rng(seed)
    successes = rng.binomial(rows, rates, size=(trials, len(rates))).astype(float)
    return Rates(successes, np.full((trials, len(rates)), rows, float))


@pytest.mark.parametrize("groups", [2, 6])
def test_the_lower_bound_rarely_exceeds_a_zero_gap(groups):
    """Fair rates: a lower bound above 0 would be a false breach; allowed 2.5%, plus simulation noise."""
    found = gap_interval([_draw(np.full(groups, 0.25), 200, 4000, groups)], 0.95)
    assert (found.low > 0).mean() <= 0.032
    assert found.estimate.mean() > 0.02  # the plug-in gap is biased upward; the bounds are not fooled by it


def test_the_upper_bound_rarely_falls_below_a_gap_at_the_ceiling():
    """The worst case for a false promotion: one pair of groups at the ceiling's two ends, the rest between."""
    rates = np.array([0.20, 0.30, 0.25, 0.25, 0.25, 0.25])
    found = gap_interval([_draw(rates, 1000, 4000, 7)], 0.95)
    assert (found.high < 0.1).mean() <= 0.032
    assert (found.low > 0.1).mean() <= 0.032


def test_a_group_with_no_rows_for_a_rate_leaves_the_gap_unbounded_above():
    rates = Rates(np.array([250.0, 255.0, 0.0]), np.array([1000.0, 1000.0, 0.0]))
    found = gap_interval([rates], 0.95)
    assert found.estimate == pytest.approx(0.005) and found.high > 0.7 and found.low == 0.0


def test_rows_to_decide_is_where_the_bound_crosses_the_ceiling():
    rates = Rates(np.array([25.0, 27.0, 30.0]), np.array([100.0, 100.0, 100.0]))
    needed = rows_to_decide(rates, 0.95, 0.1, 3, above=False)
    p = np.array([0.25, 0.27, 0.30])

    def upper(n: float) -> float:
        return float(upper_bound([Rates(p * n, np.full(3, n))], 0.95))

    assert upper(needed) < 0.1 < upper(needed * 0.97)
    assert rows_to_decide(Rates(np.array([10.0, 30.0]), np.array([100.0, 100.0])), 0.95, 0.1, 1, above=True) > 100
    assert rows_to_decide(Rates(np.array([10.0, 20.0]), np.array([100.0, 100.0])), 0.95, 0.1, 1, above=True) is None
