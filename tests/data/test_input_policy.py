"""The row policy the model server and `fairgate score` share: each refusal names the column, the value and the
data row (from 1); rows like the training rows pass."""

import numpy as np
import pandas as pd
import pytest

from fairgate.core.contract import Schema
from fairgate.core.input_policy import RowsRefused, check_rows
from fairgate.core.preprocess import Preprocessor, fit_preprocessor

SCHEMA = Schema(target="y", positive_label="1", label_values=None, sensitive=("sex",),
                numeric=("years", "ratio"), categorical=("job", "sex"))


@pytest.fixture(scope="module")
def prep() -> Preprocessor:
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"years": rng.integers(1, 16, 400), "ratio": rng.random(400),
                          "job": rng.choice(["a", "b", "c"], 400), "sex": rng.choice(["F", "M"], 400),
                          "y": rng.integers(0, 2, 400).astype(str)})
    train.loc[:9, "job"] = None  # training saw missing jobs, never a missing number
    return fit_preprocessor(train, SCHEMA, ranges={"years": (1, 16), "other": (0, 1)})


def _rows(n=5, **changes) -> pd.DataFrame:
    frame = pd.DataFrame({"years": [3] * n, "ratio": [0.5] * n, "job": ["a"] * n, "sex": ["F"] * n})
    for column, (row, value) in changes.items():
        frame[column] = frame[column].astype(object)
        frame.loc[row, column] = value
    return frame


INPUTS = ["years", "ratio", "job", "sex"]


def test_the_contract_of_the_training_rows_is_kept(prep):
    assert prep.integer == ["years"] and prep.ranges == {"years": [1, 16]} and prep.nullable == ["job"]
    check_rows(_rows(), prep, INPUTS)
    check_rows(_rows(job=(2, None)), prep, INPUTS)  # training had missing jobs


@pytest.mark.parametrize(("rows", "message"), [
    (_rows().drop(columns=["job"]), "the columns ['job'] are missing"),
    (_rows(years=(3, "three")), "column 'years' must be numeric, as the champion was trained on it, but holds text: "
                                "['three'] in row 4"),
    (_rows(years=(0, 13.7)), "column 'years' held whole numbers in training, but holds [13.7] in row 1"),
    (_rows(years=(4, -500)), "column 'years' = [-500.0] in row 5 is outside its range [1, 16]"),
    (_rows(ratio=(1, np.inf)), "column 'ratio' holds inf in row 2"),
    (_rows(ratio=(1, None)), "column 'ratio' has no value in row 2, but training rows always had one"),
    (_rows(sex=(0, None)), "column 'sex' has no value in row 1"),
    (_rows(job=(1, "z")), "categories the champion never saw: {'job': ['z']} in column 'job', row 2"),
])
def test_each_rule_refuses_naming_the_column_the_value_and_the_row(prep, rows, message):
    with pytest.raises(RowsRefused) as refused:
        check_rows(rows, prep, INPUTS)
    assert str(refused.value).startswith(message), str(refused.value)
    assert ("score.unseen_categories: infrequent" in refused.value.fix) == ("never saw" in message)


def test_rows_count_from_the_chunk_start_and_many_are_summarised(prep):
    rows = _rows(10)
    rows["years"] = [-1] * 10
    with pytest.raises(RowsRefused, match=r"in rows 40001, 40002, 40003 and 7 more"):
        check_rows(rows, prep, INPUTS, first_row=40_001)


def test_unseen_categories_scored_as_rare_when_the_policy_says_so(prep):
    check_rows(_rows(job=(1, "z")), prep, INPUTS, unseen_categories="infrequent")


def test_a_bundle_saved_before_the_contract_was_kept_checks_only_columns_and_categories(prep):
    old = Preprocessor.from_json(prep.to_json().replace('"nullable": [\n    "job"\n  ]', '"nullable": null'))
    old.integer.clear()
    old.ranges.clear()
    check_rows(_rows(years=(0, 13.7), ratio=(1, None)), old, INPUTS)
    with pytest.raises(RowsRefused, match="never saw"):
        check_rows(_rows(job=(1, "z")), old, INPUTS)
