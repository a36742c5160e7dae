"""Batch scoring: `fairgate score` on 200k and 1M generated rows with a champion trained on the same contract. Each
scoring runs under its own wrapper process, so its peak RSS is its own (the training run's is not mixed in)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

WRAPPER = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)")


def _batch(rows: int, path: Path) -> Path:
    import numpy as np

    from fairgate.core.config import SyntheticConfig
    from fairgate.core.synthetic import generate

    frame = generate(SyntheticConfig(rows=rows, seed=99)).drop(columns=["income"])
    frame.insert(0, "id", np.arange(rows))
    frame.to_csv(path, index=False)
    return path


def scoring(sizes: list[int]) -> dict[str, Any]:
    """rows/s inside the flow (reading, checking, scoring, writing) and wall time and peak RSS per size."""
    from bench.common import BIN, fresh_project, set_params, timed

    root = fresh_project(20_000)
    # a champion is all this needs: a few epochs, and the fairness ceilings of small data
    set_params(root, ["monitor.key=id", "train.epochs=8", "gate.max_demographic_parity_difference=0.3",
                      "gate.max_equalized_odds_difference=0.3"])
    timed([str(BIN / "fairgate"), "run"], root)
    results: dict[str, Any] = {}
    for rows in sizes:
        batch = _batch(rows, root / f"batch-{rows}.csv")
        seconds, done = timed([sys.executable, "-c", WRAPPER, str(BIN / "fairgate"), "score", "--input", str(batch)],
                              root)
        summary = json.loads((root / ".fairgate" / "last_score.json").read_text())
        label = f"{rows // 1000}k" if rows < 1_000_000 else f"{rows // 1_000_000}m"
        results[f"score_rows_per_s_{label}"] = summary["rows_per_s"]
        results[f"score_wall_s_{label}"] = round(seconds, 1)
        results[f"score_peak_rss_gb_{label}"] = round(int(done.stdout.strip().splitlines()[-1]) / 1024**2, 2)
    shutil.rmtree(root, ignore_errors=True)
    return results
