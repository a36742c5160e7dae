"""docs/explanations.md: attributions per original column that add up, a gap that splits exactly into the
columns' parts, and a planted proxy found carrying the gap and flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.modeldata import prepare
from fairgate.core import explain
from fairgate.core.backends import load_backend
from fairgate.core.contract import Schema
from fairgate.core.diagnosis import proxies
from fairgate.core.mitigation.thresholds import group_labels
from fairgate.core.preprocess import encode_labels, fit_preprocessor, split


def test_for_a_linear_score_each_part_is_the_weight_times_the_distance_from_the_background(raw, schema):
    """Interventional Shapley values of w.x are w_j (x_j - mean background x_j), whatever the column order;
    a categorical's one-hot parts move together."""
    prep = fit_preprocessor(raw, schema)
    X = prep.transform(raw.head(300))
    background = prep.transform(raw.tail(40))
    weights = np.random.default_rng(3).normal(size=X.shape[1])
    found = explain.attribute(lambda rows: rows @ weights, X, background, prep, permutations=4, seed=1)
    positions = explain.column_positions(prep)
    expected = np.column_stack([((X - background.mean(axis=0)) * weights)[:, where].sum(axis=1)
                                for where in positions.values()])
    np.testing.assert_allclose(found.values, expected, atol=1e-5)  # the encoded rows are float32
    assert found.columns == [*schema.numeric, *schema.categorical]


@pytest.mark.parametrize("framework, estimator, encoding", [("sklearn", "sklearn.ensemble.HistGradientBoostingClassifier",
                                                             "ordinal"), ("torch", None, "onehot")])
def test_the_gap_splits_exactly_into_the_columns_parts(framework, estimator, encoding):
    train = {"framework": framework} | ({"estimator": estimator} if estimator else {"epochs": 4})
    params, schema, splits, _, _, arrays = prepare(12_000, 4, bias=0.6, encoding=encoding, **train)
    prep = fit_preprocessor(splits.train, schema, encoding=encoding)
    backend = load_backend(framework)
    model = backend.fit(*arrays, params.train).model
    X_val = arrays[2]
    found = explain.attribute(lambda rows: backend.predict_proba(model, rows), X_val[:1500], X_val[-16:], prep)
    np.testing.assert_allclose(found.output, backend.predict_proba(model, X_val[:1500]), atol=1e-9)
    groups = group_labels(splits.val.reset_index(drop=True).head(1500), ["sex"])
    gap = explain.gap_split(found, groups, "sex")
    means = pd.Series(found.output).groupby(groups.to_numpy()).mean()
    assert abs(gap["gap"] - (means.max() - means.min())) < 1e-6
    assert abs(sum(gap["parts"].values()) - gap["gap"]) < 1e-3
    assert gap["top"][0]["column"] == "sex" and gap["direct_share"] > 0.5, "bias=0.6 puts the gap on sex itself"


def _zip_world(rows: int = 12_000, seed: int = 0) -> pd.DataFrame:
    """``zip`` follows ``sex`` 85% of the time and drives the label; ``sex`` does not, and is no feature."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], rows)
    zips = np.where(rng.random(rows) < 0.85, np.where(sex == "Female", "10001", "20002"),
                    rng.choice(["10001", "20002", "30003"], rows))
    hours = rng.normal(40, 10, rows)
    score = 1.6 * (zips == "20002") - 0.8 * (zips == "30003") + 0.03 * (hours - 40) + rng.normal(0, 1, rows)
    return pd.DataFrame({"sex": sex, "zip": zips, "hours": hours, "y": np.where(score > 0.5, "yes", "no")})


def test_a_planted_proxy_carries_most_of_the_gap_and_is_flagged():
    frame = _zip_world()
    schema = Schema(target="y", positive_label="yes", label_values=("yes", "no"), sensitive=("sex",),
                    numeric=("hours",), categorical=("zip",))
    params, *_ = prepare(1000, 0)
    parts = split(frame, schema, params.preprocess)
    prep = fit_preprocessor(parts.train, schema)
    backend = load_backend("sklearn")
    cfg = params.train.model_copy(update={"framework": "sklearn", "estimator": "sklearn.linear_model.LogisticRegression"})
    model = backend.fit(prep.transform(parts.train), encode_labels(parts.train, schema), prep.transform(parts.val),
                        encode_labels(parts.val, schema), cfg).model
    X_val = prep.transform(parts.val)
    found = explain.attribute(lambda rows: backend.predict_proba(model, rows), X_val, X_val[:16], prep)
    diagnosis = proxies(parts.train, Schema(**{**schema.__dict__, "categorical": ("zip", "sex")}), "sex")
    gap = explain.gap_split(found, group_labels(parts.val.reset_index(drop=True), ["sex"]), "sex", diagnosis)
    assert gap["top"][0]["column"] == "zip" and gap["top"][0]["share"] > 0.8, gap["top"]
    assert gap["top"][0]["proxy"] and gap["proxies_in_top"] == ["zip"] and gap["direct_share"] is None


def test_the_card_ranks_the_importance_by_size_whatever_order_the_json_kept():
    from fairgate.core.card import _explanation_lines

    explained = {"of": "the candidate", "method": explain.METHOD, "output_space": "probability", "rows": 10,
                 "background_rows": 4, "base_value": 0.3, "gaps": {},
                 "importance": {"age": 0.01, "hours": 0.2, "zip": 0.05}}  # as a sorted-keys JSON reads back
    line = next(row for row in _explanation_lines(explained) if row.startswith("Importance"))
    assert line.index("`hours`") < line.index("`zip`") < line.index("`age`")
