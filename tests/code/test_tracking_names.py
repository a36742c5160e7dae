"""Any params value logs to MLflow: names MLflow rejects get safe, readable names, on a real SQLite store."""

from pathlib import Path

import pytest

from fairgate.adapters.infra.tracking import safe_key, safe_keys


@pytest.mark.parametrize("key, safe", [
    ("data.label_map.>50K.", "data.label_map.gt50K."), ("data.label_map.<=50K.", "data.label_map.le50K."),
    ("a=b", "aeqb"), ("per/slash", "per_slash"), ("..", "_.."), ("naïve-col", "naïve-col"),
])
def test_unsafe_names_are_spelled_out(key, safe):
    assert safe_key(key) == safe


def test_collisions_and_long_names_stay_apart():
    renamed = safe_keys({"m.>x": 1, "m.gtx": 2, "x" * 300: 3})
    assert len(renamed) == 3 and all(len(k) <= 250 for k in renamed)
    assert renamed["m.gtx"] == 2


def test_logging_every_params_value_to_a_real_store(tmp_path: Path, monkeypatch):
    import mlflow

    from fairgate.adapters.infra import tracking
    from fairgate.core.config import build_params

    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    params = build_params({"data": {"label_map": {">50K.": ">50K", "<=50K.": "<=50K", "a/b": "c", "x=y": "z" * 7000},
                                    "na_values": ["?"]}})
    with mlflow.start_run() as run:
        tracking.log_params_flat("data", params.section("data"))
        tracking.log_flat_metrics({"test.selection_rate.sex=>Male": 0.5, "a/b": 1.0})
    logged = mlflow.get_run(run.info.run_id).data
    assert logged.params["data.label_map.gt50K."] == ">50K" and logged.params["data.label_map.le50K."] == "<=50K"
    assert len(logged.params["data.label_map.xeqy"]) == 6000
    assert set(logged.metrics) == {"test.selection_rate.sexeqgtMale", "a_b"}


def test_runs_starting_at_once_on_a_fresh_sqlite_store_all_get_it(tmp_path: Path):
    """MLflow migrates a new SQLite store on first use; two at once failed with 'duplicate column name'."""
    import subprocess
    import sys

    code = (f"from pathlib import Path; from fairgate.adapters.infra.mlflow_store import configure; "
            f"print(configure(Path({str(tmp_path)!r}), 'fairgate'))")
    workers = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(3)]
    outcomes = [worker.communicate(timeout=120) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers), [err[-500:] for _, err in outcomes]
    assert len({out.strip() for out, _ in outcomes}) == 1, "one experiment, the same id for all"
