"""Faults inside one stage, in-process: a training that diverges registers nothing; a failed write leaves the
previous file and no temporary one."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from fairgate.adapters.infra import files
from fairgate.core.errors import StageError


def test_divergence_in_the_train_stage_registers_nothing(_slice, tmp_path):
    import dataclasses
    import shutil

    from fairgate.adapters.stages import paths
    from fairgate.adapters.stages.runner import run_stage

    shutil.copytree(_slice.path(paths.PROCESSED), tmp_path / paths.PROCESSED)
    X = np.load(tmp_path / paths.PROCESSED / paths.TRAIN_X)
    X[:50] = np.inf  # processed data corrupted after preprocess checked it: the loss goes non-finite
    np.save(tmp_path / paths.PROCESSED / paths.TRAIN_X, X)
    ctx = dataclasses.replace(_slice, root=tmp_path, run_id=None)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{tmp_path / 'mlflow.db'}"
    try:
        with pytest.raises(StageError, match=r"\[train\] training diverged"):
            run_stage(ctx, "train")
    finally:
        os.environ.pop("MLFLOW_TRACKING_URI")
    assert not (tmp_path / paths.CANDIDATE).exists() and not (tmp_path / paths.TRAIN_RUN).exists()


def test_writes_are_atomic(tmp_path):
    target = tmp_path / "out.json"
    files.write_json(target, {"v": 1})

    def broken(tmp: Path) -> None:
        tmp.write_text('{"v": 2, "trunc')
        raise OSError("disk full")

    with pytest.raises(OSError):
        files.write_atomic(target, broken)
    assert files.read_json(target) == {"v": 1}
    assert list(tmp_path.iterdir()) == [target], "no temporary file left behind"

    folder = tmp_path / "model"
    with files.atomic_dir(folder) as tmp:
        (tmp / "weights").write_text("good")
    with pytest.raises(RuntimeError), files.atomic_dir(folder) as tmp:
        (tmp / "weights").write_text("half")
        raise RuntimeError("killed")
    assert (folder / "weights").read_text() == "good"
