"""The import-linter contracts in pyproject.toml hold, and they would catch an upward import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def _copy(target: Path) -> Path:
    for name in ("fairgate", "flows", "tasks"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target)
    return target


def _lint(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT)], cwd=root, capture_output=True, text=True, timeout=120)


def test_the_layer_contracts_hold(tmp_path: Path):
    done = _lint(_copy(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, line, contract", [
    ("fairgate/core/gate.py", "import mlflow", "The core imports no orchestration, tracking or versioning library"),
    ("fairgate/core/evaluate.py", "from fairgate.adapters.infra import files", "Layers"),
    ("fairgate/adapters/infra/files.py", "from fairgate.adapters.stages import train", "Infra never imports a stage"),
    ("fairgate/adapters/stages/gate.py", "from fairgate.adapters.stages import evaluate", "Stages do not import each other"),
    ("tasks/stages.py", "import fairgate.app", "Layers"),
    ("flows/pipeline.py", "from fairgate.app import pipeline_run", "Layers"),
    ("fairgate/adapters/stages/runner.py", "from tasks import stages", "Layers"),
    ("fairgate/app/warm/standby.py", "from fairgate.app.cli import app", "No import cycle between siblings"),
])
def test_an_import_against_the_design_breaks_the_lint(tmp_path: Path, module: str, line: str, contract: str):
    root = _copy(tmp_path)
    with (root / module).open("a") as handle:
        handle.write(f"\n{line}  # noqa\n")
    done = _lint(root)
    assert done.returncode != 0
    broken = [row for row in done.stdout.splitlines() if row.endswith("BROKEN")]
    assert any(row.startswith(contract) for row in broken), done.stdout[-3000:]


def test_no_module_exceeds_three_hundred_lines():
    long = {str(path.relative_to(ROOT)): n for name in ("fairgate", "flows", "tasks")
            for path in (ROOT / name).rglob("*.py") if (n := len(path.read_text().splitlines())) > 300}
    assert not long, f"split these by job: {long}"
