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


# Output hashes of stages this process has recorded but not yet written to dvc.lock (infra.dag.Dag.record),
# keyed by the project root: a run writes dvc.lock once, after its stages.
_RECORDED: dict[Path, dict[str, str]] = {}


def recorded(root: Path, hashes: dict[str, str]) -> None:
    _RECORDED.setdefault(root.resolve(), {}).update(hashes)


def forget_recorded(root: Path) -> None:
    _RECORDED.pop(root.resolve(), None)


def dvc_out_hashes(root: Path) -> dict[str, str]:
    """The md5 of every stage output as DVC recorded it, keyed by path: dvc.lock's, overlaid with what this
    process recorded since."""
    lock = root / "dvc.lock"
    stages = (yaml.safe_load(lock.read_text()) or {}).get("stages", {}) if lock.exists() else {}
    written = {out["path"]: out.get("md5", "") for stage in stages.values() for out in stage.get("outs", [])}
    return written | _RECORDED.get(root.resolve(), {})


def lineage_tags(root: Path) -> dict[str, str]:
    hashes = dvc_out_hashes(root)
    return {
        "git.commit": git_commit(root),
        "git.dirty": str(git_dirty(root)).lower(),
        "data.raw_md5": hashes.get(RAW_DATA, "unrecorded"),
        "data.processed_md5": hashes.get(PROCESSED_DATA, "unrecorded"),
    }
