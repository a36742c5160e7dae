"""Where a run's time goes (stage work, MLflow, DVC), for the end-of-run record and the benchmarks."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

_totals: dict[str, float] = defaultdict(float)


@contextmanager
def spent(category: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        _totals[category] += time.perf_counter() - started


def snapshot() -> dict[str, float]:
    return {f"{k}_s": round(v, 3) for k, v in _totals.items()}


def reset() -> None:
    _totals.clear()
