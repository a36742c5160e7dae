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

from bench.modeldata import prepare
from fairgate.adapters.model_files import load_bundle, save_bundle
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.runner import run_stage
from fairgate.core.backends import load_backend
from fairgate.core.bundle import ModelBundle
from fairgate.core.errors import StageError

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


def test_backends_reach_the_same_test_accuracy():
    """Same generated data, same architecture params, trained to convergence: accuracies within 1.5 points."""
    from fairgate.core.backends import load_backend

    params, _, _, X_test, y_test, arrays = prepare(20_000, 3, epochs=30, patience=4, hidden_sizes=[32, 16])
    accuracy = {}
    for framework in ("torch", "tensorflow"):
        backend = load_backend(framework)
        model = backend.fit(*arrays, params.train).model
        accuracy[framework] = float(((backend.predict_proba(model, X_test) >= 0.5) == y_test).mean())
    gap = abs(accuracy["torch"] - accuracy["tensorflow"])
    assert gap <= 0.015, f"test accuracies differ by {gap:.4f}: {accuracy}"


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_divergence_stops_with_a_message(data, params, framework):
    _, _, (Xt, yt, Xv, yv) = data
    poisoned = Xt.copy()
    poisoned[0, 0] = np.inf
    with pytest.raises(StageError, match="diverged"):
        load_backend(framework).fit(poisoned, yt, Xv, yv, params.train)


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_bundle_scores_raw_rows_after_a_save_load_round_trip(data, params, tmp_path, framework):
    prep, splits, (Xt, yt, Xv, yv) = data
    result = load_backend(framework).fit(Xt, yt, Xv, yv, params.train.model_copy(update={"epochs": 2}))
    bundle = ModelBundle(prep, result.model, framework)
    save_bundle(bundle, tmp_path / "b", n_features=Xt.shape[1], cfg=params.train)
    again = load_bundle(tmp_path / "b")
    assert np.abs(bundle.predict_proba(splits.test) - again.predict_proba(splits.test)).max() < 1e-6
    with pytest.raises(KeyError, match="hours_per_week"):
        again.predict_proba(splits.test.drop(columns=["hours_per_week"]))


def test_reloaded_keras_pyfunc_predicts_like_the_in_memory_model(keras_slice, monkeypatch):
    import mlflow
    import mlflow.pyfunc

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{keras_slice.root / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{keras_slice.root / 'mlflow.db'}")
    record = json.loads(keras_slice.path(paths.TRAIN_RUN).read_text())
    test = pd.read_parquet(keras_slice.path(paths.PROCESSED) / paths.TEST)
    model = mlflow.pyfunc.load_model(record["model_uri"])
    served = np.asarray(model.predict(test[model.metadata.get_input_schema().input_names()]))
    local = load_bundle(keras_slice.path(paths.CANDIDATE)).predict_proba(test)
    assert np.abs(served - local).max() <= 1e-5
    run = mlflow.MlflowClient().get_run(record["run_id"])
    assert run.data.tags["train.framework"] == "tensorflow" and run.data.metrics["train.samples_per_s"] > 0
    with open(mlflow.pyfunc.get_model_dependencies(record["model_uri"])) as handle:
        assert "tensorflow" in handle.read()


ISOLATION = textwrap.dedent("""
    import dataclasses, os, sys
    from pathlib import Path
    from fairgate.core.config import build_params
    from fairgate.adapters.stages.runner import run_stage
    from fairgate.adapters.stages.context import StageContext
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


@pytest.mark.parametrize("framework", ["torch", "tensorflow"])
def test_sample_weights_shift_what_the_network_learns(data, params, framework):
    """Both backends train with sample weights (reweighing, reductions): weighting the positives up raises the
    predicted positive rate; equal weights change nothing."""
    _, _, (Xt, yt, Xv, yv) = data
    cfg = params.train.model_copy(update={"epochs": 3})
    backend = load_backend(framework)
    plain = backend.predict_proba(backend.fit(Xt, yt, Xv, yv, cfg).model, Xv)
    ones = backend.predict_proba(backend.fit(Xt, yt, Xv, yv, cfg, sample_weight=np.ones(len(yt))).model, Xv)
    heavy = backend.fit(Xt, yt, Xv, yv, cfg, sample_weight=np.where(yt == 1, 5.0, 1.0)).model
    assert np.allclose(plain, ones, atol=1e-4)
    assert backend.predict_proba(heavy, Xv).mean() > plain.mean() + 0.05
