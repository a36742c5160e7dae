"""`train.network: networks/FILE.py:CALLABLE`: the user's own torch or Keras network, trained by fairgate's loop,
kept in the model bundle with a copy of its file, and refused clearly when it cannot be built."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from bench.modeldata import prepare
from fairgate.adapters.model_files import load_bundle, save_bundle
from fairgate.core.backends import load_backend
from fairgate.core.bundle import ModelBundle
from fairgate.core.config import ConfigError, build_params
from fairgate.core.errors import StageError
from fairgate.core.preprocess import fit_preprocessor

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def in_project(tmp_path, monkeypatch):
    (tmp_path / "networks").mkdir()
    shutil.copy(REPO / "networks" / "example_net.py", tmp_path / "networks" / "example_net.py")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("framework, builder, kind", [("torch", "build", "Sequential"),
                                                      ("tensorflow", "build_keras", "Sequential")])
def test_a_network_from_its_file_trains_and_reloads_from_the_bundle(in_project, framework, builder, kind):
    if framework == "tensorflow":
        pytest.importorskip("tensorflow")
    params, schema, splits, X_test, y_test, arrays = prepare(6000, 2, framework=framework, epochs=4,
                                                             network=f"networks/example_net.py:{builder}")
    backend = load_backend(framework)
    result = backend.fit(*arrays, params.train)
    assert type(result.model).__name__ == kind and len(result.history) >= 1
    assert "LayerNorm" in str(result.model.layers if framework == "tensorflow" else result.model)
    bundle = ModelBundle(fit_preprocessor(splits.train, schema), result.model, framework)
    save_bundle(bundle, in_project / "bundle", n_features=arrays[0].shape[1], cfg=params.train)
    (in_project / "networks" / "example_net.py").write_text("raise SystemExit('the bundle must not read this')")
    again = load_bundle(in_project / "bundle")
    rows = splits.test.head(300)
    assert np.allclose(again.predict_proba(rows), bundle.predict_proba(rows), atol=1e-6)
    assert (in_project / "bundle" / "network.py").is_file()


@pytest.mark.parametrize("train, says", [
    ({"network": "my_net.py:build"}, "must name a file under networks/ and the callable in it"),
    ({"network": "networks/../x.py:build"}, "must name a file under networks/"),
    ({"network": "networks/my_net.py:build", "framework": "sklearn"}, "train.network is for the torch and "
                                                                      "tensorflow backends"),
])
def test_a_network_spec_that_cannot_work_is_a_config_error(train, says):
    with pytest.raises(ConfigError, match=says.replace("(", r"\(")):
        build_params({"train": train})


def test_a_missing_file_a_missing_function_and_a_wrong_type_each_say_what_to_do(in_project):
    params, *_, arrays = prepare(600, 2, network="networks/nope.py:build")
    with pytest.raises(StageError, match="networks/nope.py, which does not exist"):
        load_backend("torch").fit(*arrays, params.train)
    params, *_ = prepare(600, 2, network="networks/example_net.py:missing")
    with pytest.raises(StageError, match="has no function missing"):
        load_backend("torch").fit(*arrays, params.train)
    params, *_ = prepare(600, 2, network="networks/example_net.py:build_keras")
    with pytest.raises(StageError, match="not a torch.nn.Module"):
        load_backend("torch").fit(*arrays, params.train)
