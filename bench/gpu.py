"""The GPU paths of both backends against the naive loop on the same device: `make bench GPU=1` or
`python -m bench.gpu`.

torch trains with bf16 autocast (fp16 with a scaler where bf16 is missing) on data resident on the device;
Keras with the mixed_float16 policy and XLA. The naive references are the ones `bench/throughput.py` names,
moved to the same device. Writes the `gpu_*` keys into bench/results.json: samples/s of each, their ratio
(target >= 10), the precision actually used, and peak device memory. fairgate's loop runs twice, at the
default `train.batch_size` and at the larger batch a GPU user would set; the naive loop keeps its 512. On
CUDA, torch's loop also runs at the default batch with `train.cuda_graph` off: the captured step's before
and after.
Without a GPU it runs the same code on the CPU with small sizes, says so in `gpu_device`, and writes no ratio
against a target. A framework that is not installed is reported as not measured, with the reason.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.throughput import _data, torch_naive
from fairgate.core.config import TrainConfig

RESULTS = Path(__file__).resolve().parent / "results.json"
GPU_BATCH = 4096  # the batch a GPU user would set: at 512 each step is a handful of tiny kernels
PREFIXES = {"torch": "gpu_torch", "tensorflow": "gpu_tf"}


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


def _reset_peak_memory(framework: str, device: str) -> None:
    if device == "cuda" and framework == "torch":
        import torch

        torch.cuda.reset_peak_memory_stats()


def _peak_memory_gb(framework: str, device: str) -> float | None:
    if device != "cuda":
        return None
    if framework == "torch":
        import torch

        return round(torch.cuda.max_memory_allocated() / 1024**3, 3)
    import tensorflow as tf

    return round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 1024**3, 3)


def _naive(framework: str, device: str, X: np.ndarray, y: np.ndarray, cfg: TrainConfig) -> float:
    return torch_naive(X, y, cfg, device) if framework == "torch" else keras_naive_on(device, X, y, cfg)


def measure(framework: str, rows: int, epochs: int, device: str) -> dict[str, Any]:
    """fairgate's loop (at the large batch, then the default one) and the naive loop on ``device``, side by
    side in this process, each after a short warm-up pass that takes the one-time costs."""
    from fairgate.core.backends import load_backend

    backend = load_backend(framework)
    X, y, Xv, yv = _data(rows)
    default_batch = TrainConfig().batch_size
    large_batch = GPU_BATCH if device == "cuda" else default_batch
    cfg = TrainConfig(epochs=epochs, patience=epochs + 1, batch_size=large_batch, device=device)
    warm = cfg.model_copy(update={"epochs": 1, "patience": 2})
    backend.fit(X[:8192], y[:8192], Xv[:1024], yv[:1024], warm)
    _naive(framework, device, X[:8192], y[:8192], warm)

    _reset_peak_memory(framework, device)
    fit = backend.fit(X, y, Xv, yv, cfg)
    peak = _peak_memory_gb(framework, device)
    at_default = backend.fit(X, y, Xv, yv, cfg.model_copy(update={"batch_size": default_batch})).samples_per_s
    naive = _naive(framework, device, X, y, cfg)
    prefix = PREFIXES[framework]
    results = {f"{prefix}_samples_per_s": round(fit.samples_per_s, 1), f"{prefix}_batch": large_batch,
               f"{prefix}_default_batch_samples_per_s": round(at_default, 1),
               f"{prefix}_naive_samples_per_s": round(naive, 1),
               f"{prefix}_ratio": round(fit.samples_per_s / naive, 2),
               f"{prefix}_default_batch_ratio": round(at_default / naive, 2),
               f"{prefix}_precision": fit.precision, f"{prefix}_device": fit.device,
               f"{prefix}_peak_memory_gb": peak}
    if framework == "torch" and device == "cuda":  # the captured step's before and after, side by side
        uncaptured = cfg.model_copy(update={"batch_size": default_batch, "cuda_graph": False})
        eager_speed = backend.fit(X, y, Xv, yv, uncaptured).samples_per_s
        results[f"{prefix}_default_batch_eager_samples_per_s"] = round(eager_speed, 1)
        results[f"{prefix}_default_batch_eager_ratio"] = round(eager_speed / naive, 2)
    return results


def not_installed(framework: str) -> dict[str, Any]:
    prefix = PREFIXES[framework]
    return {f"{prefix}_device": f"not measured: {framework} is not installed on this machine"}


def run(rows: int | None = None, epochs: int | None = None) -> dict[str, Any]:
    device = "cuda" if _cuda() else "cpu"
    rows = rows or (4_000_000 if device == "cuda" else 20_000)
    epochs = epochs or (3 if device == "cuda" else 1)
    started = time.perf_counter()
    results: dict[str, Any] = {"gpu_device": _device_name(device), "gpu_rows": rows, "gpu_epochs": epochs}
    for framework in PREFIXES:
        installed = importlib.util.find_spec(framework) is not None
        results |= measure(framework, rows, epochs, device) if installed else not_installed(framework)
        print(json.dumps({k: v for k, v in results.items() if k.startswith(PREFIXES[framework])}), flush=True)
    results["gpu_bench_s"] = round(time.perf_counter() - started, 1)
    return results


def _device_name(device: str) -> str:
    if device != "cuda":
        return "none: no CUDA device here, so the GPU paths ran on the CPU (no ratio against the >= 10x target)"
    import torch

    return f"{torch.cuda.get_device_name(0)} (torch {torch.__version__})"


def main() -> None:
    results = run(int(os.environ["GPU_ROWS"]) if os.environ.get("GPU_ROWS") else None)
    merged = (json.loads(RESULTS.read_text()) if RESULTS.exists() else {}) | results
    RESULTS.write_text(json.dumps(merged, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
