"""A sensitive column with six groups, through the README's own commands (`fairgate init`, then `fairgate run`):
a region that carries no signal is not rejected for fairness, and a region whose positive rate is 0.2 lower is,
with the gap named. The file has a real file's quirks: ', ' between values, '?' markers, labels ending in '.'."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fairgate.core.config import SyntheticConfig
from fairgate.core.synthetic import generate
from tests.project import Project

pytestmark = pytest.mark.e2e
REGIONS = ["north", "south", "east", "west", "centre", "islands"]
ROWS = 18_000  # 600 test rows per region


def write_regions(path: Path, lowered: float, seed: int) -> Path:
    """The built-in generator's rows (no bias) with sex and age_group dropped and a random region added; in
    region 'north' a share of the positive labels is flipped so its positive rate is ``lowered`` lower."""
    rng = np.random.default_rng(seed)
    data = generate(SyntheticConfig(rows=ROWS, seed=seed, bias=0.0)).drop(columns=["sex", "age_group"])
    data["region"] = rng.choice(REGIONS, ROWS)
    north, positive = data["region"] == "north", data["income"] == ">50K"
    flip = north & positive & (rng.random(ROWS) < lowered / positive[north].mean())
    data.loc[flip, "income"] = "<=50K"
    data = data.astype(str)
    data.loc[rng.random(ROWS) < 0.02, "workclass"] = "?"
    dotted = np.arange(ROWS) >= ROWS * 2 // 3
    data.loc[dotted, "income"] = data.loc[dotted, "income"] + "."
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [", ".join(data.columns), *(", ".join(row) for row in data.itertuples(index=False))]
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(project: Project, name: str, lowered: float) -> tuple[dict, str]:
    write_regions(project.root / f"{name}.csv", lowered, seed=1)
    project.fairgate("init", "--data", f"{name}.csv", "--target", "income", "--positive", ">50K", "--sensitive", "region")
    done = project.fairgate("run", "-S", "mitigate.methods=[]", check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    return json.loads((project.root / "reports/gate/decision.json").read_text()), " ".join(done.stdout.split())


def test_a_region_with_no_signal_is_not_rejected_for_fairness(project: Project):
    decision, shown = _run(project, "regions", lowered=0.0)
    fairness = {c["name"]: c for c in decision["checks"] if c["kind"] == "fairness"}
    assert set(fairness) == {"demographic_parity_difference[region]", "equalized_odds_difference[region]"}
    assert all(c["status"] != "fail" for c in fairness.values()), fairness
    assert decision["verdict"] != "fail" and "REJECTED" not in shown
    assert len(decision["statistics"]["evidence"]["region"]) == 6
    for check in fairness.values():
        if check["status"] == "insufficient_evidence":  # what it takes to decide, in the rows this gap uses
            assert "per group" in check["detail"] and check["needed"]
            assert "INSUFFICIENT EVIDENCE" in shown and check["name"] in shown


def test_a_region_whose_positive_rate_is_a_fifth_lower_is_rejected_with_the_gap_named(project: Project):
    decision, shown = _run(project, "regions_lowered", lowered=0.2)
    failed = [c for c in decision["checks"] if c["status"] == "fail"]
    assert decision["verdict"] == "fail"
    assert "demographic_parity_difference[region]" in {c["name"] for c in failed}
    assert "REJECTED" in shown and "demographic_parity_difference[region]: the gap is shown above the ceiling" in shown
    assert project.champion("regions_lowered") is None
