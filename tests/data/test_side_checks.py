"""The data checks made by the side process (infra.side_process, gx_files): the same report as made here, on a
census-like file with its quirks ('?' markers, spaces after commas, labels ending in '.', duplicate rows, tiny
groups), and made here whenever the side process cannot."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import census
from fairgate.adapters.infra import side_process

GX = "fairgate.adapters.gx_files"


@pytest.fixture
def helper():
    side_process.start([GX])
    yield side_process._helper
    side_process.stop()


def _raw_check(tmp_path, schema, cfg, columns: int, where: str) -> side_process.Pending:
    args = (tmp_path / "raw.parquet", schema, cfg, tmp_path / where / "suite.json", tmp_path / where / "docs", columns)
    return side_process.submit(side_process.Call(GX, "check_raw_file", args), GX)


@pytest.mark.parametrize("strict", [False, True], ids=["passing", "failing"])
def test_the_side_process_checks_a_file_as_this_process_does(tmp_path, helper, strict):
    raw, schema, cfg = census.validation_snapshot(tmp_path, strict)
    beside = _raw_check(tmp_path, schema, cfg, len(raw.columns), "beside")
    assert beside.job is not None  # handed off
    report = beside.result()
    assert beside.made_beside
    here = side_process.Call(GX, "check_raw_file", (*beside.call.args[:3], tmp_path / "here" / "suite.json",
                                                     tmp_path / "here" / "docs", len(raw.columns))).here()
    assert report == here
    assert report["success"] is not strict and report["rows"] == len(raw)
    assert (tmp_path / "beside" / "suite.json").read_text() == (tmp_path / "here" / "suite.json").read_text()
    assert (tmp_path / "beside" / "docs" / "index.html").exists()


def test_a_check_the_side_process_was_not_started_for_is_made_here(tmp_path):
    raw, schema, cfg = census.validation_snapshot(tmp_path, strict=False)
    side_process.start([])  # nothing to prepare: no process
    assert side_process._helper is None
    pending = _raw_check(tmp_path, schema, cfg, len(raw.columns), "here")
    assert pending.job is None and pending.result()["success"]


def test_a_side_process_that_died_leaves_the_check_to_this_process(tmp_path, helper):
    raw, schema, cfg = census.validation_snapshot(tmp_path, strict=True)
    pending = _raw_check(tmp_path, schema, cfg, len(raw.columns), "beside")
    helper.process.kill()
    helper.process.wait()
    report = pending.result()  # made here, into the same folder, emptied first
    assert not pending.made_beside
    assert not report["success"] and (tmp_path / "beside" / "docs" / "index.html").exists()
    assert json.loads((tmp_path / "beside" / "suite.json").read_text())["expectations"]


def test_the_processed_check_beside_matches_the_one_here(tmp_path, helper):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30_000, 4)).astype(np.float32)
    X[12_345, 2] = np.nan  # one bad value past the first chunk: GX must find it there
    y = rng.integers(0, 2, size=len(X)).astype(np.int8)
    names = ["a", "b", "c", "d"]

    def check(where: str) -> side_process.Call:
        return side_process.Call(GX, "check_matrix", (X, y, names, "__label__", 10_000, tmp_path / f"{where}.json"))

    beside = side_process.submit(check("beside"), GX)
    assert beside.job is not None
    report = beside.result()
    assert beside.made_beside and report == check("here").here()
    assert not report["success"]
    assert (tmp_path / "beside.json").read_text() == (tmp_path / "here.json").read_text()
