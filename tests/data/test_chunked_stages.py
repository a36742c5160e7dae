"""ingest normalises the source a chunk of rows at a time, and preprocess reads the snapshot a few columns, then
a chunk of rows, at a time; what they write must be exactly what the in-memory path (normalise, split, fit and
encode on whole frames) gives, on a census-like file with its quirks and on the built-in data."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from bench import census
from fairgate.adapters import source
from fairgate.adapters.parquet_rows import ParquetColumns, first_rows, read_frame
from fairgate.adapters.source import load, write_snapshot
from fairgate.adapters.stages import paths
from fairgate.core import drift
from fairgate.core.config import build_params
from fairgate.core.contract import resolve_schema
from fairgate.core.preprocess import encode_labels, fit_preprocessor, split


@pytest.fixture
def census_snapshot(tmp_path, monkeypatch):
    """The raw snapshot of a census-like file (`?`, ', ', labels ending in '.', duplicates, a country seen
    once, a small race group) as ingest writes it, and the project's params for it."""
    csv = census.write(tmp_path / "adult.csv", rows=3000, seed=5)
    params = build_params({"data": {"source": str(csv), "target": "income", "positive_label": ">50K",
                                    "sensitive": ["sex", "race"], "na_values": ["?"],
                                    "label_map": {">50K.": ">50K", "<=50K.": "<=50K"}},
                           "validate": {"min_rows": 500}})
    raw = source.load(params.data, tmp_path)
    (tmp_path / "data").mkdir(exist_ok=True)
    raw.to_parquet(tmp_path / paths.RAW, index=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    return tmp_path, params


def test_columns_read_one_at_a_time_equal_the_whole_file_read_by_pandas(census_snapshot):
    root, _ = census_snapshot
    whole = pd.read_parquet(root / paths.RAW)
    columns = ParquetColumns(root / paths.RAW)
    assert list(columns.columns) == list(whole.columns) and columns.dtypes.equals(whole.dtypes)
    assert len(columns) == len(whole)
    for name in whole.columns:
        pd.testing.assert_series_equal(columns[name], whole[name])
    pd.testing.assert_frame_equal(first_rows(root / paths.RAW, 5), whole.head(5))
    pd.testing.assert_frame_equal(read_frame(root / paths.RAW), whole)
    mask = np.arange(len(whole)) % 3 == 0
    pd.testing.assert_frame_equal(columns.where(mask)[["age", "race"]],
                                  whole.loc[mask, ["age", "race"]].reset_index(drop=True))


def test_preprocess_in_tiny_chunks_writes_exactly_what_the_in_memory_path_gives(census_snapshot, monkeypatch):
    from fairgate.adapters.stages import preprocess as stage
    from fairgate.adapters.stages.context import StageContext

    root, params = census_snapshot
    raw = pd.read_parquet(root / paths.RAW)
    assert raw.isna().any().any() and raw.duplicated().any(), "the file's quirks reach the snapshot"
    monkeypatch.setattr(stage, "encoding_chunk_rows", lambda columns: 7)
    stage.run(StageContext(root=root, params=params))

    schema = resolve_schema(params.data, list(raw.columns), raw.dtypes, raw)
    splits = split(raw, schema, params.preprocess)
    prep = fit_preprocessor(splits.train, schema, params.preprocess)
    out = root / paths.PROCESSED
    expected = {paths.TRAIN_X: prep.transform(splits.train), paths.VAL_X: prep.transform(splits.val),
                paths.TRAIN_Y: encode_labels(splits.train, schema), paths.VAL_Y: encode_labels(splits.val, schema)}
    for name, array in expected.items():
        written = np.load(out / name)
        assert written.dtype == array.dtype and written.shape == array.shape and written.tobytes() == array.tobytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(out / paths.TEST), splits.test)
    sensitive = list(schema.sensitive)
    pd.testing.assert_frame_equal(pd.read_parquet(out / paths.TRAIN_GROUPS), splits.train[sensitive])
    pd.testing.assert_frame_equal(pd.read_parquet(out / paths.VAL_GROUPS), splits.val[sensitive])
    assert (out / paths.PREPROCESSOR).read_text() == prep.to_json()
    assert json.loads((out / paths.PROFILE).read_text()) == json.loads(json.dumps(drift.profile(splits.train, schema)))
    report = json.loads((root / paths.PROCESSED_REPORT).read_text())
    assert report["splits"] == {"train": len(splits.train), "val": len(splits.val), "test": len(splits.test)}


