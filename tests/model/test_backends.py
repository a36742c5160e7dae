"""Both backends behind one interface: parity of accuracy and of the logged model, and import isolation."""

import dataclasses
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fairgate.bundle import ModelBundle
from fairgate.orchestrate import run_stage
from fairgate.stages import paths

pytest.importorskip("tensorflow")
REPO = Path(__file__).resolve().parents[2]


def _copy_inputs(source: Path, target: Path) -> None:
    for relative in (paths.RAW, paths.PROCESSED, paths.RAW_REPORT, paths.PROCESSED_REPORT):
        src, dst = source / relative, target / relative
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)


@pytest.fixture(scope="module")
def keras_slice(_slice, tmp_path_factory):
    root = tmp_path_factory.mktemp("keras-slice")
    _copy_inputs(_slice.root, root)
    ctx = dataclasses.replace(_slice, root=root, run_id=None, params=_slice.params.model_copy(update={
        "train": _slice.params.train.model_copy(update={"framework": "tensorflow"})}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        for stage in ("train", "evaluate"):
            run_stage(ctx, stage)
    return ctx


def test_backends_reach_the_same_test_accuracy(_slice):
    """Same generated data, same architecture params, trained to convergence: accuracies within 1.5 points."""
    from fairgate.backends import load_backend
    from fairgate.config import build_params
    from fairgate.contract import resolve_schema
    from fairgate.ingest import normalise
    from fairgate.preprocess import encode_labels, fit_preprocessor, split
    from fairgate.synthetic import generate

    params = build_params({"data": {"synthetic": {"rows": 20_000, "seed": 3}},
                           "train": {"epochs": 30, "patience": 4, "hidden_sizes": [32, 16]}})
    raw = normalise(generate(params.data.synthetic), params.data)
    schema = resolve_schema(params.data, list(raw.columns), raw.dtypes)
    splits = split(raw, schema, params.preprocess)
    prep = fit_preprocessor(splits.train, schema)
    arrays = (prep.transform(splits.train), encode_labels(splits.train, schema),
              prep.transform(splits.val), encode_labels(splits.val, schema))
    X_test, y_test = prep.transform(splits.test), encode_labels(splits.test, schema)
    accuracy = {}
    for framework in ("torch", "tensorflow"):
        backend = load_backend(framework)
        model = backend.fit(*arrays, params.train).model
        accuracy[framework] = float(((backend.predict_proba(model, X_test) >= 0.5) == y_test).mean())
    gap = abs(accuracy["torch"] - accuracy["tensorflow"])
    assert gap <= 0.015, f"test accuracies differ by {gap:.4f}: {accuracy}"


def test_reloaded_keras_pyfunc_predicts_like_the_in_memory_model(keras_slice, monkeypatch):
    import mlflow
    import mlflow.pyfunc

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{keras_slice.root / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{keras_slice.root / 'mlflow.db'}")
    record = json.loads(keras_slice.path(paths.TRAIN_RUN).read_text())
    test = pd.read_parquet(keras_slice.path(paths.PROCESSED) / paths.TEST)
    model = mlflow.pyfunc.load_model(record["model_uri"])
    served = np.asarray(model.predict(test[model.metadata.get_input_schema().input_names()]))
    local = ModelBundle.load(keras_slice.path(paths.CANDIDATE)).predict_proba(test)
    assert np.abs(served - local).max() <= 1e-5
    run = mlflow.MlflowClient().get_run(record["run_id"])
    assert run.data.tags["train.framework"] == "tensorflow" and run.data.metrics["train.samples_per_s"] > 0
    with open(mlflow.pyfunc.get_model_dependencies(record["model_uri"])) as handle:
        assert "tensorflow" in handle.read()


ISOLATION = textwrap.dedent("""
    import dataclasses, os, sys
    from pathlib import Path
    from fairgate.config import build_params
    from fairgate.orchestrate import run_stage
    from fairgate.stages.context import StageContext
    root = Path(sys.argv[1])
    params = build_params({{"train": {{"framework": "{framework}", "epochs": 2}}, "data": {{"label_values": None}}}})
    run_stage(StageContext(root=root, params=params), "train")
    assert "{forbidden}" not in sys.modules, "{forbidden} was imported"
    print("ok")
""")


@pytest.mark.parametrize("framework, forbidden", [("torch", "tensorflow"), ("tensorflow", "torch")])
def test_the_unselected_framework_is_never_imported(_slice, tmp_path, framework, forbidden):
    _copy_inputs(_slice.root, tmp_path)
    env = {"MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}", "PATH": "/usr/bin:/bin",
           "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", ISOLATION.format(framework=framework, forbidden=forbidden),
                           str(tmp_path)], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]
