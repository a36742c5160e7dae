"""The GPU paths of both backends against the naive loop on the same device: `make bench GPU=1` or
`python -m bench.gpu`.

torch trains with bf16 autocast (fp16 with a scaler where bf16 is missing) on data resident on the device;
Keras with the mixed_float16 policy and XLA. The naive references are the ones `bench/throughput.py` names,
moved to the same device. Writes the `gpu_*` keys into bench/results.json: samples/s of each, their ratio
(target >= 10), the precision actually used, and peak device memory. Without a GPU it runs the same code on
the CPU with small sizes, says so in `gpu_device`, and writes no ratio against a target.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.throughput import _data, torch_naive
from fairgate.core.config import TrainConfig

RESULTS = Path(__file__).resolve().parent / "results.json"


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def keras_naive_on(device: str, X: np.ndarray, y: np.ndarray, cfg: TrainConfig) -> float:
    """`model.fit` on a default `tf.data` pipeline, float32, no XLA, on ``device``."""
    import keras
    import tensorflow as tf

    from fairgate.core.backends.keras_backend import build_model

    keras.mixed_precision.set_global_policy("float32")
    keras.utils.set_random_seed(cfg.seed)
    with tf.device("/GPU:0" if device == "cuda" else "/CPU:0"):
        model = build_model(X.shape[1], cfg.hidden_sizes, cfg.dropout)
        model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="binary_crossentropy",
                      jit_compile=False)
        dataset = tf.data.Dataset.from_tensor_slices((X, y.astype(np.float32))).shuffle(len(X)).batch(512)
        started = time.perf_counter()
        model.fit(dataset, epochs=cfg.epochs, verbose=0)
    return len(X) * cfg.epochs / (time.perf_counter() - started)


def _peak_memory_gb(framework: str, device: str) -> float | None:
    if device != "cuda":
        return None
    if framework == "torch":
        import torch

        return round(torch.cuda.max_memory_allocated() / 1024**3, 3)
    import tensorflow as tf

    return round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 1024**3, 3)


def measure(framework: str, rows: int, epochs: int, device: str) -> dict[str, Any]:
    """fairgate's loop and the naive one on ``device``, side by side in this process."""
    from fairgate.core.backends import load_backend

    X, y, Xv, yv = _data(rows)
    cfg = TrainConfig(epochs=epochs, patience=epochs + 1, batch_size=4096 if device == "cuda" else 512, device=device)
    fit = load_backend(framework).fit(X, y, Xv, yv, cfg)
    peak = _peak_memory_gb(framework, device)
    naive = torch_naive(X, y, cfg, device) if framework == "torch" else keras_naive_on(device, X, y, cfg)
    prefix = "gpu_torch" if framework == "torch" else "gpu_tf"
    return {f"{prefix}_samples_per_s": round(fit.samples_per_s, 1), f"{prefix}_naive_samples_per_s": round(naive, 1),
            f"{prefix}_ratio": round(fit.samples_per_s / naive, 2), f"{prefix}_precision": fit.precision,
            f"{prefix}_device": fit.device, f"{prefix}_peak_memory_gb": peak}


def run(rows: int | None = None, epochs: int | None = None) -> dict[str, Any]:
    device = "cuda" if _cuda() else "cpu"
    rows = rows or (4_000_000 if device == "cuda" else 20_000)
    epochs = epochs or (3 if device == "cuda" else 1)
    started = time.perf_counter()
    results: dict[str, Any] = {"gpu_device": _device_name(device), "gpu_rows": rows, "gpu_epochs": epochs}
    for framework in ("torch", "tensorflow"):
        results |= measure(framework, rows, epochs, device)
    results["gpu_bench_s"] = round(time.perf_counter() - started, 1)
    return results


def _device_name(device: str) -> str:
    if device != "cuda":
        return "none: no CUDA device here, so the GPU paths ran on the CPU (no ratio against the >= 10x target)"
    import torch

    return torch.cuda.get_device_name(0)


def main() -> None:
    results = run(int(os.environ["GPU_ROWS"]) if os.environ.get("GPU_ROWS") else None)
    merged = (json.loads(RESULTS.read_text()) if RESULTS.exists() else {}) | results
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