@pytest.mark.parametrize("source", ["census", "census-parquet", "synthetic"])
def test_ingest_in_tiny_chunks_writes_the_snapshot_normalising_it_whole_gives(census_snapshot, monkeypatch, source):
    from fairgate.adapters import source as source_module

    root, params = census_snapshot
    if source == "synthetic":
        params = build_params({"data": {"synthetic": {"rows": 500, "seed": 3}}})
    if source == "census-parquet":  # the file as its owner saved it: '?' markers, ', ' and dotted labels kept
        as_saved = pd.read_csv(params.data.source)
        as_saved.to_parquet(root / "adult.parquet", index=False)
        params = params.model_copy(update={"data": params.data.model_copy(update={"source": str(root / "adult.parquet")})})
    written = root / "chunked.parquet"
    with monkeypatch.context() as patched:
        if source != "synthetic":  # a file is never read whole
            patched.setattr(source_module, "read_source", lambda *a: pytest.fail("the source was read whole"))
        rows, columns = write_snapshot(params.data, root, written, rows=7, whole_below=0)
    whole = load(params.data, root)
    pd.testing.assert_frame_equal(pd.read_parquet(written), whole)
    assert (rows, columns) == (len(whole), list(whole.columns))


def test_ingest_of_columns_whose_type_changes_between_chunks_falls_back_to_the_whole_frame(tmp_path):
    mixed = pd.DataFrame({"income": [">50K", "<=50K"] * 10, "sex": ["Male", "Female"] * 10,
                          "age_group": ["a", "b"] * 10, "note": [None] * 10 + [{"k": 1}] * 10})
    mixed.to_parquet(tmp_path / "mixed.parquet", index=False)
    params = build_params({"data": {"source": str(tmp_path / "mixed.parquet")}})
    rows, _ = write_snapshot(params.data, tmp_path, tmp_path / "out.parquet", rows=7, whole_below=0)
    assert rows == 20
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), load(params.data, tmp_path))


def test_a_source_left_with_no_columns_fails_in_ingest_saying_so(tmp_path):
    from fairgate.core.errors import StageError

    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(tmp_path / "two.parquet", index=False)
    params = build_params({"data": {"source": str(tmp_path / "two.parquet"), "drop": ["a", "b"]}})
    with pytest.raises(StageError, match=r"\[ingest\] the source has no columns"):
        write_snapshot(params.data, tmp_path, tmp_path / "out.parquet", rows=7, whole_below=0)


def _census_suite(tmp_path, strict: bool):
    """The raw suite for ``census.validation_snapshot``, with the file as loaded."""
    from fairgate.core.validate import raw_suite

    raw, schema, cfg = census.validation_snapshot(tmp_path, strict)
    return raw, raw_suite(schema, cfg)


@pytest.mark.parametrize("strict", [False, True], ids=["passing", "failing"])
def test_validation_in_chunks_reports_exactly_what_one_run_on_the_whole_frame_reports(tmp_path, strict):
    from fairgate.adapters.gx_files import run_suite_with_docs
    from fairgate.core.rows import duplicated_rows
    from fairgate.core.validate import run_suite

    raw, suite = _census_suite(tmp_path, strict)
    whole = run_suite(raw, suite)
    chunked = run_suite_with_docs(tmp_path / "raw.parquet", suite, tmp_path / "docs", rows=97)  # 7 chunks
    assert chunked == whole
    assert chunked["success"] is not strict
    failed = {(c["expectation"], c["column"]) for c in chunked["checks"] if not c["success"]}
    if strict:
        assert {("expect_column_values_to_be_between", "age"), ("expect_rows_to_be_unique", None),
                ("expect_column_value_counts_to_be_at_least", "race")} <= failed
    duplicates = next(c for c in chunked["checks"] if c["expectation"] == "expect_rows_to_be_unique")
    seen_within_chunks = sum(int(duplicated_rows(raw.iloc[i:i + 97]).sum()) for i in range(0, len(raw), 97))
    assert duplicates["unexpected_count"] == int(raw.duplicated(keep=False).sum()) > seen_within_chunks
    page = " ".join(re.sub(r"<[^>]+>", " ", next((tmp_path / "docs" / "validations").rglob("*.html")).read_text()).split())
    assert "Must have greater than or equal to 50 rows. 600" in page  # Data Docs show the combined result
    if strict:
        assert f"{duplicates['unexpected_count']} unexpected values found. ≈37.83% of 600 total rows" in page


