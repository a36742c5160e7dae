"""The Keras 3 (TensorFlow) MLP backend, with the same params, seeding and contract as the torch one."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from fairgate.core import network_file  # noqa: E402
from fairgate.core.backends.common import PREDICT_BATCH, EpochCallback, FitResult, choose_device, diverged  # noqa: E402
from fairgate.core.config import TrainConfig  # noqa: E402

STEPS_PER_EXECUTION = 32


def gpus() -> list[Any]:
    return tf.config.list_physical_devices("GPU")


def resolve_device(requested: str, gpu_available: bool | None = None) -> str:
    return choose_device(requested, bool(gpus()) if gpu_available is None else gpu_available)


def resolve_precision(device: str) -> str:
    """mixed_float16 on a GPU (Keras keeps the variables in float32), float32 on CPU."""
    return "mixed_float16" if device == "cuda" else "fp32"


def _configure(device: str, precision: str) -> None:
    if device == "cuda":
        for gpu in gpus():
            with contextlib.suppress(RuntimeError):  # already initialised in this process
                tf.config.experimental.set_memory_growth(gpu, True)
    keras.mixed_precision.set_global_policy("mixed_float16" if precision == "mixed_float16" else "float32")


def build_model(n_features: int, hidden_sizes: list[int], dropout: float) -> keras.Model:
    layers: list[keras.layers.Layer] = [keras.Input(shape=(n_features,))]
    for size in hidden_sizes:
        layers += [keras.layers.Dense(size, activation="relu"), keras.layers.Dropout(dropout)]
    layers.append(keras.layers.Dense(1, activation="sigmoid", dtype="float32"))
    return keras.Sequential(layers)


def network_for(cfg: TrainConfig, n_features: int) -> keras.Model:
    """The user's network (``train.network``) or fairgate's MLP."""
    if cfg.network is None:
        return build_model(n_features, cfg.hidden_sizes, cfg.dropout)
    return network_file.build(cfg.network, n_features, keras.Model,
                              "a keras.Model that maps (rows, n_features) to (rows, 1) probabilities")


class _EpochLog(keras.callbacks.Callback):
    def __init__(self, on_epoch: EpochCallback) -> None:
        super().__init__()
        self.records: list[dict[str, float]] = []
        self.on_epoch = on_epoch
        self.train_seconds = 0.0
        self._started = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_test_begin(self, logs=None):
        self.train_seconds += time.perf_counter() - self._started

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        record = {"epoch": epoch + 1, "train_loss": float(logs.get("loss", np.nan)),
                  "val_loss": float(logs.get("val_loss", np.nan))}
        if not (np.isfinite(record["train_loss"]) and np.isfinite(record["val_loss"])):
            self.model.stop_training = True
        self.records.append(record)
        if self.on_epoch:
            self.on_epoch(record)


def fit(X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, cfg: TrainConfig,
        on_epoch: EpochCallback = None, sample_weight: np.ndarray | None = None) -> FitResult:
    """Train with early stopping on validation loss (best weights restored); StageError on divergence.
    ``sample_weight`` weighs each training row's loss (reweighing, reductions)."""
    device = resolve_device(cfg.device)
    precision = resolve_precision(device)
    _configure(device, precision)
    keras.utils.set_random_seed(cfg.seed)
    model = network_for(cfg, X_train.shape[1])
    # Several steps per compiled call cut the per-batch Python overhead (1.8x over the naive loop on CPU);
    # XLA pays off on a GPU but its compile time costs more than it saves on CPU.
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss="binary_crossentropy",
                  steps_per_execution=STEPS_PER_EXECUTION, jit_compile=device == "cuda")
    epochs = _EpochLog(on_epoch)
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=cfg.patience, min_delta=1e-6,
                                            restore_best_weights=True)
    model.fit(X_train, y_train.astype(np.float32), validation_data=(X_val, y_val.astype(np.float32)),
              sample_weight=None if sample_weight is None else np.asarray(sample_weight, dtype=np.float32),
              batch_size=cfg.batch_size, epochs=cfg.epochs, shuffle=True, verbose=0,
              callbacks=[epochs, stopper])
    for record in epochs.records:
        if not (np.isfinite(record["train_loss"]) and np.isfinite(record["val_loss"])):
            raise diverged(int(record["epoch"]), record["train_loss"])
    if not all(np.isfinite(w).all() for w in model.get_weights()):  # Keras clips the loss, so check weights too
        raise diverged(len(epochs.records), float("nan"))
    val_losses = [r["val_loss"] for r in epochs.records]
    seen = len(X_train) * len(epochs.records)
    return FitResult(model=model, history=epochs.records, best_epoch=int(np.argmin(val_losses)) + 1,
                     device=device, precision=precision,
                     samples_per_s=seen / epochs.train_seconds if epochs.train_seconds else 0.0)


def predict_proba(model: keras.Model, X: np.ndarray, batch: int = PREDICT_BATCH) -> np.ndarray:
    """Probability of the positive class for each row of the encoded matrix."""
    return np.asarray(model.predict(X, batch_size=batch, verbose=0), dtype=np.float64).reshape(-1)
