"""Fairness-aware tuning: the search space's errors, the front and the selection rule, and the study on real
processed rows without their test rows - the same seed choosing the same trial in one process, resumed after a
stop, or on two Dask workers."""

from __future__ import annotations

import json
import shutil

import pytest

from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.runner import run_stage
from fairgate.core import tune_config
from fairgate.core.config import ConfigError, build_params
from fairgate.core.errors import StageError
from fairgate.core.tune import choose, pareto_front

FAST_SPACE = {"hist_gradient_boosting": {"learning_rate": [0.05, 0.3, "log"], "max_leaf_nodes": [4, 16],
                                         "max_iter": [20, 60]},
              "lightgbm": {"num_leaves": [4, 16], "n_estimators": [20, 60],
                           "min_child_samples": {"choices": [10, 40]}}}


@pytest.mark.parametrize(("space", "named"), [
    ({"catboost": {}}, "tune.space.catboost: unknown family"),
    ({"lightgbm": {"learning_rate": [0.3, 0.03]}}, "tune.space.lightgbm.learning_rate: low 0.3 is above high 0.03"),
    ({"lightgbm": {"learning_rate": [0.0, 0.3, "log"]}}, "tune.space.lightgbm.learning_rate: a log range needs"),
    ({"lightgbm": {"num_leaves": 8}}, "tune.space.lightgbm.num_leaves: write [low, high]"),
    ({"mlp": {"epochs_max": [1, 3]}}, "tune.space.mlp: epochs_max cannot be tuned"),
])
def test_a_space_that_cannot_be_searched_is_refused_naming_the_key(space, named):
    with pytest.raises(ConfigError, match=named.replace("[", r"\[")):
        build_params({"tune": {"space": space}})


def test_a_family_whose_package_is_missing_is_refused(monkeypatch):
    # Uninstalling xgboost from the suite's environment is not an option: the table names a package that is absent.
    monkeypatch.setitem(tune_config.FAMILIES, "xgboost",
                        tune_config.Family("sklearn", "xgboost.XGBClassifier", "xgboost_not_installed"))
    with pytest.raises(ConfigError, match="tune.space.xgboost: the package 'xgboost_not_installed' is not installed"):
        build_params({"tune": {"space": {"xgboost": {"max_depth": [2, 4]}}}})


def test_workers_must_be_at_least_one():
    with pytest.raises(ConfigError, match="'tune.workers'"):
        build_params({"tune": {"workers": 0}})


def _point(number, primary, gap, sex_gap=None):
    return {"number": number, "primary": primary, "largest_gap": gap,
            "gaps": {"demographic_parity_difference[sex]": sex_gap if sex_gap is not None else gap}}


def test_the_front_holds_only_points_nothing_beats_on_both_objectives():
    points = [_point(0, 0.80, 0.05), _point(1, 0.85, 0.09), _point(2, 0.79, 0.06), _point(3, 0.86, 0.20)]
    assert pareto_front(points) == [0, 1, 3]


def test_the_choice_is_the_most_accurate_front_point_clearing_the_margin():
    ceilings = {"demographic_parity_difference": 0.1, "equalized_odds_difference": 0.1}
    points = [_point(0, 0.80, 0.05), _point(1, 0.85, 0.09), _point(2, 0.86, 0.20)]
    assert choose(points, ceilings, 0.02) == {"index": 0, "front": [0, 1, 2], "cleared": True}
    assert choose(points, ceilings, 0.0)["index"] == 1, "with no margin, 0.09 < 0.1 clears"
    unfair = [_point(0, 0.85, 0.15), _point(1, 0.80, 0.12)]
    assert choose(unfair, ceilings, 0.02) == {"index": 1, "front": [0, 1], "cleared": False}, "else the fairest"


def _project(tmp_path, slice_ctx, name: str, **tune) -> StageContext:
    """A project holding the slice's processed rows, tuned with ``tune`` (its own MLflow store and journal)."""
    root = tmp_path / name
    shutil.copytree(slice_ctx.path(paths.PROCESSED), root / paths.PROCESSED)
    (root / paths.PROCESSED / paths.TEST).unlink()  # the study never reads the test rows
    raw = slice_ctx.params.model_dump(by_alias=True) | {"tune": {"space": FAST_SPACE, "batch": 3} | tune}
    return StageContext(root=root, params=build_params(raw))


