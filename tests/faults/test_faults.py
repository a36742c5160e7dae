"""Faults: a run killed mid-training, two runs at once, divergence, and atomic writes."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from fairgate.errors import StageError
from fairgate.infra import files
from tests.project import BIN, SMALL, make_project

pytestmark = pytest.mark.e2e


def _wait_for(predicate, timeout: float = 180.0) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def _start(project, *args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "fairgate"), "run", *args], cwd=project.root, env=project.env,
                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)


def test_killed_during_training_reruns_cleanly_and_the_orphan_run_is_marked_killed(tmp_path_factory, tmp_path):
    project = make_project(tmp_path_factory.mktemp("killed"), tmp_path_factory.mktemp("ph"))
    log = tmp_path / "run.log"
    slow = [*SMALL, "-S", "train.epochs=400", "-S", "train.patience=400", "-S", "train.batch_size=32"]
    victim = _start(project, *slow, log=log)
    _wait_for(lambda: "epoch 2 " in log.read_text())
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert not (project.root / "models/candidate").exists(), "no half-written model"
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    orphan = client.search_runs([experiment], "attributes.status = 'RUNNING'")
    assert len(orphan) == 1

    done = project.fairgate("run", *SMALL)
    assert "KILLED" in done.stderr
    assert client.get_run(orphan[0].info.run_id).info.status == "KILLED"
    assert project.champion() == "1"
    assert "up to date" in project.dvc("status").stdout


def test_a_second_run_in_the_same_workspace_exits_with_a_clear_message(tmp_path_factory, tmp_path):
    project = make_project(tmp_path_factory.mktemp("twice"), tmp_path_factory.mktemp("ph"))
    first = _start(project, *SMALL, log=tmp_path / "first.log")
    _wait_for(lambda: "ingest: running" in (tmp_path / "first.log").read_text())
    second = project.fairgate("run", check=False)
    assert second.returncode == 3 and "another `fairgate run` is using this workspace" in second.stderr
    assert first.wait(timeout=300) == 0, (tmp_path / "first.log").read_text()
    assert "up to date" in project.dvc("status").stdout


def test_divergence_in_the_train_stage_registers_nothing(_slice, tmp_path):
    import dataclasses
    import shutil

    from fairgate.orchestrate import run_stage
    from fairgate.stages import paths

    shutil.copytree(_slice.path(paths.PROCESSED), tmp_path / paths.PROCESSED)
    X = np.load(tmp_path / paths.PROCESSED / paths.TRAIN_X)
    X[:50] = np.inf  # processed data corrupted after preprocess checked it: the loss goes non-finite
    np.save(tmp_path / paths.PROCESSED / paths.TRAIN_X, X)
    ctx = dataclasses.replace(_slice, root=tmp_path, run_id=None)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / 'mlflow.db'}"
    try:
        with pytest.raises(StageError, match=r"\[train\] training diverged"):
            run_stage(ctx, "train")
    finally:
        os.environ.pop("MLFLOW_TRACKING_URI")
    assert not (tmp_path / paths.CANDIDATE).exists() and not (tmp_path / paths.TRAIN_RUN).exists()


def test_writes_are_atomic(tmp_path):
    target = tmp_path / "out.json"
    files.write_json(target, {"v": 1})

    def broken(tmp: Path) -> None:
        tmp.write_text('{"v": 2, "trunc')
        raise OSError("disk full")

    with pytest.raises(OSError):
        files.write_atomic(target, broken)
    assert files.read_json(target) == {"v": 1}
    assert list(tmp_path.iterdir()) == [target], "no temporary file left behind"

    folder = tmp_path / "model"
    with files.atomic_dir(folder) as tmp:
        (tmp / "weights").write_text("good")
    with pytest.raises(RuntimeError), files.atomic_dir(folder) as tmp:
        (tmp / "weights").write_text("half")
        raise RuntimeError("killed")
    assert (folder / "weights").read_text() == "good"
