"""Seed sweeps: train the configured model once per seed on the processed data and score each on the
test rows, so the spread between seeds shows how much of a metric difference is noise.

Each seed is logged as an MLflow child run of one sweep run; nothing is registered or promoted.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import numpy as np

from fairgate.adapters.stages import paths
from fairgate.core.config import Params

HEADLINE = ("accuracy", "balanced_accuracy", "roc_auc")


def parse_seeds(text: str) -> list[int]:
    """'1,2,3' or '1-4' (inclusive) -> a list of distinct seeds, in order."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        low, sep, high = part.partition("-")
        try:
            seeds += list(range(int(low), int(high) + 1)) if sep and low else [int(part)]
        except ValueError:
            raise ValueError(f"--seeds '{text}': use numbers like 1,2,3 or a range like 1-5") from None
    if not seeds:
        raise ValueError("--seeds is empty: give at least one seed, e.g. 1,2,3")
    return list(dict.fromkeys(seeds))


def train_and_score(root: str, params: Params, seed: int, threads: int | None = None) -> dict[str, Any]:
    """Fit the configured backend with ``seed`` and return its test metrics (runs in any worker process)."""
    from fairgate.adapters.stages.context import StageContext
    from fairgate.adapters.stages.evaluate import flat_metrics, load_test, score
    from fairgate.core.backends import load_backend
    from fairgate.core.bundle import ModelBundle
    from fairgate.core.preprocess import Preprocessor

    cfg = params.train.model_copy(update={"seed": seed})
    if threads and cfg.framework == "torch":
        import torch

        torch.set_num_threads(threads)  # several workers share the cores instead of oversubscribing them
    folder = Path(root) / paths.PROCESSED
    arrays = [np.load(folder / name) for name in (paths.TRAIN_X, paths.TRAIN_Y, paths.VAL_X, paths.VAL_Y)]
    result = load_backend(cfg.framework).fit(*arrays, cfg)
    bundle = ModelBundle(Preprocessor.load(folder / paths.PREPROCESSOR), result.model, cfg.framework)
    test, schema = load_test(StageContext(root=Path(root), params=params))
    report, _, _ = score(bundle.predict_proba, test, schema, params)
    return {"seed": seed, "metrics": flat_metrics(report), "best_epoch": result.best_epoch,
            "samples_per_s": result.samples_per_s, "worker": f"{socket.gethostname()}:{os.getpid()}"}


def summarise(results: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean, standard deviation, min and max of every metric across seeds."""
    names = sorted(set().union(*(r["metrics"] for r in results)))
    summary = {}
    for name in names:
        values = np.array([r["metrics"][name] for r in results if name in r["metrics"]], dtype=float)
        summary[name] = {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                         "min": float(values.min()), "max": float(values.max())}
    return summary
