"""A vectorised, seeded generator of census-style rows with a tunable dependence on sensitive groups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fairgate.core.config import SyntheticConfig

SEXES = np.array(["Female", "Male"])
AGE_GROUPS = np.array(["18-34", "35-54", "55+"])
WORKCLASSES = np.array(["Private", "Self-emp", "Government", "Unemployed"])
OCCUPATIONS = np.array(["Craft", "Sales", "Professional", "Service", "Clerical", "Managerial"])
MARITAL = np.array(["Never-married", "Married", "Divorced", "Widowed"])

_OCCUPATION_EFFECT = np.array([0.0, 0.3, 1.3, -0.9, -0.3, 1.5])
_WORKCLASS_EFFECT = np.array([0.0, 0.5, 0.3, -1.8])
_MARITAL_EFFECT = np.array([-0.9, 0.9, -0.3, -0.5])
_AGE_GROUP_BIAS = np.array([-1.0, 0.6, 0.4])
_SEX_BIAS = np.array([-1.1, 1.1])


def _categorical(codes: np.ndarray, labels: np.ndarray) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=labels)


def generate(cfg: SyntheticConfig, target: str = "income", positive_label: str = ">50K") -> pd.DataFrame:
    """Generate ``cfg.rows`` rows deterministically from ``cfg.seed``.

    Sensitive attributes (``sex``, ``age_group``) are drawn independently of every other feature, so at
    ``bias=0`` the label carries no information about them; ``bias`` adds a group effect to the logit
    that reaches its full strength at 1.
    """
    rng = np.random.default_rng(cfg.seed)
    n = cfg.rows
    sex = rng.integers(0, 2, n)
    age_group = rng.choice(3, size=n, p=[0.35, 0.40, 0.25])
    workclass = rng.choice(4, size=n, p=[0.70, 0.12, 0.14, 0.04])
    occupation = rng.integers(0, len(OCCUPATIONS), n)
    marital = rng.choice(4, size=n, p=[0.33, 0.46, 0.14, 0.07])
    education_num = np.clip(np.rint(rng.normal(10.0, 2.6, n)), 1, 16).astype(np.int64)
    hours_per_week = np.clip(np.rint(rng.normal(40.0, 11.0, n)), 1, 99).astype(np.int64)
    has_gain = rng.random(n) < 0.09
    capital_gain = np.where(has_gain, np.rint(rng.lognormal(8.5, 1.0, n)), 0.0).astype(np.int64)
    # Census sampling weight: carries no signal, but makes rows as distinct as real census rows are.
    fnlwgt = np.rint(rng.lognormal(12.0, 0.5, n)).astype(np.int64)

    logit = (
        -2.0
        + 0.62 * (education_num - 10.0)
        + 0.065 * (hours_per_week - 40.0)
        + 2.4 * has_gain
        + _OCCUPATION_EFFECT[occupation]
        + _WORKCLASS_EFFECT[workclass]
        + _MARITAL_EFFECT[marital]
        + cfg.bias * (_SEX_BIAS[sex] + _AGE_GROUP_BIAS[age_group])
    )
    positive = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    labels = np.array(["<=50K", positive_label])

    return pd.DataFrame(
        {
            "education_num": education_num,
            "hours_per_week": hours_per_week,
            "capital_gain": capital_gain,
            "fnlwgt": fnlwgt,
            "workclass": _categorical(workclass, WORKCLASSES),
            "occupation": _categorical(occupation, OCCUPATIONS),
            "marital_status": _categorical(marital, MARITAL),
            "sex": _categorical(sex, SEXES),
            "age_group": _categorical(age_group, AGE_GROUPS),
            target: _categorical(positive.astype(np.int8), labels),
        }
    )
