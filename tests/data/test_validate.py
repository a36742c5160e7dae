import json
from pathlib import Path

import numpy as np
import pytest

from fairgate.adapters.gx_files import run_suite_with_docs, save_suite
from fairgate.core.contract import resolve_schema
from fairgate.core.errors import StageError
from fairgate.core.validate import raw_suite, run_suite
from fairgate.core.validation_report import describe_failures


def _failed(summary):
    return {(c["expectation"], c["column"]) for c in summary["checks"] if not c["success"]}


def test_clean_synthetic_data_passes_and_writes_data_docs(raw, schema, params, tmp_path: Path):
    raw.to_parquet(tmp_path / "raw.parquet", index=False)
    summary = run_suite_with_docs(tmp_path / "raw.parquet", raw_suite(schema, params.validate_cfg), tmp_path / "docs",
                                  rows=len(raw))
    assert summary["success"], describe_failures(summary)
    assert summary["evaluated"] >= 15
    assert (tmp_path / "docs" / "index.html").exists()


def test_missing_column_is_named(raw, schema, params):
    summary = run_suite(raw.drop(columns=["hours_per_week"]), raw_suite(schema, params.validate_cfg))
    assert ("expect_column_to_exist", "hours_per_week") in _failed(summary)
    assert "hours_per_week" in describe_failures(summary)


def test_out_of_range_values_are_counted_with_examples(raw, schema, params):
    bad = raw.copy()
    bad.loc[:9, "hours_per_week"] = 500
    summary = run_suite(bad, raw_suite(schema, params.validate_cfg))
    check = next(c for c in summary["checks"] if c["expectation"] == "expect_column_values_to_be_between"
                 and c["column"] == "hours_per_week" and c["kwargs"]["min_value"] == 1)
    assert not check["success"] and check["unexpected_count"] == 10 and "500" in check["examples"]


def test_inf_fails_the_finite_check(raw, schema, params):
    bad = raw.astype({"capital_gain": "float64"})
    bad.loc[:2, "capital_gain"] = float("inf")
    summary = run_suite(bad, raw_suite(schema, params.validate_cfg))
    assert "values must be finite" in describe_failures(summary) and "capital_gain" in describe_failures(summary)


def test_text_in_numeric_column_fails_the_type_check(raw, schema, params):
    bad = raw.copy()
    bad["education_num"] = bad["education_num"].astype("str")
    assert ("expect_column_values_to_be_in_type_list", "education_num") in _failed(
        run_suite(bad, raw_suite(schema, params.validate_cfg)))


def test_unknown_label_and_single_class(raw, schema, params):
    bad = raw.copy()
    bad.loc[:4, "income"] = "maybe"
    failed = _failed(run_suite(bad, raw_suite(schema, params.validate_cfg)))
    assert ("expect_column_values_to_be_in_set", "income") in failed
    one_class = raw[raw["income"] == "<=50K"]
    failed = _failed(run_suite(one_class, raw_suite(schema, params.validate_cfg)))
    assert ("expect_column_distinct_values_to_contain_set", "income") in failed


def test_small_sensitive_group_and_too_few_rows(raw, schema, params):
    bad = raw[(raw["age_group"] != "55+") | (np.arange(len(raw)) % 100 == 0)]
    summary = run_suite(bad, raw_suite(schema, params.validate_cfg))
    assert ("expect_column_value_counts_to_be_at_least", "age_group") in _failed(summary)
    assert ("expect_table_row_count_to_be_between", None) in _failed(run_suite(raw.head(50),
                                                                               raw_suite(schema, params.validate_cfg)))


def test_null_tolerance_per_column(raw, schema, params):
    bad = raw.copy()
    bad.loc[: len(bad) // 5, "hours_per_week"] = np.nan
    assert ("expect_column_values_to_not_be_null", "hours_per_week") in _failed(
        run_suite(bad, raw_suite(schema, params.validate_cfg)))
    relaxed = params.validate_cfg.model_copy(update={"null_tolerance": {"hours_per_week": 0.5}})
    assert ("expect_column_values_to_not_be_null", "hours_per_week") not in _failed(
        run_suite(bad, raw_suite(schema, relaxed)))


def test_extra_columns_allowed_or_rejected_by_params(raw, schema, params):
    extra = raw.assign(surprise=1)
    assert run_suite(extra, raw_suite(schema, params.validate_cfg))["success"]
    strict = params.validate_cfg.model_copy(update={"extra_columns": "reject"})
    assert ("expect_table_columns_to_match_set", None) in _failed(run_suite(extra, raw_suite(schema, strict)))


def test_suite_file_is_stable_for_unchanged_params(schema, params, tmp_path: Path):
    save_suite(raw_suite(schema, params.validate_cfg), tmp_path / "a.json")
    save_suite(raw_suite(schema, params.validate_cfg), tmp_path / "b.json")
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    assert json.loads((tmp_path / "a.json").read_text())["name"] == "raw"


def test_target_listed_as_feature_is_rejected(params):
    cfg = params.data.model_copy(update={"features": ["income", "sex"]})
    with pytest.raises(StageError, match="target"):
        resolve_schema(cfg, ["income", "sex"])


def test_processed_check_names_inf_huge_and_missing_values_in_float32_features(tmp_path):
    from fairgate.adapters.gx_files import check_matrix
    from fairgate.adapters.stages.preprocess import LABEL, with_leakage

    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 4)).astype("float32")
    y = (rng.random(500) > 0.5).astype("int64")
    X[:3, 1] = np.inf
    X[5, 2] = -1e31
    X[7, 3] = np.nan
    summary = with_leakage(check_matrix(X, y, ["a", "b", "c", "d"], LABEL, 10_000, tmp_path / "suite.json"), [])
    failed = {(c["expectation"], c["column"]): c for c in summary["checks"] if not c["success"]}
    assert set(failed) == {("expect_column_values_to_be_finite", "b"), ("expect_column_values_to_be_finite", "c"),
                           ("expect_column_values_to_not_be_null", "d")}
    assert failed[("expect_column_values_to_be_finite", "b")]["unexpected_count"] == 3
    assert "inf" in failed[("expect_column_values_to_be_finite", "b")]["examples"]
    assert failed[("expect_column_values_to_be_finite", "c")]["unexpected_count"] == 1
    assert not summary["success"] and summary["failed"] == 3


