"""One DAG and one name per stage: the flow follows dvc.yaml, and every layer uses the same verb."""

from pathlib import Path

import pytest
import yaml

from fairgate.adapters.infra.dag import stage_order
from fairgate.adapters.stages import FLOW_ONLY, STAGES
from fairgate.core.config import Params

ROOT = Path(__file__).resolve().parents[2]
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_flow_stages_are_exactly_dvc_yaml_stages_plus_the_flow_only_ones():
    assert stage_order(ROOT) == list(DVC)
    assert [name for name in STAGES if name not in FLOW_ONLY] == list(DVC)
    assert STAGES.index("drift") < STAGES.index("train") and STAGES[-1] == "promote"


def test_every_dvc_stage_calls_fairgate_stage_with_its_own_name():
    for name, spec in DVC.items():
        assert spec["cmd"] == f"fairgate stage {name}"


def test_each_stage_has_module_params_section_and_test_file():
    sections = set(Params.model_fields) | {"validate"}
    for name in STAGES:
        assert (ROOT / "fairgate/adapters/stages" / f"{name}.py").exists(), name
        assert name in sections or name == "ingest", name  # ingest's section is the shared `data` contract
    for name in ("validate", "drift", "preprocess", "evaluate", "gate"):
        assert list(ROOT.glob(f"tests/**/test_{name}.py")), name


def test_stage_outputs_feed_only_later_stages():
    produced: dict[str, str] = {}
    for name, spec in DVC.items():
        for dep in spec.get("deps", []):
            if dep in produced:
                assert list(DVC).index(produced[dep]) < list(DVC).index(name)
        for group in ("outs", "metrics", "plots"):
            for out in spec.get(group, []):
                produced[out if isinstance(out, str) else next(iter(out))] = name


def test_task_names_match_stage_names():
    from tasks.stages import promote, stage_task

    assert [stage_task(name).name for name in DVC] == list(DVC)
    assert promote.name == "promote"


def test_a_dvc_lock_held_by_another_command_is_the_workspace_busy_error(tmp_path_factory):
    import subprocess
    import sys

    from fairgate.adapters.infra.dag import Dag
    from fairgate.adapters.infra.locks import WorkspaceBusy
    from tests.project import make_project

    project = make_project(tmp_path_factory.mktemp("dvc-lock"), tmp_path_factory.mktemp("ph"))
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from dvc.repo import Repo\n"
                               "with Repo(sys.argv[1]).lock:\n    print('locked', flush=True); time.sleep(60)",
                               str(project.root)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        dag = Dag(project.root)
        with pytest.raises(WorkspaceBusy, match=r"workspace is busy: another DVC command \(`dvc repro`\?\)"):
            dag.stale()
        dag.close()
    finally:
        holder.kill()
        holder.wait()
