"""A throw-away copy of the repository, and helpers to run the real CLI, DVC and MLflow in it."""

from __future__ import annotations

import os
import shutil
import signal
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

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(list(args), cwd=self.root, env=self.env, capture_output=True, text=True,
                              timeout=600)
        if check and done.returncode != 0:
            raise AssertionError(f"{args} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
        return done

    def fairgate(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = self.run(str(BIN / "fairgate"), *args, check=check)
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
    """Copy the tracked files (as they are in the working tree) and the DVC config into ``target``."""
    listed = subprocess.run(["git", "ls-files", "-c"], cwd=REPO, capture_output=True, text=True, check=True)
    for relative in listed.stdout.splitlines():
        source = REPO / relative
        if source.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)


def make_project(root: Path, prefect_home: Path) -> Project:
    """Copy the repository into ``root``, commit it, and return a Project with an isolated environment."""
    copy_repo(root)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PREFECT_", "FAIRGATE_"))}
    env.update({
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "PREFECT_HOME": str(prefect_home),
        "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t",
    })
    project = Project(root, env)
    project.run("git", "init", "-q")
    project.run("git", "add", "-A")
    project.run("git", "commit", "-qm", "copy")
    return project


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
