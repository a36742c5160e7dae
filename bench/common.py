"""What every bench module shares: the repository, the interpreter's bin, a fresh project copy, and a timed
command in it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results.json"
BIN = Path(sys.executable).parent
QUICK = os.environ.get("QUICK", "") not in ("", "0")
EPOCHS = 3


# One Prefect home for the whole bench run, its database created before anything is timed: a user's
# ~/.prefect persists between runs, and creating that database (Prefect's migrations, about 5 s here)
# happens once per machine. `overhead_first_use` times a run with a brand-new home as well.
PREFECT_HOME = Path(tempfile.mkdtemp(prefix="fairgate-bench-prefect-"))


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_", "FAIRGATE_"))}
    env.update({"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "PREFECT_HOME": str(PREFECT_HOME),
                "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}"})
    return env


def project_copy() -> Path:
    """A git-initialised copy of the tracked files, as the e2e tests use."""
    root = Path(tempfile.mkdtemp(prefix="fairgate-bench-"))
    listed = subprocess.run(["git", "ls-files", "-c"], cwd=REPO, capture_output=True, text=True, check=True)
    for relative in listed.stdout.splitlines():
        if (REPO / relative).is_file():
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / relative, root / relative)
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "b"]):
        subprocess.run(["git", *args], cwd=root, check=True)
    return root


def timed(args: list[str], root: Path, extra_env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=root, env=_env(root) | (extra_env or {}), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{args} failed:\n{done.stderr[-3000:]}")
    return elapsed, done


def set_params(root: Path, overrides: list[str]) -> None:
    script = ("import sys; from pathlib import Path; from fairgate.app.pipeline_run import write_params; "
              "write_params(Path('.'), None, sys.argv[1:])")
    timed([sys.executable, "-c", script, *overrides], root)


def fresh_project(rows: int) -> Path:
    root = project_copy()
    set_params(root, [f"data.synthetic.rows={rows}", f"train.epochs={EPOCHS}", f"train.patience={EPOCHS + 1}"])
    return root
