"""Bad data at the stage that finds it, in-process: the message names the stage, the column or value and the
fix, and the stage's outputs are not half-written. `test_bad_data.py` runs one case per stage end to end
through `fairgate run` (exit code, no version registered, the champion unmoved); these are the rest."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.runner import run_stage
from fairgate.core.config import build_params
from fairgate.core.errors import StageError
from tests.faults.conftest import clean_frame, tree_digest

CONTRACT = {"label_values": [">50K", "<=50K"], "numeric": ["education_num", "hours_per_week", "capital_gain", "fnlwgt"],
            "categorical": ["workclass", "occupation", "marital_status", "sex", "age_group"]}  # as params.yaml
VALIDATE = {"min_rows": 500, "ranges": {"hours_per_week": [1, 99], "education_num": [1, 16]}}


def _workspace(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    (tmp_path / paths.INPUT_DIR).mkdir(parents=True)
    clean_frame().to_csv(tmp_path / paths.INPUT_DIR / "clean.csv", index=False)
    run_stage(_ctx(tmp_path, "clean.csv"), "ingest")  # an earlier, good snapshot that must stay intact
    return tmp_path


def _ctx(root: Path, name: str, data: dict | None = None, validate: dict | None = None) -> StageContext:
    params = build_params({"data": {"source": f"{paths.INPUT_DIR}/{name}", **CONTRACT, **(data or {})},
                           "validate": VALIDATE | (validate or {})})
    return StageContext(root=root, params=params)


def _fails(ctx: StageContext, stage: str, words: list[str]) -> str:
    before = tree_digest(ctx.path(paths.RAW)) if stage == "ingest" else None
    with pytest.raises(StageError) as info:
        run_stage(ctx, stage)
    message = str(info.value)
    assert message.startswith(f"[{stage}]") and "fix:" in message
    for word in words:
        assert word in message, f"{word!r} not in:\n{message}"
    if before is not None:
        assert tree_digest(ctx.path(paths.RAW)) == before, "the earlier snapshot is untouched"
    return message


@pytest.mark.parametrize("name, write, words", [
    ("empty.csv", lambda p: p.write_text(""), ["empty.csv", "is empty"]),
    ("header.csv", lambda p: p.write_text(",".join(clean_frame(10).columns) + "\n"), ["header.csv", "no data rows"]),
    ("semicolon.csv", lambda p: p.write_text(clean_frame(600).to_csv(index=False, sep=";")),
     ["delimiter looks like ';'", "data.delimiter"]),
    ("repeated.csv", lambda p: pd.concat([clean_frame(), clean_frame()[["sex"]]], axis=1).to_csv(p, index=False),
     ["repeated.csv", "['sex'] more than once"]),
    ("utf16.csv", lambda p: p.write_text(clean_frame().to_csv(index=False), encoding="utf-16"),
     ["utf16.csv", "UTF-16", "data.encoding"]),
])
def test_files_ingest_cannot_read(tmp_path, monkeypatch, name, write, words):
    root = _workspace(tmp_path, monkeypatch)
    write(root / paths.INPUT_DIR / name)
    _fails(_ctx(root, name), "ingest", words)


def _out_of_range(frame):
    frame.loc[:4, "hours_per_week"] = 400
    return frame


def _nonfinite(frame):
    frame = frame.astype({"capital_gain": "float64", "hours_per_week": "float64"})
    frame.loc[:2, "capital_gain"] = np.inf
    frame.loc[: len(frame) // 4, "hours_per_week"] = np.nan
    return frame


def _text_in_numeric(frame):
    frame = frame.astype({"education_num": "str"})
    frame.loc[:3, "education_num"] = "twelve"
    return frame


def _unknown_label(frame):
    frame.loc[:6, "income"] = "maybe"
    return frame


@pytest.mark.parametrize("damage, words, validate", [
    (lambda f: f.assign(surprise=1), ["expect_table_columns_to_match_set", "surprise"], {"extra_columns": "reject"}),
    (_text_in_numeric, ["education_num", "expect_column_values_to_be_in_type_list"], {}),
    (_out_of_range, ["hours_per_week", "400"], {}),
    (_nonfinite, ["capital_gain", "finite", "hours_per_week", "expect_column_values_to_not_be_null",
                  "missing values", "validate.null_tolerance.hours_per_week"], {}),
    (_unknown_label, ["income", "maybe"], {}),
    (lambda f: f.assign(income="<=50K"), ["income", "expect_column_unique_value_count"], {}),
    (lambda f: f.head(300), ["expect_table_row_count_to_be_between", "300"], {}),
    (lambda f: pd.concat([f.head(1000), f.head(1000).sample(900, random_state=0)], ignore_index=True),
     ["expect_rows_to_be_unique", "max_duplicate_fraction"], {"max_duplicate_fraction": 0.2}),
    (lambda f: f.drop(columns=["occupation", "workclass"]).assign(job="x"),
     ["expect_column_to_exist", "lacks 2 of the contract's columns",
      "`fairgate init --data data/input/bad.csv` drafts a contract for it"], {}),
], ids=["extra-column", "text-in-numeric", "out-of-range", "nan-and-inf", "unknown-label", "one-class", "few-rows",
        "duplicates", "another-schema"])
def test_data_the_contract_rejects(tmp_path, monkeypatch, damage, words, validate):
    root = _workspace(tmp_path, monkeypatch)
    damage(clean_frame()).to_csv(root / paths.INPUT_DIR / "bad.csv", index=False)
    ctx = _ctx(root, "bad.csv", validate=validate)
    run_stage(ctx, "ingest")
    message = _fails(ctx, "validate", words)
    assert "reports/validate/raw.json" in message and (root / paths.RAW_REPORT).exists(), "the evidence is written"
    assert not (root / paths.PROCESSED).exists()
