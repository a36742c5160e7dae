"""One DAG and one name per stage: the flow follows dvc.yaml, and every layer uses the same verb."""

from pathlib import Path

import pytest
import yaml

from fairgate.adapters.stages import DVC_STAGES, FLOW_ONLY, PIPELINE, STAGES
from fairgate.core.config import Params

ROOT = Path(__file__).resolve().parents[2]
DVC = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def test_the_pipeline_list_holds_dvc_yaml_stages_in_order_plus_the_flow_only_steps():
    assert list(DVC_STAGES) == list(DVC), "PIPELINE's DVC steps must be dvc.yaml's stages, in its order"
    assert set(FLOW_ONLY) == set(STAGES) - set(DVC) == {"drift", "promote"}
    assert STAGES.index("drift") < STAGES.index("preprocess"), "drift stops the flow before anything trains"
    assert STAGES[-1] == "promote" and all(not s.dvc and s.always for s in PIPELINE if s.name in FLOW_ONLY)
    assert [s.name for s in PIPELINE if s.retries] == ["promote"], "retries go on registry I/O only"


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


def test_every_stage_reads_only_what_earlier_stages_produce():
    producer = {}
    for name, spec in DVC.items():
        for group in ("outs", "metrics", "plots"):
            for out in spec.get(group, []):
                producer[out if isinstance(out, str) else next(iter(out))] = name
    order = list(DVC)
    for name, spec in DVC.items():
        for dep in spec.get("deps", []):
            if dep in producer:
                assert order.index(producer[dep]) < order.index(name), f"{name} reads {dep}, which {producer[dep]} writes"


def test_the_flow_walks_the_pipeline_list_in_order(monkeypatch):
    """The flow body, run for real with its tasks replaced by recorders: every step, in PIPELINE's order."""
    import flows.pipeline as module
    from fairgate.adapters.stages.runner import StageOutcome
    from tasks import stages as tasks

    walked = []

    def recorder(step):
        def run(ctx, dag):
            walked.append(step.name)
            return StageOutcome(step.name, ran=step.dvc, result={"promoted": False})
        return run

    monkeypatch.setattr(tasks, "step_task", recorder)
    monkeypatch.setattr(tasks, "publish_decision", lambda ctx: walked.append("publish"))
    outcome = module.pipeline.fn(root=str(ROOT), params=Params())
    assert walked == [*STAGES, "publish"]
    assert outcome["stages"] == dict.fromkeys(DVC_STAGES, True) and outcome["promotion"] == {"promoted": False}


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