def test_the_validate_stage_in_chunks_writes_the_report_of_one_run_on_the_whole_snapshot(census_snapshot, monkeypatch):
    from fairgate.adapters import gx_files
    from fairgate.adapters.stages import validate as stage
    from fairgate.adapters.stages.context import StageContext
    from fairgate.core.diagnosis import diagnose
    from fairgate.core.validate import raw_suite, run_suite

    root, params = census_snapshot
    params = params.model_copy(update={"validate_": params.validate_cfg.model_copy(update={
        "max_null_fraction": 0.1, "max_duplicate_fraction": 0.5})})  # this file's quirks, tolerated
    raw = pd.read_parquet(root / paths.RAW)
    monkeypatch.setattr(gx_files, "checked_rows", lambda columns: 1000)
    stage.run(StageContext(root=root, params=params))

    report = json.loads((root / paths.RAW_REPORT).read_text())
    schema = resolve_schema(params.data, list(raw.columns), raw.dtypes, raw)
    expected = run_suite(raw, raw_suite(schema, params.validate_cfg)) | {
        "identifiers": list(schema.identifiers), "bias": diagnose(raw, schema)}
    assert report == json.loads(json.dumps(expected))
    assert report["rows"] == 3000 and report["success"] and report["bias"]["features"]["race"]["proxies"]


def test_a_check_that_raises_on_a_chunk_is_reported_as_one_run_on_the_whole_frame_reports_it(tmp_path):
    from fairgate.adapters.gx_files import run_suite_with_docs
    from fairgate.core.validate import raw_suite, run_suite
    from fairgate.core.validation_report import describe_failures

    raw, _ = _census_suite(tmp_path, strict=False)
    raw = raw.astype({"age": "str"})  # text where the contract's range expects numbers
    raw.to_parquet(tmp_path / "raw.parquet", index=False)
    params = build_params({"data": {"target": "income", "positive_label": ">50K", "sensitive": ["sex", "race"]},
                           "validate": {"ranges": {"age": [20, 80]}, "min_rows": 50}})
    suite = raw_suite(resolve_schema(params.data, list(raw.columns), raw.dtypes, raw), params.validate_cfg)
    chunked = run_suite_with_docs(tmp_path / "raw.parquet", suite, tmp_path / "docs", rows=97)
    assert chunked == run_suite(raw, suite)
    assert "expect_column_values_to_be_between column 'age'" in describe_failures(chunked)


def _csv_whose_types_change_between_chunks(path, rows: int = 30):
    """A column of whole numbers with a gap only late (floats, read whole), codes that are digits until a letter
    ('0012' stays text), prices written '1.50' until 'free', a note empty in the first chunk, true/false flags,
    and a sensitive column coded 1/2 with one missing value late (labels '1.0'/'2.0', as a whole read gives)."""
    lines = ["hours,code,price,note,flag,sex,income"]
    for i in range(rows):
        late = i >= rows - 5
        lines.append(",".join([
            "" if late and i % 2 else str(30 + i), "A7" if i == rows - 1 else f"{i:04d}",
            "free" if i == rows - 2 else "1.50", "" if i < 10 else ("?" if i % 3 else f" note {i}"),
            "True" if i % 2 else "False", "" if i == rows - 3 else str(1 + i % 2),
            ">50K." if i % 3 == 0 else "<=50K"]))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("flag_gap", [False, True], ids=["types-settled", "true-false-with-a-gap"])
def test_a_csv_read_in_chunks_gives_the_snapshot_of_reading_it_whole(tmp_path, monkeypatch, flag_gap):
    csv = _csv_whose_types_change_between_chunks(tmp_path / "own.csv")
    if flag_gap:  # no one type says what a whole read gives (object: True, False, NaN): read whole instead
        csv.write_text(csv.read_text().replace(",True,", ",,", 1))
    params = build_params({"data": {"source": str(csv), "target": "income", "positive_label": ">50K",
                                    "sensitive": ["sex"], "na_values": ["?"], "label_map": {">50K.": ">50K"}}})
    whole = load(params.data, tmp_path)
    assert whole["hours"].dtype == "float64" and whole["code"].iloc[0] == "0000" and whole["price"].iloc[0] == "1.50"
    assert set(whole["sex"].dropna()) == {"1.0", "2.0"}
    read_whole = source.read_source
    if not flag_gap:
        monkeypatch.setattr(source, "read_source", lambda *a: pytest.fail("the CSV was read whole"))
    rows, columns = write_snapshot(params.data, tmp_path, tmp_path / "out.parquet", rows=7, whole_below=0)
    monkeypatch.setattr(source, "read_source", read_whole)
    whole.to_parquet(tmp_path / "whole.parquet", index=False)  # the snapshot as the whole read writes it
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), pd.read_parquet(tmp_path / "whole.parquet"))
    assert (rows, columns) == (30, list(whole.columns))


