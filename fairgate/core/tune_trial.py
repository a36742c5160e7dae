"""One tuning trial, wherever it runs (the driver or a Dask worker): fit the configured model on the training
rows and judge it on the validation rows. It reads no files, so a worker on another machine needs only the rows."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from fairgate.core.backends import load_backend
from fairgate.core.evaluate import evaluate
from fairgate.core.train_config import TrainConfig
from fairgate.core.tune import objectives

NATIVE_THREADS = ("lightgbm.", "xgboost.")  # estimators that take their thread count as n_jobs


@dataclass(frozen=True)
class TrialRows:
    """What every trial reads: the encoded training and validation rows, and the validation rows' groups."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    val_groups: pd.DataFrame

    def head(self, rows: int) -> TrialRows:
        return TrialRows(self.X_train[:rows], self.y_train[:rows], self.X_val[:rows], self.y_val[:rows],
                         self.val_groups.iloc[:rows])


@contextmanager
def thread_limit(cfg: TrainConfig, threads: int) -> Iterator[TrainConfig]:
    """``cfg`` fitted on ``threads`` threads (torch, OpenMP, or the estimator's own n_jobs); the process's
    settings are restored afterwards, so the driver's later training keeps every core."""
    from threadpoolctl import threadpool_limits

    if cfg.framework == "sklearn" and cfg.estimator.startswith(NATIVE_THREADS):
        cfg = cfg.model_copy(update={"estimator_params": cfg.estimator_params | {"n_jobs": threads}})
    torch_threads = None
    if cfg.framework == "torch":
        import torch

        torch_threads = torch.get_num_threads()
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(limits=threads):
            yield cfg
    finally:
        if torch_threads is not None:
            import torch

            torch.set_num_threads(torch_threads)


def fit_and_judge(rows: TrialRows, cfg: TrainConfig, evaluate_cfg: Any, primary_metric: str,
                  threads: int = 1) -> dict[str, Any]:
    """Fit ``cfg`` and return its validation objectives, how long it took, and where it ran."""
    started = time.perf_counter()
    with thread_limit(cfg, threads) as limited:
        backend = load_backend(limited.framework)
        result = backend.fit(rows.X_train, rows.y_train, rows.X_val, rows.y_val, limited)
        proba = backend.predict_proba(result.model, rows.X_val)
    report = evaluate(rows.y_val, np.asarray(proba, dtype=np.float64), rows.val_groups, evaluate_cfg)
    return objectives(report, primary_metric) | {
        "seconds": round(time.perf_counter() - started, 3), "best_epoch": result.best_epoch,
        "worker": f"{socket.gethostname()}:{os.getpid()}"}