def _trials(ctx: StageContext) -> list[tuple]:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    from fairgate.adapters.tune_study import JOURNAL, complete

    storage = JournalStorage(JournalFileBackend(str(ctx.path(JOURNAL))))
    (name,) = optuna.get_all_study_names(storage)
    study = optuna.load_study(study_name=name, storage=storage)
    return sorted(tuple(sorted(t.params.items())) + tuple(t.values) for t in complete(study))


def test_the_same_seed_chooses_the_same_trial_resumed_or_on_dask_and_never_reads_test_rows(tmp_path, slice_ctx,
                                                                                           monkeypatch):
    from fairgate.adapters import tune_log

    whole = _project(tmp_path, slice_ctx, "whole", trials=6)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{whole.root / 'mlflow.db'}")
    run_stage(whole, "tune")
    chosen = json.loads(whole.path(paths.TUNED).read_text())
    assert len(_trials(whole)) == 6 and chosen["train"]["framework"] == "sklearn"
    assert not chosen["chosen"]["cleared"] or chosen["chosen"]["largest_gap"] <= 0.1 - 0.02
    table = whole.path(paths.TUNE_FRONT_CSV).read_text().splitlines()
    assert table[0] == "number,family,primary,largest_gap,on_front,chosen" and len(table) == 7

    stopped = _project(tmp_path, slice_ctx, "stopped", trials=6)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{stopped.root / 'mlflow.db'}")
    logged = tune_log.TrialLog.done

    def stop_at_the_fifth(self, trial, *args):
        if trial.number == 4:  # in the second batch of three
            raise KeyboardInterrupt
        logged(self, trial, *args)

    with monkeypatch.context() as patch:
        patch.setattr(tune_log.TrialLog, "done", stop_at_the_fifth)
        with pytest.raises(KeyboardInterrupt):
            run_stage(stopped, "tune")
    assert len(_trials(stopped)) == 4 and not stopped.path(paths.TUNED).exists()
    run_stage(stopped, "tune")
    assert _trials(stopped) == _trials(whole), "the resumed study asks and scores what the unstopped one did"
    again = json.loads(stopped.path(paths.TUNED).read_text())
    assert again["chosen"]["values"] == chosen["chosen"]["values"] and again["train"] == chosen["train"]

    on_dask = _project(tmp_path, slice_ctx, "dask", trials=6, workers=2)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{on_dask.root / 'mlflow.db'}")
    run_stage(on_dask, "tune")
    assert _trials(on_dask) == _trials(whole), "two Dask workers ask and score what one process did"


def test_a_param_the_family_does_not_take_stops_before_any_trial(tmp_path, slice_ctx, monkeypatch):
    ctx = _project(tmp_path, slice_ctx, "typo", trials=2)
    ctx = StageContext(root=ctx.root, params=ctx.params.model_copy(update={"tune": ctx.params.tune.model_copy(
        update={"space": {"lightgbm": {"num_leafs": [4, 16]}}})}))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{ctx.root / 'mlflow.db'}")
    with pytest.raises(StageError, match=r"tune.space.lightgbm.num_leafs is not a parameter of lightgbm.LGBMClassifier"):
        run_stage(ctx, "tune")
    assert not ctx.path(".fairgate/tune").exists()


def test_a_scheduler_that_does_not_answer_is_named_with_the_fix(slice_ctx, monkeypatch):
    from fairgate.adapters import tune_study
    from fairgate.adapters.stages.tune import trial_rows

    monkeypatch.setattr(tune_study, "CONNECT_TIMEOUT_S", 2)
    cfg = build_params({"tune": {"scheduler": "tcp://127.0.0.1:9", "space": FAST_SPACE}}).tune
    runner = tune_study.trial_runner(cfg, trial_rows(slice_ctx), slice_ctx.params.train)
    with pytest.raises(StageError, match=r"no Dask scheduler answered at tcp://127.0.0.1:9 within 2 s"):
        runner.__enter__()
