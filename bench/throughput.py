"""Training throughput of each backend against a naive reference loop on the same model and data.

Naive references, as named in the backend issue: torch `DataLoader(TensorDataset)` with batch size
512; Keras `model.fit` on a default-configured `tf.data` dataset.
"""

from __future__ import annotations

import time

import numpy as np

from fairgate.core.config import TrainConfig


def _data(rows: int, width: int = 22, seed: int = 0) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, width)).astype(np.float32)
    y = (X[:, :4].sum(axis=1) + rng.normal(size=rows) > 0).astype(np.int8)
    split = int(rows * 0.9)
    return X[:split], y[:split], X[split:], y[split:]


def torch_naive(X: np.ndarray, y: np.ndarray, cfg: TrainConfig, device: str = "cpu") -> float:
    """fp32, batches of 512 from a DataLoader, each moved to ``device``."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from fairgate.core.backends.torch_backend import build_model

    torch.manual_seed(cfg.seed)
    model = build_model(X.shape[1], cfg.hidden_sizes, cfg.dropout).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    loss_fn = nn.BCEWithLogitsLoss()
    loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(y.astype(np.float32))),
                        batch_size=512, shuffle=True)
    started = time.perf_counter()
    for _ in range(cfg.epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb.to(device)).squeeze(1), yb.to(device)).backward()
            optimizer.step()
    if device == "cuda":
        torch.cuda.synchronize()
    return len(X) * cfg.epochs / (time.perf_counter() - started)


def keras_naive(X: np.ndarray, y: np.ndarray, cfg: TrainConfig) -> float:
    import keras
    import tensorflow as tf

    from fairgate.core.backends.keras_backend import build_model

    keras.utils.set_random_seed(cfg.seed)
    model = build_model(X.shape[1], cfg.hidden_sizes, cfg.dropout)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="binary_crossentropy")
    dataset = tf.data.Dataset.from_tensor_slices((X, y.astype(np.float32))).shuffle(len(X)).batch(512)
    started = time.perf_counter()
    model.fit(dataset, epochs=cfg.epochs, verbose=0)
    return len(X) * cfg.epochs / (time.perf_counter() - started)


def measure(framework: str, rows: int, epochs: int) -> dict[str, float]:
    """samples/s of fairgate's loop and of the naive loop, and their ratio, side by side in one process."""
    from fairgate.core.backends import load_backend

    X, y, Xv, yv = _data(rows)
    cfg = TrainConfig(epochs=epochs, patience=epochs + 1, batch_size=512, device="cpu")
    naive = torch_naive if framework == "torch" else keras_naive
    backend = load_backend(framework)
    # one short pass of each loop first: the first optimizer step in a process pays one-time costs (torch
    # imports its compiler stack, about 1.5 s), which would land on whichever loop ran first
    warm = cfg.model_copy(update={"epochs": 1, "patience": 2})
    backend.fit(X[:4096], y[:4096], Xv[:512], yv[:512], warm)
    naive(X[:4096], y[:4096], warm)
    ours = backend.fit(X, y, Xv, yv, cfg).samples_per_s
    reference = naive(X, y, cfg)
    return {"ours": round(ours, 1), "naive": round(reference, 1), "ratio": round(ours / reference, 2)}
