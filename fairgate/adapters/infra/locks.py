"""The promotion lock: one alias move at a time per registered model and store."""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_DIR_ENV = "FAIRGATE_LOCK_DIR"


def lock_path(store_uri: str, model_name: str) -> Path:
    """Beside the SQLite file for the embedded store; under ~/.fairgate/locks for a tracking server.

    A file lock serialises every process on this host, whichever store they use. Processes on other
    hosts promoting to the same server need a shared lock directory (FAIRGATE_LOCK_DIR on a shared
    file system).
    """
    key = hashlib.sha256(f"{store_uri}|{model_name}".encode()).hexdigest()[:16]
    if os.environ.get(LOCK_DIR_ENV):
        return Path(os.environ[LOCK_DIR_ENV]) / f"promote-{key}.lock"
    if store_uri.startswith("sqlite:///"):
        db = Path(store_uri.removeprefix("sqlite:///"))
        db = db if db.is_absolute() else Path.cwd() / db
        return db.with_name(f".{db.name}.promote-{key}.lock")
    return Path.home() / ".fairgate" / "locks" / f"promote-{key}.lock"


@contextmanager
def exclusive(path: Path, timeout_s: float = 300.0, poll_s: float = 0.05) -> Iterator[None]:
    """Hold an exclusive lock on ``path``; give up with TimeoutError after ``timeout_s``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"could not take the promotion lock {path} within {timeout_s:.0f} s") from None
                time.sleep(poll_s)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class WorkspaceBusy(RuntimeError):
    """Another `fairgate run` (or scheduled run) holds this workspace."""


@contextmanager
def workspace(root: Path, holder: str = "`fairgate run`") -> Iterator[None]:
    """One pipeline command per workspace at a time; a second one fails at once, naming the first."""
    lock_dir = root / ".fairgate"
    lock_dir.mkdir(exist_ok=True)
    with (lock_dir / "run.lock").open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            other = handle.read().strip() or "`fairgate run`"
            raise WorkspaceBusy(f"another {other} is using this workspace ({root}); wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{holder}\n")
        handle.flush()
        yield
