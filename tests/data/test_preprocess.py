import numpy as np
import pandas as pd
import pytest

from fairgate.core.preprocess import (
    Preprocessor,
    column_spreads,
    encode_labels,
    fit_preprocessor,
    label_leakage,
    split,
    stratum_order,
)


def test_split_is_deterministic_disjoint_and_stratified(raw, schema, params):
    a = split(raw, schema, params.preprocess)
    b = split(raw, schema, params.preprocess)
    assert a.test.equals(b.test)
    assert len(a.train) + len(a.val) + len(a.test) == len(raw)
    overall = (raw["income"] == ">50K").mean()
    for part in (a.train, a.val, a.test):
        assert abs((part["income"] == ">50K").mean() - overall) < 0.01
    for column in schema.sensitive:
        shares = raw[column].value_counts(normalize=True)
        test_shares = a.test[column].value_counts(normalize=True)
        assert (shares - test_shares).abs().max() < 0.01
    assert abs(len(a.test) / len(raw) - params.preprocess.test_size) < 0.01


def test_preprocessor_fits_on_train_only_and_handles_unseen_categories(raw, schema, params):
    splits = split(raw, schema, params.preprocess)
    prep = fit_preprocessor(splits.train, schema)
    X = prep.transform(splits.train)
    assert X.shape == (len(splits.train), len(prep.feature_names))
    numeric = X[:, : len(schema.numeric)]
    assert np.allclose(numeric.mean(axis=0), 0, atol=1e-4)
    unseen = splits.test.head(3).copy()
    unseen["occupation"] = "Astronaut"
    unseen.loc[unseen.index[0], "hours_per_week"] = np.nan
    encoded = prep.transform(unseen)
    assert np.isfinite(encoded).all()
    cols = [i for i, n in enumerate(prep.feature_names) if n.startswith("occupation=")]
    assert encoded[:, cols].sum() == 0


def test_preprocessor_round_trips_through_json(raw, schema):
    prep = fit_preprocessor(raw, schema)
    again = Preprocessor.from_json(prep.to_json())
    assert np.array_equal(prep.transform(raw.head(50)), again.transform(raw.head(50)))


def test_label_encoding_and_leakage_detection(raw, schema):
    y = encode_labels(raw, schema)
    assert set(np.unique(y)) == {0, 1}
    X = np.column_stack([np.random.default_rng(0).normal(size=len(y)), y.astype(float)])
    assert label_leakage(X, y, ["noise", "copy_of_label"]) == ["copy_of_label"]


def test_column_spreads_read_by_row_blocks_equal_numpys_standard_deviation():
    rng = np.random.default_rng(3)
    X = (rng.normal(size=(1000, 4)) * [1, 1e-3, 1e4, 0] + [0, 5, -2e6, 7]).astype(np.float32)
    np.testing.assert_allclose(column_spreads(X, rows=7), X.std(axis=0, dtype=np.float64), rtol=1e-9, atol=1e-12)
    assert np.isnan(column_spreads(np.array([[1.0, np.inf], [2.0, 0.0]]))[1])


def test_numeric_missing_values_impute_with_train_median(schema):
    train = pd.DataFrame({c: ["a", "b", "a"] for c in schema.categorical}
                         | {c: [1.0, np.nan, 3.0] for c in schema.numeric} | {schema.target: [">50K"] * 3})
    prep = fit_preprocessor(train, schema)
    assert prep.medians[0] == 2.0


def _wide(rows: int, levels: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"city": [f"c{i}" for i in rng.integers(0, levels, rows)],
                         "town": [f"t{i}" for i in rng.integers(0, levels, rows)],
                         "x": rng.normal(size=rows), "sex": rng.choice(["a", "b"], rows),
                         "income": rng.choice([">50K", "<=50K"], rows)})


def _schema(frame: pd.DataFrame):
    from fairgate.core.config import build_params
    from fairgate.core.contract import resolve_schema

    data = build_params({"data": {"sensitive": ["sex"], "source": "x.csv"}}).data
    return resolve_schema(data, list(frame.columns), frame.dtypes)


