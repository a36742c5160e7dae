"""Drift: PSI against the training rows' profile is near zero for fresh rows from the same source and
large for a shifted feature, label rate or group mix; new categories are named."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from fairgate.core import drift
from fairgate.core.config import ConfigError, build_params
from fairgate.core.ingest import normalise
from fairgate.core.synthetic import generate


@pytest.fixture(scope="module")
def fresh(params) -> pd.DataFrame:
    """Rows from the same generator with another seed: no drift by construction."""
    return normalise(generate(params.data.synthetic.model_copy(update={"seed": 99})), params.data)


@pytest.fixture(scope="module")
def reference(raw, schema) -> dict:
    return json.loads(json.dumps(drift.profile(raw, schema)))  # as it comes back from the artifact store


def test_psi_is_zero_for_equal_shares_and_grows_with_the_shift():
    assert drift.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    small, large = drift.psi([0.5, 0.5], [0.45, 0.55]), drift.psi([0.5, 0.5], [0.2, 0.8])
    assert 0 < small < 0.05 < 0.25 < large
    assert np.isfinite(drift.psi([1.0, 0.0], [0.0, 1.0]))  # empty bins are floored, not infinite


def test_same_source_shows_no_drift(reference, fresh, schema):
    report = drift.compare(reference, fresh, schema)
    assert report["max_psi"] < 0.05, report["worst"]
    assert drift.verdict(report["max_psi"], 0.1, 0.25) == "ok"
    assert {f"feature:{c}" for c in schema.features} | {"label_rate"} <= set(report["checks"])
    assert {f"groups:{c}" for c in schema.sensitive} <= set(report["checks"])


def test_shifted_numeric_feature_is_the_worst_check(reference, fresh, schema):
    shifted = fresh.assign(hours_per_week=fresh["hours_per_week"] + 15)
    report = drift.compare(reference, shifted, schema)
    assert report["worst"] == "feature:hours_per_week"
    assert drift.verdict(report["max_psi"], 0.1, 0.25) == "fail"
    assert "feature:hours_per_week: PSI" in drift.describe(report, 0.25)


def test_label_rate_shift(reference, fresh, schema):
    positives = fresh[fresh[schema.target] == schema.positive_label]
    report = drift.compare(reference, pd.concat([fresh, positives, positives]), schema)
    label = report["checks"]["label_rate"]
    assert label["current"] > label["reference"] + 0.1
    assert label["psi"] > 0.1
    assert "positive rate" in drift.describe(report, 0.1)


def test_group_mix_shift_and_new_category(reference, fresh, schema):
    women = fresh[fresh["sex"] == "Female"]
    mixed = pd.concat([women, women, women, fresh[fresh["sex"] != "Female"]])
    mixed["workclass"] = mixed["workclass"].astype("str")
    mixed.loc[mixed.index[:2000], "workclass"] = "Space-program"
    report = drift.compare(reference, mixed.reset_index(drop=True), schema)
    assert report["checks"]["groups:sex"]["current"]["Female"] > 0.7
    assert report["checks"]["groups:sex"]["psi"] > 0.25
    assert report["checks"]["feature:workclass"]["new_values"] == ["Space-program"]
    assert "Space-program" in drift.describe(report, None)


def test_missing_values_get_their_own_bin(reference, fresh, schema):
    holes = fresh.assign(capital_gain=fresh["capital_gain"].where(np.arange(len(fresh)) % 3 != 0))
    check = drift.compare(reference, holes, schema)["checks"]["feature:capital_gain"]
    assert check["current"][-1] == pytest.approx(1 / 3, abs=0.01)
    assert check["psi"] > 0.25


def test_thresholds_are_checked_in_params():
    with pytest.raises(ConfigError, match="drift.fail_above"):
        build_params({"drift": {"warn_above": 0.3, "fail_above": 0.2}})
    assert drift.verdict(9.0, None, None) == "ok"


@pytest.mark.parametrize("section, bad, word", [({"cron": "every day"}, "schedule.cron", "cron expression"),
                                                ({"timezone": "Mars/Olympus"}, "schedule.timezone", "IANA")])
def test_schedule_is_checked_in_params(section, bad, word):
    with pytest.raises(ConfigError, match=word):
        build_params({"schedule": section})
