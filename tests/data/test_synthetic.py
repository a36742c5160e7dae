import numpy as np

from fairgate.core.config import SyntheticConfig
from fairgate.core.synthetic import generate


def _positive_rate_gap(frame, column):
    rates = (frame["income"] == ">50K").groupby(frame[column], observed=True).mean()
    return float(rates.max() - rates.min())


def test_same_seed_same_rows_and_different_seed_differs():
    a = generate(SyntheticConfig(rows=2000, seed=3))
    b = generate(SyntheticConfig(rows=2000, seed=3))
    c = generate(SyntheticConfig(rows=2000, seed=4))
    assert a.equals(b)
    assert not a.equals(c)


def test_has_numeric_categorical_two_sensitive_and_binary_label():
    frame = generate(SyntheticConfig(rows=1000))
    assert {"sex", "age_group"} <= set(frame.columns)
    assert frame["income"].nunique() == 2
    assert frame.select_dtypes("number").shape[1] >= 3


def test_bias_zero_is_group_blind_and_bias_one_is_not():
    fair = generate(SyntheticConfig(rows=200_000, seed=1, bias=0.0))
    biased = generate(SyntheticConfig(rows=200_000, seed=1, bias=1.0))
    for column in ("sex", "age_group"):
        assert _positive_rate_gap(fair, column) < 0.01
        assert _positive_rate_gap(biased, column) > 0.15


def test_scales_without_row_loops():
    frame = generate(SyntheticConfig(rows=1_000_000, seed=0))
    assert len(frame) == 1_000_000
    assert np.isfinite(frame["hours_per_week"]).all()
