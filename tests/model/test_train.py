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