@pytest.mark.parametrize("name,content", [
    ("empty", b""), ("header-only", b"a,b,income,sex\n"), ("semicolons", b"a;b;income;sex\n1;2;x;y\n"),
    ("utf16", "a,b,income,sex\n1,2,x,y\n".encode("utf-16")), ("repeated-name", b"a,a,income,sex\n1,2,x,y\n"),
    ("ragged", b"a,b,income,sex\n1,2,x,y\n1,2,3,4,5,6\n")])
def test_a_bad_csv_read_in_chunks_fails_with_the_message_of_reading_it_whole(tmp_path, name, content):
    from fairgate.core.errors import StageError

    (tmp_path / f"{name}.csv").write_bytes(content)
    params = build_params({"data": {"source": f"{name}.csv", "target": "income", "sensitive": ["sex"]}})
    messages = []
    for whole_below in (2**62, 0):
        with pytest.raises(StageError, match=r"^\[ingest\]") as failure:
            write_snapshot(params.data, tmp_path, tmp_path / "out.parquet", rows=7, whole_below=whole_below)
        messages.append(str(failure.value))
    assert messages[0] == messages[1]


def test_the_processed_check_in_chunks_reports_what_one_run_on_the_whole_matrix_reports():
    from fairgate.core.validate import processed_suite, run_suite, run_suite_in_chunks

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3)).astype(np.float32)
    X[[5, 60], 0], X[[20, 90], 1] = np.nan, np.inf  # missing and infinite values in different chunks
    y = rng.integers(0, 2, 100)
    y[[70, 71]] = 2  # a label outside {0, 1}
    names = ["a", "b", "c"]
    whole = pd.DataFrame(X, columns=names).assign(label=y)
    suite = processed_suite(names, "label")
    chunks = (pd.DataFrame(X[s:s + 7], columns=names).assign(label=y[s:s + 7]) for s in range(0, 100, 7))
    chunked = run_suite_in_chunks(chunks, suite)
    assert chunked == run_suite(whole, suite)
    assert chunked["failed"] == 3 and chunked["rows"] == 100  # a: missing, b: infinite, label: not 0 or 1


@pytest.mark.parametrize("bad_rows", [[], [0], [45], [99]], ids=["clean", "bad-first-chunk", "bad-middle", "bad-last"])
def test_the_processed_check_sends_only_chunks_holding_a_problem_to_gx_and_reports_what_gx_reports_on_all(
        monkeypatch, tmp_path, bad_rows):
    from fairgate.adapters.gx_files import check_matrix
    from fairgate.adapters.stages import preprocess as stage
    from fairgate.core import validate_chunks
    from fairgate.core.validate import processed_suite, run_suite

    rng = np.random.default_rng(1)
    X = rng.normal(size=(100, 3)).astype(np.float32)
    y = rng.integers(0, 2, 100).astype(np.int8)
    X[bad_rows, 1] = np.inf
    checked = []
    run_chunk = validate_chunks.SuiteFold.add
    monkeypatch.setattr(validate_chunks.SuiteFold, "add",
                        lambda fold, outcome, chunk: (checked.append(len(chunk)), run_chunk(fold, outcome, chunk)))
    names = ["a", "b", "c"]
    summary = check_matrix(X, y, names, stage.LABEL, 4, tmp_path / "suite.json", rows=10)
    sent_to_gx = list(checked)

    whole = run_suite(pd.DataFrame(X, columns=names).assign(**{stage.LABEL: y}), processed_suite(names, stage.LABEL))
    summary["checks"] = [c for c in summary["checks"] if c["expectation"] != "no_target_leakage"]
    assert {k: v for k, v in summary.items() if k not in ("failed", "evaluated", "success")} == \
        {k: v for k, v in whole.items() if k not in ("failed", "evaluated", "success")}
    assert summary["checks"][0]["kwargs"] and summary["rows"] == 100
    # chunks: rows 0-3, then 4-13, 14-23, ...; GX saw the first and the one holding the bad row, if any
    holding_bad = {0 if r < 4 else 1 + (r - 4) // 10 for r in bad_rows}
    assert len(sent_to_gx) == len({0} | holding_bad)
    assert summary["success"] == (not bad_rows)


def test_a_chunk_cannot_be_counted_clean_for_a_check_that_needs_its_values():
    import great_expectations as gx
    import great_expectations.expectations as gxe

    from fairgate.core.validate import run_suite_in_chunks

    frame = pd.DataFrame({"group": ["a", "b", "a", "c"]})
    suite = gx.ExpectationSuite(name="groups", expectations=[
        gxe.ExpectColumnUniqueValueCountToBeBetween(column="group", min_value=1, max_value=5)])
    with pytest.raises(ValueError, match="needs every chunk's values"):
        run_suite_in_chunks([frame[:2], frame[2:]], suite, clean=lambda chunk: True)
