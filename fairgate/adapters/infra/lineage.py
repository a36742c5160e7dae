"""Where a run came from: the git commit, whether the tree was dirty, and DVC's data hashes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

RAW_DATA = "data/raw.parquet"
PROCESSED_DATA = "data/processed"


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit(root: Path) -> str:
    return _git(root, "rev-parse", "HEAD") or "unknown"


def git_dirty(root: Path) -> bool:
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    return bool(status)


def dvc_out_hashes(root: Path) -> dict[str, str]:
    """The md5 of every stage output recorded in dvc.lock, keyed by path."""
    lock = root / "dvc.lock"
    if not lock.exists():
        return {}
    stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {})
    return {out["path"]: out.get("md5", "") for stage in stages.values() for out in stage.get("outs", [])}


def lineage_tags(root: Path) -> dict[str, str]:
    hashes = dvc_out_hashes(root)
    return {
        "git.commit": git_commit(root),
        "git.dirty": str(git_dirty(root)).lower(),
        "data.raw_md5": hashes.get(RAW_DATA, "unrecorded"),
        "data.processed_md5": hashes.get(PROCESSED_DATA, "unrecorded"),
    }
