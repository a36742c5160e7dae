"""Labels that arrive for scored rows, with real quirks: read like the training data, and refused with a message
that names the column when they cannot be trusted."""

from __future__ import annotations

import pandas as pd
import pytest

from fairgate.adapters.monitor import joined_rows
from fairgate.core.errors import StageError


@pytest.fixture
def monitored(params):
    return params.model_copy(update={"monitor": params.monitor.model_copy(update={"key": "id"}),
                                     "data": params.data.model_copy(update={"na_values": ["?"],
                                                                            "label_map": {">50K.": ">50K",
                                                                                          "<=50K.": "<=50K"}})})


@pytest.fixture
def predictions(tmp_path):
    path = tmp_path / "scored.parquet"
    pd.DataFrame({"id": range(6), "sex": ["Female", "Male"] * 3, "age_group": ["18-34"] * 6,
                  "prediction": [0, 1, 0, 1, 1, 0], "model_version": "3"}).to_parquet(path)
    return path


def _labels(tmp_path, text: str):
    path = tmp_path / "labels.csv"
    path.write_text(text)
    return path


def test_labels_with_spaces_trailing_dots_and_duplicates_are_joined(monitored, predictions, tmp_path):
    labels = _labels(tmp_path, "id, income\n0, <=50K.\n1, >50K.\n1, >50K.\n2, <=50K\n99, >50K\n")
    joined = joined_rows(monitored, tmp_path, labels, predictions)
    assert joined["id"].tolist() == [0, 1, 2] and joined["income"].tolist() == ["<=50K", ">50K", "<=50K"]


@pytest.mark.parametrize(("text", "message"), [
    ("id,income\n0,?\n1,>50K\n", "1 rows of 'labels.csv' have no label in 'income'"),
    ("id,income\n0,rich\n1,>50K\n", "hold values outside data.label_values"),
    ("id,income\n0,>50K\n0,<=50K\n", "1 keys in 'labels.csv' carry two different labels"),
    ("key,income\n0,>50K\n", "lacks the columns ['id']"),
    ("id,income\n50,>50K\n", "no label in 'labels.csv' matches a prediction"),
])
def test_labels_that_cannot_be_trusted_are_refused(monitored, predictions, tmp_path, text, message):
    with pytest.raises(StageError) as caught:
        joined_rows(monitored, tmp_path, _labels(tmp_path, text), predictions)
    assert message in caught.value.problem and caught.value.stage == "monitor"


def test_without_a_key_nothing_can_be_joined(params, predictions, tmp_path):
    with pytest.raises(StageError, match="monitor.key is not set"):
        joined_rows(params, tmp_path, _labels(tmp_path, "id,income\n0,>50K\n"), predictions)
