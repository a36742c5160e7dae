"""Columns that are not features: identifiers left out, timestamps and nested values rejected at validate, and
files that cannot be read as they are (repeated column names, another encoding), each named with its fix."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairgate.adapters.source import load
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.runner import run_stage
from fairgate.core.config import build_params
from fairgate.core.contract import identifier_columns, resolve_schema, unusable_columns
from fairgate.core.errors import StageError

INFERRED = {"numeric": None, "categorical": None, "sensitive": ["sex"], "label_values": None}


def _frame(rows: int = 5000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"customer": [f"C{i:06d}" for i in range(rows)], "x": rng.normal(size=rows),
                         "city": rng.choice(["a", "b", "c"], rows), "sex": rng.choice(["F", "M"], rows),
                         "income": rng.choice([">50K", "<=50K"], rows)})


def _ctx(tmp_path: Path, source: str, **data) -> StageContext:
    params = build_params({"data": {"source": source, **INFERRED, **data}, "validate": {"min_rows": 100}})
    return StageContext(root=tmp_path, params=params)


def test_identifier_columns_are_near_unique_text_only():
    frame = _frame()
    assert identifier_columns(frame, ["customer", "x", "city"]) == ["customer"]
    assert identifier_columns(frame.head(40), ["customer"]) == [], "50 distinct values at least"


def test_an_id_column_is_left_out_of_the_inferred_features_and_the_run_says_so(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    (tmp_path / "data/input").mkdir(parents=True)
    _frame().to_csv(tmp_path / "data/input/ids.csv", index=False)
    ctx = _ctx(tmp_path, "data/input/ids.csv")
    for stage in ("ingest", "validate", "preprocess"):
        run_stage(ctx, stage)
    assert "['customer'] hold a distinct value in over half the rows" in caplog.text
    report = pd.read_json(tmp_path / paths.RAW_REPORT, typ="series")
    assert report["identifiers"] == ["customer"]
    width = np.load(tmp_path / paths.PROCESSED / paths.TRAIN_X).shape[1]
    assert width == 1 + 3 + 2, "x, city and sex only: no column per customer"


def test_an_explicitly_listed_id_column_is_kept_and_bounded():
    frame = _frame()
    cfg = build_params({"data": {"source": "x.csv", "sensitive": ["sex"], "categorical": ["customer", "city", "sex"],
                                 "numeric": ["x"]}}).data
    schema = resolve_schema(cfg, list(frame.columns), frame.dtypes, frame)
    assert "customer" in schema.categorical and schema.identifiers == ()


@pytest.mark.parametrize("column, values, why", [
    ("when", pd.date_range("2024-01-01", periods=300, freq="h"), "timestamps"),
    ("tags", [["a", "b"], ["c"], []] * 100, "nested values"),
])
def test_timestamps_and_nested_columns_are_rejected_naming_the_column(tmp_path, column, values, why):
    frame = _frame(300).drop(columns=["customer"]).assign(**{column: values})
    (tmp_path / "data/input").mkdir(parents=True)
    frame.to_parquet(tmp_path / "data/input/odd.parquet")
    ctx = _ctx(tmp_path, "data/input/odd.parquet")
    run_stage(ctx, "ingest")
    raw = pd.read_parquet(tmp_path / paths.RAW)
    assert column in unusable_columns(raw, resolve_schema(ctx.params.data, list(raw.columns), raw.dtypes, raw))
    with pytest.raises(StageError, match=rf"\[validate\].*'{column}' holds {why}") as info:
        run_stage(ctx, "validate")
    assert "data.drop" in info.value.fix and not (tmp_path / paths.RAW_REPORT).exists()


def test_repeated_column_names_fail_at_ingest(tmp_path):
    (tmp_path / "dup.csv").write_text("age, sex, sex, income\n1, F, M, x\n2, M, F, y\n")
    with pytest.raises(StageError, match=r"\[ingest\] 'dup.csv' names the columns \['sex'\] more than once"):
        load(build_params({"data": {"source": "dup.csv", "sensitive": ["sex"]}}).data, tmp_path)


def test_a_utf16_file_names_its_encoding_and_data_encoding_reads_it(tmp_path):
    (tmp_path / "u16.csv").write_text("age,sex,income\n1,F,x\n2,M,y\n", encoding="utf-16")
    with pytest.raises(StageError, match="not utf-8 text: it starts with a UTF-16") as info:
        load(build_params({"data": {"source": "u16.csv", "sensitive": ["sex"]}}).data, tmp_path)
    assert "data.encoding" in info.value.fix
    frame = load(build_params({"data": {"source": "u16.csv", "sensitive": ["sex"], "encoding": "utf-16"}}).data,
                 tmp_path)
    assert list(frame.columns) == ["age", "sex", "income"] and len(frame) == 2


def test_missing_sensitive_values_form_their_own_group():
    from fairgate.core.bootstrap import feature_groups
    from fairgate.core.evaluate import fairness_report

    groups = pd.Series(["F", None, "M", None])
    report = fairness_report(np.array([1, 0, 1, 0]), np.array([1, 0, 0, 0]), groups.astype("str").mask(groups.isna(),
                                                                                                          "__missing__"))
    assert set(report["groups"]) == {"F", "M", "__missing__"}
    assert set(feature_groups(pd.DataFrame({"sex": groups}), False)["sex"]) == {"F", "M", "__missing__"}
