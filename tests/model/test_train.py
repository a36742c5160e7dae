"""The train adapter through a real MLflow store: the logged model honours the model contract."""

import json

import numpy as np
import pandas as pd

from fairgate.adapters.model_files import load_bundle
from fairgate.adapters.stages import paths


def test_logged_pyfunc_takes_raw_rows_and_matches_the_in_memory_bundle(slice_ctx):
    import mlflow.pyfunc

    record = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())
    test = pd.read_parquet(slice_ctx.path(paths.PROCESSED) / paths.TEST)
    model = mlflow.pyfunc.load_model(record["model_uri"])
    columns = model.metadata.get_input_schema().input_names()
    assert "income" not in columns and "sex" in columns
    served = np.asarray(model.predict(test[columns]))
    local = load_bundle(slice_ctx.path(paths.CANDIDATE)).predict_proba(test)
    assert np.abs(served - local).max() < 1e-5
    assert ((served >= 0) & (served <= 1)).all()


def test_run_records_epochs_device_and_explicit_requirements(slice_ctx):
    import mlflow
    import mlflow.pyfunc

    record = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())
    client = mlflow.MlflowClient()
    run = client.get_run(record["run_id"])
    history = client.get_metric_history(record["run_id"], "val_loss")
    report = json.loads(slice_ctx.path(paths.TRAIN_REPORT).read_text())
    assert len(history) == report["epochs_run"] >= 1
    assert run.data.tags["train.device"] == "cpu" and run.data.tags["train.precision"] == "fp32"
    with open(mlflow.pyfunc.get_model_dependencies(record["model_uri"])) as handle:
        requirements = handle.read()
    assert "torch==" in requirements and "mlflow==" in requirements


def _logged_model_names(run_id: str) -> set[str]:
    import mlflow

    experiment = mlflow.MlflowClient().get_run(run_id).info.experiment_id
    return {m.name for m in mlflow.search_logged_models(experiment_ids=[experiment], output_format="list",
                                                        filter_string=f"source_run_id = '{run_id}'")}


def test_the_native_network_is_logged_only_on_request(slice_ctx, tmp_path, monkeypatch):
    import shutil

    from fairgate.adapters.stages import train
    from fairgate.adapters.stages.context import StageContext

    record = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())
    assert _logged_model_names(record["run_id"]) == {"model"}, "by default the pyfunc model alone holds the network"
    shutil.copytree(slice_ctx.root, tmp_path / "copy")  # a copy, so the shared slice keeps its own run
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'copy' / 'mlflow.db'}")
    params = slice_ctx.params.model_copy(update={"train": slice_ctx.params.train.model_copy(
        update={"log_native": True, "epochs": 1})})
    opted = train.run(StageContext(root=tmp_path / "copy", params=params))
    assert _logged_model_names(opted["run_id"]) == {"model", "network"}


def test_test_rows_scored_a_chunk_at_a_time_get_the_probabilities_of_one_call(slice_ctx, monkeypatch):
    """Stages score the test rows a chunk at a time (never whole in memory); each chunk is a whole number of
    the network's scoring batches, so every row meets the same batch as in one call on all rows."""
    from fairgate.adapters.stages import inputs
    from fairgate.core.backends import torch_backend

    monkeypatch.setattr(torch_backend.predict_proba, "__defaults__", (7,))  # the network scores 7 rows at once
    monkeypatch.setattr(inputs, "PREDICT_BATCH", 7)
    monkeypatch.setattr(inputs, "rows_per_chunk", lambda *args: 3)  # so chunks of 21 rows
    test, _ = inputs.load_test(slice_ctx)
    bundle = load_bundle(slice_ctx.path(paths.CANDIDATE))
    whole = pd.read_parquet(slice_ctx.path(paths.PROCESSED) / paths.TEST)
    assert len(whole) > 5 * 21
    chunked = test.scored(bundle.predict_proba)
    assert chunked.dtype == np.float64 and np.array_equal(chunked, bundle.predict_proba(whole))
    columns = bundle.inputs
    assert np.array_equal(test.scored(bundle.predict_proba, columns), chunked)
    pd.testing.assert_frame_equal(test.head(5), whole.head(5))


def test_every_pin_logged_with_the_model_is_the_installed_version(slice_ctx):
    """Why logging may skip MLflow's own requirement check (pyfunc._pins_taken_as_installed): it could only pass.
    The check itself is back in place afterwards, for whatever else logs a model in this process."""
    from importlib.metadata import version

    import mlflow.pyfunc
    import mlflow.utils.environment
    import mlflow.utils.requirements_utils

    record = json.loads(slice_ctx.path(paths.TRAIN_RUN).read_text())
    with open(mlflow.pyfunc.get_model_dependencies(record["model_uri"])) as handle:
        pins = [line.strip() for line in handle if "==" in line]
    assert {pin.split("==")[0] for pin in pins} >= {"mlflow", "pandas", "numpy", "pyarrow", "torch"}
    for pin in pins:
        name, pinned = pin.split("==")
        assert version(name).split("+")[0] == pinned, f"{pin} is not what is installed ({version(name)})"
    original = mlflow.utils.requirements_utils.warn_dependency_requirement_mismatches
    assert mlflow.utils.environment.warn_dependency_requirement_mismatches is original
    assert mlflow.pyfunc.warn_dependency_requirement_mismatches is original
