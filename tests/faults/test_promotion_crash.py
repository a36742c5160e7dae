"""A crash at any step of moving the champion leaves an audit trail the next command repairs: after it,
the ledger, the alias and `fairgate history --at` agree (write-ahead intent, then reconcile)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from fairgate.adapters.infra import ledger
from tests.project import REPO, Project

pytestmark = pytest.mark.e2e
EASY_GATE = {"margin": "1.0", "min_accuracy": "0.5", "min_roc_auc": "0.5"}  # any new candidate passes against the champion
STEPS = ["before_intent", "after_intent", "after_alias", "after_ledger"]


@pytest.fixture(scope="module")
def candidate_ready(trained, copy_of) -> Project:
    """A copy of the session's trained project (version 1 champion) with a new candidate trained and gated, as
    `dvc repro` leaves it: the next `fairgate stage promote` (or run) promotes it as version 2."""
    project = copy_of(trained.project, "crash")
    _new_candidate(project, 100)
    return project


@pytest.fixture
def project(candidate_ready, copy_of) -> Project:
    """A copy of ``candidate_ready``, for one test."""
    return copy_of(candidate_ready, "crash-test")


def _new_candidate(project: Project, seed: int) -> None:
    """Train and gate a new candidate with `dvc repro` (no promote), under a gate it passes."""
    params = project.root / "params.yaml"
    text = re.sub(r"(train:\n(?:  .*\n)*?  seed:) \d+", rf"\1 {seed}", params.read_text())
    for key, value in EASY_GATE.items():
        text = re.sub(rf"(gate:\n(?:  .*\n)*?  {key}:) [0-9.]+", rf"\1 {value}", text)
    params.write_text(text)
    project.dvc("repro")
    assert len(project.versions()) == 1, "dvc repro registers nothing"


@pytest.fixture
def agree(fairgate_here):
    """Check that the ledger, the alias and `fairgate history --at` agree (history read in this process: the
    command's boundary is tested with its subprocess in the test of an unaudited move); return the entries."""
    return lambda project: _agree(project, fairgate_here)


def _agree(project: Project, fairgate_here) -> list[dict]:
    client = project.client()
    import mlflow

    mlflow.set_tracking_uri(project.env["MLFLOW_TRACKING_URI"])
    entries = ledger.read("fairgate")
    assert not ledger.open_intents(entries), entries[-1]
    champion = project.champion()
    assert ledger.ledger_champion(entries) == champion, entries
    now = datetime.now(UTC).isoformat()
    at = fairgate_here(project, "history", "--at", now).stdout
    assert f"version {champion}" in at, at
    history = fairgate_here(project, "history").stdout
    assert f"-> {champion})" in history.strip().splitlines()[-1], history
    version = client.get_model_version("fairgate", champion)
    decided = [e for e in entries if e["action"] in ("promoted", "rejected") and e["version"] == champion]
    if decided:
        assert version.tags.get("ledger.seq") == str(decided[-1]["seq"]), version.tags
    return entries


@pytest.mark.parametrize("step", STEPS)
def test_a_crash_while_promoting_is_repaired_by_the_next_run(project: Project, agree, step: str):
    candidate = "2"
    before = ledger_len = len(agree(project))
    crashed = subprocess.run([sys.executable, "-m", "tests.faults.promotion_crash", str(project.root), step],
                             cwd=REPO, env=project.env, capture_output=True, text=True, timeout=300)
    assert crashed.returncode == 137, crashed.stderr[-2000:]
    done = project.fairgate("run")
    entries = agree(project)
    assert project.champion() == candidate, "the passing candidate ends up champion either way"
    new = entries[ledger_len:]
    actions = [e["action"] for e in new]
    expected = {"before_intent": ["promoted"], "after_intent": ["aborted", "promoted"],
                "after_alias": ["promoted"], "after_ledger": ["promoted"]}[step]
    assert actions == expected, new
    if step == "after_alias":
        assert new[0].get("recovered") is True and "reconcile: completed ledger entry" in done.stderr
    if step == "after_intent":
        assert "never became champion" in done.stderr
    description = project.client().get_model_version("fairgate", candidate).description
    assert description.startswith("# Promotion card"), "the card reaches the version whatever the crash"
    assert before <= len(entries)


def test_an_alias_moved_outside_fairgate_is_recorded_as_unaudited(project: Project, agree):
    project.fairgate("run")  # version 2 is promoted, so version 1 is another version to move the alias to
    agree(project)
    versions = sorted(int(v.version) for v in project.versions())
    other = str(versions[0]) if project.champion() != str(versions[0]) else str(versions[-1])
    project.client().set_registered_model_alias("fairgate", "champion", other)
    done = project.fairgate("history")
    assert "AUDIT" in done.stderr and "unaudited" in done.stdout
    entries = agree(project)
    assert entries[-1]["action"] == "unaudited" and entries[-1]["version"] == other
