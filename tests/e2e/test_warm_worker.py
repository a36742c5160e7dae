"""`fairgate warm`: `fairgate run` handed to a process that has imported everything, with the same outcome."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import census
from tests.project import BIN, SLOW, SMALL, Project, start_as_from_a_terminal

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("warm")]  # one worker keeps the module's `fairgate warm`
SERVED = "running in the warm worker"
REPORT = "reports/evaluate/report.json"


class Worker:
    def __init__(self, project: Project, log: Path) -> None:
        self.project, self.log = project, log
        self.process = start_as_from_a_terminal(project, [str(BIN / "fairgate"), "warm"], log)

    def wait_warm(self, standbys: int = 1, timeout_s: float = 180.0) -> None:
        """Until the ``standbys``-th standby since the start has imported everything."""
        deadline = time.monotonic() + timeout_s
        while self.log.read_text().count("warm in") < standbys:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"no warm standby after {timeout_s:.0f} s:\n{self.log.read_text()}"
            time.sleep(0.2)

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # Ctrl+C in its terminal
        return self.process.wait(timeout=90)


@dataclass(frozen=True)
class FirstServed:
    """What the first served run left, read before any other test runs anything in the project."""

    run: subprocess.CompletedProcess
    champion: str | None
    spent: dict
    report: dict
    outputs: dict[str, str]


@pytest.fixture(scope="module")
def warm(new_project, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Worker, FirstServed]]:
    """A project served by `fairgate warm` (on the session's Prefect server), and the first run it served."""
    project = new_project("warm")
    worker = Worker(project, tmp_path_factory.mktemp("logs") / "warm.log")
    try:
        worker.wait_warm()
        run = project.fairgate("run", *SMALL)
        first = FirstServed(run, project.champion(), json.loads((project.root / ".fairgate" / "last_run.json").read_text()),
                            json.loads((project.root / REPORT).read_text()), _output_hashes(project.root))
        yield project, worker, first
    finally:
        worker.stop()


def test_a_served_run_does_the_whole_pipeline_and_promotes(warm):
    _, _, first = warm
    assert SERVED in first.run.stderr, first.run.stderr[:2000]
    assert "Gate: PASS" in first.run.stdout and "promoted to champion" in first.run.stdout, first.run.stdout
    assert first.champion == "1"
    assert all(first.spent["stages_run"].values()), first.spent
    assert "train: running" in first.run.stderr and "promote: version 1" in first.run.stderr


def test_a_served_run_gives_the_same_model_as_a_cold_run(warm, new_project):
    _, _, first = warm
    cold = new_project("cold")
    done = cold.fairgate("run", *SMALL)
    assert SERVED not in done.stderr
    assert json.loads((cold.root / REPORT).read_text()) == first.report
    assert _output_hashes(cold.root) == first.outputs


def test_the_next_standby_serves_the_next_run(warm):
    project, worker, _ = warm
    worker.wait_warm(standbys=2)
    again = project.fairgate("run", *SMALL)
    assert SERVED in again.stderr, again.stderr[-2000:]


def test_a_mistake_fails_the_same_way_through_the_worker(warm):
    project, worker, _ = warm
    worker.wait_warm(standbys=2)
    champion = project.champion()
    done = project.fairgate("run", *SMALL, "-S", "train.epochs=0", check=False)
    assert done.returncode == 2, done.stderr
    assert SERVED in done.stderr and "train.epochs" in done.stderr and "Traceback" not in done.stderr
    assert project.champion() == champion


def test_a_run_from_another_environment_runs_cold_and_says_why(warm):
    project, _, _ = warm
    env = project.env | {"PREFECT_LOGGING_LEVEL": "DEBUG"}
    done = subprocess.run([str(BIN / "fairgate"), "run", *SMALL], cwd=project.root, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "declined this run: the environment differs in PREFECT_LOGGING_LEVEL" in " ".join(done.stderr.split())
    assert SERVED not in done.stderr


def test_ctrl_c_reaches_the_served_run(warm, tmp_path):
    project, worker, _ = warm
    worker.wait_warm(standbys=2)
    champion, log = project.champion(), tmp_path / "run.log"
    victim = _start_training(project, log, seed=5)
    os.killpg(victim.pid, signal.SIGINT)
    assert victim.wait(timeout=60) == 130
    output = log.read_text()
    assert SERVED in output and "interrupted" in output and "Traceback" not in output, output[-3000:]
    assert not _running_mlflow_runs(project)
    assert project.champion() == champion


def test_a_served_run_killed_outright_is_reported_and_the_next_run_recovers(warm, tmp_path):
    project, worker, _ = warm
    worker.wait_warm(standbys=2)
    champion, log = project.champion(), tmp_path / "run.log"
    victim = _start_training(project, log, seed=6)
    standby = int(re.search(r"warm worker \(process (\d+)\)", log.read_text()).group(1))
    os.kill(standby, signal.SIGKILL)  # the OOM killer, or `kill -9`
    assert victim.wait(timeout=60) == 1
    output = " ".join(log.read_text().split())
    assert "ended without reporting how: it was killed" in output and "Traceback" not in output, output[-3000:]
    assert project.champion() == champion
    assert _running_mlflow_runs(project), "the killed run's MLflow run is left RUNNING until the next run"
    project.fairgate("run", *SMALL)
    assert not _running_mlflow_runs(project)


def _start_training(project: Project, log: Path, seed: int) -> subprocess.Popen:
    """A served `fairgate run` as a terminal starts it, returned once it is training."""
    victim = start_as_from_a_terminal(project, [str(BIN / "fairgate"), "run", *SLOW, "-S", f"train.seed={seed}"], log)
    deadline = time.monotonic() + 180
    while "epoch 2 " not in log.read_text():
        assert victim.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)
    return victim


def _running_mlflow_runs(project: Project) -> list:
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    return client.search_runs([experiment], "attributes.status = 'RUNNING'")


def test_a_census_file_with_its_quirks_is_served_like_a_cold_run(new_project, tmp_path):
    """README's "Your own data" with a worker up: a drafted contract, a served run, then a later file that
    breaks the contract fails validate through the worker with the same clear message, nothing registered."""
    project = new_project("warm-own-data")
    census.write(project.root / "adult.csv", rows=6000)
    project.fairgate("init", "--data", "adult.csv", "--sensitive", "sex,race")
    worker = Worker(project, tmp_path / "warm.log")
    try:
        worker.wait_warm()
        done = project.fairgate("run")
        assert SERVED in done.stderr and "expectations passed" in done.stderr and "Gate:" in done.stdout
        assert [v.name for v in project.versions("adult")] == ["adult"]
        versions = len(project.versions("adult"))
        census.write_breaking_the_contract(project.root / "data/input/adult.csv")
        worker.wait_warm(standbys=2)
        failed = project.fairgate("run", check=False)
        message = " ".join(failed.stderr.split())
        assert SERVED in message and failed.returncode != 0 and "[validate]" in message, message[-3000:]
        assert "column 'age'" in message and "150" in message and "Traceback" not in message
        assert len(project.versions("adult")) == versions
    finally:
        worker.stop()


def test_stopping_the_worker_leaves_nothing_running(new_project, tmp_path):
    project = new_project("warm-stop")
    worker = Worker(project, tmp_path / "warm.log")
    worker.wait_warm()
    assert _standbys(project.root), "the warm standby runs in the project"
    assert worker.stop() == 0
    assert "fairgate warm: stopped" in worker.log.read_text()
    assert not (project.root / ".fairgate" / "worker.sock").exists()
    assert not _standbys(project.root)
    done = project.fairgate("run", *SMALL, "-S", "validate.min_rows=999999999", check=False)
    assert SERVED not in done.stderr and "declined" not in done.stderr  # no worker: a cold run, as always


def test_kill_stops_the_worker_its_standby_and_its_prefect_server(new_project, tmp_path):
    """`kill PID`, as a script or a service manager stops a worker it started in the background (where Ctrl+C's
    SIGINT is ignored, as a shell's background job passes on)."""
    project = new_project("warm-kill", own_server=True)  # the worker's own Prefect server must stop with it
    worker = Worker(project, tmp_path / "warm.log")
    worker.wait_warm()
    assert _standbys(project.root) and _prefect_servers(project.root)
    os.kill(worker.process.pid, signal.SIGTERM)
    assert worker.process.wait(timeout=90) == 143
    assert not (project.root / ".fairgate" / "worker.sock").exists()
    assert not _processes_in(project.root, b""), "nothing the worker started is left in the project"


# Outputs that name the run's MLflow run ids, or the time and speed of this run: they differ between any two runs.
NAMES_THE_RUN = {"reports/validate/data_docs", "models/run.json", "reports/train/metrics.json", "reports/gate/card.md",
                 "reports/gate/card.json", "reports/mitigate/selection.json", "reports/mitigate/card.md",
                 "reports/mitigate/card.json"}


def _output_hashes(root: Path) -> dict[str, str]:
    """Every other output dvc.lock records (the snapshot, the matrices, the model, the scores...), by its hash."""
    import yaml

    lock = yaml.safe_load((root / "dvc.lock").read_text())
    hashes = {out["path"]: out["md5"] for stage in lock["stages"].values() for out in stage.get("outs", [])
              if out["path"] not in NAMES_THE_RUN}
    assert {"data/raw.parquet", "data/processed", "models/candidate", "reports/evaluate/test_proba.npy"} <= set(hashes)
    return hashes


def _standbys(root: Path) -> list[int]:
    return _processes_in(root, b"standby_main")


def _prefect_servers(root: Path) -> list[int]:
    return _processes_in(root, b"server\x00start")


def _processes_in(root: Path, marker: bytes) -> list[int]:
    """The processes working in ``root`` whose command line holds ``marker``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and Path(os.readlink(proc / "cwd")) == root and marker in (proc / "cmdline").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue
    return found
