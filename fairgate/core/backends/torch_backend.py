"""The PyTorch MLP backend: batches sliced from pre-loaded tensors, seeded, CUDA-aware."""

from __future__ import annotations

import contextlib
import time

import numpy as np
import torch
from torch import nn

from fairgate.core import network_file
from fairgate.core.backends.common import PREDICT_BATCH, EpochCallback, FitResult, choose_device, diverged
from fairgate.core.config import TrainConfig
from fairgate.core.errors import StageError


def resolve_device(requested: str, cuda_available: bool | None = None) -> str:
    """Map ``train.device`` to a torch device, failing before training when CUDA is asked for but absent."""
    return choose_device(requested, torch.cuda.is_available() if cuda_available is None else cuda_available)


def resolve_precision(device: str, bf16_supported: bool | None = None) -> str:
    """bf16 autocast where the GPU supports it, fp16 (with a GradScaler) on other GPUs, fp32 on CPU."""
    if device != "cuda":
        return "fp32"
    supported = torch.cuda.is_bf16_supported() if bf16_supported is None else bf16_supported
    return "bf16" if supported else "fp16"


def build_model(n_features: int, hidden_sizes: list[int], dropout: float) -> nn.Module:
    layers: list[nn.Module] = []
    width = n_features
    for size in hidden_sizes:
        layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
        width = size
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)


NETWORK_CONTRACT = "a torch.nn.Module that maps (rows, n_features) to (rows, 1) logits"


def network_for(cfg: TrainConfig, n_features: int) -> nn.Module:
    """The user's network (``train.network``) or fairgate's MLP."""
    if cfg.network is None:
        return build_model(n_features, cfg.hidden_sizes, cfg.dropout)
    return network_file.build(cfg.network, n_features, nn.Module, NETWORK_CONTRACT)


def _seed(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return torch.Generator().manual_seed(seed)


def _mean_loss(model: nn.Module, X: torch.Tensor, y: torch.Tensor, batch: int, autocast) -> float:
    loss_fn = nn.BCEWithLogitsLoss(reduction="sum")
    total = 0.0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(X), batch):
            with autocast():
                logits = model(X[start:start + batch]).squeeze(1)
            total += loss_fn(logits.float(), y[start:start + batch]).item()
    return total / max(len(X), 1)


GATHER_BATCHES = 64  # batches gathered at once: the copy is a block of rows, not the whole training set


def _shuffled_batches(X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None, order: torch.Tensor,
                      batch_size: int):
    """The rows in ``order``, ``batch_size`` at a time. Rows are gathered ``GATHER_BATCHES`` batches at a time
    and each batch is a contiguous slice (a view) of that block: nearly as fast as one gather per epoch, and
    the shuffled copy is a block, not a second copy of the training set. The batches are the same either way."""
    block = batch_size * GATHER_BATCHES
    for first in range(0, len(order), block):
        rows = order[first:first + block]
        X_block, y_block = X[rows], y[rows]
        w_block = w[rows] if w is not None else None
        for start in range(0, len(rows), batch_size):
            end = start + batch_size
            yield X_block[start:end], y_block[start:end], (w_block[start:end] if w_block is not None else None)


def _loss(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor, wb: torch.Tensor | None, autocast) -> torch.Tensor:
    """The batch's mean loss (each row's loss times its weight, when weighted)."""
    with autocast():
        per_row = nn.functional.binary_cross_entropy_with_logits(model(xb).squeeze(1).float(), yb, reduction="none")
        return per_row.mean() if wb is None else (per_row * wb).sum() / wb.sum().clamp_min(1e-12)


def _eager_step(model: nn.Module, optimizer, xb, yb, wb, autocast, scaler) -> torch.Tensor:
    optimizer.zero_grad(set_to_none=True)
    loss = _loss(model, xb, yb, wb, autocast)
    if scaler is not None:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
    return loss


class GraphedStep:
    """One full-batch training step (forward, backward, fused Adam) captured as a CUDA graph.

    A small MLP's step on a GPU is a few dozen tiny kernels, and launching them from Python costs more than
    running them (about 2 ms a step at batch 512 on an H200); a replay launches them all at once. The batch is
    copied into fixed input buffers first. Capture needs a few steps run beforehand, so the model's weights
    and the optimizer's state are put back afterwards: those steps do not train.
    """

    WARMUP_STEPS = 3

    def __init__(self, model: nn.Module, optimizer, batch_size: int, n_features: int, weighted: bool, autocast):
        self.x = torch.zeros(batch_size, n_features, device="cuda")
        self.y = torch.zeros(batch_size, device="cuda")
        self.w = torch.ones(batch_size, device="cuda") if weighted else None
        initial = [p.detach().clone() for p in model.parameters()]
        rng = torch.cuda.get_rng_state()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(self.WARMUP_STEPS):
                _eager_step(model, optimizer, self.x, self.y, self.w, autocast, None)
        torch.cuda.current_stream().wait_stream(side)
        torch.cuda.set_rng_state(rng)  # nor do they draw dropout masks
        optimizer.zero_grad(set_to_none=True)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            loss = _loss(model, self.x, self.y, self.w, autocast)
            loss.backward()
            optimizer.step()
        # a detached view of the graph's output: the loss itself would keep the captured autograd graph, and
        # its per-parameter nodes, alive into the eager steps on another stream
        self.loss = loss.detach()
        del loss
        with torch.no_grad():
            for param, value in zip(model.parameters(), initial, strict=True):
                param.copy_(value)
            for state in optimizer.state.values():
                for value in state.values():
                    if torch.is_tensor(value):
                        value.zero_()

    def __call__(self, xb: torch.Tensor, yb: torch.Tensor, wb: torch.Tensor | None) -> torch.Tensor:
        self.x.copy_(xb)
        self.y.copy_(yb)
        if self.w is not None:
            self.w.copy_(wb)
        self.graph.replay()
        return self.loss


