"""Bad config is rejected before any work starts, naming the key and what is allowed.

The messages are checked with the CLI called in this process (`fairgate_here`); the first test goes through the
real executable, for the exit code and the absence of a traceback at the boundary."""

from __future__ import annotations

import pytest

from tests.project import Project


@pytest.fixture
def fresh(tmp_path) -> Project:
    """A fresh copy of the repository; no test here gets as far as a run, so none needs a Prefect server."""
    from tests.project import make_project

    return make_project(tmp_path / "project", tmp_path / "prefect-home")


@pytest.fixture
def rejected(fairgate_here):
    def check(project: Project, *overrides: str) -> str:
        params_before = (project.root / "params.yaml").read_text()
        done = fairgate_here(project, "run", *overrides)
        return _nothing_ran(project, done, params_before)

    return check


def _nothing_ran(project: Project, done, params_before: str) -> str:
    assert done.returncode == 2, done.stderr
    assert not (project.root / "data/raw.parquet").exists(), "no stage may run"
    assert not (project.root / "mlflow.db").exists(), "nothing may be logged"
    assert (project.root / "params.yaml").read_text() == params_before, "rejected overrides are not written"
    return " ".join(done.stderr.split())


def test_unknown_key_through_the_real_executable(fresh):
    params_before = (fresh.root / "params.yaml").read_text()
    done = fresh.fairgate("run", "-S", "train.epoch=3", check=False)
    message = _nothing_ran(fresh, done, params_before)
    assert "unknown key 'train.epoch'" in message and "Traceback" not in done.stdout + done.stderr


def test_value_of_the_wrong_type(fresh, rejected):
    message = rejected(fresh, "-S", "train.batch_size=big")
    assert "'train.batch_size'" in message and "'big'" in message


def test_threshold_out_of_range(fresh, rejected):
    message = rejected(fresh, "-S", "gate.max_equalized_odds_difference=2")
    assert "'gate.max_equalized_odds_difference'" in message and "less than or equal to 1" in message


def test_unknown_framework_and_device(fresh, rejected):
    said = rejected(fresh, "-S", "train.framework=jax")
    assert "'train.framework': allowed values are 'torch', 'tensorflow' or 'sklearn'" in said
    assert "'train.device': allowed values are 'auto', 'cpu' or 'cuda'" in rejected(fresh, "-S", "train.device=tpu")


def test_sensitive_feature_that_is_not_a_column(fresh, rejected):
    message = rejected(fresh, "-S", "data.sensitive=[sex, religion]")
    assert "data.sensitive names 'religion'" in message and "age_group" in message


def test_bad_schedule_and_drift_thresholds(fresh, rejected):
    assert "'schedule.cron'" in rejected(fresh, "-S", "schedule.cron=daily")
    assert "drift.fail_above" in rejected(fresh, "-S", "drift.warn_above=0.5", "-S", "drift.fail_above=0.2")


def test_deploy_without_a_prefect_server_says_how_to_get_one(fresh):
    done = fresh.fairgate("deploy", check=False)
    assert done.returncode == 2
    assert "PREFECT_API_URL is not set" in " ".join(done.stderr.split()) and "fairgate services up" in done.stderr


def test_services_without_postgres_name_the_server_and_the_fix(fresh):
    done = fresh.fairgate("services", "up", "--postgres", "postgresql://postgres@127.0.0.1:9", check=False)
    message = " ".join(done.stderr.split())
    assert done.returncode == 1, message
    assert "cannot reach PostgreSQL at postgresql://postgres@127.0.0.1:9" in message and "FAIRGATE_POSTGRES_URL" in message
    assert "no services" in fresh.fairgate("services", "status").stdout


def test_sweep_with_unreadable_seeds(fresh):
    done = fresh.fairgate("sweep", "--seeds", "one,two", check=False)
    assert done.returncode == 2 and "1,2,3" in done.stderr


def test_a_params_file_with_a_duplicate_key_names_it_and_its_lines(fresh, rejected, tmp_path):
    bad = tmp_path / "dup.yaml"
    bad.write_text((fresh.root / "params.yaml").read_text() + "train:\n  epochs: 3\n")
    message = rejected(fresh, "--params", str(bad))
    assert "duplicate key 'train' (first on line" in message and "Traceback" not in message


def test_a_yaml_alias_bomb_is_refused_at_once_with_a_short_message(fresh, rejected, tmp_path):
    import time

    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    message = rejected(fresh, "--params", str(bomb))
    assert time.monotonic() - started < 15 and "aliases" in message and len(message) < 1000