def test_duplicated_rows_matches_pandas_with_nulls_mixed_types_and_repeats():
    import pandas as pd

    from fairgate.core.rows import duplicated_rows

    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "n": rng.integers(0, 40, 3000), "x": rng.choice([0.5, 1.5, np.nan], 3000),
        "s": pd.Series(rng.choice(["a", "b", None], 3000), dtype="str"),
        "c": pd.Categorical(rng.choice(["u", "v"], 3000)), "i": pd.array(rng.choice([1, 2, None], 3000), dtype="Int32"),
    })
    expected = frame.duplicated(keep=False).to_numpy()
    assert expected.any() and not expected.all()
    assert (duplicated_rows(frame) == expected).all()
    no_integers = frame[["x", "s", "c", "i"]]
    assert (duplicated_rows(no_integers) == no_integers.duplicated(keep=False).to_numpy()).all()
    distinct = frame.drop_duplicates()
    assert not duplicated_rows(distinct).any()


def test_duplicate_rows_beyond_the_tolerance_fail_the_suite(raw, schema, params):
    bad = pd_concat_head(raw, 40)
    summary = run_suite(bad, raw_suite(schema, params.validate_cfg.model_copy(update={"max_duplicate_fraction": 0.01})))
    check = next(c for c in summary["checks"] if c["expectation"] == "expect_rows_to_be_unique")
    assert not check["success"] and check["unexpected_count"] == 80


def pd_concat_head(frame, rows):
    import pandas as pd

    return pd.concat([frame, frame.head(rows)], ignore_index=True)


def test_the_batch_suite_checks_the_inputs_without_the_label(raw, schema, params):
    from fairgate.core.validate import batch_suite

    batch = raw.drop(columns=[schema.target]).head(50)  # no label, and fewer rows than validate.min_rows
    summary = run_suite(batch, batch_suite(schema, params.validate_cfg))
    assert summary["success"], describe_failures(summary)
    assert not any(c["column"] == schema.target for c in summary["checks"])
    broken = batch.assign(hours_per_week=batch["hours_per_week"].astype("str"))
    summary = run_suite(broken, batch_suite(schema, params.validate_cfg))
    assert ("expect_column_values_to_be_in_type_list", "hours_per_week") in _failed(summary)


@pytest.fixture
def imports_frozen():
    """What a run does once its imports are done (``memory.freeze_what_exists``), undone for the other tests."""
    import gc

    from fairgate.adapters.infra.memory import freeze_what_exists

    freeze_what_exists()
    yield
    gc.unfreeze()


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("with_docs", [False, True])
def test_a_validated_frame_is_not_kept_alive_by_gx(raw, schema, params, tmp_path, monkeypatch, request, with_docs,
                                                    frozen):
    """GX's global context held the last validated frame in reference cycles: at 10M rows that was a second
    snapshot in memory for the rest of the run. With the imports frozen, as in a run, it still goes."""
    import weakref

    from fairgate.adapters import gx_files
    from fairgate.core import validate

    if frozen:
        request.getfixturevalue("imports_frozen")
    monkeypatch.setattr(validate, "LARGE_FRAME_CELLS", 0)
    suite = validate.raw_suite(schema, params.validate_cfg)
    if with_docs:  # the chunks it reads from the file
        read_chunks, alive = gx_files.frame_chunks, []

        def chunks(path, rows):
            for chunk in read_chunks(path, rows):
                alive.append(weakref.ref(chunk))
                yield chunk

        monkeypatch.setattr(gx_files, "frame_chunks", chunks)
        raw.to_parquet(tmp_path / "raw.parquet", index=False)
        summary = gx_files.run_suite_with_docs(tmp_path / "raw.parquet", suite, tmp_path / "docs", rows=len(raw) // 3)
        assert len(alive) > 1
    else:
        frame = raw.copy()
        alive = [weakref.ref(frame)]
        summary = validate.run_suite(frame, suite)
        del frame
    assert summary["success"]
    assert all(ref() is None for ref in alive)


def test_gx_does_not_hash_the_frame_it_validates(raw, schema, params):
    """GX fingerprints a frame under 1 GB by hashing every value, a tenth of a validation run, for a batch
    marker nothing reads."""
    from fairgate.core.validate import prepared, raw_suite

    definition = prepared(raw_suite(schema, params.validate_cfg))[1]
    outcome = definition.run(batch_parameters={"dataframe": raw})
    assert outcome.success
    assert "ge_load_time" in outcome.meta["batch_markers"]  # the markers GX keeps
    assert "pandas_data_fingerprint" not in outcome.meta["batch_markers"]
