"""`fairgate init`'s drafting rules, one quirk of real files at a time, and the draft of a whole census-like file."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench import census
from fairgate.adapters.sniff import sniff, value_counts
from fairgate.adapters.source import load
from fairgate.app.init_draft import NeedsSensitive, draft_contract, init_params, model_name
from fairgate.core import draft
from fairgate.core.config import build_params
from fairgate.core.contract import resolve_schema
from fairgate.core.draft import DraftError
from fairgate.core.params_yaml import load as load_yaml
from fairgate.core.rows import duplicated_rows


def _counts(values: list[str]) -> pd.Series:
    return pd.Series(values, dtype="str").value_counts()


def test_spaces_after_commas_and_the_delimiter_are_sniffed(tmp_path: Path):
    (tmp_path / "a.csv").write_text("age, sex, income\n39, Male, <=50K\n50, Female, >50K\n")
    (tmp_path / "b.csv").write_text("age;sex;income\n39;Male;<=50K\n50;Female;>50K\n")
    spaced, plain = sniff(tmp_path / "a.csv"), sniff(tmp_path / "b.csv")
    assert (spaced.delimiter, spaced.skip_initial_space) == (",", True)
    assert (plain.delimiter, plain.skip_initial_space) == (";", False)


def test_question_marks_and_other_missing_tokens_are_found_only_where_they_occur():
    counts = {"a": _counts(["x", "?", "y"]), "b": _counts(["1", "", "NA"]), "c": _counts(["Male", "Female"])}
    assert draft.missing_tokens(counts) == ["", "?", "NA"]
    assert draft.missing_tokens({"c": counts["c"]}) == []


def test_labels_with_a_trailing_dot_map_onto_the_label_without_it():
    assert draft.label_map([">50K", "<=50K", ">50K.", "<=50K."]) == {">50K.": ">50K", "<=50K.": "<=50K"}
    assert draft.label_map(["yes.", "no."]) == {}, "a dot on every label is part of the label"


@pytest.mark.parametrize("values, role", [
    (["1", "2.5", "?", "4"], "numeric"),
    (["a", "b", "a", "?"], "categorical"),
    ([f"u{i}" for i in range(200)], "identifier"),
    ([str(i) for i in range(200)], "identifier"),
    ([f"2024-01-{d:02d} 10:00" for d in range(1, 29)] * 3, "datetime"),
    (["same"] * 10, "constant"),
    (["?"] * 10, "empty"),
])
def test_column_roles_come_from_the_values(values, role):
    assert draft.column_role("col", _counts(values), len(values), {"?"})[0] == role


def test_a_near_unique_measurement_stays_numeric_unless_named_like_an_id():
    values = [f"{v:.2f}" for v in np.random.default_rng(0).normal(100, 10, 500)]
    assert draft.column_role("balance", _counts(values), 500, set())[0] == "numeric"
    ids = [str(i * 7) for i in range(400)] + ["3"] * 100
    assert draft.column_role("customer_id", _counts(ids), 500, set())[0] == "identifier"


def test_headroom_rules():
    assert draft.headroom_share(0.06) == pytest.approx(0.1)
    assert draft.headroom_share(0.0) == 0.01
    assert draft.headroom_share(0.9) == 1.0
    assert draft.headroom_range(17, 90, integer=True) == [9, 98]
    assert draft.headroom_range(2, 3, integer=False) == [1.9, 3.1]
    assert draft.headroom_range(-5.0, 5.0, integer=False) == [-6.0, 6.0]


def test_positive_label_guess_and_protected_candidates():
    assert draft.guess_positive(["<=50K", ">50K"], pd.Series({"<=50K": 9, ">50K": 3}))[0] == ">50K"
    assert draft.guess_positive(["no", "yes"], pd.Series({"no": 1, "yes": 9}))[0] == "yes"
    assert draft.guess_positive(["approve", "deny"], pd.Series({"approve": 9, "deny": 3}))[0] == "deny"
    counts = {"Gender": _counts(["M", "F"]), "who": _counts(["Male", "Female"]), "hours": _counts(["1", "2"]),
              "marital-status": _counts(["Married"]), "ethnicity": _counts(["x"])}
    found = dict(draft.protected_candidates(list(counts), counts))
    assert set(found) == {"Gender", "who", "marital-status", "ethnicity"}
    assert "female" in found["who"]


def test_model_name_comes_from_the_file_name():
    assert model_name(Path("/x/Adult Census.v2.csv")) == "adult-census-v2"


@pytest.fixture(scope="module")
def census_file(tmp_path_factory) -> Path:
    return census.write(tmp_path_factory.mktemp("census") / "adult.csv", rows=6000)


def test_census_draft_covers_every_quirk_and_its_own_file_passes_it(census_file: Path, tmp_path: Path):
    result, rows = draft_contract(tmp_path, "data/input/adult.csv", census_file, None, None, ["sex", "race"])
    data, rules = result.data, result.validate
    assert rows == 6000
    assert (data["delimiter"], data["strip_whitespace"], data["na_values"]) == (",", True, ["?"])
    assert data["target"] == "income" and data["positive_label"] == ">50K"
    assert data["label_map"] == {">50K.": ">50K", "<=50K.": "<=50K"}
    assert set(data["numeric"]) == {"age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"}
    assert {"sex", "race", "native-country"} <= set(data["categorical"])
    assert 0.06 < rules["null_tolerance"]["workclass"] < 0.12 and set(rules["null_tolerance"]) == {"workclass",
                                                                                                    "occupation"}
    assert 0.37 < rules["max_duplicate_fraction"] < 0.6, "20% extra copies: ~37% of rows have a twin"
    assert rules["ranges"]["age"][0] <= 17 and rules["ranges"]["age"][1] >= 90
    assert all(choice.why for choice in result.choices)

    params = build_params({"data": data | {"source": str(census_file)}, "validate": rules})
    frame = load(params.data, tmp_path)
    schema = resolve_schema(params.data, list(frame.columns), frame.dtypes)
    assert frame[schema.target].isin(data["label_values"]).all()
    assert duplicated_rows(frame[list(schema.required)]).mean() <= rules["max_duplicate_fraction"]
    for column, (low, high) in rules["ranges"].items():
        assert frame[column].between(low, high).all()


def test_init_without_sensitive_lists_candidates_and_writes_nothing(census_file: Path, tmp_path: Path):
    params = tmp_path / "params.yaml"
    params.write_text("data:\n  source: synthetic\n")
    with pytest.raises(NeedsSensitive) as info:
        init_params(tmp_path, params, census_file)
    assert {"sex", "race", "age", "marital-status"} <= {c for c, _ in info.value.candidates}
    assert params.read_text() == "data:\n  source: synthetic\n"
    assert not (tmp_path / "data/input/adult.csv").exists()


def test_init_writes_a_valid_contract_and_copies_the_file(census_file: Path, tmp_path: Path):
    params = tmp_path / "params.yaml"
    params.write_text("# kept\ndata:\n  source: synthetic  # kept too\n  features: [a]\ngate:\n  min_accuracy: 0.7\n")
    result = init_params(tmp_path, params, census_file, sensitive=["sex"])
    written = load_yaml(params.read_text())
    assert "# kept" in params.read_text() and written["gate"]["min_accuracy"] == 0.7
    assert written["data"]["source"] == "data/input/adult.csv" and written["data"]["features"] is None
    assert written["promote"]["model_name"] == "adult"
    assert (tmp_path / "data/input/adult.csv").read_bytes() == census_file.read_bytes()
    assert "+  source: data/input/adult.csv" in result.diff
    build_params(written)


def test_init_refuses_a_target_that_is_not_binary(tmp_path: Path):
    path = tmp_path / "three.csv"
    pd.DataFrame({"x": range(30), "sex": ["a", "b", "c"] * 10, "y": ["p", "q", "r"] * 10}).to_csv(path, index=False)
    with pytest.raises(DraftError, match="'y' has 3 values"):
        draft_contract(tmp_path, "three.csv", path, "y", None, ["sex"])


def test_text_counts_cover_every_row(census_file: Path):
    columns, counts, rows = value_counts(census_file, sniff(census_file))
    assert columns[0] == "age" and all(int(c.sum()) == rows for c in counts.values())


def _decimal_comma_file(path, delimiter: str):
    rng = np.random.default_rng(3)
    rows = 400
    ratio = [f"{v:.1f}".replace(".", ",") for v in rng.uniform(0, 9, rows)]
    frame = pd.DataFrame({"ratio": ratio, "group": rng.choice(["a", "b"], rows),
                          "label": rng.choice(["yes", "no"], rows)})
    frame.to_csv(path, sep=delimiter, index=False)
    return path


def test_a_semicolon_file_with_decimal_commas_gets_data_decimal_and_numeric_columns(tmp_path):
    from fairgate.core.config import DataConfig

    path = _decimal_comma_file(tmp_path / "semi.csv", ";")
    draft, _ = draft_contract(tmp_path, "data/input/semi.csv", path, "label", "yes", ["group"])
    assert draft.data["delimiter"] == ";" and draft.data["decimal"] == ","
    assert draft.data["numeric"] == ["ratio"] and not draft.warnings
    frame = load(DataConfig.model_validate(draft.data | {"source": str(path)}), tmp_path)
    assert pd.api.types.is_float_dtype(frame["ratio"]) and frame["ratio"].between(0, 9).all()


def test_numbers_in_another_notation_than_the_file_reads_are_warned_about(tmp_path):
    path = _decimal_comma_file(tmp_path / "quoted.csv", ",")  # "4,1" quoted in a comma-separated file
    draft, _ = draft_contract(tmp_path, "data/input/quoted.csv", path, "label", "yes", ["group"])
    assert draft.data["decimal"] == "." and "ratio" in draft.data["categorical"]
    assert any("column 'ratio' reads as text, but its values are numbers written with decimal commas" in w
               and "set data.decimal to ','" in w for w in draft.warnings), draft.warnings
