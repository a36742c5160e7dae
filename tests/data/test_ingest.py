from pathlib import Path

import pandas as pd
import pytest

from fairgate.adapters.source import load
from fairgate.core.config import build_params
from fairgate.core.errors import StageError

CENSUS_LIKE = "age, sex, income\n39, Male, <=50K.\n50, Female, >50K.\n38, ?, <=50K\n"


def _cfg(source: str, **data):
    return build_params({"data": {"source": source, "sensitive": ["sex"], **data}}).data


def test_census_whitespace_question_marks_and_trailing_dots_normalise_by_config(tmp_path: Path):
    (tmp_path / "adult.csv").write_text(CENSUS_LIKE)
    cfg = _cfg("adult.csv", na_values=["?"], label_map={">50K.": ">50K", "<=50K.": "<=50K"})
    frame = load(cfg, tmp_path)
    assert list(frame.columns) == ["age", "sex", "income"]
    assert frame["income"].tolist() == ["<=50K", ">50K", "<=50K"]
    assert frame["sex"].iloc[0] == "Male"
    assert pd.isna(frame["sex"].iloc[2])
    assert pd.api.types.is_numeric_dtype(frame["age"])


def test_parquet_source(tmp_path: Path):
    pd.DataFrame({"x": [1, 2], "sex": ["a", "b"], "income": [">50K", "<=50K"]}).to_parquet(tmp_path / "d.parquet")
    assert len(load(_cfg("d.parquet"), tmp_path)) == 2


def test_missing_file_names_stage_path_and_fix(tmp_path: Path):
    with pytest.raises(StageError, match=r"\[ingest\].*nope\.csv.*does not exist") as info:
        load(_cfg("nope.csv"), tmp_path)
    assert "data.source" in info.value.fix


def test_empty_file_is_a_clear_error(tmp_path: Path):
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(StageError, match="is empty"):
        load(_cfg("empty.csv"), tmp_path)


def test_drop_removes_columns(tmp_path: Path):
    (tmp_path / "adult.csv").write_text(CENSUS_LIKE)
    assert "age" not in load(_cfg("adult.csv", drop=["age"]), tmp_path).columns


def test_categorical_columns_normalise_as_the_same_columns_held_as_text():
    import numpy as np

    from fairgate.core.ingest import normalise

    codes = np.random.default_rng(0).integers(-1, 4, 300)  # -1: missing
    frame = pd.DataFrame({
        "workclass": pd.Categorical.from_codes(codes, categories=[" Private", "?", "State-gov ", "nan"]),
        "race": pd.Categorical.from_codes(codes, categories=pd.Index(["White", " Black", "Other", ""], dtype=object)),
        "grade": pd.Categorical.from_codes(codes, categories=[1, 2, 3, 40]),  # pandas writes these as "2.0"
        "income": pd.Categorical.from_codes(np.abs(codes) % 2, categories=[">50K.", "<=50K"]),
    }, index=range(7, 307))
    params = build_params({"data": {"target": "income", "positive_label": ">50K", "sensitive": ["race"],
                                    "label_map": {">50K.": ">50K"}, "na_values": ["?"]}})
    as_text = frame.astype("str")
    assert as_text["grade"].dropna().str.endswith(".0").all()
    pd.testing.assert_frame_equal(normalise(frame, params.data), normalise(as_text, params.data))
