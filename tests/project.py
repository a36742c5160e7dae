"""A throw-away copy of the repository, and helpers to run the real CLI, DVC and MLflow in it."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


@dataclass
class Project:
    root: Path
    env: dict[str, str]

    def run(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """``args`` in the project, with its environment (and ``env`` on top, for this command only)."""
        done = subprocess.run(list(args), cwd=self.root, env=self.env | (env or {}), capture_output=True, text=True,
                              timeout=600)
        if check and done.returncode != 0:
            raise AssertionError(f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def fairgate(self, *args: str, check: bool = True, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        done = self.run(str(BIN / "fairgate"), *args, check=check, env=env)
        # Prefect's queued logs must reach its server before fairgate stops the server it started.
        assert "Error logging to API" not in done.stdout + done.stderr, done.stderr[-3000:]
        return done

    def dvc(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(str(BIN / "dvc"), *args)

    def client(self):
        import mlflow

        mlflow.set_tracking_uri(self.env["MLFLOW_TRACKING_URI"])
        return mlflow.MlflowClient()

    def versions(self, name: str = "fairgate") -> list:
        from mlflow.exceptions import MlflowException

        try:
            return self.client().search_model_versions(f"name='{name}'")
        except MlflowException:
            return []

    def champion(self, name: str = "fairgate", alias: str = "champion") -> str | None:
        from mlflow.exceptions import MlflowException

        try:
            return str(self.client().get_model_version_by_alias(name, alias).version)
        except MlflowException:
            return None


def copy_repo(target: Path) -> None:
    """Copy the tracked files (as they are in the working tree) and the DVC config into ``target``; params.yaml as
    committed, so that an experiment left in the working tree (`fairgate run -S` writes params.yaml) changes no test."""
    listed = subprocess.run(["git", "ls-files", "-c"], cwd=REPO, capture_output=True, text=True, check=True)
    for relative in listed.stdout.splitlines():
        source = REPO / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)
    committed = subprocess.run(["git", "show", "HEAD:params.yaml"], cwd=REPO, capture_output=True, text=True)
    if committed.returncode == 0:
        (target / "params.yaml").write_text(committed.stdout)


def project_env(root: Path, prefect_home: Path, prefect_api: str | None = None) -> dict[str, str]:
    """The environment a test project's commands run in: its own MLflow store and Prefect home, and the session's
    Prefect server when ``prefect_api`` is given (else each run starts its own temporary one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_", "FAIRGATE_"))}
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "PREFECT_HOME": str(prefect_home),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
    })
    if prefect_api:
        env["PREFECT_API_URL"] = prefect_api
    return env


def make_project(root: Path, prefect_home: Path, prefect_api: str | None = None) -> Project:
    """Copy the repository into ``root``, commit it, and return a Project with an isolated environment."""
    copy_repo(root)
    project = Project(root, project_env(root, prefect_home, prefect_api))
    project.run("git", "init", "-q")
    project.run("git", "add", "-A")
    project.run("git", "commit", "-qm", "copy")
    return project


def _workspace_state(folder: str, names: list[str]) -> set[str]:
    """What a copy leaves behind: the workspace's locks, logs and sockets, and DVC's temporary files."""
    here = Path(folder)
    if here.name == ".fairgate":
        return {n for n in names if n.endswith((".lock", ".log", ".sock"))}
    if here.name == ".dvc":
        return {"tmp"} & set(names)
    return {n for n in names if n.startswith(".mlflow.db.") and n.endswith(".lock")}


def clone_project(source: Project, root: Path, prefect_home: Path) -> Project:
    """An independent copy of ``source`` at ``root``, as DVC's test fixtures copy a prepared repository: its own git
    repository, DVC cache and workspace lock, and its own MLflow store, whose absolute artifact locations are
    rewritten to the copy's. Commands in it reach the Prefect server ``source``'s do."""
    shutil.copytree(source.root, root, symlinks=True, dirs_exist_ok=True, ignore=_workspace_state)
    old, new = str(source.root), str(root)
    with sqlite3.connect(root / "mlflow.db") as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for column in db.execute(f"PRAGMA table_info('{table}')").fetchall():
                if column[2].upper().startswith(("VARCHAR", "TEXT")):
                    db.execute(f'UPDATE "{table}" SET "{column[1]}" = REPLACE("{column[1]}", ?, ?) '
                               f'WHERE "{column[1]}" LIKE ?', (old, new, f"%{old}%"))
    db.close()
    for model in (root / "mlartifacts").rglob("MLmodel"):
        model.write_text(model.read_text().replace(old, new))
    return Project(root, project_env(root, prefect_home, source.env.get("PREFECT_API_URL")))


# Small data gives wide confidence intervals, so the fairness ceilings are relaxed to match: these
# tests exercise the mechanics; tests/model/test_gate_evidence.py holds the statistical evidence.
SMALL = ["-S", "data.synthetic.rows=5000", "-S", "train.epochs=8", "-S", "validate.min_rows=500",
         "-S", "gate.max_equalized_odds_difference=0.3", "-S", "gate.max_demographic_parity_difference=0.3"]
# Slow enough that a test can interrupt or kill the run while it trains.
SLOW = [*SMALL, "-S", "train.epochs=400", "-S", "train.patience=400", "-S", "train.batch_size=32"]


def start_as_from_a_terminal(project: Project, args: list[str], log: Path) -> subprocess.Popen:
    """A command as a terminal starts it, its output in ``log``. A shell's background job (`make test &`) ignores
    SIGINT, and a child inherits that, so Python would never raise KeyboardInterrupt; a terminal's command does not."""
    return subprocess.Popen(args, cwd=project.root, env=project.env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