def test_rare_categories_share_one_infrequent_column_and_unseen_ones_join_it():
    from fairgate.core.config import PreprocessConfig

    train = pd.DataFrame({"city": ["a"] * 20 + ["b"] * 12 + ["once", "twice", "twice"], "x": np.arange(35.0),
                          "sex": ["f", "m"] * 17 + ["f"], "income": [">50K", "<=50K"] * 17 + [">50K"]})
    prep = fit_preprocessor(train, _schema(train), PreprocessConfig(min_category_count=10))
    assert prep.categories["city"] == ["a", "b", "__infrequent__"]
    assert prep.infrequent["city"] == ["once", "twice"]
    rows = pd.DataFrame({"city": ["once", "never-seen", "a"], "x": [1.0, 2.0, 3.0], "sex": ["f", "m", "f"]})
    encoded = prep.transform(rows)
    columns = [prep.feature_names.index(f"city={v}") for v in ("a", "b", "__infrequent__")]
    assert encoded[:, columns].tolist() == [[0, 0, 1], [0, 0, 1], [1, 0, 0]]
    assert prep.unseen(rows) == {"city": ["never-seen"]}, "a rare training value is not unseen"
    assert prep.unseen_share(rows) == {"city": pytest.approx(1 / 3)}


@pytest.mark.parametrize("levels", [300, 2000])
def test_wide_categoricals_encode_with_a_bounded_width(levels):
    from fairgate.core.config import PreprocessConfig

    frame = _wide(20_000, levels)
    cfg = PreprocessConfig()
    prep = fit_preprocessor(frame, _schema(frame), cfg)
    encoded = prep.transform(frame)
    assert len(prep.categories["city"]) <= cfg.max_categories
    assert encoded.shape[1] == len(prep.feature_names) <= 1 + 2 * cfg.max_categories + 2
    assert encoded.shape[1] > 127, "offsets beyond int8, where the encoder once overflowed"
    assert (encoded[:, 1:1 + len(prep.categories["city"])].sum(axis=1) == 1).all(), "every row in exactly one column"



def test_stratum_order_is_lexsorts_order_ties_included():
    rng = np.random.default_rng(4)
    stratum = rng.integers(0, 5, 2000)
    draw = rng.integers(0, 50, 2000) / 50  # many ties, broken by position
    assert np.array_equal(stratum_order(stratum, draw), np.lexsort((draw, stratum)))


def test_ordinal_encoding_is_one_code_column_per_categorical_and_agrees_with_one_hot(raw, schema, params):
    onehot = fit_preprocessor(raw, schema)
    ordinal = fit_preprocessor(raw, schema, encoding="ordinal")
    assert ordinal.feature_names == [*schema.numeric, *schema.categorical]
    rows = raw.head(200).copy()
    rows.loc[rows.index[0], "occupation"] = "Astronaut"  # never seen: the infrequent code, or -1 without one
    wide, narrow = onehot.transform(rows), ordinal.transform(rows)
    assert np.array_equal(wide[:, :len(schema.numeric)], narrow[:, :len(schema.numeric)])
    start = len(schema.numeric)
    for i, column in enumerate(schema.categorical):
        width = len(onehot.categories[column])
        block = wide[:, start:start + width]
        expected = np.where(block.any(axis=1), block.argmax(axis=1), -1)
        assert np.array_equal(narrow[:, len(schema.numeric) + i], expected), column
        start += width
    again = Preprocessor.from_json(ordinal.to_json())
    assert again.encoding == "ordinal" and np.array_equal(again.transform(rows), narrow)


def test_a_preprocessor_saved_before_encodings_reads_as_one_hot(raw, schema):
    import json

    saved = json.loads(fit_preprocessor(raw, schema).to_json())
    del saved["encoding"]
    assert Preprocessor.from_json(json.dumps(saved)).encoding == "onehot"


@pytest.mark.parametrize("train, preprocess, expected", [
    ({}, {}, "onehot"),
    ({"framework": "sklearn"}, {}, "ordinal"),
    ({"framework": "sklearn", "estimator": "xgboost.XGBClassifier"}, {}, "ordinal"),
    ({"framework": "sklearn", "estimator": "sklearn.linear_model.LogisticRegression"}, {}, "onehot"),
    ({"framework": "sklearn"}, {"encoding": "onehot"}, "onehot"),
    ({}, {"encoding": "ordinal"}, "ordinal"),
])
def test_auto_encoding_gives_trees_codes_and_everything_else_one_hot(train, preprocess, expected):
    from fairgate.core.config import build_params

    assert build_params({"train": train, "preprocess": preprocess}).encoding == expected
