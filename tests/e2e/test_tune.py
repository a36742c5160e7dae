"""`fairgate tune` through the real CLI on the session's trained project: a study stopped by Ctrl+C after five
trials resumes to twenty, not twenty-five; trials run on a Dask scheduler's two worker processes; a local cluster's
workers stop with the tune; and the config errors name their key."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fairgate.app.pipeline_run import write_params
from tests.project import BIN

pytestmark = pytest.mark.e2e
FAST_SPACE = ("tune.space={hist_gradient_boosting: {learning_rate: [0.05, 0.3, log], max_leaf_nodes: [4, 16], "
              "max_iter: [20, 60]}, lightgbm: {num_leaves: [4, 16], n_estimators: [20, 60]}}")
DONE = "tune: trial "


def _start(project, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "fairgate"), *args], cwd=project.root, env=project.env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


def _interrupt_after(process: subprocess.Popen, trials: int, timeout_s: float = 240) -> tuple[list[str], str, str]:
    """Ctrl+C (SIGINT to fairgate's process alone) once ``trials`` trials are logged done; (done lines, out, err)."""
    done, lines, deadline = [], [], time.monotonic() + timeout_s
    for line in process.stderr:
        lines.append(line)
        if DONE in line and " done " in line:
            done.append(line)
            if len(done) == trials:
                process.send_signal(signal.SIGINT)
                break
        assert time.monotonic() < deadline, "".join(lines)[-3000:]
    out, err = process.communicate(timeout=120)
    return done, out, "".join(lines) + err


def _complete_trials(project) -> list[int]:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from fairgate.adapters.tune_study import JOURNAL, complete

    storage = JournalStorage(JournalFileBackend(str(project.root / JOURNAL)))
    (name,) = optuna.get_all_study_names(storage)
    return sorted(t.number for t in complete(optuna.load_study(study_name=name, storage=storage)))


def _trial_runs(project) -> list:
    client = project.client()
    experiment = client.get_experiment_by_name("fairgate").experiment_id
    (study,) = client.search_runs([experiment], "tags.`fairgate.tune` = 'study'")
    return study, client.search_runs([experiment], f"tags.`mlflow.parentRunId` = '{study.info.run_id}'",
                                     max_results=1000)


def test_a_tune_stopped_after_five_trials_resumes_to_twenty_and_feeds_train(champion_project):
    project = champion_project
    write_params(project.root, None, [FAST_SPACE, "tune.batch=4"])
    # the sixth trial is logged before the study records it: Ctrl+C then leaves at least five complete
    done, _, err = _interrupt_after(_start(project, "tune", "--trials", "20"), 6)
    assert len(done) == 6
    assert "interrupted" in err and "Traceback" not in err, err[-3000:]
    kept = _complete_trials(project)
    assert 5 <= len(kept) < 20 and project.champion() == "1"
    assert not (project.root / "models/tuned.json").exists() or json.loads(
        (project.root / "models/tuned.json").read_text())["trials"] == 0, "nothing chosen from a stopped study"

    rerun = project.fairgate("tune", "--trials", "20")
    assert len(_complete_trials(project)) == 20, "the rerun runs only the trials still missing"
    assert "Tuned: 20 trials" in rerun.stdout, rerun.stdout[-2000:]
    study, children = _trial_runs(project)
    assert {int(c.data.tags["tune.trial"]) for c in children} >= set(_complete_trials(project))
    assert study.info.status == "FINISHED" and study.data.metrics["tune.trials"] == 20
    assert all("val.accuracy" in c.data.metrics and "val.largest_gap" in c.data.metrics for c in children)

    tuned = json.loads((project.root / "models/tuned.json").read_text())
    card = json.loads((project.root / "reports/gate/card.json").read_text())
    assert card["trained"]["class"] == tuned["train"]["estimator"], "train fitted the chosen trial's family"
    assert card["trained"]["params"] == tuned["train"]["estimator_params"]
    assert card["tuning"]["chosen"]["number"] == tuned["chosen"]["number"]
    assert "## Tuning (chosen on validation rows" in (project.root / "reports/gate/card.md").read_text()
    assert (project.root / "reports/tune/front.png").stat().st_size > 10_000
    assert "tune" not in project.dvc("status", "tune").stdout.replace("dvc.yaml", ""), "dvc repro would not tune again"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_tune_sends_its_trials_to_a_dask_schedulers_two_workers(champion_project):
    project = champion_project
    write_params(project.root, None, [FAST_SPACE])
    address = f"tcp://127.0.0.1:{_free_port()}"
    dask = str(Path(sys.executable).parent / "dask")
    started = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
                                 "--no-dashboard"], env=project.env, stderr=subprocess.DEVNULL)]
    try:
        started += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard"], cwd=project.root,
                                     env=project.env, stderr=subprocess.DEVNULL) for _ in range(2)]
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=90)
            worker_pids = set(client.run(os.getpid).values())
        project.fairgate("tune", "--trials", "6", "--scheduler", address)
        _, children = _trial_runs(project)
        pids = {int(c.data.tags["tune.worker"].rsplit(":", 1)[1]) for c in children}
        assert len(children) == 6 and pids == worker_pids, "every trial ran on one of the two workers, and both worked"
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=30)


def test_ctrl_c_stops_a_local_clusters_workers(champion_project):
    project = champion_project
    write_params(project.root, None, [FAST_SPACE])
    process = _start(project, "tune", "--trials", "40", "--workers", "2")
    done, _, err = _interrupt_after(process, 2)
    assert process.returncode == 130, err[-3000:]
    _, children = _trial_runs(project)
    pids = {int(c.data.tags["tune.worker"].rsplit(":", 1)[1]) for c in children}
    assert pids and process.pid not in pids, "the trials ran in the cluster's worker processes"
    time.sleep(1)
    alive = [pid for pid in pids if os.path.exists(f"/proc/{pid}") and
             "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]]
    assert not alive, f"workers {alive} outlived the tune"


def test_tune_refuses_bad_input_naming_the_key(champion_project, fairgate_here):
    zero = fairgate_here(champion_project, "tune", "--trials", "3", "--workers", "0")
    assert zero.returncode == 2 and "--workers" in zero.stdout + zero.stderr
    write_params(champion_project.root, None, ["tune.space={lightgbm: {learning_rate: [0.3, 0.03]}}"])
    reversed_range = fairgate_here(champion_project, "tune", "--trials", "3")
    assert reversed_range.returncode == 2, reversed_range.stdout
    assert "tune.space.lightgbm.learning_rate: low 0.3 is above high 0.03" in reversed_range.stderr
    assert champion_project.champion() == "1" and not (champion_project.root / ".fairgate/tune").exists()
