"""Helpers for the after-promotion tests: production batches with an id column and their labels, a batch whose
scores split by sex (a clear demographic-parity breach), and MLflow's model server started through fairgate."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd

from fairgate.core.config import SyntheticConfig
from fairgate.core.synthetic import generate
from tests.project import BIN, Project

KEY = "id"


def production_rows(rows: int = 4000, seed: int = 7) -> pd.DataFrame:
    """Rows like the training data's, with an id the labels will be joined on; the label included."""
    frame = generate(SyntheticConfig(rows=max(rows, 100), seed=seed, bias=0.0)).head(rows)
    text = frame.select_dtypes(include="category").columns
    frame = frame.astype(dict.fromkeys(text, "str"))  # as a CSV reads them
    frame.insert(0, KEY, np.arange(rows) + 10_000 * seed)
    return frame


def write_batch(frame: pd.DataFrame, directory: Path, name: str) -> tuple[Path, Path]:
    """The batch to score (no label) and the labels that arrive later, as CSV files."""
    batch, labels = directory / f"{name}.csv", directory / f"{name}-labels.csv"
    frame.drop(columns=["income"]).to_csv(batch, index=False)
    frame[[KEY, "income"]].to_csv(labels, index=False)
    return batch, labels


def skewed_by_sex(frame: pd.DataFrame, probability: pd.Series) -> pd.DataFrame:
    """The same rows, with the rows the champion scores above the median marked Male and the rest Female: any
    model's selection rates then differ by sex far beyond a 0.3 ceiling."""
    skewed = frame.copy()
    skewed["sex"] = np.where(probability.to_numpy() >= probability.median(), "Male", "Female")
    return skewed


def post_rows(url: str, rows: list[dict]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=json.dumps({"dataframe_records": rows}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def start_model_server(project: Project, port: int, *options: str) -> subprocess.Popen:
    """`fairgate serve-model` (with ``options``, e.g. ``--version 2``) in the background, once it answers /ping:
    started by its path with a minimal PATH, as from a shell where the venv is not activated."""
    bare = project.env | {"PATH": "/usr/bin:/bin"}  # no venv on PATH: `.venv/bin/fairgate` works unactivated
    server = subprocess.Popen([str(BIN / "fairgate"), "serve-model", "--port", str(port), *options], cwd=project.root,
                              env=bare, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve-model exited {server.returncode}: {server.stdout.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise AssertionError("the model server did not answer /ping within 120 s")


def stop_model_server(server: subprocess.Popen) -> str:
    """Ctrl+C, as a person would; the output it printed."""
    server.send_signal(signal.SIGINT)
    out, _ = server.communicate(timeout=60)
    assert server.returncode == 0, out
    return out
