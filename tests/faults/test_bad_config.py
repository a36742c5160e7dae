"""Bad config is rejected before any work starts, naming the key and what is allowed."""

from __future__ import annotations

import pytest

from tests.project import Project, make_project

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("config"), tmp_path_factory.mktemp("prefect-home"))


def _rejected(project: Project, *overrides: str) -> str:
    params_before = (project.root / "params.yaml").read_text()
    done = project.fairgate("run", *overrides, check=False)
    assert done.returncode == 2, done.stderr
    assert not (project.root / "data/raw.parquet").exists(), "no stage may run"
    assert not (project.root / "mlflow.db").exists(), "nothing may be logged"
    assert (project.root / "params.yaml").read_text() == params_before, "rejected overrides are not written"
    return " ".join(done.stderr.split())


def test_unknown_key(fresh):
    assert "unknown key 'train.epoch'" in _rejected(fresh, "-S", "train.epoch=3")


def test_value_of_the_wrong_type(fresh):
    message = _rejected(fresh, "-S", "train.batch_size=big")
    assert "'train.batch_size'" in message and "'big'" in message


def test_threshold_out_of_range(fresh):
    message = _rejected(fresh, "-S", "gate.max_equalized_odds_difference=2")
    assert "'gate.max_equalized_odds_difference'" in message and "less than or equal to 1" in message


def test_unknown_framework_and_device(fresh):
    assert "'train.framework': allowed values are 'torch' or 'tensorflow'" in _rejected(fresh, "-S", "train.framework=jax")
    assert "'train.device': allowed values are 'auto', 'cpu' or 'cuda'" in _rejected(fresh, "-S", "train.device=tpu")


def test_sensitive_feature_that_is_not_a_column(fresh):
    message = _rejected(fresh, "-S", "data.sensitive=[sex, religion]")
    assert "data.sensitive names 'religion'" in message and "age_group" in message


def test_bad_schedule_and_drift_thresholds(fresh):
    assert "'schedule.cron'" in _rejected(fresh, "-S", "schedule.cron=daily")
    assert "drift.fail_above" in _rejected(fresh, "-S", "drift.warn_above=0.5", "-S", "drift.fail_above=0.2")


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


def test_a_params_file_with_a_duplicate_key_names_it_and_its_lines(fresh, tmp_path):
    bad = tmp_path / "dup.yaml"
    bad.write_text((fresh.root / "params.yaml").read_text() + "train:\n  epochs: 3\n")
    message = _rejected(fresh, "--params", str(bad))
    assert "duplicate key 'train' (first on line" in message and "Traceback" not in message


def test_a_yaml_alias_bomb_is_refused_at_once_with_a_short_message(fresh, tmp_path):
    import time

    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    message = _rejected(fresh, "--params", str(bomb))
    assert time.monotonic() - started < 15 and "aliases" in message and len(message) < 1000
