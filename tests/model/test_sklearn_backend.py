"""`train.framework: sklearn`: any scikit-learn-style classifier behind the backend contract, checked before
anything trains, stopped early on fairgate's validation rows, and stored and reloaded in the model bundle."""

from __future__ import annotations

import numpy as np
import pytest

from bench.modeldata import prepare
from fairgate.adapters.model_files import load_bundle, save_bundle
from fairgate.core.backends import accepts_sample_weight, load_backend
from fairgate.core.bundle import ModelBundle
from fairgate.core.config import ConfigError, build_params
from fairgate.core.preprocess import fit_preprocessor

BOOSTERS = {"sklearn.ensemble.HistGradientBoostingClassifier": {"max_iter": 500},
            "lightgbm.LGBMClassifier": {"n_estimators": 500},
            "xgboost.XGBClassifier": {"n_estimators": 500}}


@pytest.fixture(scope="module")
def census_like():
    return prepare(12_000, 5)


def _train(estimator: str, estimator_params: dict | None = None):
    return build_params({"train": {"framework": "sklearn", "estimator": estimator,
                                   "estimator_params": estimator_params or {}}}).train


@pytest.mark.parametrize("estimator", sorted(BOOSTERS))
def test_a_booster_stops_early_on_the_validation_rows_and_scores_like_a_classifier(census_like, estimator):
    _, _, _, X_test, y_test, arrays = census_like
    backend = load_backend("sklearn")
    result = backend.fit(*arrays, _train(estimator, BOOSTERS[estimator]))
    proba = backend.predict_proba(result.model, X_test)
    assert proba.shape == (len(X_test),) and proba.min() >= 0.0 and proba.max() <= 1.0
    assert ((proba >= 0.5) == y_test).mean() > 0.78
    assert 1 <= result.best_epoch < 500, "500 rounds were allowed; the validation rows stopped it earlier"
    assert result.history[0]["val_loss"] > 0 and result.samples_per_s > 0


def test_gradient_boosting_matches_or_beats_the_network_on_census_like_rows(census_like):
    params, _, _, X_test, y_test, arrays = census_like
    accuracy = {}
    for framework, train in (("torch", params.train), ("sklearn", _train(next(iter(BOOSTERS))))):
        backend = load_backend(framework)
        model = backend.fit(*arrays, train).model
        accuracy[framework] = float(((backend.predict_proba(model, X_test) >= 0.5) == y_test).mean())
    assert accuracy["sklearn"] >= accuracy["torch"] - 0.005, accuracy


@pytest.mark.parametrize("estimator, params, says", [
    ("sklearn.ensemble.NoSuchClassifier", {}, "train.estimator 'sklearn.ensemble.NoSuchClassifier' cannot be imported"),
    ("HistGradientBoostingClassifier", {}, "is not a dotted path"),
    ("sklearn.preprocessing.StandardScaler", {}, "is not a scikit-learn-style classifier (it lacks predict_proba)"),
    ("lightgbm.LGBMClassifier", {"n_estimator": 10}, "train.estimator_params.n_estimator is not a parameter of "
                                                     "lightgbm.LGBMClassifier; its parameters: boosting_type,"),
    ("sklearn.linear_model.LogisticRegression", {"C": -1}, "The 'C' parameter of LogisticRegression must be"),
])
def test_a_model_that_cannot_be_built_is_a_config_error_naming_the_key(estimator, params, says):
    with pytest.raises(ConfigError) as caught:
        _train(estimator, params)
    message = str(caught.value)
    assert says in message and "Value error" not in message and "(got {" not in message


def test_an_estimator_without_sample_weight_is_known_before_mitigation_asks_for_it():
    assert accepts_sample_weight(_train("lightgbm.LGBMClassifier"))
    assert not accepts_sample_weight(_train("sklearn.neighbors.KNeighborsClassifier"))
    assert accepts_sample_weight(build_params({}).train), "fairgate's own network takes weights"


def test_weights_reach_the_estimator(census_like):
    _, _, _, X_test, _, (X_train, y_train, X_val, y_val) = census_like
    backend, train = load_backend("sklearn"), _train("sklearn.linear_model.LogisticRegression")
    plain = backend.fit(X_train, y_train, X_val, y_val, train).model
    positives_heavy = np.where(y_train == 1, 5.0, 1.0)
    weighted = backend.fit(X_train, y_train, X_val, y_val, train, sample_weight=positives_heavy).model
    assert backend.predict_proba(weighted, X_test).mean() > backend.predict_proba(plain, X_test).mean() + 0.05


def test_the_bundle_stores_and_reloads_the_estimator(census_like, tmp_path):
    _, schema, splits, _, _, arrays = census_like
    backend = load_backend("sklearn")
    model = backend.fit(*arrays, _train("xgboost.XGBClassifier", {"n_estimators": 30})).model
    bundle = ModelBundle(fit_preprocessor(splits.train, schema), model, "sklearn")
    save_bundle(bundle, tmp_path / "bundle", n_features=arrays[0].shape[1], cfg=_train("xgboost.XGBClassifier"))
    again = load_bundle(tmp_path / "bundle")
    rows = splits.test.head(200)
    assert np.allclose(again.predict_proba(rows), bundle.predict_proba(rows))
    assert '"estimator": "xgboost.XGBClassifier"' in (tmp_path / "bundle" / "architecture.json").read_text()
