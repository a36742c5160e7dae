"""Faults: a run killed mid-training, two runs at once, divergence, and atomic writes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.project import BIN, SLOW, SMALL, start_as_from_a_terminal

pytestmark = pytest.mark.e2e


def _wait_for(predicate, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def _start(project, *args: str, log: Path) -> subprocess.Popen:
    """`fairgate run` as a terminal starts it."""
    return start_as_from_a_terminal(project, [str(BIN / "fairgate"), "run", *args], log)


def _started_by_fairgate(root: Path) -> list[str]:
    """Processes working in the project (every process fairgate starts has it as its directory), but ours."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if Path(os.readlink(proc / "cwd")).is_relative_to(root):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200])
        except OSError:
            continue
    return found


def _prefect_flow_run_states(project) -> list[str]:
    import sqlite3

    with sqlite3.connect(Path(project.env["PREFECT_HOME"]) / "prefect.db") as db:
        return [row[0] for row in db.execute("select state_type from flow_run")]


def _interrupted_during_training(project, log: Path, sig: signal.Signals, whole_group: bool) -> float:
    victim = _start(project, *SLOW, log=log)
    _wait_for(lambda: "epoch 2 " in log.read_text())
    started = time.monotonic()
    if whole_group:  # what Ctrl+C does: the signal reaches the terminal's foreground process group
        os.killpg(victim.pid, sig)
    else:
        os.kill(victim.pid, sig)
    victim.wait(timeout=60)
    _wait_for(lambda: not _started_by_fairgate(project.root), timeout=30)
    return time.monotonic() - started


def test_ctrl_c_during_training_stops_cleanly_and_says_so(new_project, tmp_path):
    project = new_project("ctrl-c", own_server=True)  # the run's temporary Prefect server must stop with it
    log = tmp_path / "run.log"
    took = _interrupted_during_training(project, log, signal.SIGINT, whole_group=True)
    output = log.read_text()
    assert took < 20, f"took {took:.0f} s to stop"
    assert "interrupted" in output and "Traceback" not in output and "ConnectError" not in output, output[-3000:]
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    assert not client.search_runs([experiment], "attributes.status = 'RUNNING'")
    assert client.search_runs([experiment], "attributes.status = 'FAILED'")
    assert "RUNNING" not in _prefect_flow_run_states(project) and "CRASHED" in _prefect_flow_run_states(project)
    assert not (project.root / "models/candidate").exists()
    status = project.dvc("status").stdout
    assert "train:" in status and not any(f"{stage}:" in status for stage in ("ingest", "validate", "preprocess")), \
        "the stages that finished before the interrupt are in dvc.lock (it is written once, also on the way out)"
    done = project.fairgate("run", *SMALL)
    assert "preprocess: up to date, skipped" in done.stderr and "train: running" in done.stderr
    assert project.champion() == "1"


def test_killed_during_training_reruns_cleanly_and_the_orphan_run_is_marked_killed(new_project, tmp_path):
    project = new_project("killed", own_server=True)  # the run's temporary Prefect server must die with it
    _interrupted_during_training(project, tmp_path / "run.log", signal.SIGKILL, whole_group=False)
    assert not _started_by_fairgate(project.root), "the run's Prefect server died with it"
    assert not (project.root / "models/candidate").exists(), "no half-written model"
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    orphan = client.search_runs([experiment], "attributes.status = 'RUNNING'")
    assert len(orphan) == 1

    done = project.fairgate("run", *SMALL)
    assert "KILLED" in done.stderr and "CRASHED" in done.stderr
    assert client.get_run(orphan[0].info.run_id).info.status == "KILLED"
    assert "RUNNING" not in _prefect_flow_run_states(project)
    assert project.champion() == "1"
    assert "up to date" in project.dvc("status").stdout
    assert not _started_by_fairgate(project.root)


def test_a_second_run_in_the_same_workspace_exits_with_a_clear_message(new_project, tmp_path):
    project = new_project("twice")
    first = _start(project, *SMALL, log=tmp_path / "first.log")
    _wait_for(lambda: "ingest: running" in (tmp_path / "first.log").read_text())
    second = project.fairgate("run", check=False)
    assert second.returncode == 3 and "another `fairgate run` is using this workspace" in second.stderr
    assert first.wait(timeout=300) == 0, (tmp_path / "first.log").read_text()
    assert "up to date" in project.dvc("status").stdout


def test_dvc_repro_and_fairgate_run_at_once_give_the_workspace_busy_message(champion_project, tmp_path):
    project = champion_project
    params = project.root / "params.yaml"
    slow = params.read_text().replace("epochs: 8", "epochs: 400").replace("patience: 3", "patience: 400")
    params.write_text(slow.replace("batch_size: 512", "batch_size: 32"))
    assert "epochs: 400" in params.read_text() and "batch_size: 32" in params.read_text()
    log = tmp_path / "repro.log"
    repro = subprocess.Popen([str(BIN / "dvc"), "repro"], cwd=project.root, env=project.env, stdout=log.open("w"),
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # DVC prints "Running stage" before its `fairgate stage train` has started and taken the workspace lock.
        lock = project.root / ".fairgate" / "run.lock"
        _wait_for(lambda: lock.is_file() and "fairgate stage train" in lock.read_text())
        done = project.fairgate("run", check=False)
        message = " ".join(done.stderr.split())
        assert done.returncode == 3, message
        assert "another `fairgate stage train` (run by `dvc repro`?) is using this workspace" in message
        assert "Traceback" not in message
    finally:
        os.killpg(repro.pid, signal.SIGTERM)
        repro.wait(timeout=60)


def test_a_stage_that_dvc_repro_runs_during_a_fairgate_run_waits_its_turn(new_project, tmp_path):
    project = new_project("stage-busy")
    first = _start(project, *SLOW, log=tmp_path / "first.log")
    try:
        _wait_for(lambda: "epoch 2 " in (tmp_path / "first.log").read_text())
        done = project.run(str(BIN / "fairgate"), "stage", "ingest", check=False)
        assert done.returncode == 3 and "another `fairgate run` is using this workspace" in done.stderr
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.wait(timeout=60)
