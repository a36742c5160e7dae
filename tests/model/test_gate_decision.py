"""The gate judges the candidate on the probabilities evaluate scored, not on a second scoring pass."""

import json
import shutil

import numpy as np
import pytest

from fairgate.adapters.infra import files
from fairgate.adapters.model_files import load_bundle
from fairgate.adapters.stages import paths
from fairgate.adapters.stages.context import StageContext
from fairgate.adapters.stages.gate_decision import evaluate_against, judge
from fairgate.adapters.stages.inputs import load_test
from fairgate.core.errors import StageError


def test_the_gate_judges_evaluates_probabilities_and_decides_as_if_it_scored_again(slice_ctx):
    kept = np.load(slice_ctx.path(paths.EVAL_PROBA))
    test, _ = load_test(slice_ctx)
    bundle = load_bundle(slice_ctx.path(paths.CANDIDATE))
    assert kept.dtype == np.float64 and np.array_equal(kept, test.scored(bundle.predict_proba))
    report = files.read_json(slice_ctx.path(paths.EVAL_REPORT))
    kept_decision, rescored = evaluate_against(slice_ctx, None, "gate"), judge(slice_ctx, bundle, None, report)
    assert json.dumps(kept_decision, sort_keys=True) == json.dumps(rescored, sort_keys=True)  # NaN compares as text


def test_probabilities_of_another_run_are_refused_with_the_fix(slice_ctx, tmp_path):
    root = tmp_path / "project"
    shutil.copytree(slice_ctx.root, root)
    ctx = StageContext(root=root, params=slice_ctx.params)
    np.save(ctx.path(paths.EVAL_PROBA), np.load(ctx.path(paths.EVAL_PROBA))[:-3])
    with pytest.raises(StageError) as raised:
        evaluate_against(ctx, None, "gate")
    assert raised.value.stage == "gate" and "belongs to another run" in str(raised.value)
    assert "dvc repro evaluate" in str(raised.value)
