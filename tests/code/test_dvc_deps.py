"""dvc.yaml's deps are exact: every fairgate module a stage imports, directly or not, is a dep of that stage.

The imports are read from the code (every `import`/`from ... import` of fairgate, at any depth, and the
module names the backends import by name), so the next missing dep is caught without anyone remembering.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from fairgate.adapters.stages import DVC_STAGES

ROOT = Path(__file__).resolve().parents[2]
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def module_file(name: str) -> Path | None:
    base = ROOT / name.replace(".", "/")
    if base.with_suffix(".py").exists():
        return base.with_suffix(".py")
    return base / "__init__.py" if (base / "__init__.py").exists() else None


def _imports(name: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(module_file(name).read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("fairgate.")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("fairgate"):
            for alias in node.names:  # `from fairgate.core import drift` imports a module; `... import Schema` a name
                found.add(f"{node.module}.{alias.name}" if module_file(f"{node.module}.{alias.name}") else node.module)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("fairgate."):
            found.add(node.value)  # importlib.import_module("fairgate.core.backends.torch_backend")
    return {module for module in found if module_file(module)}


def imported_files(module: str) -> set[str]:
    """The files of ``module`` and of every fairgate module it imports, transitively."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += _imports(current)
    return {module_file(m).relative_to(ROOT).as_posix() for m in seen}


def _covered(path: str, deps: list[str]) -> bool:
    return any(path == dep or path.startswith(dep.rstrip("/") + "/") for dep in deps)


@pytest.mark.parametrize("stage", DVC_STAGES)
def test_every_module_a_stage_imports_is_a_dvc_dep_of_it(stage: str):
    deps = DVC[stage].get("deps", [])
    missing = sorted(f for f in imported_files(f"fairgate.adapters.stages.{stage}") if not _covered(f, deps))
    assert not missing, f"add to the deps of stage '{stage}' in dvc.yaml: {missing}"


@pytest.mark.parametrize("stage", DVC_STAGES)
def test_every_code_dep_is_code_the_stage_imports(stage: str):
    """The other way round: a listed file the stage no longer imports reruns it for nothing."""
    imported = imported_files(f"fairgate.adapters.stages.{stage}")
    stale = [dep for dep in DVC[stage].get("deps", []) if dep.startswith("fairgate/")
             and not any(f == dep or f.startswith(dep.rstrip("/") + "/") for f in imported)]
    assert not stale, f"stage '{stage}' lists {stale} but imports none of it"


def test_the_derivation_sees_indirect_and_lazy_imports():
    files = imported_files("fairgate.adapters.stages.train")
    assert "fairgate/core/backends/keras_backend.py" in files, "named in a string, imported by importlib"
    assert "fairgate/adapters/infra/timing.py" in files, "imported through tracking, two levels down"
