"""Shared fixtures: small configs and frames for unit tests."""

from __future__ import annotations

import pandas as pd
import pytest

from fairgate.core.config import Params, build_params
from fairgate.core.contract import Schema, resolve_schema
from fairgate.core.synthetic import generate


@pytest.fixture(scope="session")
def params() -> Params:
    return build_params({"data": {"synthetic": {"rows": 4000, "seed": 7},
                                  "label_values": [">50K", "<=50K"]},
                         "validate": {"ranges": {"hours_per_week": [1, 99], "education_num": [1, 16]}},
                         "train": {"epochs": 8, "hidden_sizes": [32, 16]}})


@pytest.fixture(scope="session")
def raw(params: Params) -> pd.DataFrame:
    from fairgate.core.ingest import normalise

    return normalise(generate(params.data.synthetic), params.data)


@pytest.fixture(scope="session")
def schema(params: Params, raw: pd.DataFrame) -> Schema:
    return resolve_schema(params.data, list(raw.columns), raw.dtypes)


@pytest.fixture(scope="session")
def _slice(tmp_path_factory: pytest.TempPathFactory, params: Params):
    """ingest → validate → preprocess → train → evaluate run in-process against a real SQLite MLflow store."""
    from fairgate.adapters.stages.context import StageContext
    from fairgate.app.orchestrate import run_stage

    root = tmp_path_factory.mktemp("slice")
    ctx = StageContext(root=root, params=params.model_copy(update={"validate_": params.validate_cfg.model_copy(
        update={"min_rows": 500})}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        for stage in ("ingest", "validate", "preprocess", "train", "evaluate"):
            run_stage(ctx, stage)
    return ctx


@pytest.fixture
def slice_ctx(_slice, monkeypatch: pytest.MonkeyPatch):
    """The slice's context, with MLflow pointed at the slice's store for the test."""
    from fairgate.adapters.infra.tracking import configure

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{_slice.root / 'mlflow.db'}")
    configure(_slice.root, _slice.params.tracking.experiment)
    return _slice
