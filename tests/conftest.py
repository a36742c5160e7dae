"""Shared fixtures: small configs and frames for unit tests."""

from __future__ import annotations

import pandas as pd
import pytest

from fairgate.config import Params, build_params
from fairgate.contract import Schema, resolve_schema
from fairgate.synthetic import generate


@pytest.fixture(scope="session")
def params() -> Params:
    return build_params({"data": {"synthetic": {"rows": 4000, "seed": 7},
                                  "label_values": [">50K", "<=50K"]},
                         "validate": {"ranges": {"hours_per_week": [1, 99], "education_num": [1, 16]}},
                         "train": {"epochs": 8, "hidden_sizes": [32, 16]}})


@pytest.fixture(scope="session")
def raw(params: Params) -> pd.DataFrame:
    from fairgate.ingest import normalise

    return normalise(generate(params.data.synthetic), params.data)


@pytest.fixture(scope="session")
def schema(params: Params, raw: pd.DataFrame) -> Schema:
    return resolve_schema(params.data, list(raw.columns), raw.dtypes)