def _capture(model: nn.Module, optimizer, batch_size: int, n_features: int, weighted: bool, autocast) -> GraphedStep:
    try:
        return GraphedStep(model, optimizer, batch_size, n_features, weighted, autocast)
    except RuntimeError as error:  # a driver or a torch build that cannot capture this step
        raise StageError("train", f"capturing the training step as a CUDA graph failed: {error}",
                         "set train.cuda_graph to false to train with the step run kernel by kernel") from error


def use_cuda_graph(cfg: TrainConfig, device: str, precision: str, rows: int) -> bool:
    """On CUDA, for bf16 or fp32 (fp16's loss scaling changes between steps), when there are enough full
    batches for the capture to pay off."""
    return cfg.cuda_graph and device == "cuda" and precision != "fp16" and rows >= 8 * cfg.batch_size


def _one_epoch(model: nn.Module, optimizer, X: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None,
               batch_size: int, generator: torch.Generator, autocast, scaler,
               graphed: GraphedStep | None = None) -> float:
    """One pass over the shuffled training rows; the mean loss. Full batches replay ``graphed`` when given."""
    model.train()
    order = torch.randperm(len(X), generator=generator).to(X.device)
    running = torch.zeros((), device=X.device)
    for xb, yb, wb in _shuffled_batches(X, y, w, order, batch_size):
        if graphed is not None and len(xb) == batch_size:
            loss = graphed(xb, yb, wb)
        else:
            loss = _eager_step(model, optimizer, xb, yb, wb, autocast, scaler)
        running += loss.detach() * len(xb)
    return running.item() / max(len(X), 1)


def fit(X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray, cfg: TrainConfig,
        on_epoch: EpochCallback = None, sample_weight: np.ndarray | None = None) -> FitResult:
    """Train with early stopping on validation loss and return the best weights; ``sample_weight`` weighs
    each training row's loss (reweighing, reductions).

    Raises StageError when the loss stops being finite (divergence), so no model is produced.
    """
    generator = _seed(cfg.seed)
    device = resolve_device(cfg.device)
    precision = resolve_precision(device)
    if device == "cuda":
        torch.backends.cudnn.benchmark = True
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)

    graph = use_cuda_graph(cfg, device, precision, len(X_train))

    def autocast():
        # a captured graph must not reuse casts cached outside it
        return torch.autocast("cuda", dtype=dtype, cache_enabled=not graph) if dtype else contextlib.nullcontext()

    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None
    model = network_for(cfg, X_train.shape[1]).to(device)
    # fused: one kernel per step; capturable: its step count stays on the device, as a graph needs
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate, fused=True, capturable=graph)
    Xt, yt = torch.from_numpy(X_train).to(device), torch.from_numpy(y_train.astype(np.float32)).to(device)
    Xv, yv = torch.from_numpy(X_val).to(device), torch.from_numpy(y_val.astype(np.float32)).to(device)
    wt = None if sample_weight is None else torch.from_numpy(np.asarray(sample_weight, dtype=np.float32)).to(device)
    graphed = _capture(model, optimizer, cfg.batch_size, X_train.shape[1], wt is not None, autocast) if graph else None

    result = FitResult(model=model, device=device, precision=precision)
    best_loss, best_state, stale, train_seconds = float("inf"), None, 0, 0.0
    for epoch in range(1, cfg.epochs + 1):
        started = time.perf_counter()
        train_loss = _one_epoch(model, optimizer, Xt, yt, wt, cfg.batch_size, generator, autocast, scaler, graphed)
        train_seconds += time.perf_counter() - started
        val_loss = _mean_loss(model, Xv, yv, 8192, autocast)
        if not (np.isfinite(train_loss) and np.isfinite(val_loss)):
            raise diverged(epoch, train_loss)
        result.history.append({"epoch": epoch, "train_loss": train_loss, "val_loss": val_loss})
        if on_epoch:
            on_epoch(result.history[-1])
        if val_loss < best_loss - 1e-6:
            best_loss, stale, result.best_epoch = val_loss, 0, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif (stale := stale + 1) >= cfg.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    result.samples_per_s = len(Xt) * len(result.history) / train_seconds if train_seconds else 0.0
    result.model = model.to("cpu").eval()
    return result


def predict_proba(model: nn.Module, X: np.ndarray, batch: int = PREDICT_BATCH) -> np.ndarray:
    """Probability of the positive class for each row of the encoded matrix.

    Each batch is copied into torch's own (64-byte aligned) memory: the CPU kernels' summation order can
    depend on where a batch starts in memory, and a row's probability should depend only on its batch.
    """
    model.eval()
    out = np.empty(len(X), dtype=np.float64)
    with torch.no_grad():
        for start in range(0, len(X), batch):
            logits = model(torch.tensor(X[start:start + batch]))
            out[start:start + batch] = torch.sigmoid(logits.squeeze(1)).double().numpy()
    return out
