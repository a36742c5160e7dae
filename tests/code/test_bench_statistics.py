"""The statistics study (bench/statistics.py) on a small grid: it tells the old method from the new, and writes its
figures to results.json and its table into docs/statistics.md between the markers."""

import json

import numpy as np
import pytest

from bench import statistics as study


@pytest.fixture(scope="module")
def small():
    return study.study([2, 5], [200], [0.3], trials=300, old_trials=40, seed=1)


def test_the_study_shows_the_old_bootstrap_biased_and_the_new_bounds_honest(small):
    five = next(c for c in small["cells"] if c["metric"] == "demographic_parity_difference" and c["groups"] == 5)
    assert five["zero"]["old"]["low_above_truth"] > 0.9  # a true gap of 0 below the old interval, nearly always
    assert five["zero"]["new"]["low_above_truth"] <= 0.05
    assert small["summary"]["new"]["false_promotion_max"] <= 0.06
    assert small["summary"]["new"]["false_breach_at_ceiling_max"] <= 0.05
    assert len(small["cells"]) == 4 and len(small["accuracy"]) == 1


def test_the_layouts_set_the_true_gap():
    for spread in ("extremes", "split"):
        offsets = study.layout(5, 0.1, spread)
        assert offsets.max() - offsets.min() == pytest.approx(0.1)
    counts = study.draw("equalized_odds_difference", 3, 1000, 0.3, np.zeros(3), 2, np.random.default_rng(0))
    assert counts.shape == (2, 3, 2, 2) and (counts.sum(axis=(-1, -2)) == 1000).all()


def test_the_figures_land_in_results_and_the_docs_table(small, tmp_path, monkeypatch):
    results, doc = tmp_path / "results.json", tmp_path / "statistics.md"
    results.write_text('{"gpu_device": "H200"}')
    doc.write_text(f"before\n{study.START}\nold table\n{study.END}\nafter\n")
    monkeypatch.setattr(study, "RESULTS", results)
    monkeypatch.setattr(study, "DOC", doc)
    study.write(small)
    assert json.loads(results.read_text())["gpu_device"] == "H200"
    assert json.loads(results.read_text())["statistics"]["trials"] == 300
    text = doc.read_text()
    assert "old table" not in text and text.startswith("before\n") and text.endswith("after\n")
    assert "| DP | 5 | 200 | 0.3 |" in text and "| EO | 2 | 200 | 0.3 |" in text
